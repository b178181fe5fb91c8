"""Public consultation: comments on any registered target (targets.py), official answers, moderation
with reports, hiding, restoring and one appeal, campaign grouping, and the consultation's figures.

What views, commands and the demo loader call (all flush, none commits):

    post_comment(target, *, author, text, alignment, sector=Sector.CIUDADANIA, organisation=None,
                 part=None, quote=None, reply_to=None, idempotency_key=None, actor=None) -> Comment
    edit_comment(comment, *, text, actor);  withdraw_comment(comment, *, actor)
    answer(comment_or_group, *, outcome, text, actor) -> OfficialAnswer        (group_of(comment) for a campaign)
    report(comment, *, reporter, reason, details="") -> CommentReport
    hide(comment, *, reason, note="", actor);  restore(comment, *, note="", actor)
    appeal(comment, *, text, actor) -> CommentAppeal;  decide_appeal(appeal, *, grant, reason, actor)
    received_count(cycle), pending_count(cycle), coverage(cycle)
    plan_target(cycle), commitment_target(cycle, number)   (Targets for post_comment)

"Comentarios recibidos en la consulta pública" has one definition, `received_count`: every comment
or reply that participants submitted to the cycle's consultation targets (a comment is only taken
inside the window), hidden, withdrawn and campaign copies included; the institution's answers (another
table) and moderators' replies (`staff`) excluded.

The figures (received_count, pending_count, coverage, hidden_counts, counts_by_target, received_by_target,
thread_counts) add up rows of the comment tally that tally.py keeps equal to a recount of the comments
at every flush: a few rows per target, however many comments a cycle receives.
"""
import hashlib
import uuid
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from rapidfuzz import fuzz, process
from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from consulta.accounts.exports import register_data_export
from consulta.accounts.models import User
from consulta.commitments import services as commitments
from consulta.commitments.models import CommitmentSnapshot, PlanVersion
from consulta.consultation import targets
from consulta.consultation.models import (
    Alignment, AnswerOutcome, AppealState, Comment, CommentAppeal, CommentReport, CommentState, CommentTally,
    ConsultationSettings, OfficialAnswer, ReportReason, ReviewCause,
)
from consulta.core import clock, exports, windows
from consulta.core.audit import record_event, transition
from consulta.core.errors import DomainError, WindowClosed
from consulta.core.outbox import absolute_url, queue_email
from consulta.core.pagination import paginate, paginate_from_either_end
from consulta.core.permissions import can, require
from consulta.core.sanitize import clean_html
from consulta.core.sectors import Sector
from consulta.cycles import services as cycles
from consulta.cycles.models import Cycle, PhaseKind
from consulta.extensions import db
from consulta.jurisdictions.models import GrantState, Jurisdiction, JurisdictionKind, Role, RoleGrant
from consulta.organisations import services as organisations
from consulta.organisations.models import Organisation
from consulta.proposals import similarity

TEXT_MAX = 5000
QUOTE_MAX = 1000
DETAILS_MAX = 1000
ANSWER_MAX = 5000
NOTE_MAX = 2000
EDIT_WINDOW = timedelta(minutes=15)
PER_PAGE = 30
# Campaigns: the same stems give the same group at once; a near copy needs this many stems and this
# rapidfuzz ratio against one of the latest groups of similar length.
CAMPAIGN_MIN_TERMS = 6
CAMPAIGN_RATIO = 92
CAMPAIGN_CANDIDATES = 2000
COSIGNERS_SHOWN = 50
# Pre-moderation holds the first comment in a jurisdiction of an account younger than this.
NEW_ACCOUNT_AGE = timedelta(days=30)
# The thread orders, by their names in the address (?orden=): newest first, then oldest first.
ORDERS = ("recientes", "antiguos")
# Shown, or waiting for a moderator: the institution still owes these an answer.
AWAITING = (CommentState.PUBLISHED, CommentState.PENDING_REVIEW)


# --- targets -----------------------------------------------------------------------------------

def plan_target(cycle) -> targets.Target | None:
    """The draft plan under consultation, as a whole (None before the consultation froze it)."""
    version = commitments.consultation_version(cycle)
    return targets.target_of(version) if version is not None else None


def commitment_target(cycle, number) -> targets.Target | None:
    """Commitment N° `number` of the draft under consultation (its number in that frozen version)."""
    version = commitments.consultation_version(cycle)
    row = commitments.snapshot(version, number) if version is not None else None
    return targets.target_of(row.commitment) if row is not None else None


def target_of_comment(comment) -> targets.Target:
    return targets.load_target(comment.target_kind, comment.target_id)


def _require_open(target, sector, field=None) -> None:
    """Refuse, with the closing time, a comment its target's window does not take now."""
    window = target.window
    now = clock.now()
    if window is None:
        raise DomainError(field, _("%(target)s does not take comments.", target=target.label))
    if isinstance(window, windows.Window):
        if not windows.is_open(window, now):
            raise WindowClosed(window, target.jurisdiction.timezone, field, not_yet=now < window.opens_at)
        return
    cycles.require_accepting(window, now, sector, field=field)


def accepting_comments(target) -> bool:
    if target is None:
        return False
    window = target.window
    if isinstance(window, windows.Window):
        return windows.is_open(window, clock.now())
    return window is not None and cycles.accepting(window, clock.now())


def closed_notice(target) -> str | None:
    """Why the target takes no comment now (with the local time), or None when it does."""
    if target is None:
        return _("No draft plan is under public consultation in this cycle.")
    try:
        _require_open(target, None)
    except DomainError as refusal:
        return refusal.message
    return None


# --- checking what was typed -------------------------------------------------------------------

def _clean(value, field, maximum, *, required=True, message=None) -> str:
    value = (value or "").replace("\r\n", "\n").strip()
    if required and not value:
        raise DomainError(field, str(message or _("This field is required.")))
    if len(value) > maximum:
        raise DomainError(field, _("This text has at most %(max)s characters.", max=maximum))
    return value


