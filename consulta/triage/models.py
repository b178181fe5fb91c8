"""Triage: how moderators answer every proposal with a reasoned response.

The outcome is the proposal's own state (consulta.proposals.models.ProposalState) and the public
response its `response` column; this domain keeps what surrounds them: who handles a proposal and
the response being prepared (with the version counter that refuses a stale edit), every published
response in order (corrections stay public), private moderator notes, answer templates per
jurisdiction, and the merges, so that each can be undone.
"""
import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consulta.core import clock
from consulta.core.models import TimestampMixin
from consulta.extensions import db
from consulta.proposals.models import ProposalState


class Handling(TimestampMixin, db.Model):
    """One per proposal that a moderator touched: its assignee and the response being prepared."""

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), unique=True)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    # Grows with every save: a form carries the number it was shown with, and a save made on an
    # older number is refused as "changed meanwhile" instead of overwriting someone else's text.
    version: Mapped[int] = mapped_column(default=0)
    # The response prepared and not yet published (cleared when published).
    draft_outcome: Mapped[ProposalState | None]
    draft_text: Mapped[str | None] = mapped_column(Text)
    draft_merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id"))
    draft_commitment_id: Mapped[int | None] = mapped_column(ForeignKey("commitment.id"))
    drafted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    drafted_at: Mapped[datetime | None]

    proposal = relationship("Proposal", foreign_keys=[proposal_id])
    assignee = relationship("User", foreign_keys=[assignee_id])
    drafted_by = relationship("User", foreign_keys=[drafted_by_id])
    draft_merged_into = relationship("Proposal", foreign_keys=[draft_merged_into_id])
    draft_commitment = relationship("Commitment")

    @property
    def has_draft(self) -> bool:
        return self.draft_outcome is not None


class ResponseKind(enum.Enum):
    ANSWER = "answer"
    CORRECTION = "correction"
    # A merge was undone: the response from before the merge is the public one again.
    RESTORED = "restored"

    @property
    def label(self):
        return RESPONSE_KIND_LABELS[self]


RESPONSE_KIND_LABELS = {
    ResponseKind.ANSWER: _l("Response"),
    ResponseKind.CORRECTION: _l("Correction"),
    ResponseKind.RESTORED: _l("Restored when a merge was undone"),
}


class PublishedResponse(db.Model):
    """Every response published on a proposal, in order: all of them stay public."""

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), index=True)
    number: Mapped[int]
    kind: Mapped[ResponseKind]
    outcome: Mapped[ProposalState]
    # Sanitised by consulta.core.sanitize.clean_html before it is stored.
    text: Mapped[str] = mapped_column(Text)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id"))
    commitment_id: Mapped[int | None] = mapped_column(ForeignKey("commitment.id"))
    published_at: Mapped[datetime] = mapped_column(default=clock.now)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    proposal = relationship("Proposal", foreign_keys=[proposal_id])
    merged_into = relationship("Proposal", foreign_keys=[merged_into_id])
    commitment = relationship("Commitment")

    __table_args__ = (UniqueConstraint("proposal_id", "number"),)


class ModeratorNote(db.Model):
    """A moderator's private note beside a proposal: never on a public page, never exported."""

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    author = relationship("User")


class TemplateState(enum.Enum):
    ACTIVE = "active"
    RETIRED = "retired"


TEMPLATE_LABELS = {"ACTIVE": _l("In use"), "RETIRED": _l("Retired"), "EDITED": _l("Edited")}


class AnswerTemplate(TimestampMixin, db.Model):
    """A response text a jurisdiction's moderators reuse, with placeholders ({autor}, {codigo},
    {compromiso}, {propuesta_destino}) filled for each proposal."""

    TRANSITIONS = {
        None: {TemplateState.ACTIVE},
        TemplateState.ACTIVE: {TemplateState.RETIRED},
        TemplateState.RETIRED: {TemplateState.ACTIVE},
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    # The outcome it is written for (None: any).
    outcome: Mapped[ProposalState | None]
    text: Mapped[str] = mapped_column(Text)
    state: Mapped[TemplateState | None]

    jurisdiction = relationship("Jurisdiction")

    __table_args__ = (UniqueConstraint("jurisdiction_id", "name"),)


class MergeRecord(db.Model):
    """A merge of one proposal into another, with what it replaced, so that it can be undone."""

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), index=True)
    previous_state: Mapped[ProposalState]
    previous_response: Mapped[str | None] = mapped_column(Text)
    merged_at: Mapped[datetime] = mapped_column(default=clock.now)
    merged_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    undone_at: Mapped[datetime | None]
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    proposal = relationship("Proposal", foreign_keys=[proposal_id])
    target = relationship("Proposal", foreign_keys=[target_id])


@event.listens_for(PublishedResponse, "before_update")
@event.listens_for(PublishedResponse, "before_delete")
@event.listens_for(ModeratorNote, "before_update")
@event.listens_for(ModeratorNote, "before_delete")
def _append_only(mapper, connection, target):
    # A correction is a new row: what was published once stays readable as it was.
    raise RuntimeError("Published responses and notes are append-only.")
