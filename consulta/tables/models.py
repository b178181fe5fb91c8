"""Working tables (mesas de trabajo), the people registered for them, and who came.

The seats are counted by `WorkingTable.seats_taken`, which only conditional UPDATEs change (see
services.py): the database, not a count read beforehand, decides whether a seat is free. A test
proves the counter equal to a recount of confirmed registrations.
"""
import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consulta.core import clock
from consulta.core.models import TimestampMixin
from consulta.core.sectors import Sector
from consulta.core.windows import Window
from consulta.extensions import db
from consulta.jurisdictions.regions import Region

MAX_CAPACITY = 2000


class TableState(enum.Enum):
    SCHEDULED = "scheduled"
    # Took place: minutes written and the table closed. Only these count as "mesas de trabajo".
    CLOSED = "closed"


class RegistrationState(enum.Enum):
    CONFIRMED = "confirmed"
    WAITING = "waiting"
    CANCELLED = "cancelled"


# History codes (states and events) as pages show them.
HISTORY_LABELS = {
    "SCHEDULED": _l("Table created"),
    "CLOSED": _l("Table closed with its minutes"),
    "CAPACITY": _l("Capacity changed"),
    "MINUTES": _l("Minutes written"),
    "CONFIRMED": _l("Seat confirmed"),
    "WAITING": _l("On the waiting list"),
    "CANCELLED": _l("Cancelled"),
    "CREATED": _l("Created"),
    "ASSIGNED": _l("Proposal assigned to the table"),
    "MOVED": _l("Proposal moved to another table"),
}


class WorkingTable(TimestampMixin, db.Model):
    TRANSITIONS = {
        None: {TableState.SCHEDULED},
        TableState.SCHEDULED: {TableState.CLOSED},
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"), index=True)
    area: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    # The venue's IANA zone: every time of the table is shown in it.
    venue_timezone: Mapped[str] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(200))
    commune: Mapped[str | None] = mapped_column(String(80))
    region: Mapped[Region | None]
    online_link: Mapped[str | None] = mapped_column(String(500))
    accessibility_notes: Mapped[str] = mapped_column(Text, default="")
    capacity: Mapped[int]
    # Maintained by conditional UPDATEs only; may exceed capacity after capacity is lowered.
    seats_taken: Mapped[int] = mapped_column(default=0)
    # Waiting-list tickets issued so far: the next person waiting gets waitlist_issued + 1.
    waitlist_issued: Mapped[int] = mapped_column(default=0)
    registration_opens_at: Mapped[datetime]
    registration_closes_at: Mapped[datetime]
    minutes: Mapped[str] = mapped_column(Text, default="")
    # One organisation per line, as the moderator recorded them with the minutes.
    organisations_present: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[TableState | None]

    cycle = relationship("Cycle")
    registrations: Mapped[list["Registration"]] = relationship(back_populates="table",
                                                               order_by="Registration.id")

    __table_args__ = (
        CheckConstraint(f"capacity BETWEEN 1 AND {MAX_CAPACITY}", name="capacity_in_range"),
        CheckConstraint("seats_taken >= 0", name="seats_taken_not_negative"),
        CheckConstraint("waitlist_issued >= 0", name="waitlist_issued_not_negative"),
        CheckConstraint("ends_at > starts_at", name="times_in_order"),
        CheckConstraint("registration_closes_at > registration_opens_at", name="window_in_order"),
        CheckConstraint("address IS NOT NULL OR online_link IS NOT NULL", name="has_place"),
        CheckConstraint("online_link IS NULL OR online_link LIKE 'http://%' OR online_link LIKE 'https://%'",
                        name="online_link_is_web"),
        CheckConstraint("state <> 'CLOSED' OR minutes <> ''", name="closed_has_minutes"),
    )

    @property
    def jurisdiction(self):
        return self.cycle.jurisdiction

    @property
    def registration_window(self) -> Window:
        return Window(self.registration_opens_at, self.registration_closes_at)

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.seats_taken, 0)

    @property
    def is_closed(self) -> bool:
        return self.state == TableState.CLOSED

    @property
    def organisations_present_list(self) -> list[str]:
        return [line for line in self.organisations_present.splitlines() if line.strip()]