def render(text: str) -> str:
    """Typed text as the page shows it: paragraphs and line breaks, then the one sanitiser (scripts,
    handlers and javascript: links are dropped; addresses become rel="nofollow" links)."""
    blocks = [block.strip() for block in text.split("\n\n") if block.strip()]
    return clean_html("".join("<p>" + block.replace("\n", "<br>") + "</p>" for block in blocks))


def _squeeze(text: str) -> str:
    return " ".join(text.split())


def _part(target, part) -> str | None:
    if not part:
        return None
    if part not in dict(target.parts):
        raise DomainError("part", _("Choose one of the parts offered."))
    return part


def _quote(target, part, quote) -> str | None:
    """A quote must be found, word for word (spaces aside), in the frozen text of the target (part)."""
    quote = _clean(quote, "quote", QUOTE_MAX, required=False)
    if not quote:
        return None
    frozen = target.text(part)
    if frozen is None:
        raise DomainError("quote", _("This has no frozen text to quote."))
    if _squeeze(quote) not in _squeeze(frozen):
        raise DomainError("quote", _("The quote is not in the text under consultation: copy it exactly, or "
                                     "leave it empty."))
    return _squeeze(quote)


def _alignment(alignment) -> Alignment:
    if isinstance(alignment, Alignment):
        return alignment
    try:
        return Alignment[alignment]
    except (KeyError, TypeError):
        raise DomainError("alignment", _("Say whether you are in favour, against or neutral.")) from None


def _fingerprint(text: str) -> tuple[str, str]:
    """The comment's folded Snowball stems (proposals.similarity), and their hash for exact lookups."""
    stems = " ".join(similarity.terms(text))
    return stems, hashlib.sha256(stems.encode()).hexdigest()


def _set_text(comment, text) -> None:
    comment.text = text
    comment.body = render(text)
    comment.fingerprint, comment.fingerprint_hash = _fingerprint(text)


# --- campaigns ---------------------------------------------------------------------------------

@dataclass
class CampaignGroup:
    """A campaign: its first comment (shown for all) and every member, the first included."""

    leader: Comment
    members: list

    @property
    def size(self) -> int:
        return len(self.members)


def _campaign_leader(comment) -> int | None:
    """The first comment of the published group whose text this one repeats (nearly), or None."""
    if comment.parent_id is not None or comment.staff or not comment.fingerprint:
        return None
    candidates = (select(Comment.id).where(
        Comment.target_kind == comment.target_kind, Comment.target_id == comment.target_id,
        Comment.parent_id.is_(None), Comment.campaign_of_id.is_(None), Comment.staff.is_(False),
        Comment.alignment == comment.alignment, Comment.state == CommentState.PUBLISHED))
    if comment.id is not None:
        candidates = candidates.where(Comment.id != comment.id)
    exact = db.session.scalar(candidates.where(Comment.fingerprint_hash == comment.fingerprint_hash)
                              .order_by(Comment.id).limit(1))
    if exact is not None or len(comment.fingerprint.split()) < CAMPAIGN_MIN_TERMS:
        return exact
    length = len(comment.fingerprint)
    near = dict(db.session.execute(
        candidates.add_columns(Comment.fingerprint)
        .where(func.length(Comment.fingerprint).between(int(length * 0.85), int(length * 1.15) + 1))
        .order_by(Comment.id.desc()).limit(CAMPAIGN_CANDIDATES)).all())
    best = process.extractOne(comment.fingerprint, near, scorer=fuzz.ratio, score_cutoff=CAMPAIGN_RATIO)
    return best[2] if best is not None else None


def _hand_over_campaign(comment) -> None:
    """`comment` leaves the group it leads (edited or withdrawn): the next published member leads,
    the others (and it, when withdrawn) follow."""
    if comment.campaign_of_id is not None:
        return
    members = list(db.session.scalars(select(Comment).where(Comment.campaign_of_id == comment.id)
                                      .order_by(Comment.created_at, Comment.id)))
    successor = next((member for member in members if member.state is CommentState.PUBLISHED), None)
    if successor is None:
        return
    successor.campaign_of_id = None
    for member in members:
        if member is not successor:
            member.campaign_of_id = successor.id
    if comment.state is not CommentState.PUBLISHED or comment.is_edited:
        comment.campaign_of_id = successor.id
    db.session.flush()


def group_of(comment) -> CampaignGroup:
    leader = comment.campaign_of or comment
    members = list(db.session.scalars(select(Comment).where(Comment.campaign_of_id == leader.id)
                                      .order_by(Comment.created_at, Comment.id)))
    return CampaignGroup(leader=leader, members=[leader, *members])


# --- settings ----------------------------------------------------------------------------------

def settings_for(jurisdiction) -> ConsultationSettings:
    """The jurisdiction's settings row, or the defaults (not saved) when it has none."""
    found = db.session.scalar(select(ConsultationSettings)
                              .where(ConsultationSettings.jurisdiction_id == jurisdiction.id))
    return found or ConsultationSettings(jurisdiction_id=jurisdiction.id,
                                         report_threshold=ConsultationSettings.DEFAULT_THRESHOLD,
                                         premoderate_new_accounts=False)


def update_settings(jurisdiction, *, report_threshold, premoderate_new_accounts, actor) -> ConsultationSettings:
    """The jurisdiction's report threshold (distinct verified accounts, 1–50) and whether a new
    account's first comment there waits for a moderator."""
    require(actor, "administer", jurisdiction)
    if not isinstance(report_threshold, int) or isinstance(report_threshold, bool) \
            or not 1 <= report_threshold <= 50:
        raise DomainError("report_threshold", _("Choose a number between 1 and 50."))
    found = settings_for(jurisdiction)
    if found.id is None:
        db.session.add(found)
    found.report_threshold = report_threshold
    found.premoderate_new_accounts = bool(premoderate_new_accounts)
    found.updated_at = clock.now()
    db.session.flush()
    record_event(found, "SETTINGS_CHANGED", actor=actor,
                 reason=f"threshold={report_threshold}, premoderate={bool(premoderate_new_accounts)}")
    return found


