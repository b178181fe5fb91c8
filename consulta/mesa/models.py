"""The Mesa de Gobierno Abierto: the multistakeholder forum of a jurisdiction, its seats, its
meetings, the observations its members make on the plan, the acts that approve one frozen version
of it, and the publications of the approved plan.

Chile's forum was formalised by Resolución Exenta N° 852 of 31 July 2017: the Subsecretario General
de la Presidencia (or a delegate) chairs it, with one representative each of civil society,
academia and an international organisation.
"""
import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consulta.core import clock
from consulta.core.models import TimestampMixin
from consulta.core.storage import StoredFile
from consulta.extensions import db


class MesaSector(enum.Enum):
    """Whom a seat represents."""

    GOVERNMENT = "government"
    CIVIL_SOCIETY = "civil_society"
    ACADEMIA = "academia"
    INTERNATIONAL = "international"
    PRIVATE_SECTOR = "private_sector"

    @property
    def label(self):
        return SECTOR_LABELS[self]


SECTOR_LABELS = {
    MesaSector.GOVERNMENT: _l("Government"),
    MesaSector.CIVIL_SOCIETY: _l("Civil-society organisations"),
    MesaSector.ACADEMIA: _l("Academia"),
    MesaSector.INTERNATIONAL: _l("International organisation"),
    MesaSector.PRIVATE_SECTOR: _l("Private sector"),
}


class MesaForum(TimestampMixin, db.Model):
    """A jurisdiction's Mesa: the act that formalised it and its public rules of participation."""

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    act_number: Mapped[str] = mapped_column(String(120))
    act_date: Mapped[date]
    # Rules of participation, as sanitised HTML (core.sanitize.clean_html).
    rules_html: Mapped[str] = mapped_column(Text, default="")
    document_key: Mapped[str | None] = mapped_column(String(64))
    document_type: Mapped[str | None] = mapped_column(String(60))
    document_size: Mapped[int | None]
    document_name: Mapped[str | None] = mapped_column(String(200))

    jurisdiction = relationship("Jurisdiction")
    seats: Mapped[list["MesaSeat"]] = relationship(back_populates="forum", order_by="MesaSeat.id")
    meetings: Mapped[list["MesaMeeting"]] = relationship(
        back_populates="forum", order_by=lambda: (MesaMeeting.held_on.desc(), MesaMeeting.id.desc()))

    @property
    def document(self) -> StoredFile | None:
        if self.document_key is None:
            return None
        return StoredFile(self.document_key, self.document_type, self.document_size, self.document_name)


class SeatState(enum.Enum):
    ACTIVE = "active"
    ENDED = "ended"


# History rows keep codes; pages translate them with this table (states and recorded events).
MESA_LABELS = {
    "ACTIVE": _l("Designated"),
    "ENDED": _l("Term ended"),
    "CREATED": _l("Created"),
    "EDITED": _l("Edited"),
    "AWAITING_CONFIRMATION": _l("Recorded, awaiting the members' confirmation"),
    "IN_FORCE": _l("Confirmed by every member present: in force"),
    "VOIDED": _l("Voided"),
    "CONFIRMED_BY": _l("Confirmed by a member"),
    "OPEN": _l("Recorded"),
    "ANSWERED": _l("Answered"),
    "PUBLISHED": _l("Published"),
}


