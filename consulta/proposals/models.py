import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consulta.core import clock
from consulta.core.models import TimestampMixin
from consulta.core.sectors import Sector
from consulta.extensions import db
from consulta.proposals.similarity import TERM_MAX


class OgpValue(enum.Enum):
    """The values of the Open Government Partnership that a proposal or commitment serves."""

    TRANSPARENCIA = "transparencia"
    PARTICIPACION = "participacion"
    RENDICION_DE_CUENTAS = "rendicion_de_cuentas"
    COLABORACION_INNOVACION = "colaboracion_innovacion"

    @property
    def label(self):
        return OGP_VALUE_LABELS[self]


OGP_VALUE_LABELS = {
    OgpValue.TRANSPARENCIA: _l("Transparency"),
    OgpValue.PARTICIPACION: _l("Citizen participation"),
    OgpValue.RENDICION_DE_CUENTAS: _l("Accountability"),
    OgpValue.COLABORACION_INNOVACION: _l("Collaboration and innovation"),
}


class ProposalState(enum.Enum):
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"
    INADMISSIBLE = "inadmissible"
    # Triage's outcomes: "en revisión" holds a proposal without answering it; the others are final.
    UNDER_REVIEW = "under_review"
    MERGED = "merged"
    ACCEPTED = "accepted"
    NOT_ACCEPTED = "not_accepted"

    @property
    def label(self):
        return STATE_LABELS[self.name]


# History rows keep codes; pages translate them with this table (states and recorded events).
STATE_LABELS = {
    "SUBMITTED": _l("Submitted"),
    "WITHDRAWN": _l("Withdrawn"),
    "INADMISSIBLE": _l("Not admissible"),
    "UNDER_REVIEW": _l("Under review"),
    "MERGED": _l("Merged into another"),
    "ACCEPTED": _l("Incorporated into the plan"),
    "NOT_ACCEPTED": _l("Not taken up"),
    "RESPONSE_CORRECTED": _l("Response corrected"),
    "ASSIGNED": _l("Assigned"),
    "EDITED": _l("Edited"),
    "CREATED": _l("Created"),
}


# "Answered": a final outcome, which only a published reasoned response gives. "Open": still waiting for one.
FINAL_OUTCOMES = frozenset({ProposalState.INADMISSIBLE, ProposalState.MERGED, ProposalState.ACCEPTED,
                            ProposalState.NOT_ACCEPTED})
OPEN_STATES = frozenset({ProposalState.SUBMITTED, ProposalState.UNDER_REVIEW})


class Channel(enum.Enum):
    """How a proposal reached the cycle: the form, or a moderator entering one from elsewhere."""

    FORM = "form"
    LETTER = "letter"
    EMAIL = "email"
    AGENCY_SUBMISSION = "agency_submission"

    @property
    def label(self):
        return CHANNEL_LABELS[self]


CHANNEL_LABELS = {
    Channel.FORM: _l("Online form"),
    Channel.LETTER: _l("Letter"),
    Channel.EMAIL: _l("Email"),
    Channel.AGENCY_SUBMISSION: _l("Agency submission to the Commission"),
}
OTHER_CHANNELS = tuple(channel for channel in Channel if channel is not Channel.FORM)


class WithdrawalReason(enum.Enum):
    DUPLICATE = "duplicate"
    ALREADY_EXISTS = "already_exists"
    NO_LONGER_RELEVANT = "no_longer_relevant"
    OTHER = "other"

    @property
    def label(self):
        return WITHDRAWAL_LABELS[self]


WITHDRAWAL_LABELS = {
    WithdrawalReason.DUPLICATE: _l("I sent it twice"),
    WithdrawalReason.ALREADY_EXISTS: _l("It already exists"),
    WithdrawalReason.NO_LONGER_RELEVANT: _l("It is no longer relevant"),
    WithdrawalReason.OTHER: _l("Another reason"),
}