def _held_for_review(author, cycle) -> bool:
    """Pre-moderation: a new account's first comment in the jurisdiction waits for a moderator."""
    if not settings_for(cycle.jurisdiction).premoderate_new_accounts:
        return False
    if author.created_at is not None and author.created_at < clock.now() - NEW_ACCOUNT_AGE:
        return False
    published_before = db.session.scalar(select(exists().where(
        Comment.author_id == author.id, Comment.state == CommentState.PUBLISHED,
        Comment.cycle_id.in_(select(Cycle.id).where(Cycle.jurisdiction_id == cycle.jurisdiction_id)))))
    return not published_before


# --- posting, editing, withdrawing ---------------------------------------------------------------

def new_idempotency_key() -> str:
    return uuid.uuid4().hex


def _by_key(key) -> Comment | None:
    return db.session.scalar(select(Comment).where(Comment.idempotency_key == key))


def _reply_parent(target, reply_to) -> Comment | None:
    if reply_to is None:
        return None
    if reply_to.parent_id is not None:
        raise DomainError(None, _("Replies have one level: reply to the comment itself."))
    if (reply_to.target_kind, reply_to.target_id) != (target.kind.kind, target.id):
        raise DomainError(None, _("You can only reply to a comment on the same text."))
    if reply_to.state is not CommentState.PUBLISHED:
        raise DomainError(None, _("This comment is not shown (hidden or withdrawn): it takes no replies."))
    return reply_to


def post_comment(target, *, author, text, alignment=None, sector=Sector.CIUDADANIA, organisation=None, part=None,
                 quote=None, reply_to=None, idempotency_key=None, actor=None) -> Comment:
    """A comment (or, with `reply_to`, a reply) by `author` on `target`.

    target: a Target (plan_target / commitment_target), or a registered object (a PlanVersion, a
    Commitment); None with `reply_to` means the replied comment's target. text: plain text, at most
    5,000 characters (paragraphs and links are kept; markup goes through clean_html). alignment: an
    Alignment (or its name), required for a comment, none for a reply. sector, organisation: as
    ciudadanía (the default), or for a verified Organisation the author represents. part: one of
    the target's parts ("problem", "commitment", "activities" for a commitment). quote: a sentence
    that must appear in the frozen text (of the part). reply_to: a shown top-level Comment of the same
    target. idempotency_key: the form's key — posting twice with it gives the first comment.

    A moderator of the jurisdiction writes as staff: not counted, not answered, never held; so does the
    institution the target is about (its kind's `answered_by`), named on the comment. Refused
    (DomainError) outside the window (WindowClosed names the closing time), for another person's
    organisation, a quote not in the text, an empty or too long text.
    """
    actor = actor or author
    if idempotency_key and (existing := _by_key(idempotency_key)) is not None:
        if existing.author_id != author.id:
            raise DomainError(None, _("This form was already used. Open the page again."))
        return existing
    if actor.id != author.id:
        raise DomainError(None, _("A comment is posted by its author."))
    if target is None and reply_to is not None:
        target = target_of_comment(reply_to)
    target = targets.target_of(target)
    cycle = target.cycle
    require(actor, "comment", cycle)
    speaks_for = target.kind.answered_by(target.obj, author) if target.kind.answered_by else None
    staff = speaks_for is not None or can(author, "moderate", cycle)
    if staff:
        sector, organisation = Sector.CIUDADANIA, None
    else:
        organisations.require_sector(author, sector, organisation)
    _require_open(target, sector)
    parent = _reply_parent(target, reply_to)
    version = target.version
    if target.kind.version_of is not None and (version is None or target.text() is None):
        raise DomainError(None, _("This is not part of the draft under consultation."))
    comment = Comment(
        cycle_id=cycle.id, target_kind=target.kind.kind, target_id=target.id,
        version_id=version.id if version is not None else None,
        part=_part(target, part) if parent is None else None, author_id=author.id, sector=sector,
        organisation_id=organisation.id if organisation is not None else None, staff=staff,
        speaks_for=speaks_for,
        alignment=_alignment(alignment) if parent is None else None,
        parent_id=parent.id if parent is not None else None,
        idempotency_key=idempotency_key or new_idempotency_key(), created_at=clock.now(),
    )
    comment.quote = _quote(target, comment.part, quote) if parent is None else None
    _set_text(comment, _clean(text, "text", TEXT_MAX, message=_("Write your comment.")))
    comment.campaign_of_id = _campaign_leader(comment)
    held = not staff and _held_for_review(author, cycle)
    if held:
        comment.review_cause = ReviewCause.FIRST_COMMENT
    try:
        # The key is unique: a second post racing the first finds it instead of making a double.
        with db.session.begin_nested():
            transition(comment, CommentState.PENDING_REVIEW if held else CommentState.PUBLISHED, actor=actor,
                       reason=ReviewCause.FIRST_COMMENT.name if held else "")
    except IntegrityError:
        existing = _by_key(comment.idempotency_key)
        if existing is None or existing.author_id != author.id:
            raise
        return existing
    return comment


def editable(comment, *, window_open: bool | None = None) -> bool:
    """May its author still change it: shown or waiting, unanswered, within 15 minutes, window open
    (`window_open` when the caller already knows, as a thread page does for all its comments)."""
    if comment.state not in AWAITING or comment.answer_id is not None \
            or clock.now() - comment.created_at > EDIT_WINDOW:
        return False
    return accepting_comments(target_of_comment(comment)) if window_open is None else window_open


