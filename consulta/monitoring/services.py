"""Implementation monitoring: progress reported by the responsible entities on the activities of a
published plan, statuses computed as of any date, followers, reminders and exports.

What views, commands and the demo loader call (all flush, none commits):

    submit_report(activity, *, reporter, reported_on, narrative, percent=None, done=False, links=(), files=())
        -> ProgressReport
    correct_report(report, *, reporter, reason, reported_on, narrative, percent=None, done=False, links=(),
                   files=()) -> ProgressReport          (a new version; the earlier ones stay readable)
    status_as_of(activity, day) -> ActivityStatus;  status_at(activity, instant) -> ActivityStatus
    completion(commitment, day) -> CommitmentProgress   (the OGP level by COMPLETION_RULE)
    tracker(cycle, day) -> list[CommitmentProgress];  late(cycle, day) -> list[ActivityStatus]
    trackers(cycles, days) -> {cycle id: list[CommitmentProgress]}   (many cycles in a fixed number of statements)
    update_activity(activity, *, name, starts_on, ends_on, description, deliverable, milestone, entity, actor)
    follow(user, commitment, *, mode) -> CommitmentFollow;  unfollow(user, commitment)
    send_reminders(at=None) -> int;  send_digests(at=None) -> int     (the `flask monitoring` commands)
    export_rows(cycle, day) -> list[dict];  progress_json(cycle, day) -> bytes
    progress_document(cycle, day, fmt) -> bytes         (DOCX or PDF, through the Mesa's document writers)

The status of an activity on a day (a local date of the jurisdiction) follows from its dates and from
the reports dated up to that day, with the activity's window typed as dates (core windows: it opens at
the first day's local midnight and closes at the next local midnight after the last day):

    cumplido     a report up to that day says it is done (with evidence): on time when dated on or
                 before the end date, late otherwise
    pendiente    the window has not opened yet
    en proceso   the window is open
    atrasado     the window has closed
"""
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from urllib.parse import urlsplit

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from consulta.accounts.exports import register_data_export
from consulta.accounts.models import User, UserState
from consulta.commitments import services as commitments
from consulta.commitments.models import Activity, Commitment, PlanVersion
from consulta.consultation import targets
from consulta.consultation.services import render as render_text
from consulta.core import clock, exports, storage
from consulta.core.audit import record_event, transition
from consulta.core.errors import DomainError
from consulta.core.i18n import local_date
from consulta.core.outbox import absolute_url, queue_email
from consulta.core.permissions import can, require
from consulta.core.windows import has_closed, is_open, local_to_utc, to_local, window_from_dates
from consulta.cycles.models import EARLIEST_DATE, LATEST_DATE, Cycle, PhaseKind
from consulta.extensions import db
from consulta.jurisdictions.models import Entity, FollowState, GrantState, Role, RoleGrant
from consulta.mesa import services as mesa
from consulta.mesa.models import PlanPublication
from consulta.monitoring.models import (
    ActivityReminder, CommitmentFollow, Completion, Evidence, FollowMode, ProgressReport, ReportVersion, Status,
    Trigger,
)

NARRATIVE_MAX = 10000
REASON_MAX = 2000
DETAILS_MAX = 2000
LINK_MAX = 500
LINKS_MAX = 10
FILES_MAX = 5
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024
EVIDENCE_TYPES = storage.IMAGE_AND_PDF | storage.OFFICE_DOCUMENTS
# OGP's repository is to be updated at least twice a year.
STALE_AFTER_MONTHS = 6
DIGEST_EVERY = timedelta(days=7)
# Reminders, by days from the activity's end date: (trigger, first day, last day). A command that
# missed its day still sends within the range, never twice.
REMINDERS = (
    (Trigger.TWO_WEEKS_BEFORE, -14, -2),
    (Trigger.DAY_BEFORE, -1, 0),
    (Trigger.LATE, 1, 7),
)

COMPLETION_RULE = _l(
    "A commitment's completion level follows from the progress of its activities on the chosen date: an "
    "activity reported done counts 100%, any other its last reported percentage (0% when it has no "
    "report). Complete: every activity is done. Not started: no progress at all. Substantial: the "
    "average progress is 50% or more. Limited: some progress, less than 50% on average.")
SUBSTANTIAL_FROM = 50


# --- statuses as of a day ------------------------------------------------------------------------

@dataclass(frozen=True)
class ActivityStatus:
    activity: Activity
    status: Status
    # 100 when done; otherwise the last reported percentage, 0 without a report.
    percent: int
    reports: int
    last_reported_on: date | None
    done_on: date | None

    @property
    def on_time(self) -> bool | None:
        """For a completed activity: reported done on or before its end date."""
        return None if self.done_on is None else self.done_on <= self.activity.ends_on


@dataclass
class CommitmentProgress:
    commitment: Commitment
    activities: list[ActivityStatus]
    level: Completion
    percent: int
    last_reported_on: date | None
    # No report in six months (OGP asks for updates at least twice a year), and not complete.
    stale: bool
    counts: dict = field(default_factory=dict)

    def share(self, status: Status) -> int:
        """The percentage of its activities in `status` (for the bars)."""
        return 100 * self.counts.get(status, 0) // len(self.activities) if self.activities else 0


def local_today(jurisdiction) -> date:
    return mesa.local_today(jurisdiction)