class MesaSeat(TimestampMixin, db.Model):
    """One person holding a seat of the forum for a term. A new holder is a new row: the ended
    ones are the past compositions."""

    TRANSITIONS = {None: {SeatState.ACTIVE}, SeatState.ACTIVE: {SeatState.ENDED}}

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(ForeignKey("mesa_forum.id"), index=True)
    sector: Mapped[MesaSector]
    chairs: Mapped[bool] = mapped_column(default=False)
    # The person's account: their display name is public, their contact data is not.
    holder_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    # The body the person represents ("Red Chilena de Gobierno Abierto"), public.
    organisation: Mapped[str] = mapped_column(String(200), default="")
    designated_on: Mapped[date]
    # How the person was designated ("designado por el Subsecretario", "elegido por las OSC").
    designation: Mapped[str] = mapped_column(Text)
    ends_on: Mapped[date | None]
    state: Mapped[SeatState | None]

    forum: Mapped[MesaForum] = relationship(back_populates="seats")
    holder = relationship("User")

    __table_args__ = (
        CheckConstraint("ends_on IS NULL OR ends_on >= designated_on", name="term_in_order"),
        # One chair at a time.
        Index("uq_mesa_seat_active_chair", "forum_id", unique=True,
              sqlite_where=text("chairs AND state = 'ACTIVE'"),
              postgresql_where=text("chairs AND state = 'ACTIVE'")),
    )

    @property
    def jurisdiction(self):
        return self.forum.jurisdiction

    def held_on(self, day: date) -> bool:
        """Did this term cover `day`?"""
        return self.designated_on <= day and (self.ends_on is None or day <= self.ends_on)


meeting_seat = db.Table(
    "mesa_meeting_seat",
    db.Column("meeting_id", ForeignKey("mesa_meeting.id"), primary_key=True),
    db.Column("seat_id", ForeignKey("mesa_seat.id"), primary_key=True),
)


class MesaMeeting(TimestampMixin, db.Model):
    """A session of the forum: public, with its agenda, the seats present, minutes and decisions."""

    id: Mapped[int] = mapped_column(primary_key=True)
    forum_id: Mapped[int] = mapped_column(ForeignKey("mesa_forum.id"), index=True)
    # The cycle whose plan it dealt with, if any (acts on a plan need one).
    cycle_id: Mapped[int | None] = mapped_column(ForeignKey("cycle.id"), index=True)
    held_on: Mapped[date]
    agenda: Mapped[str] = mapped_column(Text)
    minutes: Mapped[str] = mapped_column(Text)
    decisions: Mapped[str] = mapped_column(Text, default="")

    forum: Mapped[MesaForum] = relationship(back_populates="meetings")
    cycle = relationship("Cycle")
    present: Mapped[list[MesaSeat]] = relationship(secondary=meeting_seat, order_by="MesaSeat.id")
    acts: Mapped[list["MesaAct"]] = relationship(back_populates="meeting", order_by="MesaAct.id")

    @property
    def jurisdiction(self):
        return self.forum.jurisdiction


class Decision(enum.Enum):
    APPROVED = "approved"
    APPROVED_WITH_OBSERVATIONS = "approved_with_observations"
    RETURNED = "returned"

    @property
    def label(self):
        return DECISION_LABELS[self]

    @property
    def approves(self) -> bool:
        return self is not Decision.RETURNED


DECISION_LABELS = {
    Decision.APPROVED: _l("Approved"),
    Decision.APPROVED_WITH_OBSERVATIONS: _l("Approved with observations"),
    Decision.RETURNED: _l("Returned to the moderators"),
}


class Vote(enum.Enum):
    FOR = "for"
    AGAINST = "against"
    ABSTAINING = "abstaining"

    @property
    def label(self):
        return VOTE_LABELS[self]


VOTE_LABELS = {Vote.FOR: _l("For"), Vote.AGAINST: _l("Against"), Vote.ABSTAINING: _l("Abstaining")}


class ActState(enum.Enum):
    # Recorded by the secretariat; takes effect once every member present has confirmed it.
    AWAITING_CONFIRMATION = "awaiting_confirmation"
    IN_FORCE = "in_force"
    # Recorded in error; kept, with the reason.
    VOIDED = "voided"

    @property
    def label(self):
        return MESA_LABELS[self.name]