class Registration(TimestampMixin, db.Model):
    """One person's place at a table: confirmed, waiting (with a ticket), or cancelled."""

    TRANSITIONS = {
        None: {RegistrationState.CONFIRMED, RegistrationState.WAITING},
        RegistrationState.WAITING: {RegistrationState.CONFIRMED, RegistrationState.CANCELLED},
        RegistrationState.CONFIRMED: {RegistrationState.CANCELLED},
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    table_id: Mapped[int] = mapped_column(ForeignKey("working_table.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    sector: Mapped[Sector]
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    # Accessibility needs: private, read by the table's moderators only.
    needs: Mapped[str] = mapped_column(Text, default="")
    # Short code read out or shown at the door.
    code: Mapped[str] = mapped_column(String(8), unique=True)
    # Order on the waiting list; the position shown is the rank among those still waiting.
    waitlist_ticket: Mapped[int | None]
    reminded_at: Mapped[datetime | None]
    state: Mapped[RegistrationState | None]

    table: Mapped[WorkingTable] = relationship(back_populates="registrations")
    user = relationship("User")
    organisation = relationship("Organisation")
    check_in: Mapped["CheckIn | None"] = relationship(back_populates="registration")

    __table_args__ = (
        # One live registration per person and table; cancelled ones stay as history.
        Index("uq_registration_live", "table_id", "user_id", unique=True,
              sqlite_where=text("state IN ('CONFIRMED', 'WAITING')"),
              postgresql_where=text("state IN ('CONFIRMED', 'WAITING')")),
        UniqueConstraint("table_id", "waitlist_ticket"),
        CheckConstraint("state <> 'WAITING' OR waitlist_ticket IS NOT NULL", name="waiting_has_ticket"),
        CheckConstraint("(sector = 'CIUDADANIA') = (organisation_id IS NULL)", name="sector_matches_organisation"),
    )


class CheckIn(db.Model):
    """One person present at a table: a registered person, or a walk-in with a name."""

    id: Mapped[int] = mapped_column(primary_key=True)
    table_id: Mapped[int] = mapped_column(ForeignKey("working_table.id"), index=True)
    registration_id: Mapped[int | None] = mapped_column(ForeignKey("registration.id"), unique=True)
    # The registered person, repeated here so that the database refuses a second check-in.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    walk_in_name: Mapped[str | None] = mapped_column(String(120))
    organisation_name: Mapped[str | None] = mapped_column(String(200))
    checked_in_at: Mapped[datetime] = mapped_column(default=clock.now)
    checked_in_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    table: Mapped[WorkingTable] = relationship()
    registration: Mapped[Registration | None] = relationship(back_populates="check_in")

    __table_args__ = (
        UniqueConstraint("table_id", "user_id"),
        CheckConstraint("(registration_id IS NULL) = (walk_in_name IS NOT NULL)", name="registered_or_walk_in"),
        CheckConstraint("(registration_id IS NULL) = (user_id IS NULL)", name="registered_has_person"),
    )


class TableProposal(db.Model):
    """A proposal assigned to a table (each proposal to one table at most), and whether the table
    discussed it. It lives here, not on the proposal, so that intake knows nothing of tables."""

    id: Mapped[int] = mapped_column(primary_key=True)
    table_id: Mapped[int] = mapped_column(ForeignKey("working_table.id"), index=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), unique=True)
    discussed: Mapped[bool] = mapped_column(default=False)
    assigned_at: Mapped[datetime] = mapped_column(default=clock.now)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    table: Mapped[WorkingTable] = relationship()
    proposal = relationship("Proposal")
