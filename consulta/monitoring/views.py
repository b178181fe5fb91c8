import json
from dataclasses import dataclass
from datetime import date

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from consulta.commitments import services as commitments
from consulta.commitments.models import COMMITMENT_LABELS
from consulta.consultation import services as consultation
from consulta.consultation.models import ALIGNMENT_LABELS, OUTCOME_LABELS, REASON_LABELS
from consulta.consultation.targets import target_of
from consulta.consultation.views import comment_form, posting_limited
from consulta.core import exports
from consulta.core.audit import history
from consulta.core.errors import DomainError
from consulta.core.forms import ConfirmForm, confirmed
from consulta.core.permissions import can, require
from consulta.core.storage import serve
from consulta.extensions import db
from consulta.monitoring import bp, services
from consulta.monitoring.forms import ActivityForm, CorrectionForm, FollowForm, ReportForm, TrackerForm
from consulta.monitoring.models import REPORT_EVENT_LABELS, STATUS_ORDER, FollowMode
from consulta.cycles.services import cycle_or_404

PREFIX = "/<slug>/<cycle_slug>/seguimiento"
ACTIVITY = f"{PREFIX}/actividades/<int:activity_id>"
REPORT = f"{PREFIX}/informes/<int:report_id>"
DOCUMENTS = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
             "pdf": "application/pdf"}


def _me():
    return current_user._get_current_object()


def _cycle_args(cycle) -> dict:
    return {"slug": cycle.jurisdiction.slug, "cycle_slug": cycle.slug}


def load_activity(slug, cycle_slug, activity_id):
    activity = services.find_activity(cycle_or_404(slug, cycle_slug), activity_id)
    if activity is None:
        abort(404)
    return activity


def load_report(slug, cycle_slug, report_id):
    report = services.find_report(cycle_or_404(slug, cycle_slug), report_id)
    if report is None:
        abort(404)
    return report


def load_monitored_commitment(slug, cycle_slug, number):
    commitment = commitments.find(cycle_or_404(slug, cycle_slug), number)
    if commitment is None or not services.monitored(commitment):
        abort(404)
    return commitment


def activity_url(activity, **args) -> str:
    return url_for("monitoring.activity", activity_id=activity.id, **_cycle_args(activity.commitment.cycle), **args)


def report_url(report) -> str:
    return url_for("monitoring.report", report_id=report.id, **_cycle_args(report.cycle))


@dataclass
class AsOf:
    """The "estado al" choice of every tracker page: its form (with the filters), the day it asks
    for (today when it is empty or unreadable: the error is shown and the typed text kept), and
    `keep`, the query string that carries a past day into the page's links."""

    form: TrackerForm
    day: date
    today: date
    filters: dict

    @property
    def keep(self) -> dict:
        return {} if self.day == self.today else {"al": self.day.isoformat()}


def _as_of(cycle, entities=()) -> AsOf:
    form = TrackerForm(request.args)
    form.fill_choices(entities)
    filters = form.filters()
    today = services.local_today(cycle.jurisdiction)
    try:
        day = services.parse_day(form.al.data, cycle.jurisdiction)
    except DomainError as error:
        form.al.errors = [*form.al.errors, error.message]
        day = today
    return AsOf(form=form, day=day, today=today, filters=filters)


# --- the public tracker --------------------------------------------------------------------------

@bp.route(PREFIX)
def tracker(slug, cycle_slug):
    cycle = cycle_or_404(slug, cycle_slug)
    as_of = _as_of(cycle, services.plan_entities(cycle))
    rows = services.tracker(cycle, as_of.day)
    return render_template(
        "monitoring/tracker.html", cycle=cycle, as_of=as_of, rows=rows, groups=services.filtered(rows, **as_of.filters),
        filtered=any(value is not None for value in as_of.filters.values()), published=services.is_published(cycle),
        statuses=STATUS_ORDER, rule=services.COMPLETION_RULE,
    )


@bp.route(f"{PREFIX}/atrasadas")
def late(slug, cycle_slug):
    cycle = cycle_or_404(slug, cycle_slug)
    as_of = _as_of(cycle)
    return render_template("monitoring/late.html", cycle=cycle, as_of=as_of, rows=services.late(cycle, as_of.day),
                           published=services.is_published(cycle))


@bp.route(f"{PREFIX}/compromisos/<int:number>")
def commitment(slug, cycle_slug, number):
    found = load_monitored_commitment(slug, cycle_slug, number)
    as_of = _as_of(found.cycle)
    following = services.following(current_user, found)
    return render_template(
        "monitoring/commitment.html", cycle=found.cycle, commitment=found, as_of=as_of,
        progress=services.completion(found, as_of.day), reports=services.reports_for(found.activities, as_of.day),
        rule=services.COMPLETION_RULE, statuses=STATUS_ORDER,
        following=following, follow_form=FollowForm(mode=(following.mode if following else FollowMode.EACH_REPORT).name),
        unfollow_form=ConfirmForm(),
    )


@bp.route(ACTIVITY)
def activity(slug, cycle_slug, activity_id):
    found = load_activity(slug, cycle_slug, activity_id)
    as_of = _as_of(found.commitment.cycle)
    return render_template(
        "monitoring/activity.html", cycle=found.commitment.cycle, activity=found, as_of=as_of,
        status=services.status_as_of(found, as_of.day), reports=services.reports_of(found, as_of.day),
        later=services.later_reports(found, as_of.day), monitored=services.is_monitored(found),
        reporter=can(current_user, "report_progress", found.responsible_entity),
        moderator=can(current_user, "moderate", found), history=history(found), history_labels=COMMITMENT_LABELS,
    )


# --- reporting -----------------------------------------------------------------------------------

