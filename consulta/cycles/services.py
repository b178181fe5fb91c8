"""Cycles and their phases: dates, windows, opening and closing.

`accepting(phase, at, sector)` is the one answer to "is this phase taking submissions?"; later
domains ask it (or `require_accepting`) and add gates (`register_gate`) that hold a phase shut
while what it needs is missing. Windows are stored in UTC; administrators type them in the
jurisdiction's local dates or times, and every message shows them in that zone again.
"""
import re
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import abort, current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload
from werkzeug.exceptions import HTTPException

from consulta.core import clock, windows
from consulta.core.audit import StateChange, object_type, record_event, transition
from consulta.core.errors import DomainError, WindowClosed
from consulta.core.i18n import local_date, local_datetime
from consulta.core.outbox import absolute_url, queue_email
from consulta.core.permissions import require
from consulta.core.windows import Window
from consulta.cycles.models import (EARLIEST_DATE, LATEST_DATE, WINDOW_CLOSED, WINDOW_OPENED, Cycle, Phase,
                                    PhaseKind, PhaseState, SectorWindow)
from consulta.extensions import db
from consulta.jurisdictions.models import Jurisdiction
from consulta.jurisdictions.services import followers

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
CODE_PATTERN = re.compile(r"^[A-Z0-9]+$")
NAME_MAX, SLUG_MAX, CODE_MAX = 160, 80, 10
# "admin" and "nuevo" name the administration pages that sit next to a cycle's own address.
RESERVED_SLUGS = frozenset({"admin", "nuevo"})
EDITABLE_FIELDS = ("name", "slug", "code", "starts_on", "ends_on")

# kind -> checks; a check takes the phase and answers None, or why the phase must stay shut.
_gates: dict[PhaseKind, list] = {}
# kind -> what other domains do when a phase of that kind opens (the consultation freezes the plan).
_on_open: dict[PhaseKind, list] = {}


def _check_actor(actor, obj) -> None:
    """`actor=None` is the system (the scheduler, the demo's bootstrap): nobody to check."""
    if actor is not None:
        require(actor, "administer", obj)


# --- cycles ---------------------------------------------------------------------------------------

def _clean_name(name) -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError("name", _("Enter the cycle's name."))
    if len(name) > NAME_MAX:
        raise DomainError("name", _("Use at most %(count)s characters.", count=NAME_MAX))
    return name


def cycle_or_404(slug: str, cycle_slug: str) -> Cycle:
    """The cycle at /j/<slug>/<cycle_slug>, or a 404 for the view that asked."""
    # Jurisdictions' slugs follow the same pattern; see jurisdiction_or_404 for why it is checked first.
    if not (SLUG_PATTERN.match(slug) and SLUG_PATTERN.match(cycle_slug)):
        abort(404)
    # Every cycle page shows its jurisdiction: read with the cycle rather than by a second query.
    return db.first_or_404(select(Cycle).join(Cycle.jurisdiction).options(contains_eager(Cycle.jurisdiction))
                           .where(Jurisdiction.slug == slug, Cycle.slug == cycle_slug))


def _address_is_free(jurisdiction, slug: str) -> bool:
    """Does /j/<jurisdiction>/<slug> reach the cycle page, rather than another domain's page?"""
    try:
        endpoint, _values = current_app.url_map.bind("localhost").match(f"/j/{jurisdiction.slug}/{slug}")
    except HTTPException:
        return False
    return endpoint == "cycles.detail"


def _check_slug(jurisdiction, slug, current: Cycle | None = None) -> str:
    slug = (slug or "").strip()
    if not SLUG_PATTERN.match(slug) or len(slug) > SLUG_MAX:
        raise DomainError("slug", _("Use lower-case letters, digits and single hyphens only, such as "
                                    "\"plan-2018-2020\" (at most %(count)s characters).", count=SLUG_MAX))
    if slug in RESERVED_SLUGS or not _address_is_free(jurisdiction, slug):
        raise DomainError("slug", _("This address is reserved: choose another."))
    taken = db.session.scalar(select(Cycle.id).where(Cycle.jurisdiction_id == jurisdiction.id, Cycle.slug == slug))
    if taken is not None and (current is None or taken != current.id):
        raise DomainError("slug", _("Another cycle of this jurisdiction already uses this address."))
    return slug


