"""The Mesa de Gobierno Abierto: forum, seats, meetings, observations, approval acts, publication.

What views, commands and the demo loader call (all flush, none commits):

    create_forum(jurisdiction, *, name, act_number, act_date, actor, rules="", document=None) -> MesaForum
    update_forum(forum, *, name, act_number, act_date, actor, rules="", document=None) -> MesaForum
    add_seat(forum, *, sector, holder, designated_on, designation, actor, organisation="", chairs=False) -> MesaSeat
    end_seat(seat, *, ends_on, reason, actor) -> MesaSeat
    record_meeting(forum, *, held_on, agenda, minutes, present, actor, decisions="", cycle=None) -> MesaMeeting
    observe(version, *, body, actor, commitment_number=None) -> MesaObservation
    answer_observation(observation, *, answer, actor) -> MesaObservation
    record_act(meeting, *, version, decision, votes, actor, dissent="") -> MesaAct
    confirm_act(act, *, actor) -> MesaAct          (the last member present to confirm puts it in force)
    void_act(act, *, reason, actor) -> MesaAct
    publish(version, *, actor, reason="") -> PlanPublication
    published_version(cycle) -> PlanVersion | None;  is_published(cycle) -> bool
    publication_refusals(version) -> dict      (why it cannot be published yet, by reason code)
    pending(cycle) -> Pending                  (proposals and comments still awaiting an answer)
    review(cycle) -> Review                    (the Mesa's read-only dashboard)
    responses(cycle) -> Annex                  (the reasoned response to every proposal and comment)
    overdue_since(forum) -> date | None        (the six-month rule);  overdue_forums(jurisdiction_ids)

Administrators set up the forum and its seats; administrators and moderators record meetings and
acts; moderators answer observations and publish; Mesa members observe and confirm.
"""
import calendar
from dataclasses import dataclass
from datetime import date

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from consulta.commitments import services as commitments
from consulta.commitments.models import PlanVersion
from consulta.core import clock, memo
from consulta.core.audit import record_event, transition
from consulta.core.errors import DomainError
from consulta.core.i18n import local_date
from consulta.core.outbox import absolute_url, queue_email
from consulta.core.permissions import require
from consulta.core.sanitize import clean_html
from consulta.core.storage import IMAGE_AND_PDF, store
from consulta.core.windows import to_local
from consulta.cycles.models import EARLIEST_DATE, LATEST_DATE, Cycle
from consulta.extensions import db
from consulta.jurisdictions.models import GrantState, Role, RoleGrant
from consulta.mesa.models import (
    ActState, Decision, MesaAct, MesaActConfirmation, MesaActVote, MesaForum, MesaMeeting, MesaObservation, MesaSeat,
    MesaSector, ObservationState, PlanPublication, SeatState, Vote,
)
from consulta.proposals.models import Proposal

NAME_MAX = 160
ACT_NUMBER_MAX = 120
RULES_MAX = 20000
ORGANISATION_MAX = 200
DESIGNATION_MAX = 1000
AGENDA_MAX = 5000
MINUTES_MAX = 50000
DECISIONS_MAX = 10000
DISSENT_MAX = 10000
OBSERVATION_MAX = 5000
ANSWER_MAX = 5000
REASON_MAX = 2000
# How much of a comment the annex quotes.
EXCERPT_MAX = 200
DOCUMENT_MAX_BYTES = 10 * 1024 * 1024
# OGP asks that the forum meet at least this often.
MEETING_INTERVAL_MONTHS = 6


# --- checking what was typed ---------------------------------------------------------------------

def _text(value, field, maximum, *, required=True, message=None) -> str:
    value = (value or "").replace("\r\n", "\n").strip()
    if required and not value:
        raise DomainError(field, str(message or _("This field is required.")))
    if len(value) > maximum:
        raise DomainError(field, _("This text has at most %(max)s characters.", max=maximum))
    return value


def local_today(jurisdiction) -> date:
    return to_local(clock.now(), jurisdiction.timezone).date()


