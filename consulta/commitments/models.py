"""Commitments of a cycle's action plan, their activities, the proposals they came from, and the
frozen versions of the plan.

The plan of a cycle is the set of its commitments in the plan. A `PlanVersion` freezes the text of
every one of them at a moment (version 1: the draft put to public consultation), so that comments
quote text that never moves; later changes make a new version.
"""
import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consulta.core import clock
from consulta.core.models import TimestampMixin
from consulta.extensions import db
from consulta.proposals.models import OgpValue


class CommitmentState(enum.Enum):
    IN_PLAN = "in_plan"
    # Taken out of the draft (merged into another, or dropped after the consultation): kept, not counted.
    WITHDRAWN = "withdrawn"

    @property
    def label(self):
        return COMMITMENT_LABELS[self.name]


# History rows keep codes; pages translate them with this table (states and recorded events).
COMMITMENT_LABELS = {
    "IN_PLAN": _l("In the plan"),
    "WITHDRAWN": _l("Taken out of the plan"),
    "CREATED": _l("Created"),
    "EDITED": _l("Edited"),
    "PROPOSAL_LINKED": _l("Proposal linked"),
}


class Commitment(TimestampMixin, db.Model):
    """A commitment of the plan ("Compromiso N° 4"), with the fields of the seed and of OGP."""

    TRANSITIONS = {
        None: {CommitmentState.IN_PLAN},
        CommitmentState.IN_PLAN: {CommitmentState.WITHDRAWN},
        CommitmentState.WITHDRAWN: {CommitmentState.IN_PLAN},
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"), index=True)
    number: Mapped[int]
    name: Mapped[str] = mapped_column(String(300))
    state: Mapped[CommitmentState | None]
    area_id: Mapped[int] = mapped_column(ForeignKey("thematic_area.id"))
    entity_id: Mapped[int] = mapped_column(ForeignKey("entity.id"))
    # Institutions that support the responsible entity, as the plan names them (free text).
    supporting: Mapped[str] = mapped_column(Text, default="")
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    problem: Mapped[str] = mapped_column(Text)
    # "¿Cuál es el compromiso?"
    commitment_text: Mapped[str] = mapped_column(Text)
    # How it contributes to solving the problem.
    contribution: Mapped[str] = mapped_column(Text)
    # Why it was taken out of the plan (public), while it is.
    state_note: Mapped[str | None] = mapped_column(Text)

    cycle = relationship("Cycle")
    area = relationship("ThematicArea")
    entity = relationship("Entity")
    value_rows: Mapped[list["CommitmentValue"]] = relationship(cascade="all, delete-orphan",
                                                               order_by="CommitmentValue.value")
    activities: Mapped[list["Activity"]] = relationship(back_populates="commitment",
                                                        order_by="Activity.position")
    origins: Mapped[list["CommitmentOrigin"]] = relationship(back_populates="commitment",
                                                             order_by="CommitmentOrigin.id")

    __table_args__ = (
        UniqueConstraint("cycle_id", "number"),
        CheckConstraint("number > 0", name="number_positive"),
        CheckConstraint("ends_on >= starts_on", name="period_in_order"),
    )

    @property
    def jurisdiction(self):
        return self.cycle.jurisdiction

    @property
    def values(self) -> list[OgpValue]:
        return [row.value for row in self.value_rows]

    @property
    def in_plan(self) -> bool:
        return self.state is CommitmentState.IN_PLAN


class CommitmentValue(db.Model):
    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitment.id"), primary_key=True)
    value: Mapped[OgpValue] = mapped_column(primary_key=True)


class Activity(TimestampMixin, db.Model):
    """An activity and its deliverable, with its own dates. Its progress (cumplido, en proceso,
    pendiente, atrasado) is the monitoring domain's: it reports against this row."""

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitment.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(Text)
    starts_on: Mapped[date]
    ends_on: Mapped[date]
    # Set through monitoring once the plan is implemented: what it is, what it delivers, the milestone
    # that shows it done, and its own responsible entity where it is not the commitment's.
    description: Mapped[str] = mapped_column(Text, default="", server_default="")
    deliverable: Mapped[str] = mapped_column(Text, default="", server_default="")
    milestone: Mapped[str] = mapped_column(Text, default="", server_default="")
    entity_id: Mapped[int | None] = mapped_column(ForeignKey("entity.id"))

    commitment: Mapped[Commitment] = relationship(back_populates="activities")
    entity = relationship("Entity")

    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="period_in_order"),)

    @property
    def jurisdiction(self):
        return self.commitment.jurisdiction

    @property
    def responsible_entity(self):
        """Who reports its progress: its own entity, or the commitment's."""
        return self.entity if self.entity_id is not None else self.commitment.entity


class CommitmentOrigin(db.Model):
    """A proposal a commitment came from (or took in later): the link read both ways."""

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitment.id"))
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), index=True)
    linked_at: Mapped[datetime] = mapped_column(default=clock.now)
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    commitment: Mapped[Commitment] = relationship(back_populates="origins")
    proposal = relationship("Proposal")

    __table_args__ = (UniqueConstraint("commitment_id", "proposal_id"),)


class VersionPurpose(enum.Enum):
    """Why a version of the plan was frozen; the Mesa's approval adds its own."""

    CONSULTATION_DRAFT = "consultation_draft"
    REVISION = "revision"

    @property
    def label(self):
        return PURPOSE_LABELS[self]


PURPOSE_LABELS = {
    VersionPurpose.CONSULTATION_DRAFT: _l("Draft for public consultation"),
    VersionPurpose.REVISION: _l("Revised draft"),
}


class PlanVersion(db.Model):
    """The plan of a cycle as it stood at one moment: version N, with every commitment's text frozen."""

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"), index=True)
    number: Mapped[int]
    purpose: Mapped[VersionPurpose]
    # What the moderators say about it ("after the consultation's comments"); may be empty.
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    cycle = relationship("Cycle")
    snapshots: Mapped[list["CommitmentSnapshot"]] = relationship(back_populates="version",
                                                                 order_by="CommitmentSnapshot.number")

    __table_args__ = (UniqueConstraint("cycle_id", "number"),)

    @property
    def jurisdiction(self):
        return self.cycle.jurisdiction


class CommitmentSnapshot(db.Model):
    """One commitment's text in one version of the plan, as JSON. Written once, never changed."""

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("plan_version.id"))
    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitment.id"), index=True)
    # The commitment's number in this version (numbers may change later; quotes use this one).
    number: Mapped[int]
    content: Mapped[dict] = mapped_column(JSON)

    version: Mapped[PlanVersion] = relationship(back_populates="snapshots")
    commitment: Mapped[Commitment] = relationship()

    __table_args__ = (UniqueConstraint("version_id", "commitment_id"), UniqueConstraint("version_id", "number"))


@event.listens_for(CommitmentSnapshot, "before_update")
@event.listens_for(CommitmentSnapshot, "before_delete")
def _snapshots_are_frozen(mapper, connection, target):
    # Comments quote these rows: a quote must read the same forever.
    raise RuntimeError("A frozen version of the plan cannot change.")