def _check_code(jurisdiction, code, current: Cycle | None = None) -> str:
    code = (code or "").strip().upper()
    if not CODE_PATTERN.match(code) or len(code) > CODE_MAX:
        raise DomainError("code", _("Use capital letters and digits only, such as \"PA4\" (at most %(count)s "
                                    "characters).", count=CODE_MAX))
    taken = db.session.scalar(select(Cycle.id).where(Cycle.jurisdiction_id == jurisdiction.id, Cycle.code == code))
    if taken is not None and (current is None or taken != current.id):
        raise DomainError("code", _("Another cycle of this jurisdiction already uses this reference prefix."))
    return code


def _check_dates(starts_on, ends_on) -> None:
    for field, value in (("starts_on", starts_on), ("ends_on", ends_on)):
        if not isinstance(value, date):
            raise DomainError(field, _("Enter a date."))
        if not EARLIEST_DATE <= value <= LATEST_DATE:
            raise DomainError(field, _("Enter a date between %(first)s and %(last)s.",
                                       first=local_date(EARLIEST_DATE), last=local_date(LATEST_DATE)))
    if ends_on < starts_on:
        raise DomainError("ends_on", _("The cycle cannot end before it starts."))


def cycle_span(cycle) -> Window:
    """The cycle's dates as a window: every phase falls inside it."""
    return windows.window_from_dates(cycle.starts_on, cycle.ends_on, cycle.jurisdiction.timezone)


@contextmanager
def _unique_or_refused():
    """Write inside a savepoint: an address or prefix a concurrent request took after the checks
    is a refusal, not a crash."""
    try:
        with db.session.begin_nested():
            yield
            db.session.flush()
    except IntegrityError:
        raise DomainError("slug", _("Another cycle of this jurisdiction already uses this address or "
                                    "reference prefix.")) from None


def create_cycle(jurisdiction, *, name, slug, code, starts_on, ends_on, actor) -> Cycle:
    """A new cycle of `jurisdiction`; `code` prefixes the references given to what it receives (PA4-0042)."""
    _check_actor(actor, jurisdiction)
    name, slug, code = _clean_name(name), _check_slug(jurisdiction, slug), _check_code(jurisdiction, code)
    _check_dates(starts_on, ends_on)
    cycle = Cycle(jurisdiction=jurisdiction, name=name, slug=slug, code=code, starts_on=starts_on, ends_on=ends_on)
    with _unique_or_refused():
        db.session.add(cycle)
    record_event(cycle, "CREATED", actor=actor)
    return cycle


def update_cycle(cycle, *, actor, **fields) -> Cycle:
    _check_actor(actor, cycle)
    if set(fields) - set(EDITABLE_FIELDS):
        raise DomainError(None, _("These details cannot be changed here."))
    changes = {}
    if "name" in fields:
        changes["name"] = _clean_name(fields["name"])
    if "slug" in fields:
        changes["slug"] = _check_slug(cycle.jurisdiction, fields["slug"], current=cycle)
    if "code" in fields:
        changes["code"] = _check_code(cycle.jurisdiction, fields["code"], current=cycle)
        if changes["code"] != cycle.code and any(phase.state != PhaseState.SCHEDULED for phase in cycle.phases):
            raise DomainError("code", _("The reference prefix cannot change once a phase has opened: "
                                        "references already given use it."))
    starts_on = fields.get("starts_on", cycle.starts_on)
    ends_on = fields.get("ends_on", cycle.ends_on)
    _check_dates(starts_on, ends_on)
    span = windows.window_from_dates(starts_on, ends_on, cycle.jurisdiction.timezone)
    for phase in cycle.phases:
        if phase.opens_at < span.opens_at:
            raise DomainError("starts_on", _("%(phase)s opens before that date: move the phase first.",
                                             phase=phase.label))
        if phase.closes_at > span.closes_at:
            raise DomainError("ends_on", _("%(phase)s closes after that date: move the phase first.",
                                           phase=phase.label))
    changes.update(starts_on=starts_on, ends_on=ends_on)
    changed = [key for key, value in changes.items() if getattr(cycle, key) != value]
    if changed:
        with _unique_or_refused():
            for key in changed:
                setattr(cycle, key, changes[key])
        record_event(cycle, "UPDATED", actor=actor, reason=", ".join(changed))
    return cycle


def cycles_of(jurisdiction) -> list[Cycle]:
    """A jurisdiction's cycles, the latest first."""
    return list(db.session.scalars(select(Cycle).where(Cycle.jurisdiction_id == jurisdiction.id)
                                   .order_by(Cycle.starts_on.desc(), Cycle.id.desc())))


# --- phases and their windows ----------------------------------------------------------------------

def window_for(phase, sector=None) -> Window | None:
    """The window that applies to `sector`: its own where the phase has a window per sector (None
    when that sector has none), the phase's otherwise."""
    if sector is None or not phase.sector_windows:
        return phase.window
    return next((own.window for own in phase.sector_windows if own.sector == sector), None)


