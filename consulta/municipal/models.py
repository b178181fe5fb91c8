"""The Municipal Open Government Model: adhesion, the four-area diagnostic, training and advice."""
import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from consulta.core.models import TimestampMixin
from consulta.core.storage import StoredFile
from consulta.extensions import db


class AdhesionState(enum.Enum):
    INVITED = "invited"
    ADHERED = "adhered"
    DIAGNOSING = "diagnosing"
    WITH_PLAN = "with_plan"
    IMPLEMENTING = "implementing"
    WITHDRAWN = "withdrawn"

    @property
    def label(self):
        return ADHESION_LABELS[self.name]


ADHESION_LABELS = {
    "INVITED": _l("Invited"),
    "ADHERED": _l("Adhered"),
    "DIAGNOSING": _l("Diagnosing"),
    "WITH_PLAN": _l("With action plan"),
    "IMPLEMENTING": _l("Implementing"),
    "WITHDRAWN": _l("Withdrawn"),
    "CREATED": _l("Created"),
}

# The states of a municipality that has signed and not withdrawn: "adhered" in every count.
ADHERENT_STATES = (AdhesionState.ADHERED, AdhesionState.DIAGNOSING, AdhesionState.WITH_PLAN,
                   AdhesionState.IMPLEMENTING)


class Adhesion(TimestampMixin, db.Model):
    """A municipality's adhesion to the Model: invited by the national body, signed by its mayor."""

    TRANSITIONS = {
        None: {AdhesionState.INVITED},
        AdhesionState.INVITED: {AdhesionState.ADHERED, AdhesionState.WITHDRAWN},
        AdhesionState.ADHERED: {AdhesionState.DIAGNOSING, AdhesionState.WITHDRAWN},
        AdhesionState.DIAGNOSING: {AdhesionState.WITH_PLAN, AdhesionState.WITHDRAWN},
        AdhesionState.WITH_PLAN: {AdhesionState.IMPLEMENTING, AdhesionState.WITHDRAWN},
        AdhesionState.IMPLEMENTING: {AdhesionState.WITHDRAWN},
        # A municipality that withdrew can be invited again; its earlier act stays on record.
        AdhesionState.WITHDRAWN: {AdhesionState.INVITED},
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"), unique=True)
    state: Mapped[AdhesionState | None]
    # The adhesion act: the mayor's signature is the Model's "act of political will".
    mayor_name: Mapped[str | None] = mapped_column(String(120))
    signed_on: Mapped[date | None]
    act_number: Mapped[str | None] = mapped_column(String(60))
    document_key: Mapped[str | None] = mapped_column(String(64))
    document_type: Mapped[str | None] = mapped_column(String(60))
    document_size: Mapped[int | None]
    document_name: Mapped[str | None] = mapped_column(String(200))

    jurisdiction = relationship("Jurisdiction")

    __table_args__ = (
        CheckConstraint("state IN ('INVITED', 'WITHDRAWN') OR "
                        "(mayor_name IS NOT NULL AND signed_on IS NOT NULL AND act_number IS NOT NULL)",
                        name="signed_states_have_act"),
    )

    @property
    def is_adherent(self) -> bool:
        return self.state in ADHERENT_STATES

    @property
    def document(self) -> StoredFile | None:
        if self.document_key is None:
            return None
        return StoredFile(self.document_key, self.document_type, self.document_size, self.document_name)


class Area(enum.Enum):
    """The four areas the Model diagnoses, in the order the seed names them."""

    TRANSPARENCY = "transparency"
    ACCOUNTABILITY = "accountability"
    PARTICIPATION = "participation"
    COLLABORATION = "collaboration"

    @property
    def label(self):
        return AREA_LABELS[self]

    @property
    def short_label(self):
        """For table headings, where four long names do not fit side by side."""
        return AREA_SHORT_LABELS[self]


AREA_LABELS = {
    Area.TRANSPARENCY: _l("Transparency"),
    Area.ACCOUNTABILITY: _l("Accountability"),
    Area.PARTICIPATION: _l("Citizen participation"),
    Area.COLLABORATION: _l("Collaboration with civil society"),
}
AREA_SHORT_LABELS = {
    Area.TRANSPARENCY: _l("Transparency"),
    Area.ACCOUNTABILITY: _l("Accountability"),
    Area.PARTICIPATION: _l("Participation"),
    Area.COLLABORATION: _l("Collaboration"),
}


class VersionState(enum.Enum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


VERSION_LABELS = {"DRAFT": _l("Draft"), "PUBLISHED": _l("In use"), "RETIRED": _l("Retired"),
                  "CREATED": _l("Created"), "EDITED": _l("Edited")}


class QuestionnaireVersion(TimestampMixin, db.Model):
    """One version of the diagnostic instrument. Frozen once published, so that a diagnostic
    always reads the questions it was answered against."""

    TRANSITIONS = {
        None: {VersionState.DRAFT},
        VersionState.DRAFT: {VersionState.PUBLISHED},
        VersionState.PUBLISHED: {VersionState.RETIRED},
    }

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    title: Mapped[str] = mapped_column(String(160))
    state: Mapped[VersionState | None]

    questions: Mapped[list["Question"]] = relationship(back_populates="version",
                                                       order_by="Question.position")

    __table_args__ = (
        Index("uq_questionnaire_version_in_use", "state", unique=True,
              sqlite_where=text("state = 'PUBLISHED'"), postgresql_where=text("state = 'PUBLISHED'")),
    )

    def questions_in(self, area: Area) -> list["Question"]:
        return [question for question in self.questions if question.area == area]

    @property
    def short_questions(self) -> list["Question"]:
        """The shorter version local organisations answer (empty when the version has none)."""
        return [question for question in self.questions if question.short]


class Question(TimestampMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_version.id"), index=True)
    area: Mapped[Area]
    position: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    # Answers run from 0 (not at all) to scale_max (fully in place).
    scale_max: Mapped[int]
    weight: Mapped[int] = mapped_column(default=1)
    # The evidence asked for (a link, a decree, minutes…); empty when none is asked.
    evidence_prompt: Mapped[str] = mapped_column(Text, default="")
    # Part of the shorter version that local organisations answer.
    short: Mapped[bool] = mapped_column(default=False, server_default=false())

    version: Mapped[QuestionnaireVersion] = relationship(back_populates="questions")

    __table_args__ = (
        CheckConstraint("scale_max BETWEEN 1 AND 10", name="scale_in_range"),
        CheckConstraint("weight BETWEEN 1 AND 10", name="weight_in_range"),
    )


class DiagnosticState(enum.Enum):
    DRAFT = "draft"
    SUBMITTED = "submitted"


DIAGNOSTIC_LABELS = {"DRAFT": _l("Draft"), "SUBMITTED": _l("Submitted"), "CREATED": _l("Created")}


class Diagnostic(TimestampMixin, db.Model):
    """A municipality's self-assessment against one questionnaire version: a draft, then submitted once."""

    TRANSITIONS = {None: {DiagnosticState.DRAFT}, DiagnosticState.DRAFT: {DiagnosticState.SUBMITTED}}

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("questionnaire_version.id"))
    state: Mapped[DiagnosticState | None]
    submitted_at: Mapped[datetime | None]

    jurisdiction = relationship("Jurisdiction")
    version: Mapped[QuestionnaireVersion] = relationship()
    answers: Mapped[list["Answer"]] = relationship(back_populates="diagnostic")

    __table_args__ = (
        CheckConstraint("(state = 'SUBMITTED') = (submitted_at IS NOT NULL)", name="submitted_has_date"),
        # One draft at a time per municipality.
        Index("uq_diagnostic_draft", "jurisdiction_id", unique=True,
              sqlite_where=text("state = 'DRAFT'"), postgresql_where=text("state = 'DRAFT'")),
    )

    @property
    def is_submitted(self) -> bool:
        return self.state == DiagnosticState.SUBMITTED


class Answer(TimestampMixin, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    diagnostic_id: Mapped[int] = mapped_column(ForeignKey("diagnostic.id"))
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"))
    value: Mapped[int]
    evidence: Mapped[str] = mapped_column(Text, default="")

    diagnostic: Mapped[Diagnostic] = relationship(back_populates="answers")
    question: Mapped[Question] = relationship()

    __table_args__ = (
        UniqueConstraint("diagnostic_id", "question_id"),
        CheckConstraint("value >= 0", name="value_not_negative"),
    )


class LocalResponse(TimestampMixin, db.Model):
    """A verified local organisation's answers to the short version of a municipality's diagnostic:
    a draft, then submitted once. Shown beside the municipality's own answers, never counted in them."""

    TRANSITIONS = Diagnostic.TRANSITIONS

    id: Mapped[int] = mapped_column(primary_key=True)
    diagnostic_id: Mapped[int] = mapped_column(ForeignKey("diagnostic.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"))
    state: Mapped[DiagnosticState | None]
    submitted_at: Mapped[datetime | None]

    diagnostic: Mapped[Diagnostic] = relationship()
    organisation = relationship("Organisation")
    answers: Mapped[list["LocalAnswer"]] = relationship(back_populates="response")

    __table_args__ = (
        # Once per organisation and diagnostic: a double submission finds the row already there.
        UniqueConstraint("diagnostic_id", "organisation_id"),
        CheckConstraint("(state = 'SUBMITTED') = (submitted_at IS NOT NULL)", name="submitted_has_date"),
    )

    @property
    def is_submitted(self) -> bool:
        return self.state == DiagnosticState.SUBMITTED

    @property
    def jurisdiction(self):
        return self.diagnostic.jurisdiction


class LocalAnswer(db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("local_response.id"))
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id"))
    value: Mapped[int]

    response: Mapped[LocalResponse] = relationship(back_populates="answers")
    question: Mapped[Question] = relationship()

    __table_args__ = (
        UniqueConstraint("response_id", "question_id"),
        CheckConstraint("value >= 0", name="value_not_negative"),
    )


class ActivityKind(enum.Enum):
    TRAINING = "training"
    ADVISORY_VISIT = "advisory_visit"

    @property
    def label(self):
        return ACTIVITY_LABELS[self]


ACTIVITY_LABELS = {ActivityKind.TRAINING: _l("Training session"),
                   ActivityKind.ADVISORY_VISIT: _l("Advisory visit")}


class SupportActivity(TimestampMixin, db.Model):
    """A training session or advisory visit the national body held with a municipality."""

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ActivityKind]
    jurisdiction_id: Mapped[int] = mapped_column(ForeignKey("jurisdiction.id"), index=True)
    held_on: Mapped[date]
    topic: Mapped[str] = mapped_column(String(200))
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("user.id"))

    jurisdiction = relationship("Jurisdiction")
    recorded_by = relationship("User")
    attendees: Mapped[list["Attendee"]] = relationship(back_populates="activity", order_by="Attendee.id")

    @property
    def attendance(self) -> int:
        """The people checked in, counted from the rows, never typed in."""
        return sum(1 for row in self.attendees if row.is_present)

    @property
    def registered(self) -> int:
        return len(self.attendees)


class Attendee(db.Model):
    """One person on a session's attendance list: registered beforehand (an account) or added at
    the door by name; present once checked in. Names are shown to staff only."""

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("support_activity.id"), index=True)
    # The registered person; None for someone added by name from the sign-in sheet.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    name: Mapped[str] = mapped_column(String(120))
    affiliation: Mapped[str] = mapped_column(String(120), default="")
    # Set once, by a conditional UPDATE: a second check-in finds it set.
    checked_in_at: Mapped[datetime | None]
    checked_in_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    activity: Mapped[SupportActivity] = relationship(back_populates="attendees")
    user = relationship("User", foreign_keys=[user_id])

    __table_args__ = (
        # One row per registered person and session (people added by name have no account).
        UniqueConstraint("activity_id", "user_id"),
    )

    @property
    def is_present(self) -> bool:
        return self.checked_in_at is not None
