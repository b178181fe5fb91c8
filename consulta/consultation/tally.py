"""The consultation's figures kept as a tally: `comment_tally` holds how many comments share each key
(cycle, target, state, alignment, hidden reason, staff, listed, answered, appealed), so the cycle's
gauge, the comparison and a thread's figures add up a few rows whatever the number of comments.

    recount() -> SELECT        the comments grouped by the key, counted now: what the tally must equal
    rebuild(connection)        empty the tally and fill it from the comments (`flask consultation retally`,
                               bench/generate after its bulk load)
    tallied(), recounted()     {Key: n} of both, to compare them (tests, the command's check)

It stays equal to `recount()` through one listener on every Session's flush, not through calls in the
services. The key moves whenever one of ten columns changes, and they change in many places: posting,
editing and withdrawing (which hand a campaign over to another member, changing other comments'
`campaign_of_id`), answering a whole campaign, reports, hiding, restoring, appeals lodged and decided,
and any future service, command or demo step. A service call would have to be remembered at each of
them, and a forgotten one drifts silently until a page shows a wrong figure. The flush sees every
changed comment with its value before and after, whatever code changed it, and writes the difference
in the same transaction (it commits or rolls back with the change). What it cannot see: statements
that bypass the unit of work (`insert(Comment)`, `update(Comment)`, COPY). A session refuses those on
the comment table (`_refuse_bulk_writes`); bulk loaders (bench/generate, tests that pile up rows)
write through a Connection and call `rebuild` afterwards. Nor are comments deleted (withdrawn and
hidden are states); a deleted one would also need `rebuild`.
"""
from collections import Counter
from typing import NamedTuple

from sqlalchemy import String, and_, delete, event, exists, func, insert, inspect, select, text, type_coerce
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from consulta.consultation.models import AppealState, Comment, CommentAppeal, CommentState, CommentTally
from consulta.extensions import db

# Stored for a comment without an alignment (a reply) or without a hidden reason.
NONE = ""


class Key(NamedTuple):
    cycle_id: int
    target_kind: str
    target_id: int
    state: str
    alignment: str
    hidden_reason: str
    staff: bool
    listed: bool
    answered: bool
    appealed: bool


# The comment columns a key is made of.
COLUMNS = ("cycle_id", "target_kind", "target_id", "state", "alignment", "hidden_reason", "staff", "parent_id",
           "campaign_of_id", "answer_id")


def _name(member) -> str:
    return member.name if member is not None else NONE


def _key(values: dict, appealed: bool) -> Key:
    return Key(values["cycle_id"], values["target_kind"], values["target_id"], _name(values["state"]),
               _name(values["alignment"]), _name(values["hidden_reason"]), bool(values["staff"]),
               values["parent_id"] is None and values["campaign_of_id"] is None, values["answer_id"] is not None,
               appealed and values["state"] is CommentState.HIDDEN)


# --- the listener --------------------------------------------------------------------------------

def _load_old_value(target, value, old, initiator) -> None:
    """Nothing to do: listening with active_history is what matters (below)."""


# A column set on an expired comment (nothing read since a commit) keeps no old value unless asked
# for: with these listeners SQLAlchemy loads it first, so `_before` never guesses.
for _column in COLUMNS:
    event.listen(getattr(Comment, _column), "set", _load_old_value, active_history=True)


def _before(comment) -> dict:
    """The key columns as the database held them before this flush."""
    attrs = inspect(comment).attrs
    values = {}
    for name in COLUMNS:
        history = attrs[name].history
        # Unchanged, maybe not even loaded: what it is now (read after the flush, the same).
        values[name] = (history.deleted or (None,))[0] if history.has_changes() else getattr(comment, name)
    return values


def _after(comment) -> dict:
    return {name: getattr(comment, name) for name in COLUMNS}


def _appeals_changed(session) -> dict[int, bool]:
    """Comments whose appeal was lodged (True: none pending before) or decided (False) in this flush,
    with whether one was pending before it."""
    changed = {}
    for lodged in session.new:
        if isinstance(lodged, CommentAppeal) and lodged.state is AppealState.PENDING:
            changed[lodged.comment_id] = False
    for lodged in session.dirty:
        if isinstance(lodged, CommentAppeal):
            was = inspect(lodged).attrs.state.history.deleted
            if was and was[0] is AppealState.PENDING and lodged.state is not AppealState.PENDING:
                changed[lodged.comment_id] = True
    return changed


