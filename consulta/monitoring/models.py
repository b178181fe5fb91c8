"""Implementation monitoring: progress reports on the activities of a published plan, their
versions and evidence, people following a commitment, and the reminders already sent.

Statuses (pendiente, en proceso, atrasado, cumplido) and completion levels are never stored: the
services compute them, as of any date, from the reports dated up to that day.
"""
import enum
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint, and_, event
from sqlalchemy.orm import Mapped, foreign, mapped_column, relationship

from consulta.core import clock
from consulta.extensions import db
from consulta.jurisdictions.models import FollowState


class Status(enum.Enum):
    """An activity's status on a day. The values are the words the tracker's addresses use (?estado=)."""

    PENDING = "pendiente"
    IN_PROGRESS = "en-proceso"
    LATE = "atrasado"
    DONE = "cumplido"

    @property
    def label(self):
        return STATUS_LABELS[self]


STATUS_LABELS = {
    Status.PENDING: _l("Upcoming"),
    Status.IN_PROGRESS: _l("In progress"),
    Status.LATE: _l("Late"),
    Status.DONE: _l("Completed"),
}
# How pages list them: what is done first, what has not started last.
STATUS_ORDER = (Status.DONE, Status.IN_PROGRESS, Status.LATE, Status.PENDING)


class Completion(enum.Enum):
    """OGP's levels of completion of a commitment."""

    NOT_STARTED = "no-iniciado"
    LIMITED = "limitado"
    SUBSTANTIAL = "sustancial"
    COMPLETE = "completo"

    @property
    def label(self):
        return COMPLETION_LABELS[self]


COMPLETION_LABELS = {
    Completion.NOT_STARTED: _l("Not started"),
    Completion.LIMITED: _l("Limited"),
    Completion.SUBSTANTIAL: _l("Substantial"),
    Completion.COMPLETE: _l("Complete"),
}

# History rows keep codes; pages translate them with this table.
REPORT_EVENT_LABELS = {
    "SUBMITTED": _l("Submitted"),
    "CORRECTED": _l("Corrected"),
}


class ProgressReport(db.Model):
    """A dated report of one activity's progress, sent by a reporter of its responsible entity.

    What it says is its current version (`current`); a correction adds a version and every
    earlier one stays readable.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id"), index=True)
    # The entity it was reported for (the activity's responsible entity at the time).
    entity_id: Mapped[int] = mapped_column(ForeignKey("entity.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    submitted_at: Mapped[datetime] = mapped_column(default=clock.now)
    current_number: Mapped[int] = mapped_column(default=1)

    activity = relationship("Activity")
    entity = relationship("Entity")
    author = relationship("User")
    versions: Mapped[list["ReportVersion"]] = relationship(back_populates="report", order_by="ReportVersion.number")
    current: Mapped["ReportVersion"] = relationship(
        primaryjoin=lambda: and_(foreign(ReportVersion.report_id) == ProgressReport.id,
                                 ReportVersion.number == ProgressReport.current_number),
        viewonly=True, uselist=False)

    __table_args__ = (CheckConstraint("current_number > 0", name="current_number_positive"),)

    @property
    def cycle(self):
        return self.activity.commitment.cycle

    @property
    def jurisdiction(self):
        return self.cycle.jurisdiction

    @property
    def corrected(self) -> bool:
        return self.current_number > 1


class ReportVersion(db.Model):
    """What a report says, as sent (version 1) or corrected (2, 3…). Written once, never changed."""

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("progress_report.id"))
    number: Mapped[int]
    # The day the progress is reported as of (local date of the jurisdiction).
    reported_on: Mapped[date]
    # Share of the activity done; 100 when `done`.
    percent: Mapped[int]
    done: Mapped[bool] = mapped_column(default=False)
    # As typed, and as shown (sanitised by the services).
    narrative: Mapped[str] = mapped_column(Text)
    narrative_html: Mapped[str] = mapped_column(Text)
    # Why it was corrected (public); empty for version 1.
    reason: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=clock.now)

    report: Mapped[ProgressReport] = relationship(back_populates="versions")
    author = relationship("User")
    evidence: Mapped[list["Evidence"]] = relationship(back_populates="version", order_by="Evidence.position")

    __table_args__ = (
        UniqueConstraint("report_id", "number"),
        CheckConstraint("percent >= 0 AND percent <= 100", name="percent_in_range"),
        CheckConstraint("NOT done OR percent = 100", name="done_is_whole"),
    )

    @property
    def links(self) -> list["Evidence"]:
        return [item for item in self.evidence if item.url]

    @property
    def files(self) -> list["Evidence"]:
        return [item for item in self.evidence if item.file_key]


class Evidence(db.Model):
    """A link (http or https) or a stored file (PDF, image, office document) backing a version.

    A correction lists the files of the version it corrects again: the stored file is shared.
    """

    __tablename__ = "report_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("report_version.id"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    url: Mapped[str | None] = mapped_column(String(500))
    file_key: Mapped[str | None] = mapped_column(String(64))
    file_type: Mapped[str | None] = mapped_column(String(100))
    file_size: Mapped[int | None]
    file_name: Mapped[str | None] = mapped_column(String(200))

    version: Mapped[ReportVersion] = relationship(back_populates="evidence")

    __table_args__ = (
        CheckConstraint("(url IS NULL) != (file_key IS NULL)", name="link_or_file"),
        CheckConstraint("(file_key IS NULL) = (file_type IS NULL)", name="file_has_type"),
    )


@event.listens_for(ReportVersion, "before_update")
@event.listens_for(ReportVersion, "before_delete")
@event.listens_for(Evidence, "before_update")
@event.listens_for(Evidence, "before_delete")
def _versions_are_frozen(mapper, connection, target):
    # A correction adds a version: what was published once stays readable as it was.
    raise RuntimeError("A version of a progress report cannot change.")


class FollowMode(enum.Enum):
    EACH_REPORT = "each_report"
    WEEKLY = "weekly"

    @property
    def label(self):
        return FOLLOW_MODE_LABELS[self]


FOLLOW_MODE_LABELS = {
    FollowMode.EACH_REPORT: _l("An email for each new report"),
    FollowMode.WEEKLY: _l("A weekly digest"),
}


class CommitmentFollow(db.Model):
    """A person following a commitment's progress. Unfollowing ends the row; following again revives it."""

    TRANSITIONS = {None: {FollowState.ACTIVE}, FollowState.ACTIVE: {FollowState.ENDED},
                   FollowState.ENDED: {FollowState.ACTIVE}}

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitment.id"), index=True)
    mode: Mapped[FollowMode] = mapped_column(default=FollowMode.EACH_REPORT)
    state: Mapped[FollowState | None]
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    # Reports submitted up to this instant were in a digest already (weekly mode).
    digest_through: Mapped[datetime] = mapped_column(default=clock.now)

    user = relationship("User")
    commitment = relationship("Commitment")

    __table_args__ = (UniqueConstraint("user_id", "commitment_id"),)


class Trigger(enum.Enum):
    """When reporters are reminded of an activity's end."""

    TWO_WEEKS_BEFORE = "two_weeks_before"
    DAY_BEFORE = "day_before"
    LATE = "late"


class ActivityReminder(db.Model):
    """A reminder sent: one row per activity and trigger, so that none is ever sent twice."""

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activity.id"))
    kind: Mapped[Trigger]
    sent_at: Mapped[datetime] = mapped_column(default=clock.now)
    recipients: Mapped[int] = mapped_column(default=0)

    __table_args__ = (UniqueConstraint("activity_id", "kind"),)