def day_start(day: date, tz: str) -> datetime:
    return local_to_utc(datetime.combine(day, time.min), tz)


def _window(activity):
    return window_from_dates(activity.starts_on, activity.ends_on, activity.jurisdiction.timezone)


def _evaluate(activity, versions, at: datetime) -> ActivityStatus:
    """The status at instant `at`, from the current versions of the reports counted (oldest first)."""
    done = [version.reported_on for version in versions if version.done]
    window = _window(activity)
    if done:
        status = Status.DONE
    elif has_closed(window, at):
        status = Status.LATE
    elif is_open(window, at):
        status = Status.IN_PROGRESS
    else:
        status = Status.PENDING
    return ActivityStatus(
        activity=activity, status=status, percent=100 if done else (versions[-1].percent if versions else 0),
        reports=len(versions), last_reported_on=max((v.reported_on for v in versions), default=None),
        done_on=min(done, default=None))


def _current_versions(activity_ids, day: date) -> dict[int, list[ReportVersion]]:
    """The current version of every report on these activities dated up to `day`, oldest first, by activity."""
    if not activity_ids:
        return {}
    rows = db.session.execute(
        select(ProgressReport.activity_id, ReportVersion)
        .join(ReportVersion, and_(ReportVersion.report_id == ProgressReport.id,
                                  ReportVersion.number == ProgressReport.current_number))
        .where(ProgressReport.activity_id.in_(list(activity_ids)), ReportVersion.reported_on <= day)
        .order_by(ReportVersion.reported_on, ProgressReport.id))
    found: dict[int, list[ReportVersion]] = {}
    for activity_id, version in rows:
        found.setdefault(activity_id, []).append(version)
    return found


def status_as_of(activity, day: date) -> ActivityStatus:
    """The activity's status on `day` (a local date), from the reports dated up to that day."""
    at = day_start(day, activity.jurisdiction.timezone)
    return _evaluate(activity, _current_versions([activity.id], day).get(activity.id, []), at)


def status_at(activity, instant: datetime) -> ActivityStatus:
    """The activity's status at an instant: its window's boundaries are the local midnights, and the
    reports counted are those dated up to the instant's local date."""
    day = to_local(instant, activity.jurisdiction.timezone).date()
    return _evaluate(activity, _current_versions([activity.id], day).get(activity.id, []), instant)


def _level(statuses: list[ActivityStatus]) -> tuple[Completion, int]:
    """COMPLETION_RULE."""
    if not statuses:
        return Completion.NOT_STARTED, 0
    average = sum(status.percent for status in statuses) // len(statuses)
    if all(status.status is Status.DONE for status in statuses):
        return Completion.COMPLETE, 100
    if not any(status.percent for status in statuses):
        return Completion.NOT_STARTED, 0
    return (Completion.SUBSTANTIAL if average >= SUBSTANTIAL_FROM else Completion.LIMITED), average


def _stale(commitment, last_reported_on, level, day, published_on) -> bool:
    if level is Completion.COMPLETE:
        return False
    since = last_reported_on or max(commitment.starts_on, published_on or commitment.starts_on)
    return since <= day and mesa.add_months(since, STALE_AFTER_MONTHS) < day


def _progress(commitment, versions_by_activity, day, published_on) -> CommitmentProgress:
    at = day_start(day, commitment.jurisdiction.timezone)
    statuses = [_evaluate(activity, versions_by_activity.get(activity.id, []), at)
                for activity in commitment.activities]
    level, percent = _level(statuses)
    last = max((status.last_reported_on for status in statuses if status.last_reported_on), default=None)
    return CommitmentProgress(commitment=commitment, activities=statuses, level=level, percent=percent,
                              last_reported_on=last, stale=_stale(commitment, last, level, day, published_on),
                              counts=Counter(status.status for status in statuses))


def _published_on(cycle) -> date | None:
    return _day_of(mesa.current_publication(cycle), cycle)


def _day_of(publication, cycle) -> date | None:
    return None if publication is None else to_local(publication.published_at, cycle.jurisdiction.timezone).date()


def completion(commitment, day: date) -> CommitmentProgress:
    """The commitment's progress on `day`: each activity's status and its OGP completion level."""
    versions = _current_versions([activity.id for activity in commitment.activities], day)
    return _progress(commitment, versions, day, _published_on(commitment.cycle))


def published_commitments(cycle) -> list[Commitment]:
    """The commitments of the cycle's published plan (its version in force), by number; none before publication."""
    version = mesa.published_version(cycle)
    if version is None:
        return []
    return _commitments([row.commitment_id for row in version.snapshots])


def _commitments(ids) -> list[Commitment]:
    return list(db.session.scalars(
        select(Commitment).where(Commitment.id.in_(list(ids)))
        .options(selectinload(Commitment.area), selectinload(Commitment.entity),
                 selectinload(Commitment.activities).selectinload(Activity.entity))
        .order_by(Commitment.number)))


def tracker(cycle, day: date) -> list[CommitmentProgress]:
    """Every commitment of the published plan with its progress on `day`."""
    found = published_commitments(cycle)
    versions = _current_versions([activity.id for commitment in found for activity in commitment.activities], day)
    published_on = _published_on(cycle)
    return [_progress(commitment, versions, day, published_on) for commitment in found]


