"""Evolución del proceso: a jurisdiction's cycles side by side, computed from the records.

No figure is defined here. Each comes from the domain that owns it, through that domain's grouped
query for several cycles (next to its one definition, sharing its filter):

    proposals.tallies_by_cycle      "propuestas recibidas" per sector, area and channel
    triage.coverage_by_cycle        answered with a final reasoned response
    tables.attendance_by_cycle      "mesas de trabajo" (held) and "asistentes" (check-ins)
    consultation.received_by_target "comentarios recibidos en la consulta pública"
    commitments.plan_by_cycle       the plan's commitments and the proposals they came from

so the comparison page runs the same handful of statements whatever the number of records.

    comparison(jurisdiction) -> Comparison
    held_tables(cycle), attended_tables(cycle), comments(cycle), commitments_from_proposals(cycle)
        the records behind a figure, for the pages its links open

A cycle's records as files are in `opendata` (datasets, ZIP and README), its news in `feed` (Atom).
"""
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from consulta.commitments import services as commitments
from consulta.commitments.models import Commitment
from consulta.consultation import services as consultation
from consulta.core import clock
from consulta.core.sectors import Sector
from consulta.cycles.models import Cycle, Phase, PhaseKind
from consulta.cycles.services import typed_local, window_for
from consulta.extensions import db
from consulta.proposals import services as proposals
from consulta.proposals.models import Channel, ThematicArea
from consulta.tables import services as tables
from consulta.triage import services as triage


@dataclass
class IntakeWindow:
    """An intake window as the seed writes it: a sector (None: every sector) and local first and last days."""

    sector: Sector | None
    first_day: date
    last_day: date


@dataclass
class ChannelUse:
    channel: Channel
    count: int
    sectors: list


@dataclass
class CycleFigures:
    cycle: Cycle
    windows: list = field(default_factory=list)
    channels: list = field(default_factory=list)
    proposals: int = 0
    by_sector: list = field(default_factory=list)
    by_area: list = field(default_factory=list)
    answered: int = 0
    tables: list = field(default_factory=list)  # (WorkingTable, held, check-ins), every table of the cycle
    comments: int = 0
    comments_by_target: list = field(default_factory=list)  # (Commitment or None for the plan, count)
    commitments: list = field(default_factory=list)  # (Commitment, origins)

    @property
    def held(self) -> list:
        return [(table, checked_in) for table, held, checked_in in self.tables if held]

    @property
    def attendees(self) -> int:
        return sum(checked_in for _table, _held, checked_in in self.tables)

    @property
    def answered_share(self) -> float | None:
        return self.answered / self.proposals if self.proposals else None

    @property
    def from_proposals(self) -> list:
        return [commitment for commitment, origins in self.commitments if origins]

    # Charts: (label, value) rows.
    @property
    def sector_chart(self) -> list:
        return [(sector.label, count) for sector, count in self.by_sector]

    @property
    def area_chart(self) -> list:
        return [(area.name, count) for area, count in self.by_area]

    @property
    def attendance_chart(self) -> list:
        return [(table.title, checked_in) for table, _held, checked_in in self.tables]

    @property
    def comments_chart(self) -> list:
        return [(_("N° %(number)s %(name)s", number=commitment.number, name=commitment.name) if commitment
                 else _("The plan as a whole"), count) for commitment, count in self.comments_by_target]

    @property
    def records(self) -> int:
        """The records these figures were counted from: proposals, tables, check-ins, comments, commitments."""
        return self.proposals + len(self.tables) + self.attendees + self.comments + len(self.commitments)


@dataclass
class Comparison:
    jurisdiction: object
    cycles: list
    computed_at: datetime

    def beside(self, name: str) -> list:
        """(cycle name, figure) per cycle, for a chart of cycle beside cycle."""
        return [(figures.cycle.name, getattr(figures, name)) for figures in self.cycles]

    @property
    def records(self) -> int:
        return sum(figures.records for figures in self.cycles)


def local_days(window, tz: str) -> tuple[date, date]:
    """A window's first and last local days (a window closing at midnight ends the day before)."""
    closes = typed_local(window.closes_at, tz)
    last = closes.date() - timedelta(days=1) if closes.time() == time.min else closes.date()
    return typed_local(window.opens_at, tz).date(), last


def intake_windows(cycle) -> list[IntakeWindow]:
    """The cycle's configured intake windows, per sector where sectors have their own, earliest first."""
    phase = cycle.phase(PhaseKind.INTAKE)
    if phase is None:
        return []
    tz = cycle.jurisdiction.timezone
    if not phase.sector_windows:
        return [IntakeWindow(None, *local_days(window_for(phase), tz))]
    return [IntakeWindow(own.sector, *local_days(window_for(phase, own.sector), tz))
            for own in sorted(phase.sector_windows, key=lambda own: (own.opens_at, list(Sector).index(own.sector)))]


def _cycles_of(jurisdiction) -> list[Cycle]:
    """Oldest first, as the seed's table reads; phases and sector windows in the same statement."""
    return list(db.session.scalars(
        select(Cycle).where(Cycle.jurisdiction_id == jurisdiction.id)
        .options(joinedload(Cycle.phases).joinedload(Phase.sector_windows))
        .order_by(Cycle.starts_on, Cycle.id)).unique())