class ThematicArea(TimestampMixin, db.Model):
    """One of a cycle's thematic areas (4th plan: Modernización del Estado, …)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(default=0)

    cycle = relationship("Cycle")

    __table_args__ = (UniqueConstraint("cycle_id", "name"),)


class ReferenceCounter(db.Model):
    """The last reference number given in a cycle, taken with a conditional UPDATE (no gaps, no doubles)."""

    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"), primary_key=True)
    last_number: Mapped[int] = mapped_column(default=0)


class Proposal(TimestampMixin, db.Model):
    # Triage may correct a final outcome into another, and undoing a merge restores what it replaced.
    TRANSITIONS = {
        None: {ProposalState.SUBMITTED},
        ProposalState.SUBMITTED: {ProposalState.WITHDRAWN, ProposalState.UNDER_REVIEW, *FINAL_OUTCOMES},
        ProposalState.UNDER_REVIEW: {ProposalState.WITHDRAWN, *FINAL_OUTCOMES},
        ProposalState.INADMISSIBLE: {ProposalState.UNDER_REVIEW, *FINAL_OUTCOMES} - {ProposalState.INADMISSIBLE},
        ProposalState.ACCEPTED: {ProposalState.UNDER_REVIEW, *FINAL_OUTCOMES} - {ProposalState.ACCEPTED},
        ProposalState.NOT_ACCEPTED: {ProposalState.UNDER_REVIEW, *FINAL_OUTCOMES} - {ProposalState.NOT_ACCEPTED},
        ProposalState.MERGED: {*OPEN_STATES, *FINAL_OUTCOMES} - {ProposalState.MERGED},
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"), index=True)
    number: Mapped[int]
    # The cycle's code and the number ("PA4-0042"): cycle codes are unique per jurisdiction, so is this.
    reference: Mapped[str] = mapped_column(String(24))
    state: Mapped[ProposalState | None]
    channel: Mapped[Channel] = mapped_column(default=Channel.FORM)
    sector: Mapped[Sector]

    title: Mapped[str] = mapped_column(String(200))
    problem: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    area_id: Mapped[int] = mapped_column(ForeignKey("thematic_area.id"))
    entity_name: Mapped[str | None] = mapped_column(String(200))
    # Set when the typed entity is one of the jurisdiction's, so commitments can find it later.
    entity_id: Mapped[int | None] = mapped_column(ForeignKey("entity.id"))

    # The person who sent it through the form (None for other channels).
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"), index=True)
    # Other channels: who sent it (public) and how to reach them (private), and who typed it in.
    submitter_name: Mapped[str | None] = mapped_column(String(200))
    submitter_email: Mapped[str | None] = mapped_column(String(254))
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    submitted_at: Mapped[datetime] = mapped_column(default=clock.now)
    # The day it reached the jurisdiction, in local time (for a letter, the day the letter arrived).
    received_on: Mapped[date]
    edited_at: Mapped[datetime | None]
    version_count: Mapped[int] = mapped_column(default=1)

    withdrawal_reason: Mapped[WithdrawalReason | None]
    # The public reason of the last decision on it: a withdrawal's own words, an inadmissibility.
    state_note: Mapped[str | None] = mapped_column(Text)
    # Triage: the proposal a merged one is integrated into, and the published reasoned response
    # (sanitised by clean_html; every earlier text is kept by the triage domain).
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id"), index=True)
    response: Mapped[str | None] = mapped_column(Text)

    # Posting the same review page twice carries the same key: the second post finds the first proposal.
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    # Maintained by the service with the term index (proposal_term): the stems of the title and of
    # the problem and body, as similarity.terms gives them.
    title_terms: Mapped[str] = mapped_column(Text, default="")
    body_terms: Mapped[str] = mapped_column(Text, default="")

    cycle = relationship("Cycle")
    area: Mapped[ThematicArea] = relationship()
    entity = relationship("Entity")
    author = relationship("User", foreign_keys=[author_id])
    entered_by = relationship("User", foreign_keys=[entered_by_id])
    organisation = relationship("Organisation")
    merged_into: Mapped["Proposal | None"] = relationship(remote_side=[id], foreign_keys=[merged_into_id])
    value_rows: Mapped[list["ProposalValue"]] = relationship(cascade="all, delete-orphan",
                                                             order_by="ProposalValue.value")
    versions: Mapped[list["ProposalVersion"]] = relationship(back_populates="proposal",
                                                             order_by="ProposalVersion.number")
    attachments: Mapped[list["Attachment"]] = relationship(
        primaryjoin="and_(Attachment.proposal_id == Proposal.id, Attachment.removed_at.is_(None))",
        order_by="Attachment.id", viewonly=True)

    __table_args__ = (
        UniqueConstraint("cycle_id", "number"),
        UniqueConstraint("cycle_id", "reference"),
        CheckConstraint("(channel = 'FORM') = (author_id IS NOT NULL)", name="form_has_author"),
        CheckConstraint("(channel = 'FORM') OR (submitter_name IS NOT NULL AND entered_by_id IS NOT NULL)",
                        name="channel_has_submitter"),
        CheckConstraint("(channel <> 'FORM') OR ((sector = 'CIUDADANIA') = (organisation_id IS NULL))",
                        name="form_sector_has_organisation"),
        CheckConstraint("(state = 'WITHDRAWN') = (withdrawal_reason IS NOT NULL)", name="withdrawn_has_reason"),
        CheckConstraint("(state = 'MERGED') = (merged_into_id IS NOT NULL)", name="merged_has_target"),
        CheckConstraint("merged_into_id <> id", name="not_merged_into_itself"),
        Index("ix_proposal_cycle_state", "cycle_id", "state"),
        # The register's per-sector and per-area figures and the statistics' tallies, from the index alone.
        Index("ix_proposal_cycle_sector_area", "cycle_id", "sector", "area_id", "channel"),
    )

    @property
    def jurisdiction(self):
        return self.cycle.jurisdiction

    @property
    def values(self) -> list[OgpValue]:
        return [row.value for row in self.value_rows]

    @property
    def is_edited(self) -> bool:
        return self.version_count > 1

    @property
    def public_author(self) -> str:
        """Who it is shown as: the organisation, the person's public name, or the named sender."""
        if self.organisation is not None:
            return self.organisation.name
        if self.author is not None:
            return self.author.public_name
        return self.submitter_name or ""