def trackers(cycles, days: dict[int, date]) -> dict[int, list[CommitmentProgress]]:
    """`tracker` for many cycles at once, each on its own day (`days` by cycle id), in a fixed number
    of statements however many cycles (one more per distinct day). Only cycles with a published plan
    are in the answer."""
    cycles = {cycle.id: cycle for cycle in cycles}
    if not cycles:
        return {}
    publications = {}
    for publication in db.session.scalars(
            select(PlanPublication).where(PlanPublication.cycle_id.in_(list(cycles)))
            .options(selectinload(PlanPublication.version).selectinload(PlanVersion.snapshots))
            .order_by(PlanPublication.id)):
        publications[publication.cycle_id] = publication  # the last one is in force, as current_publication
    members = {cycle_id: {row.commitment_id for row in publication.version.snapshots}
               for cycle_id, publication in publications.items()}
    found = _commitments(set().union(*members.values())) if members else []
    answer = {}
    for day in {days[cycle_id] for cycle_id in publications}:
        ids = [cycle_id for cycle_id in publications if days[cycle_id] == day]
        mine = [commitment for commitment in found if any(commitment.id in members[cycle_id] for cycle_id in ids)]
        versions = _current_versions([activity.id for commitment in mine for activity in commitment.activities], day)
        for cycle_id in ids:
            published_on = _day_of(publications[cycle_id], cycles[cycle_id])
            answer[cycle_id] = [_progress(commitment, versions, day, published_on)
                                for commitment in mine if commitment.id in members[cycle_id]]
    return answer


def late(cycle, day: date) -> list[ActivityStatus]:
    """The activities late on `day`, the longest overdue first."""
    rows = [status for progress in tracker(cycle, day) for status in progress.activities
            if status.status is Status.LATE]
    return sorted(rows, key=lambda status: (status.activity.ends_on, status.activity.commitment.number,
                                            status.activity.position))


def is_published(cycle) -> bool:
    return mesa.is_published(cycle)


def monitored(commitment) -> bool:
    """Is the commitment part of its cycle's published plan?"""
    version = mesa.published_version(commitment.cycle)
    return version is not None and any(row.commitment_id == commitment.id for row in version.snapshots)


def is_monitored(activity) -> bool:
    return monitored(activity.commitment)


def plan_entities(cycle) -> list[Entity]:
    """The responsible entities of the published plan's commitments and activities (for the filter)."""
    found = {}
    for commitment in published_commitments(cycle):
        for entity in [commitment.entity] + [activity.responsible_entity for activity in commitment.activities]:
            found[entity.id] = entity
    return sorted(found.values(), key=lambda entity: entity.name)


def filtered(rows: list[CommitmentProgress], *, status: Status | None = None, entity_id: int | None = None):
    """The tracker's rows by thematic area, each commitment with the activities that pass the filters
    (a status, a responsible entity); a commitment none of whose activities pass is left out, unless
    no filter is set. Returns [(area, [(progress, shown activity statuses)])]."""
    def passes(item: ActivityStatus) -> bool:
        return (status is None or item.status is status) and \
            (entity_id is None or item.activity.responsible_entity.id == entity_id)

    kept = []
    for progress in rows:
        shown = [item for item in progress.activities if passes(item)]
        if shown or (status is None and (entity_id is None or progress.commitment.entity_id == entity_id)):
            kept.append((progress, shown))
    groups = commitments.by_area([progress.commitment for progress, _shown in kept])
    by_commitment = {progress.commitment.id: (progress, shown) for progress, shown in kept}
    return [(area, [by_commitment[commitment.id] for commitment in members]) for area, members in groups]


def parse_day(value: str | None, jurisdiction) -> date:
    """The date of an "estado al" choice (YYYY-MM-DD); today when empty. A DomainError when unreadable."""
    if not value:
        return local_today(jurisdiction)
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise DomainError("al", _("Enter a date, such as 2019-12-01.")) from None
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise DomainError("al", _("Enter a date between %(first)s and %(last)s.",
                                  first=local_date(EARLIEST_DATE), last=local_date(LATEST_DATE)))
    return day


# --- reports --------------------------------------------------------------------------------------

@dataclass
class _Content:
    reported_on: date
    narrative: str
    percent: int
    done: bool
    links: list[str]


def _text(value, field_name, maximum, *, required=True, message=None) -> str:
    value = (value or "").replace("\r\n", "\n").strip()
    if required and not value:
        raise DomainError(field_name, str(message or _("This field is required.")))
    if len(value) > maximum:
        raise DomainError(field_name, _("This text has at most %(max)s characters.", max=maximum))
    return value


def _links(links) -> list[str]:
    found = []
    for link in links or ():
        link = (link or "").strip()
        if not link:
            continue
        parts = urlsplit(link)
        if len(link) > LINK_MAX or parts.scheme not in ("http", "https") or not parts.netloc \
                or any(character.isspace() for character in link):
            raise DomainError("links", _("%(link)s is not a web address starting with http:// or https://.",
                                         link=link[:80]))
        if link not in found:
            found.append(link)
    if len(found) > LINKS_MAX:
        raise DomainError("links", _("Give at most %(max)s links.", max=LINKS_MAX))
    return found


def _uploads(files) -> list:
    chosen = [upload for upload in files or () if upload is not None and getattr(upload, "filename", None)]
    if len(chosen) > FILES_MAX:
        raise DomainError("files", _("Attach at most %(max)s files.", max=FILES_MAX))
    return chosen