def _day(value, field, jurisdiction, *, not_after_today=True) -> date:
    if not isinstance(value, date):
        raise DomainError(field, _("Enter a date."))
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise DomainError(field, _("Enter a date between %(first)s and %(last)s.",
                                   first=local_date(EARLIEST_DATE), last=local_date(LATEST_DATE)))
    if not_after_today and value > local_today(jurisdiction):
        raise DomainError(field, _("This date is in the future: record it once it has happened."))
    return value


def _enum(enum_type, value, field, message):
    if isinstance(value, enum_type):
        return value
    if isinstance(value, str) and value in enum_type.__members__:
        return enum_type[value]
    raise DomainError(field, str(message))


def add_months(day: date, months: int) -> date:
    """The same day `months` later (the month's last day when it is shorter: 31 Aug + 6 → 28 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# --- the forum -----------------------------------------------------------------------------------

def forum_of(jurisdiction) -> MesaForum | None:
    return db.session.scalar(select(MesaForum).where(MesaForum.jurisdiction_id == jurisdiction.id))


def _forum_content(jurisdiction, *, name, act_number, act_date, rules) -> dict:
    return {
        "name": _text(name, "name", NAME_MAX, message=_("Give the forum its name.")),
        "act_number": _text(act_number, "act_number", ACT_NUMBER_MAX,
                            message=_("Give the number of the act that formalised the forum.")),
        "act_date": _day(act_date, "act_date", jurisdiction),
        "rules_html": clean_html(_text(rules, "rules", RULES_MAX, required=False)),
    }


def _store_document(forum, document) -> None:
    if document is None or not getattr(document, "filename", None):
        return
    stored = store(document, allowed=IMAGE_AND_PDF, max_bytes=DOCUMENT_MAX_BYTES, field="document")
    forum.document_key, forum.document_type = stored.key, stored.content_type
    forum.document_size, forum.document_name = stored.size, stored.original_name


def create_forum(jurisdiction, *, name, act_number, act_date, actor, rules="", document=None) -> MesaForum:
    """The Mesa of `jurisdiction` (one per jurisdiction): its name, the act that formalised it
    (number, date, and the signed document: an uploaded PDF or image), and its public rules of
    participation (rich text, sanitised)."""
    require(actor, "administer", jurisdiction)
    if forum_of(jurisdiction) is not None:
        raise DomainError(None, _("%(name)s already has its Mesa.", name=jurisdiction.name))
    forum = MesaForum(jurisdiction=jurisdiction, **_forum_content(jurisdiction, name=name, act_number=act_number,
                                                              act_date=act_date, rules=rules))
    _store_document(forum, document)
    try:
        with db.session.begin_nested():
            db.session.add(forum)
            db.session.flush()
    except IntegrityError:
        raise DomainError(None, _("%(name)s already has its Mesa.", name=jurisdiction.name)) from None
    record_event(forum, "CREATED", actor=actor)
    return forum


def update_forum(forum, *, name, act_number, act_date, actor, rules="", document=None) -> MesaForum:
    """Change the forum's details; a new document replaces the old one (the old file stays stored)."""
    require(actor, "administer", forum)
    content = _forum_content(forum.jurisdiction, name=name, act_number=act_number, act_date=act_date, rules=rules)
    changed = [key for key, value in content.items() if getattr(forum, key) != value]
    for key in changed:
        setattr(forum, key, content[key])
    if document is not None and getattr(document, "filename", None):
        _store_document(forum, document)
        changed.append("document")
    if changed:
        db.session.flush()
        record_event(forum, "EDITED", actor=actor, reason=", ".join(changed))
    return forum


# --- seats ---------------------------------------------------------------------------------------

def _holder(holder):
    from consulta.accounts.models import User, UserState

    if isinstance(holder, str):
        address = holder.strip().lower()
        holder = db.session.scalar(select(User).where(func.lower(User.email) == address)) if address else None
    if not isinstance(holder, User) or holder.state is not UserState.ACTIVE:
        raise DomainError("holder", _("No active account uses this address: the person signs up first."))
    return holder


def _mesa_grant(user, jurisdiction) -> RoleGrant | None:
    return db.session.scalar(select(RoleGrant).where(
        RoleGrant.user_id == user.id, RoleGrant.role == Role.MESA_MEMBER,
        RoleGrant.jurisdiction_id == jurisdiction.id, RoleGrant.state == GrantState.ACTIVE))