# The term index, written by proposals.services whenever a proposal's text is set: one row per
# distinct stem of its title, problem and body, weighted as in similarity's vector (its count, the
# title's counting twice), and one row with weight 0 per other searchable word (similarity.words of
# its reference, text and entity). Search reads the terms that begin with a word, a range of the
# (cycle, term) index; "similar proposals" reads the postings of a text's rarer stems and counts
# how many proposals hold a term. Terms are [a-z0-9]: PostgreSQL compares them bytewise ("C"), as
# SQLite does, so a range gives the same rows on both. The unique index is the key, not a primary
# key constraint, so that a bulk load (bench/generate) drops it and builds it once afterwards; it is
# the only index (an edit deletes the previous rows by their terms), so a send writes one per row.
proposal_term = db.Table(
    "proposal_term",
    db.Column("cycle_id", Integer, nullable=False),
    db.Column("term", String(TERM_MAX).with_variant(String(TERM_MAX, collation="C"), "postgresql"), nullable=False),
    db.Column("proposal_id", ForeignKey("proposal.id"), nullable=False),
    db.Column("weight", Integer, nullable=False),
    # The weight too, so that the index answers every query of the table by itself.
    Index("ix_proposal_term_cycle_term", "cycle_id", "term", "proposal_id", "weight", unique=True),
)


class ProposalValue(db.Model):
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), primary_key=True)
    value: Mapped[OgpValue] = mapped_column(primary_key=True)


class ProposalVersion(db.Model):
    """The text of a proposal as sent (number 1) and after each edit: every version stays readable."""

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"), index=True)
    number: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    problem: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    area_id: Mapped[int] = mapped_column(ForeignKey("thematic_area.id"))
    entity_name: Mapped[str | None] = mapped_column(String(200))
    # The OGP values' codes, comma-separated: a snapshot, never queried.
    value_codes: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    proposal: Mapped[Proposal] = relationship(back_populates="versions")
    area: Mapped[ThematicArea] = relationship()
    created_by = relationship("User")

    __table_args__ = (UniqueConstraint("proposal_id", "number"),)

    @property
    def values(self) -> list[OgpValue]:
        return [OgpValue[code] for code in self.value_codes.split(",") if code]


class Draft(TimestampMixin, db.Model):
    """A proposal being written: private to its owner, never counted, exported or shown.

    Sending it creates a Proposal and points `proposal_id` at it; the draft row keeps the text.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"))
    owner_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    title: Mapped[str] = mapped_column(String(200), default="")
    problem: Mapped[str] = mapped_column(Text, default="")
    body: Mapped[str] = mapped_column(Text, default="")
    area_id: Mapped[int | None] = mapped_column(ForeignKey("thematic_area.id"))
    entity_name: Mapped[str | None] = mapped_column(String(200))
    value_codes: Mapped[str] = mapped_column(String(120), default="")
    # None: the person submits as ciudadanía; otherwise the organisation they represent.
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id"), unique=True)

    cycle = relationship("Cycle")
    owner = relationship("User")
    area: Mapped[ThematicArea | None] = relationship()
    organisation = relationship("Organisation")
    proposal: Mapped[Proposal | None] = relationship()
    attachments: Mapped[list["Attachment"]] = relationship(
        primaryjoin="and_(Attachment.draft_id == Draft.id, Attachment.removed_at.is_(None))",
        order_by="Attachment.id", viewonly=True)

    __table_args__ = (Index("ix_draft_owner_cycle", "owner_id", "cycle_id"),)

    @property
    def values(self) -> list[OgpValue]:
        return [OgpValue[code] for code in self.value_codes.split(",") if code]

    @property
    def is_sent(self) -> bool:
        return self.proposal_id is not None

    @property
    def sector(self) -> Sector:
        """The sector it would count in: its organisation's, or ciudadanía."""
        return self.organisation.sector if self.organisation is not None else Sector.CIUDADANIA

    @property
    def jurisdiction(self):
        return self.cycle.jurisdiction


class Attachment(db.Model):
    """A file uploaded with a draft, carried to the proposal when it is sent (core storage's fields)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("draft.id"), index=True)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id"), index=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    content_type: Mapped[str] = mapped_column(String(60))
    size: Mapped[int]
    original_name: Mapped[str] = mapped_column(String(200))
    # The original of a letter or email carries its sender's contact data: moderators only.
    public: Mapped[bool] = mapped_column(default=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    # Taken off a draft before sending: kept, no longer part of it.
    removed_at: Mapped[datetime | None]

    __table_args__ = (CheckConstraint("draft_id IS NOT NULL OR proposal_id IS NOT NULL", name="has_owner"),)