def _content(activity, *, reported_on, narrative, percent, done, links) -> _Content:
    if not isinstance(reported_on, date):
        raise DomainError("reported_on", _("Enter a date."))
    if reported_on < activity.starts_on:
        raise DomainError("reported_on", _("A report cannot be dated before the activity starts, on %(day)s.",
                                           day=local_date(activity.starts_on)))
    if reported_on > local_today(activity.jurisdiction):
        raise DomainError("reported_on", _("This date is in the future: report progress once it has happened."))
    narrative = _text(narrative, "narrative", NARRATIVE_MAX, message=_("Say what was done."))
    done = bool(done)
    if not done:
        if percent is None or percent == "":
            raise DomainError("percent", _("Give the percentage done, or mark the activity as done."))
        if not isinstance(percent, int) or isinstance(percent, bool) or not 0 <= percent <= 100:
            raise DomainError("percent", _("The percentage is a whole number from 0 to 100."))
    return _Content(reported_on=reported_on, narrative=narrative, percent=100 if done else percent, done=done,
                    links=_links(links))


def _require_monitored(activity) -> None:
    if not is_monitored(activity):
        raise DomainError(None, _("Progress is reported on the published plan: this commitment is not part of a "
                                  "published plan."))


def _add_version(report, number, content: _Content, *, reporter, reason, kept_files, uploads) -> ReportVersion:
    if content.done and not (content.links or kept_files or uploads):
        raise DomainError("links", _("An activity reported done needs evidence: a link or a file."))
    # Files are stored once everything else was accepted, and before any row is made: a refused
    # report leaves neither a file nor a half-built row behind.
    stored = [storage.store(upload, allowed=EVIDENCE_TYPES, max_bytes=EVIDENCE_MAX_BYTES, field="files")
              for upload in uploads]
    version = ReportVersion(report=report, number=number, reported_on=content.reported_on, percent=content.percent,
                            done=content.done, narrative=content.narrative,
                            narrative_html=render_text(content.narrative), reason=reason, author_id=reporter.id,
                            created_at=clock.now())
    evidence = [Evidence(url=link) for link in content.links]
    evidence += [Evidence(file_key=item.file_key, file_type=item.file_type, file_size=item.file_size,
                          file_name=item.file_name) for item in kept_files]
    evidence += [Evidence(file_key=item.key, file_type=item.content_type, file_size=item.size,
                          file_name=item.original_name) for item in stored]
    for position, item in enumerate(evidence):
        item.position = position
        version.evidence.append(item)
    db.session.add(version)
    return version


def submit_report(activity, *, reporter, reported_on, narrative, percent=None, done=False, links=(),
                  files=()) -> ProgressReport:
    """A reporter of the activity's responsible entity reports its progress; public at once.

    reported_on: the (local) day the progress is reported as of, from the activity's start to today;
    narrative: plain text (paragraphs and links kept, sanitised); percent: 0–100, required unless
    `done`; done: the activity is finished, which needs evidence; links: web addresses (http or https);
    files: uploaded files (PDF, images, DOCX, XLSX, ODT, ODS; 10 MB each, at most 5). Followers of the
    commitment who asked for an email per report get one. Refused (DomainError) on a plan that is not
    published; PermissionDenied for anyone but a reporter of the responsible entity.
    """
    entity = activity.responsible_entity
    require(reporter, "report_progress", entity)
    _require_monitored(activity)
    content = _content(activity, reported_on=reported_on, narrative=narrative, percent=percent, done=done,
                       links=links)
    uploads = _uploads(files)
    report = ProgressReport(activity=activity, entity=entity, author_id=reporter.id, submitted_at=clock.now(),
                            current_number=1)
    _add_version(report, 1, content, reporter=reporter, reason="", kept_files=[], uploads=uploads)
    db.session.flush()
    record_event(report, "SUBMITTED", actor=reporter)
    _email_followers(report)
    return report


def correct_report(report, *, reporter, reason, reported_on, narrative, percent=None, done=False, links=(),
                   files=()) -> ProgressReport:
    """Correct a report: a new version with the same fields as `submit_report` (links: the whole new
    list; files: more files, those of the corrected version are kept) and a public `reason`. The
    statuses read the latest version; every earlier one stays readable on the report's page."""
    require(reporter, "report_progress", report.entity)
    activity = report.activity
    _require_monitored(activity)
    reason = _text(reason, "reason", REASON_MAX, message=_("Say what the correction changes: it is public."))
    content = _content(activity, reported_on=reported_on, narrative=narrative, percent=percent, done=done,
                       links=links)
    uploads = _uploads(files)
    previous = report.current
    unchanged = (previous.reported_on, previous.narrative, previous.percent, previous.done,
                 [item.url for item in previous.links]) == (content.reported_on, content.narrative, content.percent,
                                                            content.done, content.links)
    if unchanged and not uploads:
        raise DomainError(None, _("Nothing changed: correct what the report says, or add evidence."))
    number = report.current_number + 1
    try:
        # The version number is unique per report: a correction made meanwhile is a refusal, not a 500.
        with db.session.begin_nested():
            _add_version(report, number, content, reporter=reporter, reason=reason, kept_files=previous.files,
                         uploads=uploads)
            db.session.flush()
    except IntegrityError:
        raise DomainError(None, _("Someone corrected this report a moment ago: open it again.")) from None
    report.current_number = number
    db.session.flush()
    db.session.expire(report, ["current"])
    record_event(report, "CORRECTED", actor=reporter, reason=reason)
    return report


