"""Comments on what a cycle puts to public consultation, their official answers, reports,
appeals, and each jurisdiction's moderation settings.

A comment names its target by kind and id (`targets.py` says what each kind is), the frozen plan
version it quotes, and optionally a part and a quote of that version's text. A comment's `state` is
its visibility; the institution's answer is an `OfficialAnswer` row whose state is the outcome, shared by
every member of a campaign answered at once.
"""
import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consulta.core import clock
from consulta.core.models import TimestampMixin
from consulta.core.sectors import Sector
from consulta.extensions import db


class CommentState(enum.Enum):
    PUBLISHED = "published"
    # Hidden until a moderator looks: reports from enough verified accounts, or a new account's first comment.
    PENDING_REVIEW = "pending_review"
    HIDDEN = "hidden"
    WITHDRAWN = "withdrawn"


class ReviewCause(enum.Enum):
    REPORTS = "reports"
    FIRST_COMMENT = "first_comment"


class Alignment(enum.Enum):
    A_FAVOR = "a_favor"
    EN_CONTRA = "en_contra"
    NEUTRAL = "neutral"

    @property
    def label(self):
        return ALIGNMENT_LABELS[self]


ALIGNMENT_LABELS = {
    Alignment.A_FAVOR: _l("In favour"),
    Alignment.EN_CONTRA: _l("Against"),
    Alignment.NEUTRAL: _l("Neutral"),
}


class ReportReason(enum.Enum):
    """Why a comment is reported, and the category a hidden comment shows in its place."""

    SPAM = "spam"
    OFENSIVO = "ofensivo"
    FUERA_DE_TEMA = "fuera_de_tema"

    @property
    def label(self):
        return REASON_LABELS[self]


REASON_LABELS = {
    ReportReason.SPAM: _l("Spam"),
    ReportReason.OFENSIVO: _l("Offensive"),
    ReportReason.FUERA_DE_TEMA: _l("Off topic"),
}


class AnswerOutcome(enum.Enum):
    CONSIDERADO = "considerado"
    INCORPORADO = "incorporado"
    NO_INCORPORADO = "no_incorporado"

    @property
    def label(self):
        return OUTCOME_LABELS[self]


OUTCOME_LABELS = {
    AnswerOutcome.CONSIDERADO: _l("Considered"),
    AnswerOutcome.INCORPORADO: _l("Incorporated into the text"),
    AnswerOutcome.NO_INCORPORADO: _l("Not incorporated"),
}


class AppealState(enum.Enum):
    PENDING = "pending"
    GRANTED = "granted"
    REJECTED = "rejected"


# History rows keep codes; pages translate them with this table (states, events and reasons).
HISTORY_LABELS = {
    "PUBLISHED": _l("Published"),
    "PENDING_REVIEW": _l("Hidden until a moderator reviews it"),
    "HIDDEN": _l("Hidden by the moderators"),
    "WITHDRAWN": _l("Withdrawn by its author"),
    "EDITED": _l("Edited"),
    "ANSWERED": _l("Answered"),
    "APPEALED": _l("Appealed"),
    "CREATED": _l("Created"),
    "SETTINGS_CHANGED": _l("Settings changed"),
    **{outcome.name: label for outcome, label in OUTCOME_LABELS.items()},
}
HISTORY_REASONS = {
    **{reason.name: label for reason, label in REASON_LABELS.items()},
    **{outcome.name: label for outcome, label in OUTCOME_LABELS.items()},
    ReviewCause.REPORTS.name: _l("Reported by several people"),
    ReviewCause.FIRST_COMMENT.name: _l("A new account's first comment"),
    "GRANTED": _l("Appeal granted"),
    "REJECTED": _l("Appeal rejected"),
}


class OfficialAnswer(db.Model):
    """The institution's official answer. Its state is the outcome; one answer may answer every
    member of a campaign. Answers are never changed: a new answer replaces it on the comments."""

    TRANSITIONS = {None: set(AnswerOutcome)}

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"), index=True)
    state: Mapped[AnswerOutcome | None]
    text: Mapped[str] = mapped_column(Text)
    # `text` through clean_html: the only form of it a page shows.
    body: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    cycle = relationship("Cycle")
    author = relationship("User")

    @property
    def outcome(self) -> AnswerOutcome:
        return self.state

    @property
    def jurisdiction(self):
        return self.cycle.jurisdiction