def comparison(jurisdiction) -> Comparison:
    cycles = _cycles_of(jurisdiction)
    ids = [cycle.id for cycle in cycles]
    figures = {cycle.id: CycleFigures(cycle, windows=intake_windows(cycle)) for cycle in cycles}
    _fill(figures)
    return Comparison(jurisdiction, [figures[cycle_id] for cycle_id in ids], clock.now())


def _fill(figures) -> None:
    """Every figure of these cycles, one grouped statement per owning domain."""
    ids = list(figures)
    if ids:
        _add_proposals(figures, ids)
        for cycle_id, tally in triage.coverage_by_cycle(ids).items():
            figures[cycle_id].answered = tally.answered
        for table, held, checked_in in tables.attendance_by_cycle(ids):
            figures[table.cycle_id].tables.append((table, held, checked_in))
        for commitment, origins in commitments.plan_by_cycle(ids):
            figures[commitment.cycle_id].commitments.append((commitment, origins))
        _add_comments(figures, ids)


def _add_proposals(figures, ids) -> None:
    sectors, areas_seen, channels = defaultdict(int), defaultdict(int), defaultdict(int)
    channel_sectors = defaultdict(set)
    for cycle_id, sector, area_id, channel, count in proposals.tallies_by_cycle(ids):
        figures[cycle_id].proposals += count
        sectors[cycle_id, sector] += count
        areas_seen[area_id] += count
        channels[cycle_id, channel] += count
        channel_sectors[cycle_id, channel].add(sector)
    areas = db.session.scalars(select(ThematicArea).where(ThematicArea.cycle_id.in_(ids))
                               .order_by(ThematicArea.position, ThematicArea.id))
    for area in areas:
        figures[area.cycle_id].by_area.append((area, areas_seen.get(area.id, 0)))
    for cycle_id, own in figures.items():
        own.by_sector = [(sector, sectors.get((cycle_id, sector), 0)) for sector in Sector]
        own.channels = [ChannelUse(channel, channels[cycle_id, channel],
                                   [sector for sector in Sector if sector in channel_sectors[cycle_id, channel]])
                        for channel in Channel if channels.get((cycle_id, channel))]


def _add_comments(figures, ids) -> None:
    by_id = {commitment.id: commitment for own in figures.values() for commitment, _origins in own.commitments}
    for cycle_id, kind, target_id, count in consultation.received_by_target(ids):
        own = figures[cycle_id]
        own.comments += count
        own.comments_by_target.append((by_id.get(target_id) if kind == "commitment" else None, count))
    for own in figures.values():
        own.comments_by_target.sort(key=lambda row: (row[0] is not None, row[0].number if row[0] else 0))


# --- the records behind a figure -----------------------------------------------------------------

def held_tables(cycle) -> list[tuple]:
    """The tables `tables_held` counts, with their check-ins."""
    return [(table, checked_in) for table, held, checked_in in tables.attendance_by_cycle([cycle.id]) if held]


def attended_tables(cycle) -> list[tuple]:
    """Every table of the cycle with its check-ins, the rows `attendees` sums."""
    return [(table, checked_in) for table, _held, checked_in in tables.attendance_by_cycle([cycle.id])]


def comments(cycle):
    """The SELECT of the comments `received_count` counts."""
    return consultation.received(cycle)


def commitments_from_proposals(cycle) -> list[tuple[Commitment, int]]:
    return [(commitment, origins) for commitment, origins in commitments.plan_by_cycle([cycle.id]) if origins]


# --- every jurisdiction ---------------------------------------------------------------------------

SORTS = {
    "region": None,  # north to south, as `ordered_jurisdictions` gives them
    "nombre": lambda row: row.jurisdiction.name.casefold(),
    "propuestas": lambda row: -(row.figures.proposals if row.figures else -1),
    "asistentes": lambda row: -(row.figures.attendees if row.figures else -1),
    "comentarios": lambda row: -(row.figures.comments if row.figures else -1),
}


@dataclass
class OverviewRow:
    jurisdiction: object
    figures: CycleFigures | None  # of its current cycle: the latest to have started

    @property
    def phase(self):
        """The phase open now, else the last that opened."""
        if self.figures is None:
            return None
        now = clock.now()
        started = [phase for phase in self.figures.cycle.phases if phase.opens_at <= now]
        return next((phase for phase in started if phase.closes_at > now), started[-1] if started else None)


def overview(sort: str = "region") -> list[OverviewRow]:
    """Every jurisdiction with its current cycle's figures, the same statements however many there are."""
    from consulta.jurisdictions import services as jurisdictions

    ordered = jurisdictions.ordered_jurisdictions()
    latest = {}
    for cycle in db.session.scalars(select(Cycle).where(Cycle.starts_on <= clock.now().date())
                                    .options(joinedload(Cycle.phases).joinedload(Phase.sector_windows))
                                    .order_by(Cycle.starts_on, Cycle.id)).unique():
        latest[cycle.jurisdiction_id] = cycle
    figures = {cycle.id: CycleFigures(cycle) for cycle in latest.values()}
    _fill(figures)
    rows = [OverviewRow(j, figures.get(latest[j.id].id) if j.id in latest else None) for j in ordered]
    key = SORTS.get(sort)
    return sorted(rows, key=key) if key else rows