def reports_for(activities, day: date | None = None) -> dict[int, list[ProgressReport]]:
    """The reports on these activities (dated up to `day` when given), newest first, by activity id,
    with their current version and its evidence (a fixed number of queries)."""
    ids = [activity.id for activity in activities]
    query = (select(ProgressReport)
             .join(ReportVersion, and_(ReportVersion.report_id == ProgressReport.id,
                                       ReportVersion.number == ProgressReport.current_number))
             .where(ProgressReport.activity_id.in_(ids))
             .options(selectinload(ProgressReport.current).selectinload(ReportVersion.evidence),
                      selectinload(ProgressReport.author), selectinload(ProgressReport.entity)))
    if day is not None:
        query = query.where(ReportVersion.reported_on <= day)
    found: dict[int, list[ProgressReport]] = {activity_id: [] for activity_id in ids}
    for report in db.session.scalars(query.order_by(ReportVersion.reported_on.desc(), ProgressReport.id.desc())):
        found[report.activity_id].append(report)
    return found


def reports_of(activity, day: date | None = None) -> list[ProgressReport]:
    return reports_for([activity], day)[activity.id]


def later_reports(activity, day: date) -> int:
    """How many of the activity's reports are dated after `day` (not counted for that day)."""
    return db.session.scalar(
        select(func.count(ProgressReport.id))
        .join(ReportVersion, and_(ReportVersion.report_id == ProgressReport.id,
                                  ReportVersion.number == ProgressReport.current_number))
        .where(ProgressReport.activity_id == activity.id, ReportVersion.reported_on > day))


def find_report(cycle, report_id) -> ProgressReport | None:
    report = db.session.get(ProgressReport, report_id)
    return report if report is not None and report.activity.commitment.cycle_id == cycle.id else None


def find_evidence(report, evidence_id) -> Evidence | None:
    """A file of one of the report's versions."""
    item = db.session.get(Evidence, evidence_id)
    if item is None or item.file_key is None or item.version.report_id != report.id:
        return None
    return item


def stored_file(item) -> storage.StoredFile:
    return storage.StoredFile(key=item.file_key, content_type=item.file_type, size=item.file_size,
                              original_name=item.file_name)


def find_activity(cycle, activity_id) -> Activity | None:
    activity = db.session.get(Activity, activity_id)
    return activity if activity is not None and activity.commitment.cycle_id == cycle.id else None


# --- activities' details ---------------------------------------------------------------------------

def update_activity(activity, *, name, starts_on, ends_on, description, deliverable, milestone, entity,
                    actor) -> Activity:
    """A moderator completes an activity: its name and dates (checked by the commitments' rules), a
    description, the deliverable, the verifiable milestone that shows it done, and its responsible
    entity (None: the commitment's; else an entity of the jurisdiction)."""
    require(actor, "moderate", activity)
    details = {"description": _text(description, "description", DETAILS_MAX, required=False),
               "deliverable": _text(deliverable, "deliverable", DETAILS_MAX, required=False),
               "milestone": _text(milestone, "milestone", DETAILS_MAX, required=False),
               "entity_id": _entity_id(activity, entity)}
    commitments.update_activity(activity, name=name, starts_on=starts_on, ends_on=ends_on, actor=actor)
    changed = [key for key, value in details.items() if getattr(activity, key) != value]
    for key in changed:
        setattr(activity, key, details[key])
    if changed:
        db.session.flush()
        db.session.expire(activity, ["entity"])
        record_event(activity, "EDITED", actor=actor, reason=", ".join(key.removesuffix("_id") for key in changed))
    return activity


def _entity_id(activity, entity) -> int | None:
    entity_id = getattr(entity, "id", entity)
    if entity_id in (None, ""):
        return None
    found = db.session.get(Entity, entity_id) if isinstance(entity_id, int) else None
    if found is None or found.jurisdiction_id != activity.commitment.cycle.jurisdiction_id:
        raise DomainError("entity", _("Choose one of this jurisdiction's public entities."))
    return None if found.id == activity.commitment.entity_id else found.id


def entity_choices(activity) -> list[Entity]:
    return list(activity.commitment.cycle.jurisdiction.entities)


# --- following a commitment ------------------------------------------------------------------------

def _follow_row(user, commitment) -> CommitmentFollow | None:
    return db.session.scalar(select(CommitmentFollow).where(CommitmentFollow.user_id == user.id,
                                                            CommitmentFollow.commitment_id == commitment.id))