def add_seat(forum, *, sector, holder, designated_on, designation, actor, organisation="", chairs=False) -> MesaSeat:
    """A person takes a seat of the forum: the sector it represents (MesaSector or its name), the
    holder (a User or the email address of their account; their display name is public, their
    contact data is not), the body they represent, when and how they were designated, and whether
    the seat chairs the forum. The holder gets the Mesa-member role in the jurisdiction."""
    from consulta.jurisdictions.services import grant_role

    require(actor, "administer", forum)
    jurisdiction = forum.jurisdiction
    sector = _enum(MesaSector, sector, "sector", _("Choose the sector the seat represents."))
    person = _holder(holder)
    designated_on = _day(designated_on, "designated_on", jurisdiction)
    designation = _text(designation, "designation", DESIGNATION_MAX,
                        message=_("Say how the person was designated."))
    organisation = _text(organisation, "organisation", ORGANISATION_MAX, required=False)
    if any(seat.holder_id == person.id and seat.state is SeatState.ACTIVE for seat in forum.seats):
        raise DomainError("holder", _("%(name)s already holds a seat of this forum.", name=person.public_name))
    if chairs and any(seat.chairs and seat.state is SeatState.ACTIVE for seat in forum.seats):
        raise DomainError("chairs", _("The forum already has a chair: end that term first."))
    seat = MesaSeat(forum=forum, sector=sector, chairs=bool(chairs), holder=person, organisation=organisation,
                designated_on=designated_on, designation=designation)
    db.session.add(seat)
    try:
        with db.session.begin_nested():
            transition(seat, SeatState.ACTIVE, actor=actor, reason=designation)
            db.session.flush()
    except IntegrityError:
        raise DomainError("chairs", _("The forum already has a chair: end that term first.")) from None
    if _mesa_grant(person, jurisdiction) is None:
        grant_role(person, Role.MESA_MEMBER, jurisdiction, actor=actor,
                   reason=_("Seat in %(forum)s", forum=forum.name))
    return seat


def end_seat(seat, *, ends_on, reason, actor) -> MesaSeat:
    """End a term (a new holder takes a new seat). The person's Mesa-member role in the
    jurisdiction ends with their last seat there."""
    from consulta.jurisdictions.services import revoke_role

    require(actor, "administer", seat)
    if seat.state is not SeatState.ACTIVE:
        raise DomainError(None, _("This term has already ended."))
    ends_on = _day(ends_on, "ends_on", seat.jurisdiction)
    if ends_on < seat.designated_on:
        raise DomainError("ends_on", _("A term cannot end before the designation (%(day)s).",
                                       day=local_date(seat.designated_on)))
    reason = _text(reason, "reason", REASON_MAX, message=_("Say why the term ends."))
    seat.ends_on = ends_on
    transition(seat, SeatState.ENDED, actor=actor, reason=reason)
    others = [other for other in seat.forum.seats
              if other.id != seat.id and other.holder_id == seat.holder_id and other.state is SeatState.ACTIVE]
    grant = _mesa_grant(seat.holder, seat.jurisdiction)
    if not others and grant is not None:
        revoke_role(grant, actor=actor, reason=reason)
    return seat


def current_seats(forum) -> list[MesaSeat]:
    return sorted((seat for seat in forum.seats if seat.state is SeatState.ACTIVE),
                  key=lambda seat: (not seat.chairs, list(MesaSector).index(seat.sector), seat.id))


def past_seats(forum) -> list[MesaSeat]:
    """The earlier compositions: ended terms, the latest first."""
    return sorted((seat for seat in forum.seats if seat.state is SeatState.ENDED),
                  key=lambda seat: (seat.ends_on, seat.id), reverse=True)


# --- meetings ------------------------------------------------------------------------------------

def _present(forum, present, held_on) -> list[MesaSeat]:
    chosen = []
    for item in present or ():
        seat_id = getattr(item, "id", item)
        seat = next((seat for seat in forum.seats if seat.id == seat_id), None)
        if seat is None:
            raise DomainError("present", _("Choose among the forum's seats."))
        if not seat.held_on(held_on):
            raise DomainError("present", _("%(name)s did not hold a seat on that day.", name=seat.holder.public_name))
        if seat not in chosen:
            chosen.append(seat)
    if not chosen:
        raise DomainError("present", _("Mark the seats present."))
    return chosen