def _sector_windows_of(phase) -> dict:
    return {own.sector: own.window for own in phase.sector_windows}


def _check_within_cycle(cycle, window: Window) -> None:
    span = cycle_span(cycle)
    if window.opens_at < span.opens_at or window.closes_at > span.closes_at:
        field = "opens_on" if window.opens_at < span.opens_at else "closes_on"
        raise DomainError(field, _("A phase falls within its cycle's dates: %(first)s to %(last)s.",
                                   first=local_date(cycle.starts_on), last=local_date(cycle.ends_on)))


def _check_order(cycle, kind: PhaseKind, window: Window) -> None:
    """Phases open in their order (they may overlap): working tables never open before intake does."""
    tz = cycle.jurisdiction.timezone
    for other in cycle.phases:
        if other.kind.order < kind.order and other.opens_at > window.opens_at:
            raise DomainError("opens_on", _("%(phase)s cannot open before %(other)s, which opens on %(when)s.",
                                            phase=kind.label, other=other.label,
                                            when=local_datetime(other.opens_at, tz)))
        if other.kind.order > kind.order and other.opens_at < window.opens_at:
            raise DomainError("opens_on", _("%(phase)s cannot open after %(other)s, which opens on %(when)s.",
                                            phase=kind.label, other=other.label,
                                            when=local_datetime(other.opens_at, tz)))


def set_phase(cycle, kind: PhaseKind, *, window: Window | None = None, actor,
              sector_windows: dict | None = None, reason: str = "") -> Phase:
    """Schedule a phase of the cycle, or change its window.

    Proposal intake may have a window per sector (the 3rd plan: public agencies 2 May–15 June,
    civil-society organisations 21 April–25 May); a sector without one then takes no part. The
    phase's own window spans them all: given, it must contain them; omitted, it is their span.
    """
    _check_actor(actor, cycle)
    sector_windows = dict(sector_windows or {})
    if sector_windows and kind != PhaseKind.INTAKE:
        raise DomainError(None, _("Only proposal intake can have a window per sector."))
    if window is None:
        if not sector_windows:
            raise DomainError("opens_on", _("Enter the phase's dates."))
        window = Window(min(own.opens_at for own in sector_windows.values()),
                        max(own.closes_at for own in sector_windows.values()))
    _check_within_cycle(cycle, window)
    for sector, own in sector_windows.items():
        if own.opens_at < window.opens_at or own.closes_at > window.closes_at:
            raise DomainError(f"{sector.value}-opens_on",
                              _("The window for %(sector)s falls within the phase's dates.", sector=sector.label))
    _check_order(cycle, kind, window)

    phase = cycle.phase(kind)
    if phase is None:
        phase = Phase(cycle=cycle, kind=kind, opens_at=window.opens_at, closes_at=window.closes_at,
                      sector_windows=[SectorWindow(sector=sector, opens_at=own.opens_at, closes_at=own.closes_at)
                                      for sector, own in sector_windows.items()])
        transition(phase, PhaseState.SCHEDULED, actor=actor, reason=(reason or "").strip())
        return phase
    if phase.window == window and _sector_windows_of(phase) == sector_windows:
        return phase
    phase.opens_at, phase.closes_at = window.opens_at, window.closes_at
    existing = {own.sector: own for own in phase.sector_windows}
    for sector, own in existing.items():
        if sector not in sector_windows:
            phase.sector_windows.remove(own)
    for sector, new in sector_windows.items():
        row = existing.get(sector) or SectorWindow(sector=sector)
        row.opens_at, row.closes_at = new.opens_at, new.closes_at
        if row not in phase.sector_windows:
            phase.sector_windows.append(row)
    db.session.flush()
    record_event(phase, "RESCHEDULED", actor=actor, reason=(reason or "").strip())
    return phase


def accepting(phase, at: datetime, sector=None) -> bool:
    """The one "is this phase taking submissions (from this sector)?": open, and inside its window."""
    return phase.state == PhaseState.OPEN and windows.is_open(window_for(phase, sector), at)