@bp.route(f"{ACTIVITY}/informar", methods=["GET", "POST"])
def report_form(slug, cycle_slug, activity_id):
    found = load_activity(slug, cycle_slug, activity_id)
    require(current_user, "report_progress", found.responsible_entity)
    form = ReportForm()
    if not form.is_submitted():
        form.reported_on.data = services.local_today(found.jurisdiction)
    if form.validate_on_submit():
        try:
            sent = services.submit_report(found, reporter=_me(), **form.service_kwargs())
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("Thank you: the report is published."), "info")
            return redirect(report_url(sent))
    return render_template("monitoring/report_form.html", cycle=found.commitment.cycle, activity=found, form=form,
                           monitored=services.is_monitored(found), correction=None)


@bp.route(REPORT, methods=["GET", "POST"])
@posting_limited
def report(slug, cycle_slug, report_id):
    found = load_report(slug, cycle_slug, report_id)
    target = target_of(found)
    form, posted = comment_form(target, report_url(found))
    if posted is not None:
        return posted
    is_open = consultation.accepting_comments(target)
    return render_template(
        "monitoring/report.html", cycle=found.cycle, report=found, activity=found.activity, form=form,
        versions=list(reversed(found.versions)), history=history(found), history_labels=REPORT_EVENT_LABELS,
        may_correct=can(current_user, "report_progress", found.entity), target=target,
        page=consultation.thread(target, order="antiguos"), open=is_open, notice=consultation.closed_notice(target),
        comment_labels={"alignment": ALIGNMENT_LABELS, "reasons": REASON_LABELS, "outcomes": OUTCOME_LABELS},
        moderator=can(current_user, "moderate", found.cycle),
        editable=lambda comment: consultation.editable(comment, window_open=is_open),
    )


@bp.route(f"{REPORT}/corregir", methods=["GET", "POST"])
def correct(slug, cycle_slug, report_id):
    found = load_report(slug, cycle_slug, report_id)
    require(current_user, "report_progress", found.entity)
    form = CorrectionForm()
    if not form.is_submitted():
        form.fill_from(found.current)
    if form.validate_on_submit():
        try:
            services.correct_report(found, reporter=_me(), **form.service_kwargs())
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("The correction is published; the earlier version stays readable."), "info")
            return redirect(report_url(found))
    return render_template("monitoring/report_form.html", cycle=found.cycle, activity=found.activity, form=form,
                           monitored=services.is_monitored(found.activity), correction=found)


@bp.route(f"{REPORT}/archivos/<int:evidence_id>")
def evidence_file(slug, cycle_slug, report_id, evidence_id):
    item = services.find_evidence(load_report(slug, cycle_slug, report_id), evidence_id)
    if item is None:
        abort(404)
    return serve(services.stored_file(item), inline=item.file_type.startswith("image/"))


# --- following a commitment ----------------------------------------------------------------------

def _commitment_url(commitment) -> str:
    return url_for("monitoring.commitment", number=commitment.number, **_cycle_args(commitment.cycle))


@bp.route(f"{PREFIX}/compromisos/<int:number>/seguir", methods=["POST"])
def follow(slug, cycle_slug, number):
    found = load_monitored_commitment(slug, cycle_slug, number)
    require(current_user, "follow_commitment", found)
    form = FollowForm()
    if form.validate_on_submit():
        try:
            services.follow(_me(), found, mode=form.mode.data)
        except DomainError as error:
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("You follow this commitment: %(how)s.", how=services.following(_me(), found).mode.label), "info")
    else:
        flash(" ".join(message for _field, message in form.all_errors), "error")
    return redirect(_commitment_url(found))


@bp.route(f"{PREFIX}/compromisos/<int:number>/dejar-de-seguir", methods=["POST"])
def unfollow(slug, cycle_slug, number):
    found = load_monitored_commitment(slug, cycle_slug, number)
    require(current_user, "follow_commitment", found)
    if confirmed():
        services.unfollow(_me(), found)
        db.session.commit()
        flash(_("You no longer follow this commitment."), "info")
    return redirect(_commitment_url(found))


# --- moderators: an activity's details -----------------------------------------------------------

@bp.route(f"{ACTIVITY}/editar", methods=["GET", "POST"])
def edit_activity(slug, cycle_slug, activity_id):
    found = load_activity(slug, cycle_slug, activity_id)
    require(current_user, "moderate", found)
    form = ActivityForm()
    form.fill_choices(found)
    if not form.is_submitted():
        form.fill_from(found)
    if form.validate_on_submit():
        try:
            services.update_activity(found, actor=_me(), **form.service_kwargs())
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("The activity was saved."), "info")
            return redirect(activity_url(found))
    return render_template("monitoring/activity_form.html", cycle=found.commitment.cycle, activity=found, form=form)


# --- exports -------------------------------------------------------------------------------------

@bp.route(f"{PREFIX}/avance.<any(csv, json, xlsx, docx, pdf):fmt>")
def export(slug, cycle_slug, fmt):
    cycle = cycle_or_404(slug, cycle_slug)
    if not services.is_published(cycle):
        abort(404)
    day = _as_of(cycle).day
    name = f"{cycle.jurisdiction.slug}-{cycle.slug}-avance-{day.isoformat()}.{fmt}"
    if fmt in ("csv", "xlsx"):
        return exports.download(fmt, services.EXPORT_FIELDS, services.export_rows(cycle, day), filename=name,
                                title="avance", key="activities")
    if fmt in DOCUMENTS:
        body, mimetype = services.progress_document(cycle, day, fmt), DOCUMENTS[fmt]
    else:
        body = json.dumps(services.progress_json(cycle, day), ensure_ascii=False, indent=2).encode("utf-8")
        mimetype = "application/json"
    return Response(body, mimetype=mimetype, headers=exports.attachment(name))
