"""Working tables: creating them, registering, the waiting list, check-in, minutes and closing.

What views, commands and the demo loader call (all flush, none commits; `actor` is the acting user
and, for a moderator's action, must moderate the table's jurisdiction):

    create_table(cycle, *, title, area, starts_at, ends_at=None, venue_timezone=None, address=None,
                 commune=None, region=None, online_link=None, capacity, registration_window=None,
                 description="", accessibility_notes="", actor) -> WorkingTable
    get_for_update(table_id) -> WorkingTable | None
    register(table, *, user, sector=None, organisation=None, needs=None, actor=None) -> Registration
    cancel(registration, *, actor, reason="") -> list[Registration]   (the people promoted)
    set_capacity(table, *, capacity, actor, reason="") -> list[Registration]
    check_in(registration, *, actor) -> CheckIn;  check_in_code(table, *, code, actor) -> CheckIn
    walk_in(table, *, name, organisation_name=None, actor) -> CheckIn
    write_minutes(table, *, minutes, organisations_present=None, discussed=None, actor)
    close_table(table, *, actor, reason="")
    assign_proposals(table, proposals, *, actor) -> list[TableProposal];  table_of(proposal)
    send_reminders() -> int
    tables_held(cycle) -> int;  attendees(cycle) -> int      (the seed's two figures)

Times given without a zone are read in the venue's time zone; aware ones are taken as they are.

Seats: `seats_taken` changes only through conditional UPDATEs, so the database decides whether a
seat is free — two servers registering at once can never both take the last one. Waiting-list
tickets come from a per-table counter changed the same way, so they are 1..N without gaps or doubles.
"""
import re
import secrets
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import case, func, select, update
from sqlalchemy.exc import IntegrityError

from consulta.accounts.models import User
from consulta.core import clock, windows
from consulta.core.audit import record_event, transition
from consulta.core.errors import DomainError, WindowClosed
from consulta.core.i18n import local_datetime
from consulta.core.outbox import absolute_url, queue_email
from consulta.core.permissions import require
from consulta.core.sanitize import clean_html
from consulta.core.sectors import Sector
from consulta.core.windows import Window
from consulta.extensions import db
from consulta.jurisdictions.regions import Region
from consulta.organisations.services import require_sector
from consulta.proposals.models import Proposal, ProposalState
from consulta.tables.models import (
    MAX_CAPACITY,
    CheckIn,
    Registration,
    RegistrationState,
    TableProposal,
    TableState,
    WorkingTable,
)

TITLE_MAX = 200
AREA_MAX = 120
DESCRIPTION_MAX = 4000
ADDRESS_MAX = 200
COMMUNE_MAX = 80
LINK_MAX = 500
NOTES_MAX = 2000
NEEDS_MAX = 1000
NAME_MAX = 120
ORGANISATION_MAX = 200
MINUTES_MAX = 20000
ORGANISATIONS_PRESENT_MAX = 100
REASON_MAX = 500
DEFAULT_LENGTH = timedelta(hours=2)
REMIND_AHEAD = timedelta(hours=24)
# Codes read aloud at the door: no 0/O, 1/I/L.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 6
LIVE = (RegistrationState.CONFIRMED, RegistrationState.WAITING)
TAG = re.compile(r"<[^>]*>")


# --- checking what was typed -------------------------------------------------------------------

def _text(value, field: str, maximum: int, *, required_message=None) -> str:
    text = (value or "").strip()
    if not text and required_message is not None:
        raise DomainError(field, required_message)
    if len(text) > maximum:
        raise DomainError(field, _("At most %(max)s characters.", max=maximum))
    return text