def require_accepting(phase, at: datetime, sector=None, field: str | None = None) -> None:
    """Refuse, with the reason and the local time, what `accepting` would refuse."""
    window = window_for(phase, sector)
    tz = phase.cycle.jurisdiction.timezone
    if window is None:
        raise DomainError(field, _("%(phase)s takes no part from %(sector)s in this cycle.",
                                   phase=phase.label, sector=sector.label))
    if at < window.opens_at:
        raise WindowClosed(window, tz, field, not_yet=True)
    if windows.has_closed(window, at):
        raise WindowClosed(window, tz, field)
    if phase.state == PhaseState.SCHEDULED:
        raise DomainError(field, _("%(phase)s has not opened yet.", phase=phase.label))
    if phase.state == PhaseState.CLOSED:
        raise DomainError(field, _("%(phase)s was closed before the end of its window.", phase=phase.label))


# --- gates, opening and closing ------------------------------------------------------------------

def register_gate(kind: PhaseKind, check):
    """Hold phases of `kind` shut while `check(phase)` returns a reason (a translated sentence)."""
    checks = _gates.setdefault(kind, [])
    if check not in checks:
        checks.append(check)
    return check


def on_open(kind: PhaseKind, callback):
    """Run `callback(phase, actor=...)` in the same transaction whenever a phase of `kind` opens,
    by hand or by the scheduler."""
    callbacks = _on_open.setdefault(kind, [])
    if callback not in callbacks:
        callbacks.append(callback)
    return callback


def _opened(phase, *, actor) -> None:
    for callback in _on_open.get(phase.kind, ()):
        callback(phase, actor=actor)


def held_shut(phase) -> list[str]:
    """Why the phase must stay shut (empty when every gate lets it open)."""
    return [reason for reason in (check(phase) for check in _gates.get(phase.kind, ())) if reason]


def _lock(phase) -> None:
    """Read the phase again under a row lock: an administrator and the scheduler may act at once."""
    db.session.flush()
    db.session.refresh(phase, with_for_update=True)