def record_meeting(forum, *, held_on, agenda, minutes, present, actor, decisions="", cycle=None) -> MesaMeeting:
    """A meeting of the forum, public: the day it was held (not in the future), its agenda, the
    seats present (Seats or their ids, holding their seat that day), the minutes and the decisions
    (plain text), and the cycle whose plan it dealt with (needed to record an act on that plan)."""
    require(actor, "run_mesa", forum)
    held_on = _day(held_on, "held_on", forum.jurisdiction)
    if cycle is not None and (not isinstance(cycle, Cycle) or cycle.jurisdiction_id != forum.jurisdiction_id):
        raise DomainError("cycle", _("Choose one of this jurisdiction's cycles."))
    meeting = MesaMeeting(
        forum=forum, cycle=cycle, held_on=held_on,
        agenda=_text(agenda, "agenda", AGENDA_MAX, message=_("Write the meeting's agenda.")),
        minutes=_text(minutes, "minutes", MINUTES_MAX, message=_("Write the minutes.")),
        decisions=_text(decisions, "decisions", DECISIONS_MAX, required=False),
        present=_present(forum, present, held_on),
    )
    db.session.add(meeting)
    record_event(meeting, "CREATED", actor=actor)
    return meeting


def last_meeting(forum) -> MesaMeeting | None:
    return db.session.scalar(select(MesaMeeting).where(MesaMeeting.forum_id == forum.id)
                             .order_by(MesaMeeting.held_on.desc(), MesaMeeting.id.desc()).limit(1))


def meeting_due(forum) -> date:
    """The day by which the forum should meet again: six months after its last meeting (or after
    the act that formalised it, before the first one)."""
    last = last_meeting(forum)
    return add_months(last.held_on if last else forum.act_date, MEETING_INTERVAL_MONTHS)


def overdue_since(forum) -> date | None:
    """The day the six months ran out, if they did (today in the jurisdiction's time zone)."""
    due = meeting_due(forum)
    return due if local_today(forum.jurisdiction) > due else None


def overdue_forums(jurisdiction_ids=None) -> list[tuple[MesaForum, date]]:
    """The forums that have gone six months without meeting, with the day it happened; only those
    of `jurisdiction_ids` unless None (every jurisdiction)."""
    query = select(MesaForum).options(selectinload(MesaForum.jurisdiction)).order_by(MesaForum.name)
    if jurisdiction_ids is not None:
        query = query.where(MesaForum.jurisdiction_id.in_(jurisdiction_ids))
    found = []
    for forum in db.session.scalars(query):
        since = overdue_since(forum)
        if since is not None:
            found.append((forum, since))
    return found


def get_meeting(forum, meeting_id) -> MesaMeeting | None:
    meeting = db.session.get(MesaMeeting, meeting_id)
    return meeting if meeting is not None and meeting.forum_id == forum.id else None


def meetings_of_cycle(cycle) -> list[MesaMeeting]:
    return list(db.session.scalars(select(MesaMeeting).where(MesaMeeting.cycle_id == cycle.id)
                                   .order_by(MesaMeeting.held_on, MesaMeeting.id)))


# --- observations --------------------------------------------------------------------------------

def observe(version, *, body, actor, commitment_number=None) -> MesaObservation:
    """A Mesa member's observation (plain text) on a frozen version of the plan, or on commitment
    N° `commitment_number` of that version. It is public, with its answer, once the plan is published."""
    require(actor, "review_as_mesa", version)
    if not isinstance(version, PlanVersion):
        raise DomainError("version", _("Choose a version of the plan."))
    if commitment_number is not None and commitments.snapshot(version, commitment_number) is None:
        raise DomainError("commitment_number", _("Version %(number)s has no such commitment.",
                                                 number=version.number))
    observation = MesaObservation(version=version, commitment_number=commitment_number, author_id=actor.id,
                              body=_text(body, "body", OBSERVATION_MAX, message=_("Write the observation.")))
    transition(observation, ObservationState.OPEN, actor=actor, public=False)
    return observation


