import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consulta.core.models import TimestampMixin
from consulta.core.sectors import Sector
from consulta.core.windows import Window
from consulta.extensions import db


# The dates an action plan's cycle can sensibly take; outside them a typo (year 20188) is likelier.
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2099, 12, 31)


class PhaseKind(enum.Enum):
    """The phases of a cycle, in the order they happen."""

    INTAKE = "intake"
    TABLES = "tables"
    SYSTEMATISATION = "systematisation"
    CONSULTATION = "consultation"
    MESA_REVIEW = "mesa_review"
    PUBLICATION = "publication"
    IMPLEMENTATION = "implementation"

    @property
    def label(self):
        return PHASE_LABELS[self]

    @property
    def slug(self) -> str:
        """The phase's name in its admin pages' addresses (Spanish, like every path)."""
        return PHASE_SLUGS[self]

    @property
    def order(self) -> int:
        return list(PhaseKind).index(self)


PHASE_SLUGS = {
    PhaseKind.INTAKE: "recepcion",
    PhaseKind.TABLES: "mesas",
    PhaseKind.SYSTEMATISATION: "sistematizacion",
    PhaseKind.CONSULTATION: "consulta-publica",
    PhaseKind.MESA_REVIEW: "revision-mesa",
    PhaseKind.PUBLICATION: "publicacion",
    PhaseKind.IMPLEMENTATION: "implementacion",
}

PHASE_LABELS = {
    PhaseKind.INTAKE: _l("Proposal intake"),
    PhaseKind.TABLES: _l("Working tables"),
    PhaseKind.SYSTEMATISATION: _l("Systematisation"),
    PhaseKind.CONSULTATION: _l("Public consultation"),
    PhaseKind.MESA_REVIEW: _l("Review by the Mesa"),
    PhaseKind.PUBLICATION: _l("Publication"),
    PhaseKind.IMPLEMENTATION: _l("Implementation"),
}


class PhaseState(enum.Enum):
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"


PHASE_STATE_LABELS = {"SCHEDULED": _l("Scheduled"), "OPEN": _l("Open"), "CLOSED": _l("Closed"),
                      "CREATED": _l("Created"), "RESCHEDULED": _l("Dates changed"), "UPDATED": _l("Details changed"),
                      "DUPLICATED": _l("Created as a copy of another cycle")}

# Reasons recorded by the system rather than typed by a person: history keeps the code, pages translate it.
WINDOW_OPENED = "window opened"
WINDOW_CLOSED = "window closed"
SYSTEM_REASON_LABELS = {WINDOW_OPENED: _l("Its window opened."), WINDOW_CLOSED: _l("Its window closed.")}


class Cycle(TimestampMixin, db.Model):
    """One action plan's co-creation cycle in a jurisdiction ("4to Plan de Acción 2018-2020")."""

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"), index=True)
    name: Mapped[str] = mapped_column(String(160))
    slug: Mapped[str] = mapped_column(String(80))
    # Prefix of the reference codes given to what is received in the cycle (PA4-0042).
    code: Mapped[str] = mapped_column(String(10))
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    duplicated_from_id: Mapped[int | None] = mapped_column(ForeignKey("cycle.id"))

    jurisdiction = relationship("Jurisdiction")
    duplicated_from: Mapped["Cycle | None"] = relationship(remote_side=[id])
    phases: Mapped[list["Phase"]] = relationship(back_populates="cycle", order_by="Phase.opens_at")

    __table_args__ = (
        UniqueConstraint("jurisdiction_id", "slug"),
        UniqueConstraint("jurisdiction_id", "code"),
        CheckConstraint("ends_on >= starts_on", name="dates_in_order"),
    )

    def phase(self, kind: PhaseKind) -> "Phase | None":
        return next((phase for phase in self.phases if phase.kind == kind), None)


class Phase(TimestampMixin, db.Model):
    TRANSITIONS = {
        None: {PhaseState.SCHEDULED},
        PhaseState.SCHEDULED: {PhaseState.OPEN},
        PhaseState.OPEN: {PhaseState.CLOSED},
        PhaseState.CLOSED: {PhaseState.OPEN},
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"))
    kind: Mapped[PhaseKind]
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    state: Mapped[PhaseState | None]

    cycle: Mapped[Cycle] = relationship(back_populates="phases")
    # Read with the phases in one more statement, however many phases a page asks "open?" about.
    sector_windows: Mapped[list["SectorWindow"]] = relationship(back_populates="phase", lazy="selectin",
                                                                 cascade="all, delete-orphan")

    __table_args__ = (
        UniqueConstraint("cycle_id", "kind"),
        CheckConstraint("closes_at > opens_at", name="window_in_order"),
    )

    @property
    def window(self) -> Window:
        return Window(self.opens_at, self.closes_at)

    @property
    def label(self):
        return self.kind.label


class SectorWindow(db.Model):
    """An intake window for one sector, where sectors do not share the phase's window."""

    id: Mapped[int] = mapped_column(primary_key=True)
    phase_id: Mapped[int] = mapped_column(ForeignKey("phase.id"))
    sector: Mapped[Sector]
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime]

    phase: Mapped[Phase] = relationship(back_populates="sector_windows")

    __table_args__ = (
        UniqueConstraint("phase_id", "sector"),
        CheckConstraint("closes_at > opens_at", name="window_in_order"),
    )

    @property
    def window(self) -> Window:
        return Window(self.opens_at, self.closes_at)