@event.listens_for(Session, "after_flush")
def _count_changes(session, flush_context) -> None:
    """-1 under each changed comment's key before the flush, +1 under its key after (see the module)."""
    appeals = _appeals_changed(session)
    changed = {comment for comment in session.dirty if isinstance(comment, Comment)}
    if not (appeals or changed or any(isinstance(obj, Comment) for obj in session.new)):
        return
    with session.no_autoflush:
        changed.update(session.get(Comment, comment_id) for comment_id in appeals)
        pairs = []
        for comment in changed:
            before, after = _before(comment), _after(comment)
            if before != after or comment.id in appeals:
                pairs.append((comment, before, after))
        hidden = [comment.id for comment, before, after in pairs
                  if CommentState.HIDDEN in (before["state"], after["state"])]
        connection = session.connection()
        # Read after this flush wrote: whether each such comment has an appeal pending now.
        pending = set(connection.scalars(
            select(CommentAppeal.comment_id).where(CommentAppeal.comment_id.in_(hidden),
                                                   CommentAppeal.state == AppealState.PENDING))) if hidden else set()
    deltas = Counter()
    for comment in session.new:
        if isinstance(comment, Comment):
            deltas[_key(_after(comment), False)] += 1
    for comment, before, after in pairs:
        now = comment.id in pending
        deltas[_key(before, appeals.get(comment.id, now))] -= 1
        deltas[_key(after, now)] += 1
    apply(connection, deltas)


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_writes(execute_state) -> None:
    """An INSERT, UPDATE or DELETE of many comments through a session would leave the tally behind
    unseen: refused, rather than a figure found wrong weeks later."""
    if (execute_state.is_insert or execute_state.is_update or execute_state.is_delete) \
            and getattr(getattr(execute_state.statement, "table", None), "name", None) == Comment.__tablename__:
        raise RuntimeError("Comments are written through the session's objects, which keep the figures' tally; "
                           "a bulk statement on them goes through a Connection and calls tally.rebuild() after.")


def apply(connection, deltas: Counter) -> None:
    """Add each delta to its key's row, creating it: one atomic upsert per key, in key order so that
    two transactions touching the same rows lock them in the same order (no deadlock)."""
    rows = [{**key._asdict(), "n": n} for key, n in sorted(deltas.items()) if n]
    if not rows:
        return
    dialect_insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    for row in rows:
        statement = dialect_insert(CommentTally).values(**row)
        connection.execute(statement.on_conflict_do_update(
            index_elements=list(Key._fields), set_={"n": CommentTally.n + statement.excluded.n}))


# --- recount and rebuild -------------------------------------------------------------------------

def recount(*where):
    """The comments (those matching `where`, all without) grouped by the key and counted: what the
    tally holds, computed from the rows. Not for pages: it reads every comment."""
    appealed = exists().where(CommentAppeal.comment_id == Comment.id, CommentAppeal.state == AppealState.PENDING)
    keyed = select(
        Comment.cycle_id, Comment.target_kind, Comment.target_id,
        type_coerce(Comment.state, String).label("state"),
        func.coalesce(type_coerce(Comment.alignment, String), NONE).label("alignment"),
        func.coalesce(type_coerce(Comment.hidden_reason, String), NONE).label("hidden_reason"),
        Comment.staff,
        and_(Comment.parent_id.is_(None), Comment.campaign_of_id.is_(None)).label("listed"),
        Comment.answer_id.is_not(None).label("answered"),
        and_(Comment.state == CommentState.HIDDEN, appealed).label("appealed"),
    ).where(*where).subquery("keyed")
    # Grouped outside: PostgreSQL refuses the correlated EXISTS on an ungrouped comment.id.
    columns = [keyed.c[name] for name in Key._fields]
    return select(*columns, func.count().label("n")).group_by(*columns)


def rebuild(connection) -> int:
    """Empty the tally and fill it from the comments in one INSERT … SELECT; returns the rows written.
    On PostgreSQL the table is locked first: a transaction that changed comments finishes its deltas
    before the recount reads, and one that starts after waits for it."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("LOCK TABLE comment_tally IN EXCLUSIVE MODE"))
    connection.execute(delete(CommentTally))
    return connection.execute(insert(CommentTally).from_select([*Key._fields, "n"], recount())).rowcount


def recounted(*where) -> dict[Key, int]:
    return {Key(*row[:-1]): row[-1] for row in db.session.execute(recount(*where))}


def tallied(*where) -> dict[Key, int]:
    """The tally's rows (matching `where`) that count something; a row at 0 counts nothing."""
    rows = db.session.execute(select(*(getattr(CommentTally, name) for name in Key._fields), CommentTally.n)
                              .where(CommentTally.n != 0, *where))
    return {Key(*row[:-1]): row[-1] for row in rows}