class Comment(TimestampMixin, db.Model):
    TRANSITIONS = {
        None: {CommentState.PUBLISHED, CommentState.PENDING_REVIEW},
        CommentState.PUBLISHED: {CommentState.PENDING_REVIEW, CommentState.HIDDEN, CommentState.WITHDRAWN},
        CommentState.PENDING_REVIEW: {CommentState.PUBLISHED, CommentState.HIDDEN, CommentState.WITHDRAWN},
        CommentState.HIDDEN: {CommentState.PUBLISHED, CommentState.WITHDRAWN},
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"))
    target_kind: Mapped[str] = mapped_column(String(30))
    target_id: Mapped[int]
    # The frozen plan version whose text the comment reads and may quote.
    version_id: Mapped[int | None] = mapped_column(ForeignKey("plan_version.id"))
    part: Mapped[str | None] = mapped_column(String(20))
    quote: Mapped[str | None] = mapped_column(Text)
    # One level of replies: a reply's parent is always a comment without a parent.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id"))
    # A member of a campaign points at its first comment, which is shown for all of them.
    campaign_of_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id"))

    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    sector: Mapped[Sector]
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id"))
    # Written by a moderator of the jurisdiction, or by the institution the target is about (a progress
    # report's responsible entity) answering: neither counted as received nor answered.
    staff: Mapped[bool] = mapped_column(default=False)
    # The institution a staff comment speaks for, named as it was when written; None: the moderators.
    speaks_for: Mapped[str | None] = mapped_column(String(200))
    alignment: Mapped[Alignment | None]

    # As typed (exports, editing); `body` is it through clean_html, the only form a page shows.
    text: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    # Folded Snowball stems of the text (proposals.similarity), and their hash for exact lookups.
    fingerprint: Mapped[str] = mapped_column(Text, default="")
    fingerprint_hash: Mapped[str] = mapped_column(String(64), default="")
    edited_at: Mapped[datetime | None]

    state: Mapped[CommentState | None]
    review_cause: Mapped[ReviewCause | None]
    # The category shown in place of a hidden comment (public); the moderator's words (author only).
    hidden_reason: Mapped[ReportReason | None]
    moderation_note: Mapped[str | None] = mapped_column(Text)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    answer_id: Mapped[int | None] = mapped_column(ForeignKey("official_answer.id"), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)

    cycle = relationship("Cycle")
    version = relationship("PlanVersion")
    author = relationship("User", foreign_keys=[author_id])
    hidden_by = relationship("User", foreign_keys=[hidden_by_id])
    organisation = relationship("Organisation")
    answer: Mapped[OfficialAnswer | None] = relationship()
    parent: Mapped["Comment | None"] = relationship(remote_side=[id], foreign_keys=[parent_id])
    campaign_of: Mapped["Comment | None"] = relationship(remote_side=[id], foreign_keys=[campaign_of_id])

    __table_args__ = (
        CheckConstraint("(sector = 'CIUDADANIA') = (organisation_id IS NULL)", name="sector_has_organisation"),
        CheckConstraint("(parent_id IS NULL) = (alignment IS NOT NULL)", name="top_level_has_alignment"),
        CheckConstraint("campaign_of_id IS NULL OR parent_id IS NULL", name="campaigns_are_top_level"),
        CheckConstraint("quote IS NULL OR version_id IS NOT NULL", name="quote_has_version"),
        CheckConstraint("(state = 'PENDING_REVIEW') = (review_cause IS NOT NULL)", name="review_has_cause"),
        CheckConstraint("state <> 'HIDDEN' OR (hidden_reason IS NOT NULL AND hidden_by_id IS NOT NULL)",
                        name="hidden_has_reason"),
        # A thread page: its top-level comments (campaign members folded in), newest or oldest first.
        Index("ix_comment_thread", "target_kind", "target_id", "parent_id", "campaign_of_id", "created_at", "id"),
        Index("ix_comment_cycle", "cycle_id", "target_kind", "state"),
        Index("ix_comment_fingerprint", "target_kind", "target_id", "fingerprint_hash"),
        Index("ix_comment_parent", "parent_id", "created_at"),
        Index("ix_comment_campaign", "campaign_of_id"),
        # Counts read from an index alone, never from a million rows' text: a thread's figures, and the
        # comments a cycle received (its gauge, the statistics).
        Index("ix_comment_thread_counts", "target_kind", "target_id", "staff", "state", "alignment", "hidden_reason",
              "parent_id", "campaign_of_id"),
        Index("ix_comment_counted", "cycle_id", "target_kind", "staff", "state", "answer_id", "target_id", "id"),
        # A thread's pages, newest or oldest first, straight from the index: PostgreSQL does not read
        # the order of ix_comment_thread past its IS NULL columns, and sorted the whole thread instead.
        Index("ix_comment_thread_page", "target_kind", "target_id", "created_at", "id",
              sqlite_where=sql_text("parent_id IS NULL AND campaign_of_id IS NULL"),
              postgresql_where=sql_text("parent_id IS NULL AND campaign_of_id IS NULL")),
    )

    @property
    def jurisdiction(self):
        return self.cycle.jurisdiction

    @property
    def is_reply(self) -> bool:
        return self.parent_id is not None

    @property
    def is_edited(self) -> bool:
        return self.edited_at is not None

    @property
    def is_visible(self) -> bool:
        return self.state is CommentState.PUBLISHED

    @property
    def public_author(self) -> str:
        if self.organisation is not None:
            return self.organisation.name
        return self.author.public_name


class CommentTally(db.Model):
    """How many comments share each combination of what the consultation's figures count by: a GROUP
    BY of `comment` kept up to date by `tally.py`, so that a cycle's gauge, the comparison and a
    thread's figures add up a few rows instead of counting a million comments per request.

    Every key column is NOT NULL (the primary key is the upsert's conflict target): a comment without
    an alignment or a hidden reason is counted under "" (`tally.NONE`). Rows whose count fell to 0 stay.
    """

    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"), primary_key=True)
    target_kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    target_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    state: Mapped[str] = mapped_column(String(30), primary_key=True)
    alignment: Mapped[str] = mapped_column(String(30), primary_key=True)
    hidden_reason: Mapped[str] = mapped_column(String(30), primary_key=True)
    staff: Mapped[bool] = mapped_column(primary_key=True)
    # A top-level comment that leads no other (not a campaign member): an entry of the thread's pages.
    listed: Mapped[bool] = mapped_column(primary_key=True)
    answered: Mapped[bool] = mapped_column(primary_key=True)
    # Hidden, with its author's appeal not yet decided (still owed a decision).
    appealed: Mapped[bool] = mapped_column(primary_key=True)
    n: Mapped[int] = mapped_column(default=0)

    __table_args__ = (
        # A thread's figures (the primary key serves a cycle's).
        Index("ix_comment_tally_target", "target_kind", "target_id"),
    )


class CommentReport(db.Model):
    """One person's report of a comment; a person reports a comment once."""

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id"))
    reporter_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    reason: Mapped[ReportReason]
    details: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    comment: Mapped[Comment] = relationship()
    reporter = relationship("User")

    __table_args__ = (UniqueConstraint("comment_id", "reporter_id"),)


class CommentAppeal(TimestampMixin, db.Model):
    """The author's one appeal against hiding their comment."""

    TRANSITIONS = {None: {AppealState.PENDING},
                   AppealState.PENDING: {AppealState.GRANTED, AppealState.REJECTED}}

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id"), unique=True)
    text: Mapped[str] = mapped_column(Text)
    state: Mapped[AppealState | None]
    # Who hid the comment when it was appealed: they may not decide it.
    hidden_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decision: Mapped[str | None] = mapped_column(Text)

    comment: Mapped[Comment] = relationship()
    decided_by = relationship("User", foreign_keys=[decided_by_id])

    __table_args__ = (
        CheckConstraint("(state = 'PENDING') = (decided_by_id IS NULL)", name="decided_has_decider"),
    )

    @property
    def jurisdiction(self):
        return self.comment.jurisdiction


class ConsultationSettings(db.Model):
    """A jurisdiction's moderation settings; without a row, the defaults below apply."""

    DEFAULT_THRESHOLD = 3

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"), unique=True)
    # Reports from this many distinct verified accounts hide a comment until a moderator reviews it.
    report_threshold: Mapped[int] = mapped_column(default=DEFAULT_THRESHOLD)
    # Hold the first comment of a new account in this jurisdiction until a moderator publishes it.
    premoderate_new_accounts: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)

    jurisdiction = relationship("Jurisdiction")

    __table_args__ = (CheckConstraint("report_threshold BETWEEN 1 AND 50", name="threshold_in_range"),)