class MesaAct(TimestampMixin, db.Model):
    """The forum's decision on one frozen version of the plan, recorded in a meeting."""

    TRANSITIONS = {
        None: {ActState.AWAITING_CONFIRMATION},
        ActState.AWAITING_CONFIRMATION: {ActState.IN_FORCE, ActState.VOIDED},
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("mesa_meeting.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("plan_version.id"), index=True)
    decision: Mapped[Decision]
    # Dissenting opinions, as they go into the minutes (plain text).
    dissent: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[ActState | None]
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    meeting: Mapped[MesaMeeting] = relationship(back_populates="acts")
    version = relationship("PlanVersion")
    votes: Mapped[list["MesaActVote"]] = relationship(back_populates="act", order_by="MesaActVote.seat_id")
    confirmations: Mapped[list["MesaActConfirmation"]] = relationship(back_populates="act",
                                                                  order_by="MesaActConfirmation.id")

    __table_args__ = (
        # One live act per version: an act for it is voided before another is recorded.
        Index("uq_mesa_act_live_version", "version_id", unique=True,
              sqlite_where=text("state != 'VOIDED'"), postgresql_where=text("state != 'VOIDED'")),
    )

    @property
    def jurisdiction(self):
        return self.meeting.jurisdiction

    @property
    def cycle(self):
        return self.version.cycle

    @property
    def in_force(self) -> bool:
        return self.state is ActState.IN_FORCE

    def tally(self) -> dict[Vote, int]:
        counts = dict.fromkeys(Vote, 0)
        for row in self.votes:
            counts[row.vote] += 1
        return counts


class MesaActVote(db.Model):
    act_id: Mapped[int] = mapped_column(ForeignKey("mesa_act.id"), primary_key=True)
    seat_id: Mapped[int] = mapped_column(ForeignKey("mesa_seat.id"), primary_key=True)
    vote: Mapped[Vote]

    act: Mapped[MesaAct] = relationship(back_populates="votes")
    seat: Mapped[MesaSeat] = relationship()


class MesaActConfirmation(db.Model):
    """A member present confirming the act from their own account."""

    id: Mapped[int] = mapped_column(primary_key=True)
    act_id: Mapped[int] = mapped_column(ForeignKey("mesa_act.id"))
    seat_id: Mapped[int] = mapped_column(ForeignKey("mesa_seat.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    confirmed_at: Mapped[datetime] = mapped_column(default=clock.now)

    act: Mapped[MesaAct] = relationship(back_populates="confirmations")
    seat: Mapped[MesaSeat] = relationship()

    __table_args__ = (UniqueConstraint("act_id", "seat_id"),)


class ObservationState(enum.Enum):
    OPEN = "open"
    ANSWERED = "answered"

    @property
    def label(self):
        return MESA_LABELS[self.name]


class MesaObservation(TimestampMixin, db.Model):
    """A member's observation on a frozen version of the plan, or on one commitment of it, and the
    moderators' answer. Both become public when the plan is published."""

    TRANSITIONS = {None: {ObservationState.OPEN}, ObservationState.OPEN: {ObservationState.ANSWERED}}

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("plan_version.id"), index=True)
    # The commitment's number in that version; None: the plan as a whole.
    commitment_number: Mapped[int | None]
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    body: Mapped[str] = mapped_column(Text)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    answered_at: Mapped[datetime | None]
    state: Mapped[ObservationState | None]

    version = relationship("PlanVersion")
    author = relationship("User", foreign_keys=[author_id])

    __table_args__ = (
        CheckConstraint("(state = 'ANSWERED') = (answer IS NOT NULL)", name="answered_has_answer"),
    )

    @property
    def cycle(self):
        return self.version.cycle

    @property
    def jurisdiction(self):
        return self.version.cycle.jurisdiction


class PlanPublication(db.Model):
    """An approved version of the plan made public. A later one (a correction) says why; the
    earlier ones stay readable."""

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("plan_version.id"), unique=True)
    act_id: Mapped[int] = mapped_column(ForeignKey("mesa_act.id"))
    # Empty for the first publication; a correction's public reason otherwise.
    reason: Mapped[str] = mapped_column(Text, default="")
    published_at: Mapped[datetime] = mapped_column(default=clock.now)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    cycle = relationship("Cycle")
    version = relationship("PlanVersion")
    act: Mapped[MesaAct] = relationship()

    @property
    def jurisdiction(self):
        return self.cycle.jurisdiction