def _capacity(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CAPACITY:
        raise DomainError("capacity", _("The capacity is a whole number of seats from 1 to %(max)s.",
                                        max=MAX_CAPACITY))
    return value


def _online_link(value) -> str | None:
    link = _text(value, "online_link", LINK_MAX)
    if not link:
        return None
    parts = urlsplit(link)
    # Pages link to it: only web addresses, so javascript: and data: URLs never get through.
    if parts.scheme.lower() not in {"http", "https"} or not parts.netloc:
        raise DomainError("online_link", _("The online link must be a web address starting with https:// or http://."))
    return parts._replace(scheme=parts.scheme.lower()).geturl()


def venue_timezone_for(cycle, *, venue_timezone=None, region=None) -> str:
    """The venue's zone: the one given, else the region's (Magallanes keeps its own), else the jurisdiction's."""
    if venue_timezone:
        try:
            ZoneInfo(venue_timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise DomainError("venue_timezone", _("This is not a known time zone.")) from None
        return venue_timezone
    if region is not None:
        return region.timezone
    return cycle.jurisdiction.timezone


def _instant(value, tz: str, field: str) -> datetime:
    if not isinstance(value, datetime):
        raise DomainError(field, _("Give a date and a time."))
    return value if value.tzinfo is not None else windows.local_to_utc(value, tz)


def _window(value, tz: str, starts_at: datetime) -> Window:
    """A registration window: a core Window, a pair of (local) times, or None (from now until the start)."""
    if value is None:
        value = (min(clock.now(), starts_at - timedelta(seconds=1)), starts_at)
    if isinstance(value, Window):
        window = value
    else:
        opens, closes = value
        opens = _instant(opens, tz, "registration_opens")
        closes = _instant(closes, tz, "registration_closes")
        if closes <= opens:
            raise DomainError("registration_closes", _("Registration must close after it opens."))
        window = Window(opens, closes)
    if window.closes_at > starts_at:
        raise DomainError("registration_closes", _("Registration must close no later than the table starts."))
    return window


# --- tables --------------------------------------------------------------------------------------

def create_table(cycle, *, title, area, starts_at, capacity, actor, ends_at=None, venue_timezone=None,
                 address=None, commune=None, region: Region | None = None, online_link=None,
                 registration_window=None, description="", accessibility_notes="") -> WorkingTable:
    """A table of `cycle`, open for registration inside `registration_window`.

    It takes place at `address` (with commune and region) or online at `online_link` (http/https),
    or both. `ends_at` defaults to two hours after the start.
    """
    require(actor, "moderate", cycle)
    tz = venue_timezone_for(cycle, venue_timezone=venue_timezone, region=region)
    starts = _instant(starts_at, tz, "starts_at")
    ends = _instant(ends_at, tz, "ends_at") if ends_at is not None else starts + DEFAULT_LENGTH
    if ends <= starts:
        raise DomainError("ends_at", _("The table must end after it starts."))
    address = _text(address, "address", ADDRESS_MAX) or None
    link = _online_link(online_link)
    if address is None and link is None:
        raise DomainError("address", _("Give the address of the place, or an online link."))
    window = _window(registration_window, tz, starts)
    table = WorkingTable(
        cycle_id=cycle.id,
        title=_text(title, "title", TITLE_MAX, required_message=_("Give the table a title.")),
        area=_text(area, "area", AREA_MAX, required_message=_("Name the thematic area.")),
        description=_text(description, "description", DESCRIPTION_MAX),
        starts_at=starts, ends_at=ends, venue_timezone=tz,
        address=address, commune=_text(commune, "commune", COMMUNE_MAX) or None, region=region,
        online_link=link,
        accessibility_notes=_text(accessibility_notes, "accessibility_notes", NOTES_MAX),
        capacity=_capacity(capacity),
        registration_opens_at=window.opens_at, registration_closes_at=window.closes_at,
    )
    transition(table, TableState.SCHEDULED, actor=actor)
    return table


def get_for_update(table_id: int) -> WorkingTable | None:
    """The table, its row write-locked until the end of the transaction (None when there is none).

    Call it first in a unit of work that changes seats (registering, cancelling, capacity). On
    PostgreSQL it is a row lock; on SQLite, as the transaction's first statement, it takes the
    database's write lock at once, so concurrent registrations queue (busy_timeout) instead of failing
    on a stale read. The seats are guaranteed by the conditional UPDATEs either way.
    """
    locked = db.session.execute(
        update(WorkingTable).where(WorkingTable.id == table_id)
        # Writes nothing new (updated_at named so that its onupdate leaves it alone): only the lock counts.
        .values(seats_taken=WorkingTable.seats_taken, updated_at=WorkingTable.updated_at)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not locked:
        return None
    return db.session.get(WorkingTable, table_id, populate_existing=True)


def _take_seat(table) -> bool:
    """One seat, if one is free: the database decides, in one statement."""
    taken = db.session.execute(
        update(WorkingTable)
        .where(WorkingTable.id == table.id, WorkingTable.state == TableState.SCHEDULED,
               WorkingTable.seats_taken < WorkingTable.capacity)
        .values(seats_taken=WorkingTable.seats_taken + 1)
        .execution_options(synchronize_session=False)
    ).rowcount == 1
    db.session.expire(table, ["seats_taken"])
    return taken


def _free_seat(table) -> None:
    db.session.execute(
        update(WorkingTable).where(WorkingTable.id == table.id, WorkingTable.seats_taken > 0)
        .values(seats_taken=WorkingTable.seats_taken - 1)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(table, ["seats_taken"])


def _issue_ticket(table) -> int:
    ticket = db.session.execute(
        update(WorkingTable).where(WorkingTable.id == table.id)
        .values(waitlist_issued=WorkingTable.waitlist_issued + 1)
        .returning(WorkingTable.waitlist_issued)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    db.session.expire(table, ["waitlist_issued"])
    return ticket


def _require_scheduled(table, field=None) -> None:
    if table.state != TableState.SCHEDULED:
        raise DomainError(field, _("This table has already taken place and is closed."))


def set_capacity(table, *, capacity, actor, reason: str = "") -> list[Registration]:
    """Raise or lower the capacity. Lowering never evicts anyone confirmed (seats free up as people
    cancel); raising promotes people from the waiting list. Returns those promoted."""
    require(actor, "moderate", table)
    capacity = _capacity(capacity)
    reason = _text(reason, "reason", REASON_MAX)
    locked = get_for_update(table.id)
    _require_scheduled(locked, "capacity")
    before = table.capacity
    db.session.execute(
        update(WorkingTable).where(WorkingTable.id == table.id).values(capacity=capacity)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(table, ["capacity"])
    record_event(table, "CAPACITY", actor=actor, reason=f"{before} → {capacity}" + (f": {reason}" if reason else ""))
    return _promote(table, actor=actor)


# --- registration --------------------------------------------------------------------------------

def live_registration(table, user) -> Registration | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(select(Registration).where(
        Registration.table_id == table.id, Registration.user_id == user.id, Registration.state.in_(LIVE)))


def registration_open(table) -> bool:
    return table.state == TableState.SCHEDULED and windows.is_open(table.registration_window, clock.now())


def _require_registration_open(table) -> None:
    _require_scheduled(table)
    now = clock.now()
    if windows.is_open(table.registration_window, now):
        return
    raise WindowClosed(table.registration_window, table.venue_timezone,
                       not_yet=now < table.registration_opens_at)


def _new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def register(table, *, user, sector=None, organisation=None, needs=None, actor=None) -> Registration:
    """Register `user` as ciudadanía, or for `organisation` (its sector, unless `sector` says
    otherwise), which they must represent, verified: a confirmed seat if one is free, else a place on
    the waiting list. `needs` (accessibility) is private."""
    actor = actor if actor is not None else user
    require(actor, "register_for_table", table)
    _require_registration_open(table)
    if sector is None:
        sector = organisation.sector if organisation is not None else Sector.CIUDADANIA
    require_sector(user, sector, organisation)
    needs = _text(needs, "needs", NEEDS_MAX)
    already = _("You are already registered for this table.")
    if live_registration(table, user) is not None:
        raise DomainError(None, already)
    registration = Registration(table_id=table.id, user_id=user.id, sector=sector,
                                organisation_id=getattr(organisation, "id", None), needs=needs, code=_new_code())
    try:
        # The seat or ticket and the row stand or fall together: a double lost to a concurrent
        # request (the unique index) gives the seat back.
        with db.session.begin_nested():
            if _take_seat(table):
                state = RegistrationState.CONFIRMED
            else:
                registration.waitlist_ticket = _issue_ticket(table)
                state = RegistrationState.WAITING
            transition(registration, state, actor=actor, public=False)
            db.session.flush()
    except IntegrityError:
        db.session.expire(table, ["seats_taken", "waitlist_issued"])
        if live_registration(table, user) is not None:
            raise DomainError(None, already) from None
        raise
    return registration


def waiting_position(registration) -> int | None:
    """1 for the first person waiting, and so on; None unless waiting."""
    if registration.state != RegistrationState.WAITING:
        return None
    ahead = db.session.scalar(select(func.count()).select_from(Registration).where(
        Registration.table_id == registration.table_id, Registration.state == RegistrationState.WAITING,
        Registration.waitlist_ticket < registration.waitlist_ticket))
    return ahead + 1


def cancel(registration, *, actor, reason: str = "") -> list[Registration]:
    """Cancel a registration (its person, or a moderator). A freed seat goes to the first person
    waiting, who is emailed. Returns those promoted."""
    require(actor, "cancel_registration", registration)
    reason = _text(reason, "reason", REASON_MAX)
    table = get_for_update(registration.table_id)
    # Read again under the lock: the person and a moderator may cancel at once.
    db.session.refresh(registration)
    if registration.state == RegistrationState.CANCELLED:
        raise DomainError(None, _("This registration is already cancelled."))
    _require_scheduled(table)
    was_confirmed = registration.state == RegistrationState.CONFIRMED
    transition(registration, RegistrationState.CANCELLED, actor=actor, reason=reason, public=False)
    if not was_confirmed:
        return []
    _free_seat(table)
    return _promote(table, actor=actor)


def _first_waiting(table) -> Registration | None:
    return db.session.scalar(select(Registration).where(
        Registration.table_id == table.id, Registration.state == RegistrationState.WAITING,
    ).order_by(Registration.waitlist_ticket).limit(1))


def _promote(table, *, actor) -> list[Registration]:
    """Give free seats to the people waiting, first come first served, and tell them."""
    promoted = []
    while (first := _first_waiting(table)) is not None and _take_seat(table):
        transition(first, RegistrationState.CONFIRMED, actor=actor, public=False)
        _tell(first, "promoted")
        promoted.append(first)
    return promoted


SUBJECTS = {
    "promoted": lambda table: _("You have a seat at the working table “%(title)s”", title=table.title),
    "reminder": lambda table: _("Reminder: the working table “%(title)s” is tomorrow", title=table.title),
}


def _tell(registration, template: str) -> None:
    """Email the registered person in their language (closed accounts have no address left)."""
    person = registration.user
    if not person.email:
        return
    table = registration.table
    with force_locale(person.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        queue_email(person, subject=SUBJECTS[template](table), template=f"tables/email/{template}",
                    registration=registration, table=table,
                    table_url=absolute_url("tables.detail", table_id=table.id),
                    calendar_url=absolute_url("tables.calendar", table_id=table.id))


# --- at the door ---------------------------------------------------------------------------------

def _insert_check_in(check_in: CheckIn, *, actor, message) -> CheckIn:
    try:
        with db.session.begin_nested():
            db.session.add(check_in)
            db.session.flush()
    except IntegrityError:
        raise DomainError("code", message) from None
    record_event(check_in, "CREATED", actor=actor, public=False)
    return check_in


def check_in(registration, *, actor) -> CheckIn:
    """Record a confirmed person as present (once: the database refuses a second row)."""
    table = registration.table
    require(actor, "moderate", table)
    _require_scheduled(table, "code")
    name = registration.user.public_name
    if registration.state != RegistrationState.CONFIRMED:
        raise DomainError("code", _("%(name)s has no confirmed seat: record them as a walk-in if there is room.",
                                    name=name))
    return _insert_check_in(
        CheckIn(table_id=table.id, registration_id=registration.id, user_id=registration.user_id,
                organisation_name=getattr(registration.organisation, "name", None),
                checked_in_at=clock.now(), checked_in_by_id=getattr(actor, "id", None)),
        actor=actor, message=_("%(name)s is already checked in.", name=name))


def normalise_code(code) -> str:
    return "".join(character for character in (code or "").upper() if character.isalnum())


def check_in_code(table, *, code, actor) -> CheckIn:
    """Check in the person whose code was read out at the door of `table`."""
    require(actor, "moderate", table)
    code = normalise_code(code)
    registration = db.session.scalar(select(Registration).where(Registration.code == code)) if code else None
    if registration is None:
        raise DomainError("code", _("No registration has this code."))
    if registration.table_id != table.id:
        raise DomainError("code", _("This code is for another table."))
    return check_in(registration, actor=actor)


def walk_in(table, *, name, organisation_name=None, actor) -> CheckIn:
    """Someone who came without registering: one row, counted like any other attendee."""
    require(actor, "moderate", table)
    _require_scheduled(table, "name")
    check = CheckIn(table_id=table.id,
                    walk_in_name=_text(name, "name", NAME_MAX, required_message=_("Write the person's name.")),
                    organisation_name=_text(organisation_name, "organisation_name", ORGANISATION_MAX) or None,
                    checked_in_at=clock.now(), checked_in_by_id=getattr(actor, "id", None))
    return _insert_check_in(check, actor=actor, message=_("This person is already checked in."))


# --- minutes and closing ------------------------------------------------------------------------

def _organisations(value) -> str:
    lines = value.splitlines() if isinstance(value, str) else list(value or ())
    names = []
    for line in lines:
        name = (line or "").strip()
        if not name or name in names:
            continue
        if len(name) > ORGANISATION_MAX:
            raise DomainError("organisations_present", _("An organisation's name has at most %(max)s characters.",
                                                         max=ORGANISATION_MAX))
        names.append(name)
    if len(names) > ORGANISATIONS_PRESENT_MAX:
        raise DomainError("organisations_present", _("At most %(max)s organisations.", max=ORGANISATIONS_PRESENT_MAX))
    return "\n".join(names)


def _require_started(table, field: str) -> None:
    if clock.now() < table.starts_at:
        raise DomainError(field, _("The table has not taken place yet: it starts on %(when)s.",
                                   when=local_datetime(table.starts_at, table.venue_timezone, "long")))


def write_minutes(table, *, minutes, actor, organisations_present=None, discussed=None) -> None:
    """The public minutes (sanitised rich text), the organisations present (names, one per line or
    a list) and which of the table's assigned proposals it `discussed` (proposals or their ids),
    once the table has started. A closed table's minutes may still be corrected; every version is
    audited."""
    require(actor, "moderate", table)
    _require_started(table, "minutes")
    if len(minutes or "") > MINUTES_MAX:
        raise DomainError("minutes", _("At most %(max)s characters.", max=MINUTES_MAX))
    cleaned = clean_html(minutes)
    if not TAG.sub("", cleaned).strip():
        raise DomainError("minutes", _("Write the minutes."))
    table.minutes = cleaned
    if organisations_present is not None:
        table.organisations_present = _organisations(organisations_present)
    if discussed is not None:
        _mark_discussed(table, discussed)
    record_event(table, "MINUTES", actor=actor)
    db.session.flush()


def close_table(table, *, actor, reason: str = "") -> None:
    """The table took place: it is counted among the cycle's tables from now on."""
    require(actor, "moderate", table)
    _require_scheduled(table)
    _require_started(table, None)
    if not table.minutes:
        raise DomainError("minutes", _("Write the minutes before closing the table."))
    transition(table, TableState.CLOSED, actor=actor, reason=_text(reason, "reason", REASON_MAX))
    db.session.flush()


# --- proposals assigned to tables ---------------------------------------------------------------

def _assignable(proposal) -> bool:
    return proposal.state not in (ProposalState.WITHDRAWN, ProposalState.INADMISSIBLE)


def assign_proposals(table, proposals, *, actor) -> list[TableProposal]:
    """Assign proposals of the table's cycle to it. A proposal sits at one table at most: one
    assigned elsewhere moves here (audited). Returns the links made or moved."""
    require(actor, "moderate", table)
    _require_scheduled(table, "proposals")
    changed = []
    for proposal in proposals:
        if proposal.cycle_id != table.cycle_id:
            raise DomainError("proposals", _("%(reference)s belongs to another cycle.", reference=proposal.reference))
        if not _assignable(proposal):
            raise DomainError("proposals", _("%(reference)s was withdrawn or is not admissible.",
                                             reference=proposal.reference))
        link = db.session.scalar(select(TableProposal).where(TableProposal.proposal_id == proposal.id))
        if link is not None and link.table_id == table.id:
            continue
        if link is not None:
            if link.table.is_closed:
                raise DomainError("proposals", _("%(reference)s belongs to a table that already took place.",
                                                 reference=proposal.reference))
            before = link.table.title
            link.table, link.discussed = table, False
            link.assigned_at, link.assigned_by_id = clock.now(), getattr(actor, "id", None)
            record_event(link, "MOVED", actor=actor, reason=f"{before} → {table.title}")
        else:
            link = TableProposal(table_id=table.id, proposal_id=proposal.id, assigned_at=clock.now(),
                                 assigned_by_id=getattr(actor, "id", None))
            try:
                # Two moderators assigning one proposal at once: the unique index keeps one.
                with db.session.begin_nested():
                    db.session.add(link)
                    db.session.flush()
            except IntegrityError:
                raise DomainError("proposals", _("%(reference)s was just assigned to another table: try again.",
                                                 reference=proposal.reference)) from None
            record_event(link, "ASSIGNED", actor=actor, reason=proposal.reference)
        changed.append(link)
    return changed


def _mark_discussed(table, discussed) -> None:
    wanted = {getattr(item, "id", item) for item in discussed}
    links = assigned_links(table)
    unknown = wanted - {link.proposal_id for link in links}
    if unknown:
        raise DomainError("discussed", _("Only the proposals assigned to this table can be marked as discussed."))
    for link in links:
        link.discussed = link.proposal_id in wanted


def assigned_links(table) -> list[TableProposal]:
    return list(db.session.scalars(select(TableProposal).join(Proposal, Proposal.id == TableProposal.proposal_id)
                                   .where(TableProposal.table_id == table.id).order_by(Proposal.number)))


def assignment_choices(table) -> list[tuple[Proposal, WorkingTable | None]]:
    """The cycle's proposals that may sit at a table, each with the table it sits at now (or None)."""
    rows = db.session.execute(
        select(Proposal, WorkingTable)
        .outerjoin(TableProposal, TableProposal.proposal_id == Proposal.id)
        .outerjoin(WorkingTable, WorkingTable.id == TableProposal.table_id)
        .where(Proposal.cycle_id == table.cycle_id,
               Proposal.state.not_in((ProposalState.WITHDRAWN, ProposalState.INADMISSIBLE)))
        .order_by(Proposal.number)
    ).all()
    return [(proposal, current) for proposal, current in rows]


def table_of(proposal) -> WorkingTable | None:
    """The table a proposal is assigned to, for the proposal's page."""
    return db.session.scalar(select(WorkingTable).join(TableProposal, TableProposal.table_id == WorkingTable.id)
                             .where(TableProposal.proposal_id == proposal.id))


# --- reminders -----------------------------------------------------------------------------------

def send_reminders() -> int:
    """Email everyone confirmed for a table starting within 24 hours, once per person and table.

    Each reminder is claimed with a conditional UPDATE of `reminded_at` before its email is queued
    in the same transaction, so running twice (or two schedulers at once) never sends it twice.
    """
    now = clock.now()
    due = db.session.scalars(
        select(Registration.id).join(WorkingTable, WorkingTable.id == Registration.table_id)
        .where(Registration.state == RegistrationState.CONFIRMED, Registration.reminded_at.is_(None),
               WorkingTable.state == TableState.SCHEDULED,
               WorkingTable.starts_at > now, WorkingTable.starts_at <= now + REMIND_AHEAD)
        .order_by(Registration.id)
    ).all()
    sent = 0
    for registration_id in due:
        claimed = db.session.execute(
            update(Registration)
            .where(Registration.id == registration_id, Registration.reminded_at.is_(None),
                   Registration.state == RegistrationState.CONFIRMED)
            .values(reminded_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed:
            registration = db.session.get(Registration, registration_id, populate_existing=True)
            _tell(registration, "reminder")
            sent += 1
    return sent


# --- reading -------------------------------------------------------------------------------------

def tables_of(cycle) -> list[WorkingTable]:
    return list(db.session.scalars(select(WorkingTable).where(WorkingTable.cycle_id == cycle.id)
                                   .order_by(WorkingTable.starts_at, WorkingTable.id)))


def tables_held(cycle) -> int:
    """Mesas de trabajo: the cycle's tables that took place (closed, which requires minutes)."""
    return db.session.scalar(select(func.count()).select_from(WorkingTable).where(
        WorkingTable.cycle_id == cycle.id, _held()))


def _held():
    return WorkingTable.state == TableState.CLOSED


def attendees(cycle) -> int:
    """Asistentes: check-in rows (one per person per table, registered or walk-in) over the cycle's tables."""
    return db.session.scalar(select(func.count()).select_from(CheckIn)
                             .join(WorkingTable, WorkingTable.id == CheckIn.table_id)
                             .where(WorkingTable.cycle_id == cycle.id))


def attendance_by_cycle(cycle_ids) -> list[tuple[WorkingTable, bool, int]]:
    """Every table of these cycles with whether it took place (as `tables_held` counts) and its
    check-ins (as `attendees` counts), in one statement: statistics add these up per cycle."""
    rows = db.session.execute(
        select(WorkingTable, _held(), func.count(CheckIn.id))
        .outerjoin(CheckIn, CheckIn.table_id == WorkingTable.id)
        .where(WorkingTable.cycle_id.in_(list(cycle_ids)))
        .group_by(WorkingTable.id).order_by(WorkingTable.starts_at, WorkingTable.id)).all()
    return [(table, bool(held), checked_in) for table, held, checked_in in rows]


def cycle_summary(cycle) -> dict:
    """For the cycle's page: its tables, those that took place (as `tables_held` counts), and their
    attendees (as `attendees` counts), in one statement."""
    checked_in = (select(func.count()).select_from(CheckIn).join(WorkingTable, WorkingTable.id == CheckIn.table_id)
                  .where(WorkingTable.cycle_id == cycle.id).scalar_subquery())
    total, held, present = db.session.execute(
        select(func.count(WorkingTable.id), func.count(case((_held(), 1))), checked_in)
        .where(WorkingTable.cycle_id == cycle.id)).one()
    return {"total": total, "held": held, "attendees": present}


def attendance_by_table(tables) -> dict[int, int]:
    ids = [table.id for table in tables]
    if not ids:
        return {}
    rows = db.session.execute(select(CheckIn.table_id, func.count()).where(CheckIn.table_id.in_(ids))
                              .group_by(CheckIn.table_id))
    return dict(rows.all())


def waiting_count(table) -> int:
    return db.session.scalar(select(func.count()).select_from(Registration).where(
        Registration.table_id == table.id, Registration.state == RegistrationState.WAITING))


def registrations_for_moderators(table, *, q: str | None = None) -> list[tuple[Registration, int | None]]:
    """Live registrations (those whose name contains `q`, when given), confirmed first, then the
    waiting list in order, each with its waiting position."""
    waiting_first = case((Registration.state == RegistrationState.CONFIRMED, 0), else_=1)
    query = (select(Registration).join(User, User.id == Registration.user_id)
             .where(Registration.table_id == table.id, Registration.state.in_(LIVE))
             .order_by(waiting_first, Registration.waitlist_ticket, Registration.id))
    if q:
        query = query.where(User.display_name.icontains(q, autoescape=True))
    tickets = db.session.scalars(select(Registration.waitlist_ticket).where(
        Registration.table_id == table.id, Registration.state == RegistrationState.WAITING,
    ).order_by(Registration.waitlist_ticket)).all()
    positions = {ticket: index for index, ticket in enumerate(tickets, start=1)}
    return [(registration, positions.get(registration.waitlist_ticket)
             if registration.state == RegistrationState.WAITING else None)
            for registration in db.session.scalars(query)]


def walk_ins(table) -> list[CheckIn]:
    return list(db.session.scalars(select(CheckIn).where(CheckIn.table_id == table.id,
                                                        CheckIn.registration_id.is_(None)).order_by(CheckIn.id)))


def organisations_checked_in(table) -> list[str]:
    """The organisations of the people checked in: the moderator's starting point for the minutes."""
    names = db.session.scalars(select(CheckIn.organisation_name).where(
        CheckIn.table_id == table.id, CheckIn.organisation_name.is_not(None)).order_by(CheckIn.id))
    return list(dict.fromkeys(names))