def edit_comment(comment, *, text, actor) -> Comment:
    """The author corrects the text within 15 minutes of posting; the page marks it "edited"."""
    require(actor, "edit_comment", comment)
    if comment.state not in AWAITING or comment.answer_id is not None:
        raise DomainError(None, _("This comment can no longer be edited."))
    if clock.now() - comment.created_at > EDIT_WINDOW:
        raise DomainError(None, _("A comment can be edited for %(minutes)s minutes after posting.",
                                  minutes=int(EDIT_WINDOW.total_seconds() // 60)))
    _require_open(target_of_comment(comment), comment.sector)
    text = _clean(text, "text", TEXT_MAX, message=_("Write your comment."))
    if text == comment.text:
        return comment
    previous = comment.text
    _set_text(comment, text)
    comment.edited_at = clock.now()
    _hand_over_campaign(comment)
    comment.campaign_of_id = _campaign_leader(comment)
    # The earlier text stays in the (non-public) history: nothing a person wrote is lost.
    record_event(comment, "EDITED", actor=actor, reason=previous, public=False)
    return comment


def withdraw_comment(comment, *, actor) -> Comment:
    """The author withdraws it: shown as "withdrawn by its author", still counted as received."""
    require(actor, "withdraw_comment", comment)
    if comment.state is CommentState.WITHDRAWN:
        raise DomainError(None, _("This comment was already withdrawn."))
    comment.review_cause = None
    transition(comment, CommentState.WITHDRAWN, actor=actor)
    _hand_over_campaign(comment)
    return comment


# --- answers -----------------------------------------------------------------------------------

def answer(comment_or_group, *, outcome, text, actor) -> OfficialAnswer:
    """The institution's official answer to a comment, or to every member of a campaign
    (`group_of(comment)`) at once: an outcome (AnswerOutcome) and a public text. Each author is
    emailed. Answering again replaces the answer shown; the earlier one stays in the history."""
    comments = comment_or_group.members if isinstance(comment_or_group, CampaignGroup) else [comment_or_group]
    require(actor, "moderate", comments[0])
    if not isinstance(outcome, AnswerOutcome):
        raise DomainError("outcome", _("Choose the outcome."))
    text = _clean(text, "text", ANSWER_MAX, message=_("Write the answer: it is public, and the author reads it."))
    answered = [comment for comment in comments if not comment.staff and comment.state is not CommentState.WITHDRAWN]
    if not answered:
        raise DomainError(None, _("There is no participant's comment to answer here."))
    official = OfficialAnswer(cycle_id=answered[0].cycle_id, text=text, body=render(text), author_id=actor.id,
                              created_at=clock.now())
    transition(official, outcome, actor=actor, reason=text)
    for comment in answered:
        comment.answer = official
        record_event(comment, "ANSWERED", actor=actor, reason=outcome.name)
        _mail_author(comment, _l("Your comment was answered"), "answered", answer=official)
    return official


# --- reports, hiding, restoring, appeals -----------------------------------------------------------

def _lock(comment) -> None:
    """Read the comment again under a row lock: reports and moderators may act at once."""
    db.session.flush()
    db.session.refresh(comment, with_for_update=True)


def verified_reporters(comment) -> int:
    return db.session.scalar(
        select(func.count(func.distinct(CommentReport.reporter_id))).join(User, User.id == CommentReport.reporter_id)
        .where(CommentReport.comment_id == comment.id, User.email_verified_at.is_not(None)))


def _main_reason(comment) -> ReportReason:
    rows = db.session.execute(select(CommentReport.reason, func.count())
                              .where(CommentReport.comment_id == comment.id).group_by(CommentReport.reason)).all()
    order = list(ReportReason)
    return max(rows, key=lambda row: (row[1], -order.index(row[0])))[0]


def report(comment, *, reporter, reason, details="") -> CommentReport:
    """`reporter` reports a shown comment (once), with a reason and optional details. When distinct
    verified accounts reach the jurisdiction's threshold, the comment is hidden until reviewed."""
    require(reporter, "report_comment", comment)
    if comment.author_id == reporter.id:
        raise DomainError(None, _("You cannot report your own comment."))
    if not isinstance(reason, ReportReason):
        raise DomainError("reason", _("Choose why you report it."))
    details = _clean(details, "details", DETAILS_MAX, required=False)
    _lock(comment)
    if comment.state is not CommentState.PUBLISHED:
        raise DomainError(None, _("This comment is not shown: it needs no report."))
    filed = CommentReport(comment_id=comment.id, reporter_id=reporter.id, reason=reason, details=details,
                   created_at=clock.now())
    try:
        with db.session.begin_nested():
            db.session.add(filed)
            db.session.flush()
    except IntegrityError:
        raise DomainError(None, _("You already reported this comment.")) from None
    record_event(filed, "CREATED", actor=reporter, reason=reason.name, public=False)
    if verified_reporters(comment) >= settings_for(comment.jurisdiction).report_threshold:
        reason = _main_reason(comment)
        comment.review_cause, comment.hidden_reason = ReviewCause.REPORTS, reason
        transition(comment, CommentState.PENDING_REVIEW, actor=None, reason=ReviewCause.REPORTS.name)
    return filed


def hide(comment, *, reason, note="", actor) -> Comment:
    """A moderator hides a comment with a reason category (shown in its place) and words for its
    author, who is emailed and may appeal once."""
    require(actor, "moderate", comment)
    if not isinstance(reason, ReportReason):
        raise DomainError("reason", _("Choose the reason: it is shown in the comment's place."))
    note = _clean(note, "note", NOTE_MAX, required=False)
    _lock(comment)
    if comment.state not in AWAITING:
        raise DomainError(None, _("Only a shown comment, or one waiting for review, can be hidden."))
    comment.hidden_reason = reason
    comment.moderation_note = note or None
    comment.hidden_by_id = actor.id
    comment.review_cause = None
    transition(comment, CommentState.HIDDEN, actor=actor, reason=reason.name)
    _mail_author(comment, _l("Your comment was hidden"), "hidden", reason=reason, note=note,
                 appeal_url=absolute_url("consultation.appeal", **comment_url_values(comment)))
    return comment


def pending_appeal(comment) -> CommentAppeal | None:
    return db.session.scalar(select(CommentAppeal).where(CommentAppeal.comment_id == comment.id,
                                                         CommentAppeal.state == AppealState.PENDING))


def restore(comment, *, note="", actor) -> Comment:
    """A moderator shows again a hidden comment, or publishes one waiting for review; the author is told."""
    require(actor, "moderate", comment)
    note = _clean(note, "note", NOTE_MAX, required=False)
    _lock(comment)
    if comment.state not in (CommentState.HIDDEN, CommentState.PENDING_REVIEW):
        raise DomainError(None, _("This comment is not hidden."))
    if pending_appeal(comment) is not None:
        raise DomainError(None, _("Its author appealed: decide the appeal instead."))
    comment.review_cause = None
    comment.hidden_reason = None
    transition(comment, CommentState.PUBLISHED, actor=actor, reason=note)
    _mail_author(comment, _l("Your comment is shown"), "restored", note=note)
    return comment


def appeal(comment, *, text, actor) -> CommentAppeal:
    """The author appeals, once, against hiding their comment; the people who may decide are emailed."""
    require(actor, "appeal_comment", comment)
    if comment.state is not CommentState.HIDDEN:
        raise DomainError(None, _("Only a comment hidden by the moderators can be appealed."))
    text = _clean(text, "text", NOTE_MAX, message=_("Say why the comment should be shown."))
    if db.session.scalar(select(CommentAppeal.id).where(CommentAppeal.comment_id == comment.id)) is not None:
        raise DomainError(None, _("A comment can be appealed once, and this one already was."))
    lodged = CommentAppeal(comment=comment, text=text, hidden_by_id=comment.hidden_by_id)
    try:
        with db.session.begin_nested():
            transition(lodged, AppealState.PENDING, actor=actor, reason=text, public=False)
    except IntegrityError:
        raise DomainError(None, _("A comment can be appealed once, and this one already was.")) from None
    record_event(comment, "APPEALED", actor=actor)
    url = absolute_url("consultation.decide_appeal", **comment_url_values(comment))
    for person in appeal_deciders(lodged):
        with force_locale(person.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            queue_email(person, subject=_("A hidden comment was appealed"), template="consultation/email/appealed",
                        comment=comment, appeal=lodged, url=url)
    return lodged


def appeal_deciders(lodged) -> list[User]:
    """Who decides an appeal: the jurisdiction's moderators (national ones included) other than the one
    who hid the comment and its author; where there is none, the national administrators."""
    comment = lodged.comment
    excluded = {lodged.hidden_by_id, comment.author_id}

    def holders(role, *places):
        return [person for person in db.session.scalars(
            select(User).join(RoleGrant, RoleGrant.user_id == User.id)
            .join(Jurisdiction, Jurisdiction.id == RoleGrant.jurisdiction_id)
            .where(RoleGrant.role == role, RoleGrant.state == GrantState.ACTIVE, or_(*places))
            .distinct().order_by(User.id)) if person.id not in excluded]

    national = Jurisdiction.kind == JurisdictionKind.NATIONAL
    return (holders(Role.MODERATOR, RoleGrant.jurisdiction_id == comment.jurisdiction.id, national)
            or holders(Role.ADMIN, national))


def decide_appeal(lodged, *, grant: bool, reason, actor) -> CommentAppeal:
    """Grant (the comment is shown again) or reject an appeal, with a reason the author is emailed."""
    require(actor, "decide_comment_appeal", lodged)
    reason = _clean(reason, "reason", NOTE_MAX, message=_("Give the reason: the author reads it."))
    if lodged.state is not AppealState.PENDING:
        raise DomainError(None, _("This appeal was already decided."))
    comment = lodged.comment
    lodged.decided_by_id = actor.id
    lodged.decision = reason
    outcome = AppealState.GRANTED if grant else AppealState.REJECTED
    transition(lodged, outcome, actor=actor, reason=reason, public=False)
    if grant:
        comment.hidden_reason = None
        transition(comment, CommentState.PUBLISHED, actor=actor, reason=outcome.name)
    _mail_author(comment, _l("A decision on your appeal"), "appeal_decided", granted=grant, reason=reason)
    return lodged


# --- email -------------------------------------------------------------------------------------

def comment_url_values(comment) -> dict:
    return {"slug": comment.cycle.jurisdiction.slug, "cycle_slug": comment.cycle.slug, "comment_id": comment.id}


def _mail_author(comment, subject, template, **context) -> None:
    person = comment.author
    if not person.email:
        return
    with force_locale(person.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        queue_email(person, subject=str(subject), template=f"consultation/email/{template}", comment=comment,
                    name=person.public_name, url=absolute_url("consultation.comment", **comment_url_values(comment)),
                    **context)


# --- figures -----------------------------------------------------------------------------------

def _counted(cycle):
    """The comments that count as received in `cycle`'s consultation (see the module's docstring)."""
    return and_(Comment.cycle_id == cycle.id, Comment.target_kind.in_(targets.consultation_kinds()),
                Comment.staff.is_(False))


def _pending():
    """Still owed an answer or a decision: unanswered, and shown, waiting for review, or hidden with an
    appeal not yet decided."""
    appealed = exists().where(CommentAppeal.comment_id == Comment.id, CommentAppeal.state == AppealState.PENDING)
    return and_(Comment.answer_id.is_(None),
                or_(Comment.state.in_(AWAITING), and_(Comment.state == CommentState.HIDDEN, appealed)))


# The figures below add up rows of the comment tally (tally.py), a few per target whatever the number of
# comments. `source`: anything with the tally's columns; tests pass `tally.recount().subquery()`, the
# same figures counted from the comments themselves, to prove the tally gives what a recount gives.

def _tally(source):
    return CommentTally.__table__ if source is None else source


def _tally_counted(rows, cycle_ids):
    """The tally rows of what `_counted` counts."""
    return and_(rows.c.cycle_id.in_(list(cycle_ids)), rows.c.target_kind.in_(targets.consultation_kinds()),
                rows.c.staff.is_(False))


def _tally_pending(rows):
    """What `_pending` selects, in the tally's terms (`appealed` is only ever true for a hidden comment)."""
    return and_(rows.c.answered.is_(False), or_(rows.c.state.in_([state.name for state in AWAITING]), rows.c.appealed))


def _sum(rows, *where):
    """How many comments the tally rows (matching `where`) count."""
    n = case((and_(*where), rows.c.n), else_=0) if where else rows.c.n
    return func.coalesce(func.sum(n), 0)


def received_count(cycle, *, source=None) -> int:
    """"Comentarios recibidos en la consulta pública" of `cycle`: the one count every page, export,
    statistic and test uses."""
    rows = _tally(source)
    return db.session.scalar(select(_sum(rows)).where(_tally_counted(rows, [cycle.id])))


def received(cycle):
    """The SELECT of the comments `received_count` counts, oldest first (the statistics' list)."""
    return select(Comment).where(_counted(cycle)).order_by(Comment.created_at, Comment.id)


def received_by_target(cycle_ids, *, source=None) -> list[tuple]:
    """(cycle_id, target_kind, target_id, how many) of the comments received in these cycles'
    consultations, in one statement: per cycle they add up to `received_count`."""
    rows = _tally(source)
    keys = (rows.c.cycle_id, rows.c.target_kind, rows.c.target_id)
    return [tuple(row) for row in db.session.execute(
        select(*keys, _sum(rows)).where(_tally_counted(rows, cycle_ids)).group_by(*keys)
        .having(_sum(rows) > 0).order_by(*keys)).all()]


def pending_count(cycle, *, source=None) -> int:
    """Participants' comments of `cycle`'s consultation still without a published answer (or decision)."""
    rows = _tally(source)
    return db.session.scalar(select(_sum(rows)).where(_tally_counted(rows, [cycle.id]), _tally_pending(rows)))


def coverage(cycle, *, source=None) -> dict:
    """The gauge: received, answered, pending, and closed (withdrawn or hidden, with no answer owed)."""
    rows = _tally(source)
    received, answered, pending = db.session.execute(select(
        _sum(rows), _sum(rows, rows.c.answered), _sum(rows, _tally_pending(rows)),
    ).where(_tally_counted(rows, [cycle.id]))).one()
    return {"received": received, "answered": answered, "pending": pending,
            "closed": received - answered - pending}


def summary(cycle) -> dict | None:
    """For the cycle page: is the consultation taking comments, and its gauge (None: it has none)."""
    if cycle.phase(PhaseKind.CONSULTATION) is None:
        return None
    return {"open": accepting_comments(plan_target(cycle)), "coverage": coverage(cycle)}


def pending_comments(cycle, limit=None):
    query = (select(Comment).where(_counted(cycle), _pending()).order_by(Comment.created_at, Comment.id)
             .options(joinedload(Comment.author), joinedload(Comment.organisation)))
    return list(db.session.scalars(query.limit(limit) if limit else query))


def mesa_gate(phase) -> str | None:
    """The Mesa's review cannot open while a comment of the consultation is pending: names them."""
    pending = pending_count(phase.cycle)
    if not pending:
        return None
    named = ", ".join(f"#{comment.id}" for comment in pending_comments(phase.cycle, limit=20))
    more = _(" and others") if pending > 20 else ""
    return ngettext("%(num)s comment of the public consultation awaits an answer or a decision: %(list)s.",
                    "%(num)s comments of the public consultation await an answer or a decision: %(list)s.",
                    pending, list=named + more)


def _member(enum_type, name):
    """The enum member a tally row names, None for tally.NONE."""
    return enum_type[name] if name else None


def hidden_counts(cycle, *, source=None) -> list[tuple[ReportReason | None, int]]:
    """How many counted comments are hidden, per reason (None: waiting for review), for the public."""
    rows = _tally(source)
    found = db.session.execute(
        select(rows.c.hidden_reason, _sum(rows)).where(
            _tally_counted(rows, [cycle.id]),
            rows.c.state.in_((CommentState.HIDDEN.name, CommentState.PENDING_REVIEW.name)))
        .group_by(rows.c.hidden_reason).having(_sum(rows) > 0)).all()
    order = [*ReportReason, None]
    return sorted(((_member(ReportReason, reason), n) for reason, n in found), key=lambda row: order.index(row[0]))


def counts_by_target(cycle, kind="commitment", *, source=None) -> dict[int, dict]:
    """Per target of `kind` in the cycle: comments received and still pending (one grouped query)."""
    rows = _tally(source)
    found = db.session.execute(
        select(rows.c.target_id, _sum(rows), _sum(rows, _tally_pending(rows)))
        .where(_tally_counted(rows, [cycle.id]), rows.c.target_kind == kind)
        .group_by(rows.c.target_id).having(_sum(rows) > 0)).all()
    return {target_id: {"received": received, "pending": pending} for target_id, received, pending in found}


# --- a thread ----------------------------------------------------------------------------------

@dataclass
class Entry:
    """A top-level comment as a thread shows it: its replies and, for a campaign, its co-signers."""

    comment: Comment
    replies: list
    cosigners: list
    signed: int


def _thread_filter(target):
    return and_(Comment.target_kind == target.kind.kind, Comment.target_id == target.id)


def thread(target, *, order="recientes", total=None):
    """A page (?page=, 30 a page) of the target's top-level comments, newest or oldest first, each an
    Entry with its replies and its campaign. The same number of statements whatever the thread's
    size: the page's ids come from the thread index (target, parent, campaign, created_at, id), read
    from the nearer end so that the last page of a long thread costs what the first does, then the
    page's rows with their replies, and their campaigns, in one query each. `total`: how many
    top-level comments the thread has, when the caller counted them already (thread_counts)."""
    newest = (Comment.created_at.desc(), Comment.id.desc())
    oldest = (Comment.created_at.asc(), Comment.id.asc())
    direction, opposite = (oldest, newest) if order == "antiguos" else (newest, oldest)
    top_level = select(Comment.id).where(_thread_filter(target), Comment.parent_id.is_(None),
                                         Comment.campaign_of_id.is_(None))
    if total is None:
        total = db.session.scalar(select(func.count()).select_from(top_level.subquery()))
    page = paginate_from_either_end(top_level.order_by(*direction), top_level.order_by(*opposite), total=total,
                                    per_page=PER_PAGE)
    ids = list(page.items)
    shown = (joinedload(Comment.author), joinedload(Comment.organisation), joinedload(Comment.answer))
    rows, replies = {}, {}
    for comment in db.session.scalars(select(Comment).where(or_(Comment.id.in_(ids), Comment.parent_id.in_(ids)))
                                      .options(*shown).order_by(Comment.created_at, Comment.id)):
        if comment.id in ids and comment.parent_id is None:
            rows[comment.id] = comment
        else:
            replies.setdefault(comment.parent_id, []).append(comment)
    campaigns = _campaigns(ids)
    page.items = [Entry(comment=rows[comment_id], replies=replies.get(comment_id, []),
                        cosigners=campaigns.get(comment_id, ([], 0))[0],
                        signed=campaigns.get(comment_id, ([], 0))[1]) for comment_id in ids]
    return page


def _campaigns(leader_ids) -> dict[int, tuple[list[str], int]]:
    """For each leader: the public names of its published co-signers (the first ones) and how many
    people, the leader included when shown, presented the same comment. One query."""
    members = select(
        Comment.id, Comment.author_id, Comment.organisation_id,
        func.coalesce(Comment.campaign_of_id, Comment.id).label("leader"),
        func.row_number().over(partition_by=func.coalesce(Comment.campaign_of_id, Comment.id),
                               order_by=(Comment.created_at, Comment.id)).label("position"),
        func.count().over(partition_by=func.coalesce(Comment.campaign_of_id, Comment.id)).label("total"),
    ).where(or_(Comment.campaign_of_id.in_(leader_ids), Comment.id.in_(leader_ids)),
            Comment.state == CommentState.PUBLISHED).subquery()
    rows = db.session.execute(
        select(members.c.leader, members.c.total, User, Organisation.name)
        .join(User, User.id == members.c.author_id)
        .outerjoin(Organisation, Organisation.id == members.c.organisation_id)
        .where(members.c.position <= COSIGNERS_SHOWN + 1)
        .order_by(members.c.leader, members.c.position)).all()
    found: dict[int, tuple[list[str], int]] = {}
    for leader, total, person, organisation_name in rows:
        names, _total = found.setdefault(leader, ([], total))
        names.append(organisation_name or person.public_name)
    return {leader: value for leader, value in found.items() if value[1] > 1}


def replies_of(comment) -> list[Comment]:
    return list(db.session.scalars(
        select(Comment).where(Comment.parent_id == comment.id)
        .options(joinedload(Comment.author), joinedload(Comment.organisation), joinedload(Comment.answer))
        .order_by(Comment.created_at, Comment.id)))


def thread_counts(target, *, source=None) -> dict:
    """The target's participants' comments by alignment (top level, shown) and hidden by reason, and
    `top_level`: the entries its pages list (staff included), counted in the same statement."""
    rows = _tally(source)
    keys = (rows.c.state, rows.c.alignment, rows.c.hidden_reason, rows.c.staff, rows.c.listed)
    found = db.session.execute(
        select(*keys, _sum(rows)).where(rows.c.target_kind == target.kind.kind, rows.c.target_id == target.id)
        .group_by(*keys).having(_sum(rows) > 0)).all()
    alignment = {member: 0 for member in Alignment}
    hidden = {}
    total = top_level = 0
    for state, aligned, reason, staff, is_listed, n in found:
        top_level += n if is_listed else 0
        if staff:
            continue
        total += n
        state, aligned, reason = (CommentState[state], _member(Alignment, aligned), _member(ReportReason, reason))
        if state is CommentState.PUBLISHED and aligned is not None:
            alignment[aligned] += n
        elif state in (CommentState.HIDDEN, CommentState.PENDING_REVIEW):
            hidden[reason] = hidden.get(reason, 0) + n
    return {"total": total, "alignment": alignment, "hidden": hidden, "top_level": top_level}


# --- the moderators' queue -----------------------------------------------------------------------

def awaiting_review(cycle) -> list[Comment]:
    return list(db.session.scalars(
        select(Comment).where(_counted(cycle), Comment.state == CommentState.PENDING_REVIEW)
        .options(joinedload(Comment.author)).order_by(Comment.created_at, Comment.id)))


def reported(cycle) -> list[tuple[Comment, int]]:
    """Shown comments that someone reported, the most reported first, with how many reports."""
    return list(db.session.execute(
        select(Comment, func.count(CommentReport.id)).join(CommentReport, CommentReport.comment_id == Comment.id)
        .where(_counted(cycle), Comment.state == CommentState.PUBLISHED)
        .group_by(Comment.id).order_by(func.count(CommentReport.id).desc(), Comment.id)).all())


def reports_of(comment) -> list[CommentReport]:
    return list(db.session.scalars(select(CommentReport).where(CommentReport.comment_id == comment.id)
                                   .order_by(CommentReport.id)))


def appeals_pending(cycle) -> list[CommentAppeal]:
    return list(db.session.scalars(
        select(CommentAppeal).join(Comment, Comment.id == CommentAppeal.comment_id)
        .where(Comment.cycle_id == cycle.id, CommentAppeal.state == AppealState.PENDING).order_by(CommentAppeal.id)))


def pending_page(cycle):
    """The comments still owed an answer, oldest first, 30 a page."""
    return paginate(select(Comment).where(_counted(cycle), _pending())
                    .options(joinedload(Comment.author), joinedload(Comment.organisation))
                    .order_by(Comment.created_at, Comment.id), per_page=PER_PAGE)


def find_comment(cycle, comment_id) -> Comment | None:
    comment = db.session.get(Comment, comment_id)
    return comment if comment is not None and comment.cycle_id == cycle.id else None


def find_appeal(comment) -> CommentAppeal | None:
    return db.session.scalar(select(CommentAppeal).where(CommentAppeal.comment_id == comment.id))


def commenting_choices(user) -> list:
    """The organisations a person may comment for (verified, and verified as their representative)."""
    return organisations.verified_organisations(user)


# --- exports -----------------------------------------------------------------------------------

EXPORT_COLUMNS = exports.columns(
    ("id", _l("The comment's number in consulta.")),
    ("target", _l("What it comments on (code): the plan as a whole, or a commitment.")),
    ("commitment_number", _l("The N° of the commitment it comments on, in the version it read.")),
    ("part", _l("The part of the commitment it comments on (code), if one.")),
    ("quote", _l("The text of the commitment it quotes, if any.")),
    ("reply_to", _l("The id of the comment it answers, if it is a reply.")),
    ("campaign_of", _l("The id of the first comment of the campaign it belongs to (the same text sent by many).")),
    ("author", _l("Who it is shown as: the organisation, or the person's public name.")),
    ("sector", _l("The sector it came from (code).")),
    ("organisation", _l("The organisation it was written for, if any.")),
    ("alignment", _l("In favour, against or neither (code), as its author said.")),
    ("text", _l("The comment.")),
    ("state", _l("Its state (code): published, waiting for review, hidden or withdrawn.")),
    ("hidden_reason", _l("Why a moderator hid it (code), while it is hidden.")),
    ("created_at", _l("When it was written (ISO 8601, UTC).")),
    ("edited", _l("Whether its author edited it (1 or 0; true or false in JSON).")),
    ("outcome", _l("The outcome of its answer (code), once answered.")),
    ("answer", _l("The public reasoned answer, once answered.")),
    ("answered_at", _l("When it was answered (ISO 8601, UTC).")),
    ("url", _l("Its public page.")),
)
EXPORT_FIELDS = exports.names(EXPORT_COLUMNS)
EXPORT_BATCH = 500  # comments read from the database at a time by a download


def _numbers(cycle) -> dict[tuple[int, int], int]:
    """(version, commitment) -> the commitment's number in that frozen version."""
    return {(version_id, commitment_id): number for version_id, commitment_id, number in db.session.execute(
        select(CommitmentSnapshot.version_id, CommitmentSnapshot.commitment_id, CommitmentSnapshot.number)
        .join(PlanVersion, PlanVersion.id == CommitmentSnapshot.version_id).where(PlanVersion.cycle_id == cycle.id))}


def export_rows(cycle, *, published_only=False):
    """Every counted comment of the consultation, one row each (campaign members too), with its
    outcome and answer, read in batches. Public fields only: what is not shown (hidden, withdrawn,
    waiting) keeps its state and category but neither its text nor its author; `published_only`
    leaves those out altogether (the open data)."""
    numbers = _numbers(cycle)
    query = (select(Comment).where(_counted(cycle)).order_by(Comment.id)
             .options(joinedload(Comment.author), joinedload(Comment.organisation), joinedload(Comment.answer)))
    if published_only:
        query = query.where(Comment.state == CommentState.PUBLISHED)
    for comment in db.session.scalars(query.execution_options(yield_per=EXPORT_BATCH)):
        shown = comment.state is CommentState.PUBLISHED
        answer_row = comment.answer
        yield {
            "id": comment.id, "target": comment.target_kind,
            "commitment_number": numbers.get((comment.version_id, comment.target_id), "")
            if comment.target_kind == "commitment" else "",
            "part": comment.part or "", "quote": (comment.quote or "") if shown else "",
            "reply_to": comment.parent_id or "", "campaign_of": comment.campaign_of_id or "",
            "author": comment.public_author if shown else "", "sector": comment.sector.name,
            "organisation": comment.organisation.name if shown and comment.organisation else "",
            "alignment": comment.alignment.name if comment.alignment else "",
            "text": comment.text if shown else "", "state": comment.state.name,
            "hidden_reason": comment.hidden_reason.name if comment.hidden_reason else "",
            "created_at": comment.created_at.isoformat(), "edited": comment.is_edited,
            "outcome": answer_row.outcome.name if answer_row else "", "answer": answer_row.text if answer_row else "",
            "answered_at": answer_row.created_at.isoformat() if answer_row else "",
            "url": absolute_url("consultation.comment", **comment_url_values(comment)),
        }


# --- "download my data" ------------------------------------------------------------------------

def _own_comments(user) -> list[dict]:
    rows = db.session.scalars(select(Comment).where(Comment.author_id == user.id).order_by(Comment.id))
    return [{"id": c.id, "cycle": c.cycle.name, "target": c.target_kind, "target_id": c.target_id, "part": c.part,
             "quote": c.quote, "reply_to": c.parent_id, "alignment": c.alignment, "text": c.text,
             "organisation": c.organisation.name if c.organisation else None, "sector": c.sector, "state": c.state,
             "created_at": c.created_at, "edited_at": c.edited_at,
             "outcome": c.answer.outcome if c.answer else None, "answer": c.answer.text if c.answer else None}
            for c in rows]


register_data_export("consultation_comments", _own_comments)