def answer_observation(observation, *, answer, actor) -> MesaObservation:
    """The moderators' answer to an observation (plain text), emailed to its author."""
    require(actor, "moderate", observation)
    if observation.state is not ObservationState.OPEN:
        raise DomainError(None, _("This observation has already been answered."))
    observation.answer = _text(answer, "answer", ANSWER_MAX, message=_("Write the answer."))
    observation.answered_by_id = actor.id
    observation.answered_at = clock.now()
    transition(observation, ObservationState.ANSWERED, actor=actor, public=False)
    author = observation.author
    if author.email:
        cycle = observation.cycle
        with force_locale(author.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            queue_email(author, subject=_("Your observation on %(cycle)s was answered", cycle=cycle.name),
                        template="mesa/email/observation_answered", observation=observation, cycle=cycle,
                        link=absolute_url("mesa.review", slug=cycle.jurisdiction.slug, cycle_slug=cycle.slug))
    return observation


def observations_of(cycle) -> list[MesaObservation]:
    """Every observation on the cycle's versions of the plan, oldest first."""
    return list(db.session.scalars(
        select(MesaObservation).join(PlanVersion, PlanVersion.id == MesaObservation.version_id)
        .where(PlanVersion.cycle_id == cycle.id).options(selectinload(MesaObservation.author))
        .order_by(MesaObservation.id)))


def get_observation(cycle, observation_id) -> MesaObservation | None:
    observation = db.session.get(MesaObservation, observation_id)
    return observation if observation is not None and observation.version.cycle_id == cycle.id else None


# --- approval acts -------------------------------------------------------------------------------

def _votes(meeting, votes) -> dict[MesaSeat, Vote]:
    by_seat = {}
    for key, vote in (votes or {}).items():
        seat_id = getattr(key, "id", key)
        seat = next((seat for seat in meeting.present if seat.id == seat_id), None)
        if seat is None:
            raise DomainError("votes", _("Only the seats present at the meeting vote."))
        by_seat[seat] = _enum(Vote, vote, "votes", _("Choose for, against or abstaining for every seat present."))
    missing = [seat for seat in meeting.present if seat not in by_seat]
    if missing:
        raise DomainError("votes", _("Record the vote of every seat present: %(names)s is missing.",
                                     names=", ".join(seat.holder.public_name for seat in missing)))
    return by_seat


def record_act(meeting, *, version, decision, votes, actor, dissent="") -> MesaAct:
    """The forum's decision on one frozen version of the plan of the meeting's cycle: approved,
    approved with observations or returned (Decision or its name), each present seat's vote
    (`votes`: {MesaSeat or seat id: Vote or its name}) and the dissent, as it goes into the minutes.
    It takes effect when every member present has confirmed it (`confirm_act`); each is emailed."""
    require(actor, "run_mesa", meeting)
    if meeting.cycle is None:
        raise DomainError(None, _("This meeting is not tied to a cycle: an act approves a plan of one."))
    if not isinstance(version, PlanVersion) or version.cycle_id != meeting.cycle_id:
        raise DomainError("version", _("Choose a version of the plan of %(cycle)s.", cycle=meeting.cycle.name))
    decision = _enum(Decision, decision, "decision", _("Choose the decision."))
    by_seat = _votes(meeting, votes)
    tally = {vote: list(by_seat.values()).count(vote) for vote in Vote}
    if decision.approves and tally[Vote.FOR] <= tally[Vote.AGAINST]:
        raise DomainError("decision", _("An approval needs more votes for than against (%(for)s for, %(against)s "
                                        "against).", **{"for": tally[Vote.FOR], "against": tally[Vote.AGAINST]}))
    if live_act(version) is not None:
        raise DomainError("version", _("Version %(number)s already has an act: void it before recording another.",
                                       number=version.number))
    act = MesaAct(meeting=meeting, version=version, decision=decision, recorded_by_id=actor.id,
              dissent=_text(dissent, "dissent", DISSENT_MAX, required=False))
    db.session.add(act)
    try:
        with db.session.begin_nested():
            transition(act, ActState.AWAITING_CONFIRMATION, actor=actor, reason=decision.name)
            db.session.add_all(MesaActVote(act=act, seat=seat, vote=vote) for seat, vote in by_seat.items())
            db.session.flush()
    except IntegrityError:
        raise DomainError("version", _("Version %(number)s already has an act: void it before recording another.",
                                       number=version.number)) from None
    _ask_to_confirm(act)
    return act


def _ask_to_confirm(act) -> None:
    forum, cycle = act.meeting.forum, act.meeting.cycle
    link = absolute_url("mesa.meeting", slug=forum.jurisdiction.slug, meeting_id=act.meeting_id)
    for seat in act.meeting.present:
        person = seat.holder
        if not person.email:
            continue
        with force_locale(person.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            queue_email(person, subject=_("Please confirm the Mesa's act on %(cycle)s", cycle=cycle.name),
                        template="mesa/email/confirm_act", act=act, cycle=cycle, forum=forum, link=link)


def _lock(act) -> None:
    """Read the act again under a row lock: two members confirming at once both count."""
    db.session.flush()
    db.session.refresh(act, with_for_update=True)


def confirm_act(act, *, actor) -> MesaAct:
    """A member present at the meeting confirms the act from their own account; when the last of
    them does, the act is in force."""
    require(actor, "confirm_act", act)
    _lock(act)
    if act.state is not ActState.AWAITING_CONFIRMATION:
        raise DomainError(None, _("This act is not awaiting confirmation."))
    seat = next(seat for seat in act.meeting.present if seat.holder_id == actor.id)
    if any(row.seat_id == seat.id for row in act.confirmations):
        raise DomainError(None, _("You have already confirmed this act."))
    act.confirmations.append(MesaActConfirmation(seat=seat, user_id=actor.id, confirmed_at=clock.now()))
    db.session.flush()
    record_event(act, "CONFIRMED_BY", actor=actor, reason=seat.sector.name)
    if {row.seat_id for row in act.confirmations} >= {seat.id for seat in act.meeting.present}:
        transition(act, ActState.IN_FORCE, actor=actor)
    return act


def void_act(act, *, reason, actor) -> MesaAct:
    """An act recorded in error, before it took effect: kept, voided, with the reason."""
    require(actor, "run_mesa", act)
    if act.state is not ActState.AWAITING_CONFIRMATION:
        raise DomainError(None, _("Only an act awaiting confirmation can be voided."))
    transition(act, ActState.VOIDED, actor=actor, reason=_text(reason, "reason", REASON_MAX,
                                                               message=_("Say why the act is voided.")))
    return act


def live_act(version) -> MesaAct | None:
    """The act on `version` that is not voided (awaiting confirmation or in force), if any."""
    return db.session.scalar(select(MesaAct).where(MesaAct.version_id == version.id, MesaAct.state != ActState.VOIDED))


def approving_act(version) -> MesaAct | None:
    """The act in force that approves exactly this version, if any."""
    act = live_act(version)
    return act if act is not None and act.in_force and act.decision.approves else None


def acts_of(cycle) -> list[MesaAct]:
    return list(db.session.scalars(
        select(MesaAct).join(PlanVersion, PlanVersion.id == MesaAct.version_id).where(PlanVersion.cycle_id == cycle.id)
        .order_by(MesaAct.id)))


def get_act(forum, act_id) -> MesaAct | None:
    act = db.session.get(MesaAct, act_id)
    return act if act is not None and act.meeting.forum_id == forum.id else None


def awaiting_confirmation_by(act, user) -> bool:
    """Is `user` a member present whose confirmation the act still waits for?"""
    if act.state is not ActState.AWAITING_CONFIRMATION or not getattr(user, "is_authenticated", False):
        return False
    confirmed = {row.seat_id for row in act.confirmations}
    return any(seat.holder_id == user.id and seat.id not in confirmed for seat in act.meeting.present)


# --- what the Mesa reviews -----------------------------------------------------------------------

@dataclass(frozen=True)
class Coverage:
    received: int
    answered: int
    pending: int


@dataclass(frozen=True)
class Pending:
    proposals: int
    comments: int

    @property
    def nothing(self) -> bool:
        return self.proposals == 0 and self.comments == 0


def _proposal_coverage(cycle) -> Coverage:
    """Triage's gauge: proposals received, answered with a published final outcome, and pending
    (neither answered nor withdrawn by their authors)."""
    from consulta.triage.services import coverage

    total = coverage(cycle).total
    return Coverage(received=total.received, answered=total.answered, pending=total.pending)


def _comment_coverage(cycle) -> Coverage:
    """The consultation's gauge: comments received, answered, and still owed an answer or a decision."""
    from consulta.consultation.services import coverage

    figures = coverage(cycle)
    return Coverage(received=figures["received"], answered=figures["answered"], pending=figures["pending"])


def pending(cycle) -> Pending:
    """Proposals of the cycle still without a published final outcome (triage) and consultation
    comments still without an answer (consultation): publication waits until both are zero."""
    from consulta.consultation.services import pending_count

    return Pending(proposals=_proposal_coverage(cycle).pending, comments=pending_count(cycle))


@dataclass
class Review:
    """The Mesa's read-only view of a cycle under review."""

    proposals: Coverage
    comments: Coverage
    tables: list  # (WorkingTable, attendees)
    tables_held: int
    attendees: int
    commitments: list
    comments_by_commitment: dict  # commitment id -> comments received
    observations: list
    acts: list
    publications: list


def review(cycle) -> Review:
    from consulta.consultation import services as consultation
    from consulta.tables import services as tables

    held = tables.tables_of(cycle)
    attendance = tables.attendance_by_table(held)
    return Review(
        proposals=_proposal_coverage(cycle), comments=_comment_coverage(cycle),
        tables=[(table, attendance.get(table.id, 0)) for table in held], tables_held=tables.tables_held(cycle),
        attendees=tables.attendees(cycle), commitments=commitments.plan(cycle),
        comments_by_commitment={commitment_id: figures["received"] for commitment_id, figures
                                in consultation.counts_by_target(cycle, "commitment").items()},
        observations=observations_of(cycle), acts=acts_of(cycle), publications=publications(cycle))


@dataclass(frozen=True)
class Response:
    """One line of the annex: a contribution and the reasoned response it received."""

    reference: str
    title: str
    outcome: str
    response: str

    def as_dict(self) -> dict:
        return {"reference": self.reference, "title": self.title, "outcome": self.outcome, "response": self.response}


@dataclass
class Annex:
    proposals: list[Response]
    comments: list[Response]


def _comment_responses(cycle) -> list[Response]:
    from consulta.consultation.models import AnswerOutcome
    from consulta.consultation.services import export_rows

    lines = []
    for row in export_rows(cycle):
        about = (_("Commitment N° %(number)s", number=row["commitment_number"]) if row["commitment_number"]
                 else _("The plan"))
        excerpt = row["text"] if len(row["text"]) <= EXCERPT_MAX else row["text"][:EXCERPT_MAX].rstrip() + "…"
        lines.append(Response(reference=f"#{row['id']}", title=f"{about}: {excerpt}" if excerpt else about,
                              outcome=str(AnswerOutcome[row["outcome"]].label) if row["outcome"] else "",
                              response=row["answer"]))
    return lines


def _proposal_responses(cycle) -> list[Response]:
    """Every received proposal with the last response published on it (triage keeps them all)."""
    from consulta.proposals.services import received
    from consulta.triage.models import PublishedResponse
    from consulta.triage.services import plain

    latest = {}
    for row in db.session.scalars(select(PublishedResponse).join(Proposal, Proposal.id == PublishedResponse.proposal_id)
                                  .where(Proposal.cycle_id == cycle.id).order_by(PublishedResponse.number)):
        latest[row.proposal_id] = row
    lines = []
    for proposal in db.session.scalars(received(cycle).order_by(None).order_by(Proposal.number)):
        row = latest.get(proposal.id)
        lines.append(Response(reference=proposal.reference, title=proposal.title,
                              outcome=str(row.outcome.label if row else proposal.state.label),
                              response=plain(row.text) if row else ""))
    return lines


def responses(cycle) -> Annex:
    """The reasoned response to every proposal (triage) and every comment (consultation) of the cycle."""
    return Annex(proposals=_proposal_responses(cycle), comments=_comment_responses(cycle))


# --- publication ---------------------------------------------------------------------------------

def publications(cycle) -> list[PlanPublication]:
    """The cycle's publications, the first one first; every later one is a correction."""
    return list(db.session.scalars(select(PlanPublication).where(PlanPublication.cycle_id == cycle.id)
                                   .order_by(PlanPublication.id)))


def current_publication(cycle) -> PlanPublication | None:
    # The cycle page and monitoring's links ask it several times: read once per request.
    return memo.remembered(_CURRENT_PUBLICATION, cycle.id, lambda: db.session.scalar(
        select(PlanPublication).where(PlanPublication.cycle_id == cycle.id)
        .order_by(PlanPublication.id.desc()).limit(1)))


_CURRENT_PUBLICATION = "mesa.current_publication"


def publication_of(cycle, version_number) -> PlanPublication | None:
    return db.session.scalar(select(PlanPublication).join(PlanVersion, PlanVersion.id == PlanPublication.version_id)
                             .where(PlanPublication.cycle_id == cycle.id, PlanVersion.number == version_number))


def published_version(cycle) -> PlanVersion | None:
    """The version of the plan in force for the public: the last one published, or None."""
    publication = current_publication(cycle)
    return publication.version if publication is not None else None


def is_published(cycle) -> bool:
    return current_publication(cycle) is not None


def publication_refusals(version) -> dict[str, str]:
    """Why `version` cannot be published now, by reason code (published, no_act, changed, proposals,
    comments, observations) with the message; empty when it can. What `publish` refuses."""
    cycle = version.cycle
    if publication_of(cycle, version.number) is not None:
        return {"published": _("Version %(number)s is already published.", number=version.number)}
    reasons = {}
    if approving_act(version) is None:
        reasons["no_act"] = _("Version %(number)s has no approving act of the Mesa in force: every member "
                              "present confirms the act first.", number=version.number)
    latest = commitments.latest_version(cycle)
    if latest.id != version.id or commitments.changed_since(cycle, version):
        reasons["changed"] = _("The plan changed after version %(number)s: freeze a new version and have the "
                               "Mesa approve it.", number=version.number)
    waiting = pending(cycle)
    if waiting.proposals:
        reasons["proposals"] = ngettext("%(num)s proposal still awaits its outcome.",
                                        "%(num)s proposals still await their outcome.", waiting.proposals)
    if waiting.comments:
        reasons["comments"] = ngettext("%(num)s comment of the consultation still awaits an answer.",
                                       "%(num)s comments of the consultation still await an answer.",
                                       waiting.comments)
    unanswered = sum(1 for observation in observations_of(cycle) if observation.state is ObservationState.OPEN)
    if unanswered:
        reasons["observations"] = ngettext("%(num)s observation of the Mesa still awaits an answer.",
                                           "%(num)s observations of the Mesa still await an answer.", unanswered)
    return reasons


def publish(version, *, actor, reason="") -> PlanPublication:
    """Publish a frozen version of the plan: only the latest version, unchanged since, approved by
    an act in force for exactly that version, with no proposal, comment or observation awaiting an
    answer. A publication after the first is a correction and says why (`reason`, public); the
    earlier ones stay readable."""
    require(actor, "moderate", version)
    if not isinstance(version, PlanVersion):
        raise DomainError("version", _("Choose a version of the plan."))
    refusals = publication_refusals(version)
    if refusals:
        raise DomainError(None, " ".join(refusals.values()))
    cycle = version.cycle
    correction = is_published(cycle)
    reason = _text(reason, "reason", REASON_MAX, required=correction,
                   message=_("Say why the published plan is corrected: the reason is public."))
    publication = PlanPublication(cycle=cycle, version=version, act=approving_act(version), reason=reason,
                              published_at=clock.now(), published_by_id=actor.id)
    memo.forget(_CURRENT_PUBLICATION)
    try:
        with db.session.begin_nested():
            db.session.add(publication)
            db.session.flush()
    except IntegrityError:
        raise DomainError(None, _("Version %(number)s is already published.", number=version.number)) from None
    record_event(publication, "PUBLISHED", actor=actor, reason=reason)
    return publication