def following(user, commitment) -> CommitmentFollow | None:
    """The person's active follow of the commitment, or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    row = _follow_row(user, commitment)
    return row if row is not None and row.state is FollowState.ACTIVE else None


def follow(user, commitment, *, mode) -> CommitmentFollow:
    """Follow a commitment's progress: an email per new report, or a weekly digest (`mode`, a
    FollowMode or its name). Following again changes the mode."""
    require(user, "follow_commitment", commitment)
    if not isinstance(mode, FollowMode):
        if mode not in FollowMode.__members__:
            raise DomainError("mode", _("Choose how you want to be told."))
        mode = FollowMode[mode]
    row = _follow_row(user, commitment)
    if row is None:
        row = CommitmentFollow(user_id=user.id, commitment_id=commitment.id, mode=mode, created_at=clock.now(),
                               digest_through=clock.now())
        try:
            with db.session.begin_nested():
                db.session.add(row)
                db.session.flush()
        except IntegrityError:
            # Another request of the same person created it a moment ago.
            row = _follow_row(user, commitment)
    if row.state is not FollowState.ACTIVE:
        # A digest starts from now: what was published while not following is not sent later.
        row.digest_through = clock.now()
        transition(row, FollowState.ACTIVE, actor=user, public=False)
    if row.mode is not mode:
        row.mode = mode
        row.digest_through = clock.now()
        record_event(row, "MODE_CHANGED", actor=user, reason=mode.name, public=False)
    return row


def unfollow(user, commitment) -> CommitmentFollow | None:
    row = _follow_row(user, commitment)
    if row is not None and row.state is FollowState.ACTIVE:
        transition(row, FollowState.ENDED, actor=user, public=False)
    return row


def _reachable(query):
    return query.where(User.state == UserState.ACTIVE, User.email_verified_at.is_not(None), User.email.is_not(None))


def _followers(commitment, mode: FollowMode) -> list[User]:
    return list(db.session.scalars(_reachable(
        select(User).join(CommitmentFollow, CommitmentFollow.user_id == User.id)
        .where(CommitmentFollow.commitment_id == commitment.id, CommitmentFollow.state == FollowState.ACTIVE,
               CommitmentFollow.mode == mode)).order_by(User.id)))


def report_url(report) -> str:
    cycle = report.cycle
    return absolute_url("monitoring.report", slug=cycle.jurisdiction.slug, cycle_slug=cycle.slug,
                        report_id=report.id)


def _email_followers(report) -> None:
    commitment = report.activity.commitment
    for person in _followers(commitment, FollowMode.EACH_REPORT):
        if person.id == report.author_id:
            continue
        with force_locale(person.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            queue_email(person,
                        subject=_("New progress report on commitment N° %(number)s", number=commitment.number),
                        template="monitoring/email/report", report=report, version=report.current,
                        commitment=commitment, name=person.public_name, url=report_url(report))


def send_digests(at: datetime | None = None) -> int:
    """Each weekly follower whose week has passed gets one email with the reports submitted on the
    commitment since the last digest (none when there were none). Safe to run often and in several
    processes: a follower's week is claimed with a conditional UPDATE. Returns the emails queued."""
    at = at or clock.now()
    due = db.session.execute(
        select(CommitmentFollow.id, CommitmentFollow.digest_through)
        .where(CommitmentFollow.state == FollowState.ACTIVE, CommitmentFollow.mode == FollowMode.WEEKLY,
               CommitmentFollow.digest_through <= at - DIGEST_EVERY).order_by(CommitmentFollow.id)).all()
    sent = 0
    for follow_id, through in due:
        claimed = db.session.execute(
            update(CommitmentFollow)
            .where(CommitmentFollow.id == follow_id, CommitmentFollow.digest_through == through)
            .values(digest_through=at).execution_options(synchronize_session=False)).rowcount
        if claimed != 1:
            continue
        row = db.session.get(CommitmentFollow, follow_id)
        person = db.session.scalar(_reachable(select(User).where(User.id == row.user_id)))
        reports = list(db.session.scalars(
            select(ProgressReport).join(Activity, Activity.id == ProgressReport.activity_id)
            .where(Activity.commitment_id == row.commitment_id, ProgressReport.submitted_at > through,
                   ProgressReport.submitted_at <= at)
            .options(selectinload(ProgressReport.current), selectinload(ProgressReport.activity))
            .order_by(ProgressReport.submitted_at, ProgressReport.id)))
        if person is None or not reports:
            continue
        commitment = row.commitment
        with force_locale(person.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            queue_email(person,
                        subject=_("This week's progress on commitment N° %(number)s", number=commitment.number),
                        template="monitoring/email/digest", commitment=commitment, name=person.public_name,
                        reports=[(report, report_url(report)) for report in reports])
        sent += 1
    db.session.flush()
    return sent


# --- reminders -------------------------------------------------------------------------------------

def _reporters(entity) -> list[User]:
    return list(db.session.scalars(_reachable(
        select(User).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.role == Role.REPORTER, RoleGrant.entity_id == entity.id,
               RoleGrant.state == GrantState.ACTIVE)).distinct().order_by(User.id)))


def _due_trigger(status: ActivityStatus, today: date) -> Trigger | None:
    if status.status is Status.DONE:
        return None
    offset = (today - status.activity.ends_on).days
    for trigger, first, last in REMINDERS:
        if first <= offset <= last and (trigger is not Trigger.LATE or status.status is Status.LATE):
            return trigger
    return None


def _published_cycles() -> list[Cycle]:
    return list(db.session.scalars(select(Cycle).where(Cycle.id.in_(select(PlanPublication.cycle_id)))
                                   .order_by(Cycle.id)))


def send_reminders(at: datetime | None = None) -> int:
    """Email the reporters of each activity of a published plan 14 days and 1 day before its end
    date, and the day after it (once it is late), unless it is done. One row per activity and
    trigger (unique) makes sure no reminder goes twice, even with two runs at once. Returns the
    reminders sent (one per activity and trigger, to all its reporters)."""
    at = at or clock.now()
    sent = 0
    for cycle in _published_cycles():
        jurisdiction = cycle.jurisdiction
        today = to_local(at, jurisdiction.timezone).date()
        for progress in tracker(cycle, today):
            for status in progress.activities:
                trigger = _due_trigger(status, today)
                if trigger is not None and _remind(status, trigger, at):
                    sent += 1
    return sent