def _announce(phase) -> int:
    """Email every follower of the jurisdiction that the phase opened, each in their language."""
    cycle = phase.cycle
    jurisdiction = cycle.jurisdiction
    link = absolute_url("cycles.detail", slug=jurisdiction.slug, cycle_slug=cycle.slug)
    people = followers(jurisdiction)
    for person in people:
        with force_locale(person.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            queue_email(person, subject=_("%(phase)s is open: %(cycle)s", phase=phase.label, cycle=cycle.name),
                        template="cycles/email/phase_opened", phase=phase, cycle=cycle, jurisdiction=jurisdiction,
                        link=link)
    return len(people)


def _open(phase, *, actor, reason: str) -> None:
    transition(phase, PhaseState.OPEN, actor=actor, reason=reason)
    _opened(phase, actor=actor)
    _announce(phase)


def open_phase(phase, *, actor, reason: str = "") -> Phase:
    _check_actor(actor, phase)
    _lock(phase)
    if phase.state == PhaseState.OPEN:
        raise DomainError(None, _("%(phase)s is already open.", phase=phase.label))
    refusals = held_shut(phase)
    if refusals:
        raise DomainError(None, " ".join(refusals))
    # Open means "inside its window": to open earlier or again after the end, the dates change first.
    now, tz = clock.now(), phase.cycle.jurisdiction.timezone
    if now < phase.opens_at:
        raise DomainError(None, _("Its window starts on %(when)s: change the dates to open it earlier.",
                                  when=local_datetime(phase.opens_at, tz)))
    if windows.has_closed(phase.window, now):
        raise DomainError(None, _("Its window ended on %(when)s: change the dates before opening it.",
                                  when=local_datetime(phase.closes_at, tz)))
    _open(phase, actor=actor, reason=(reason or "").strip())
    return phase


def close_phase(phase, *, actor, reason: str = "") -> Phase:
    _check_actor(actor, phase)
    _lock(phase)
    if phase.state != PhaseState.OPEN:
        raise DomainError(None, _("Only an open phase can be closed."))
    transition(phase, PhaseState.CLOSED, actor=actor, reason=(reason or "").strip())
    return phase


def _describe(phase) -> str:
    return f"{phase.cycle.jurisdiction.slug}/{phase.cycle.slug} {phase.kind.value}"


def advance_phases(at: datetime, *, actor=None) -> list[str]:
    """Open the scheduled phases whose window has started and close the open ones whose window has
    ended. Meant for a scheduler every minute (`flask cycles advance`); several may run at once:
    each phase is taken under a row lock, so its followers are emailed once."""
    summary = []
    due = db.session.scalars(
        select(Phase).where(Phase.state == PhaseState.SCHEDULED, Phase.opens_at <= at)
        .order_by(Phase.opens_at, Phase.id).with_for_update(skip_locked=True)
    ).all()
    for phase in due:
        refusals = held_shut(phase)
        if refusals:
            summary.append(f"held shut: {_describe(phase)}: {' '.join(refusals)}")
        elif windows.has_closed(phase.window, at):
            # The whole window went by while nothing ran: record it honestly, announce nothing stale.
            transition(phase, PhaseState.OPEN, actor=actor, reason=WINDOW_OPENED)
            _opened(phase, actor=actor)
            transition(phase, PhaseState.CLOSED, actor=actor, reason=WINDOW_CLOSED)
            summary.append(f"opened and closed (window already over): {_describe(phase)}")
        else:
            _open(phase, actor=actor, reason=WINDOW_OPENED)
            summary.append(f"opened: {_describe(phase)}")
    ending = db.session.scalars(
        select(Phase).where(Phase.state == PhaseState.OPEN, Phase.closes_at <= at)
        .order_by(Phase.closes_at, Phase.id).with_for_update(skip_locked=True)
    ).all()
    for phase in ending:
        transition(phase, PhaseState.CLOSED, actor=actor, reason=WINDOW_CLOSED)
        summary.append(f"closed: {_describe(phase)}")
    db.session.flush()
    return summary


# --- duplication -----------------------------------------------------------------------------------

def typed_local(instant: datetime, tz: str) -> datetime:
    """The local wall-clock time an administrator typed for `instant` (naive, in `tz`).

    An instant at which the clocks jumped forward is what a typed midnight inside the jump became
    (Chile moves its clocks at midnight), so it is read on the clock before the jump.
    """
    zone = ZoneInfo(tz)
    before = (instant - timedelta(microseconds=1)).astimezone(zone).utcoffset()
    if before < instant.astimezone(zone).utcoffset():
        return instant.astimezone(timezone(before)).replace(tzinfo=None)
    return instant.astimezone(zone).replace(tzinfo=None)


def _shift_local(instant: datetime, days: int, tz: str) -> datetime:
    """The same local wall-clock time `days` later: across a DST change, 09:00 stays 09:00."""
    return windows.local_to_utc(typed_local(instant, tz) + timedelta(days=days), tz)


def _shift_window(window: Window, days: int, tz: str) -> Window:
    return Window(_shift_local(window.opens_at, days, tz), _shift_local(window.closes_at, days, tz))


def duplicate_cycle(cycle, *, name, slug, code, starts_on, actor) -> Cycle:
    """A new cycle with the same phases moved by (new start − old start), at the same local times.
    Nothing received in the original (proposals, tables, comments) is copied."""
    _check_actor(actor, cycle)
    if not isinstance(starts_on, date):
        raise DomainError("starts_on", _("Enter a date."))
    days = (starts_on - cycle.starts_on).days
    tz = cycle.jurisdiction.timezone
    # A refusal half-way (a phase past the latest date) must not leave half a copy behind.
    with db.session.begin_nested():
        copy = create_cycle(cycle.jurisdiction, name=name, slug=slug, code=code, starts_on=starts_on,
                            ends_on=cycle.ends_on + timedelta(days=days), actor=actor)
        copy.duplicated_from_id = cycle.id
        for phase in phases_in_order(cycle):
            set_phase(copy, phase.kind, window=_shift_window(phase.window, days, tz), actor=actor,
                      sector_windows={sector: _shift_window(own, days, tz)
                                      for sector, own in _sector_windows_of(phase).items()})
        db.session.flush()
    return copy


# --- reading ---------------------------------------------------------------------------------------

def phases_in_order(cycle) -> list[Phase]:
    return sorted(cycle.phases, key=lambda phase: phase.kind.order)


def public_histories(phases) -> dict[int, list[StateChange]]:
    """Each phase's public history, read in one query."""
    ids = [phase.id for phase in phases]
    rows = db.session.scalars(
        select(StateChange).where(StateChange.object_type == object_type(Phase), StateChange.object_id.in_(ids),
                                  StateChange.public.is_(True)).order_by(StateChange.id)
    ) if ids else []
    histories = {phase_id: [] for phase_id in ids}
    for row in rows:
        histories[row.object_id].append(row)
    return histories


def open_now(limit: int = 12) -> list[Phase]:
    """The phases taking submissions right now, across jurisdictions, the soonest to close first."""
    now = clock.now()
    candidates = db.session.scalars(
        select(Phase).where(Phase.state == PhaseState.OPEN)
        .options(joinedload(Phase.cycle).joinedload(Cycle.jurisdiction))
        .order_by(Phase.closes_at, Phase.id)
    ).unique()
    return [phase for phase in candidates if accepting(phase, now)][:limit]


def home_section() -> dict:
    return {"open_phases": open_now()}
