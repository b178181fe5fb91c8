"""State changes and their history: `transition` is the one way to change a state.

Each stateful model declares `TRANSITIONS = {from_state: {to_state, ...}}`, with `None` as the
"from" of a new object. `transition` checks the move, writes one history row and sets the state.
History rows are append-only: the ORM refuses to update or delete them.
"""
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import ForeignKey, Index, String, Text, event, select
from sqlalchemy.orm import Mapped, mapped_column

from consulta.core import clock
from consulta.core.errors import DomainError
from consulta.extensions import db


class StateChange(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int]
    from_state: Mapped[str | None] = mapped_column(String(40))
    to_state: Mapped[str] = mapped_column(String(40))
    # "user" is the accounts table; core keeps only the key so that it imports no domain.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text, default="")
    public: Mapped[bool] = mapped_column(default=True)

    __table_args__ = (Index("ix_state_change_object", "object_type", "object_id", "id"),)


@event.listens_for(StateChange, "before_update")
@event.listens_for(StateChange, "before_delete")
def _history_is_append_only(mapper, connection, target):
    raise RuntimeError("State history is append-only.")


def object_type(obj) -> str:
    return obj.__tablename__


def _code(state) -> str | None:
    return None if state is None else getattr(state, "name", str(state))


def transition(obj, to, *, actor, reason: str = "", public: bool = True) -> StateChange:
    """Move `obj` to state `to`, recording who, when, from, to and why."""
    current = obj.state
    if to not in type(obj).TRANSITIONS.get(current, ()):
        raise DomainError(None, _("This change is not allowed from the current state."))
    obj.state = to
    return _record(obj, _code(current), _code(to), actor=actor, reason=reason, public=public)


def record_event(obj, event_code: str, *, actor, reason: str = "", public: bool = True) -> StateChange:
    """Record something that happened to an object without a state machine (created, role granted…)."""
    return _record(obj, None, event_code, actor=actor, reason=reason, public=public)


def _record(obj, from_code, to_code, *, actor, reason, public):
    if obj.id is None:
        db.session.add(obj)
        db.session.flush()
    change = StateChange(
        object_type=object_type(obj), object_id=obj.id, from_state=from_code, to_state=to_code,
        actor_id=getattr(actor, "id", None), at=clock.now(), reason=reason or "", public=public,
    )
    db.session.add(change)
    return change


def history(obj, *, public_only: bool = True) -> list[StateChange]:
    query = select(StateChange).where(
        StateChange.object_type == object_type(obj), StateChange.object_id == obj.id
    )
    if public_only:
        query = query.where(StateChange.public.is_(True))
    return list(db.session.scalars(query.order_by(StateChange.id)))