def _remind(status: ActivityStatus, trigger: Trigger, at: datetime) -> bool:
    activity = status.activity
    people = _reporters(activity.responsible_entity)
    if not people:
        return False
    reminder = ActivityReminder(activity_id=activity.id, kind=trigger, sent_at=at, recipients=len(people))
    try:
        with db.session.begin_nested():
            db.session.add(reminder)
            db.session.flush()
    except IntegrityError:
        return False
    record_event(reminder, "SENT", actor=None, public=False)
    cycle = activity.commitment.cycle
    url = absolute_url("monitoring.report_form", slug=cycle.jurisdiction.slug, cycle_slug=cycle.slug,
                       activity_id=activity.id)
    for person in people:
        with force_locale(person.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            subject = {
                Trigger.TWO_WEEKS_BEFORE: _("Two weeks left: an activity of commitment N° %(number)s ends on "
                                            "%(day)s", number=activity.commitment.number,
                                            day=local_date(activity.ends_on)),
                Trigger.DAY_BEFORE: _("An activity of commitment N° %(number)s ends on %(day)s",
                                      number=activity.commitment.number, day=local_date(activity.ends_on)),
                Trigger.LATE: _("An activity of commitment N° %(number)s is late",
                                number=activity.commitment.number),
            }[trigger]
            queue_email(person, subject=subject, template="monitoring/email/reminder", activity=activity,
                        trigger=trigger.name, status=status, name=person.public_name, url=url)
    return True


def reminders_sent(activity) -> list[ActivityReminder]:
    return list(db.session.scalars(select(ActivityReminder).where(ActivityReminder.activity_id == activity.id)
                                   .order_by(ActivityReminder.id)))


# --- exports ---------------------------------------------------------------------------------------

EXPORT_COLUMNS = exports.columns(
    ("as_of", _l("The day the statuses are computed for (YYYY-MM-DD, local date).")),
    ("commitment_number", _l("The N° of the commitment the activity belongs to.")),
    ("commitment", _l("The commitment's name.")),
    ("thematic_area", _l("The commitment's thematic area.")),
    ("completion", _l("The commitment's OGP level of completion on that day (code).")),
    ("commitment_percent", _l("The commitment's progress on that day, in percent.")),
    ("activity", _l("The activity and its deliverable, as the plan names it.")),
    ("responsible_entity", _l("The public entity that reports its progress.")),
    ("description", _l("What the activity is.")),
    ("deliverable", _l("What it delivers.")),
    ("milestone", _l("The milestone that shows it done.")),
    ("starts_on", _l("The day it starts (YYYY-MM-DD).")),
    ("ends_on", _l("The day it is due (YYYY-MM-DD).")),
    ("status", _l("Its status on that day (code): pending, in progress, late or done.")),
    ("on_time", _l("For a done activity, whether it was done by its due day (1 or 0; empty otherwise).")),
    ("percent", _l("Its progress on that day, in percent, from its last report.")),
    ("reports", _l("How many progress reports it had by that day.")),
    ("last_report_on", _l("The day of its last report by then (YYYY-MM-DD).")),
    ("no_report_in_six_months", _l("Whether its commitment went six months without a report (1 or 0).")),
)
EXPORT_FIELDS = exports.names(EXPORT_COLUMNS)


def export_rows(cycle, day: date) -> list[dict]:
    """One row per activity of the published plan, with its status on `day` and its commitment's level."""
    rows = []
    for progress in tracker(cycle, day):
        commitment = progress.commitment
        for status in progress.activities:
            activity = status.activity
            rows.append({
                "as_of": day.isoformat(), "commitment_number": commitment.number, "commitment": commitment.name,
                "thematic_area": commitment.area.name, "completion": progress.level.value,
                "commitment_percent": progress.percent, "activity": activity.name,
                "responsible_entity": activity.responsible_entity.name, "description": activity.description,
                "deliverable": activity.deliverable, "milestone": activity.milestone,
                "starts_on": activity.starts_on.isoformat(), "ends_on": activity.ends_on.isoformat(),
                "status": status.status.value, "on_time": "" if status.on_time is None else status.on_time,
                "percent": status.percent, "reports": status.reports,
                "last_report_on": status.last_reported_on.isoformat() if status.last_reported_on else "",
                "no_report_in_six_months": progress.stale,
            })
    return rows


def progress_json(cycle, day: date) -> dict:
    """The plan's progress on `day`, commitment by commitment, with every activity's reports."""
    rows = tracker(cycle, day)
    reports = reports_for([status.activity for progress in rows for status in progress.activities], day)
    return {
        "jurisdiction": cycle.jurisdiction.name, "cycle": cycle.name, "as_of": day.isoformat(),
        "completion_rule": str(COMPLETION_RULE),
        "commitments": [{
            "number": progress.commitment.number, "name": progress.commitment.name,
            "thematic_area": progress.commitment.area.name, "responsible_entity": progress.commitment.entity.name,
            "completion": progress.level.value, "percent": progress.percent,
            "last_report_on": progress.last_reported_on.isoformat() if progress.last_reported_on else None,
            "no_report_in_six_months": progress.stale,
            "activities": [{
                "name": status.activity.name, "responsible_entity": status.activity.responsible_entity.name,
                "description": status.activity.description, "deliverable": status.activity.deliverable,
                "milestone": status.activity.milestone, "starts_on": status.activity.starts_on.isoformat(),
                "ends_on": status.activity.ends_on.isoformat(), "status": status.status.value,
                "on_time": status.on_time, "percent": status.percent,
                "reports": [{"id": report.id, "reported_on": report.current.reported_on.isoformat(),
                             "percent": report.current.percent, "done": report.current.done,
                             "version": report.current.number, "narrative": report.current.narrative,
                             "links": [item.url for item in report.current.links],
                             "files": [item.file_name for item in report.current.files], "url": report_url(report)}
                            for report in reports[status.activity.id]],
            } for status in progress.activities],
        } for progress in rows],
    }


def _status_text(status: ActivityStatus) -> str:
    if status.status is not Status.DONE:
        return str(status.status.label)
    if status.on_time:
        return _("%(status)s (on time)", status=status.status.label)
    return _("%(status)s (late)", status=status.status.label)


def _outline(cycle, day: date):
    """The progress report as outline blocks, for the Mesa's document writers."""
    rows = tracker(cycle, day)
    yield "title", _("Progress of %(cycle)s · %(jurisdiction)s", cycle=cycle.name,
                     jurisdiction=cycle.jurisdiction.name)
    yield "paragraph", _("Status as of %(day)s.", day=local_date(day))
    yield "paragraph", str(COMPLETION_RULE)
    yield "heading", _("Summary of commitments")
    yield "table", [_("Commitment"), _("Responsible entity"), _("Completion"), _("Last report")], [
        [_("N° %(number)s: %(name)s", number=progress.commitment.number, name=progress.commitment.name),
         progress.commitment.entity.name, f"{progress.level.label} ({progress.percent} %)",
         local_date(progress.last_reported_on) if progress.last_reported_on else _("No report yet")]
        for progress in rows], (0.45, 0.25, 0.15, 0.15)
    for progress in rows:
        commitment = progress.commitment
        yield "heading", _("Commitment N° %(number)s: %(name)s", number=commitment.number, name=commitment.name)
        yield "paragraph", _("Completion: %(level)s (%(percent)s %%).", level=progress.level.label,
                             percent=progress.percent)
        if progress.stale:
            yield "paragraph", _("No progress report in the last six months.")
        yield "table", [_("Activity and deliverable"), _("Start date"), _("End date"), _("Status"), _("Progress")], [
            [status.activity.name, local_date(status.activity.starts_on), local_date(status.activity.ends_on),
             _status_text(status), f"{status.percent} %"]
            for status in progress.activities], (0.44, 0.14, 0.14, 0.16, 0.12)


def progress_document(cycle, day: date, fmt: str) -> bytes:
    """The plan's progress on `day` as a DOCX or PDF document, written by the Mesa's document writers."""
    from consulta.mesa import exports

    blocks = list(_outline(cycle, day))
    if fmt == "docx":
        return exports.write_docx(blocks)
    return exports.write_pdf(blocks, title=_("Progress of %(cycle)s", cycle=cycle.name),
                             author=cycle.jurisdiction.name)


# --- comments on reports (the consultation's machinery) and "download my data" --------------------

def _report_label(report) -> str:
    return _("Progress report of %(day)s on “%(activity)s”", day=local_date(report.current.reported_on),
             activity=report.activity.name)


def _report_page(report) -> str:
    cycle = report.cycle
    return url_for("monitoring.report", slug=cycle.jurisdiction.slug, cycle_slug=cycle.slug, report_id=report.id)


# Mesa members and the public comment on a report while the plan is in implementation (the cycle's
# implementation phase is open); the responsible entity's reporters reply in the same thread.
targets.register_target(
    "progress_report", lambda report_id: db.session.get(ProgressReport, report_id), model=ProgressReport,
    window_of=lambda report: report.cycle.phase(PhaseKind.IMPLEMENTATION),
    jurisdiction_of=lambda report: report.cycle.jurisdiction, cycle_of=lambda report: report.cycle,
    label=_report_label, url_of=_report_page,
    answered_by=lambda report, user: report.entity.name if can(user, "report_progress", report.entity) else None,
)


def _own_reports(user) -> list[dict]:
    versions = db.session.scalars(select(ReportVersion).where(ReportVersion.author_id == user.id)
                                  .order_by(ReportVersion.id))
    return [{"report": version.report_id, "version": version.number, "activity": version.report.activity.name,
             "reported_on": version.reported_on, "percent": version.percent, "done": version.done,
             "narrative": version.narrative, "reason": version.reason, "created_at": version.created_at}
            for version in versions]


def _own_follows(user) -> list[dict]:
    rows = db.session.scalars(select(CommitmentFollow).where(CommitmentFollow.user_id == user.id)
                              .order_by(CommitmentFollow.id))
    return [{"commitment": row.commitment.name, "cycle": row.commitment.cycle.name, "mode": row.mode,
             "state": row.state, "since": row.created_at} for row in rows]


register_data_export("progress_reports", _own_reports)
register_data_export("commitment_follows", _own_follows)
