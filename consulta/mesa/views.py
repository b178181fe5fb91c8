from flask import Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from consulta.commitments import services as commitments
from consulta.core.audit import history
from consulta.core.errors import DomainError
from consulta.core.forms import ConfirmForm
from consulta.core.permissions import can, require
from consulta.core.storage import serve
from consulta.cycles.services import cycle_or_404, cycles_of
from consulta.extensions import db
from consulta.jurisdictions.models import Role
from consulta.jurisdictions.roles import jurisdictions_where
from consulta.jurisdictions.services import jurisdiction_or_404
from consulta.mesa import bp, exports, services
from consulta.mesa.forms import (
    ActForm, AnswerForm, EndSeatForm, ForumForm, MeetingForm, ObservationForm, PublishForm, ReasonForm, SeatForm,
)
from consulta.mesa.models import MESA_LABELS, SECTOR_LABELS, MesaSeat

CYCLE = "/<slug>/<cycle_slug>"
FORUM = "/<slug>/mesa"


def load_forum(slug):
    forum = services.forum_of(jurisdiction_or_404(slug))
    if forum is None:
        abort(404)
    return forum


def _forum_url(forum) -> str:
    return url_for("mesa.forum", slug=forum.jurisdiction.slug)


def _meeting_url(meeting) -> str:
    return url_for("mesa.meeting", slug=meeting.forum.jurisdiction.slug, meeting_id=meeting.id)


def _review_url(cycle) -> str:
    return url_for("mesa.review", slug=cycle.jurisdiction.slug, cycle_slug=cycle.slug)


@bp.app_template_global("mesa_of_cycle")
def mesa_of_cycle(cycle) -> dict:
    """What the cycle page says about the Mesa's review and the published plan."""
    return {"published": services.current_publication(cycle),
            "forum": services.forum_of(cycle.jurisdiction)}


@bp.app_template_global("overdue_mesas")
def overdue_mesas():
    """The forums the signed-in administrator answers for that have gone six months without meeting."""
    if not can(current_user, "administer"):
        return []
    return services.overdue_forums(jurisdictions_where(current_user, Role.ADMIN))


# --- the forum -----------------------------------------------------------------------------------

@bp.route(FORUM)
def forum(slug):
    jurisdiction = jurisdiction_or_404(slug)
    found = services.forum_of(jurisdiction)
    if found is None:
        return render_template("mesa/no_forum.html", jurisdiction=jurisdiction)
    return render_template("mesa/forum.html", forum=found, jurisdiction=jurisdiction,
                           seats=services.current_seats(found), past=services.past_seats(found),
                           overdue=services.overdue_since(found), due=services.meeting_due(found),
                           administrator=can(current_user, "administer", found))


@bp.route(f"{FORUM}/nueva", methods=["GET", "POST"])
def create_forum(slug):
    jurisdiction = jurisdiction_or_404(slug)
    require(current_user, "administer", jurisdiction)
    form = ForumForm()
    if form.validate_on_submit():
        try:
            created = services.create_forum(jurisdiction, actor=current_user, **form.service_kwargs())
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("The Mesa was created."), "info")
            return redirect(_forum_url(created))
    return render_template("mesa/forum_form.html", form=form, jurisdiction=jurisdiction, forum=None)


@bp.route(f"{FORUM}/editar", methods=["GET", "POST"])
def edit_forum(slug):
    found = load_forum(slug)
    require(current_user, "administer", found)
    form = ForumForm()
    if not form.is_submitted():
        form.fill_from(found)
    if form.validate_on_submit():
        try:
            services.update_forum(found, actor=current_user, **form.service_kwargs())
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("The changes were saved."), "info")
            return redirect(_forum_url(found))
    return render_template("mesa/forum_form.html", form=form, jurisdiction=found.jurisdiction, forum=found)


@bp.route(f"{FORUM}/acta")
def forum_document(slug):
    found = load_forum(slug)
    if found.document is None:
        abort(404)
    return serve(found.document)


@bp.route(f"{FORUM}/integrantes/nuevo", methods=["GET", "POST"])
def add_seat(slug):
    found = load_forum(slug)
    require(current_user, "administer", found)
    form = SeatForm()
    if form.validate_on_submit():
        try:
            services.add_seat(found, actor=current_user, **form.service_kwargs())
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("The seat was added."), "info")
            return redirect(_forum_url(found))
    return render_template("mesa/seat_form.html", form=form, forum=found)


@bp.route(f"{FORUM}/integrantes/<int:seat_id>/termino", methods=["GET", "POST"])
def end_seat(slug, seat_id):
    found = load_forum(slug)
    seat = db.get_or_404(MesaSeat, seat_id)
    if seat.forum_id != found.id:
        abort(404)
    require(current_user, "administer", found)
    form = EndSeatForm()
    if form.validate_on_submit():
        try:
            services.end_seat(seat, actor=current_user, **form.service_kwargs())
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("The term ended."), "info")
            return redirect(_forum_url(found))
    return render_template("mesa/end_seat.html", form=form, forum=found, seat=seat)


# --- meetings and acts ---------------------------------------------------------------------------

@bp.route(f"{FORUM}/sesiones/nueva", methods=["GET", "POST"])
def record_meeting(slug):
    found = load_forum(slug)
    require(current_user, "run_mesa", found)
    cycles = cycles_of(found.jurisdiction)
    form = MeetingForm()
    form.fill_choices(found, cycles)
    if form.validate_on_submit():
        try:
            meeting = services.record_meeting(found, actor=current_user, **form.service_kwargs(cycles))
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("The meeting was recorded."), "info")
            return redirect(_meeting_url(meeting))
    return render_template("mesa/meeting_form.html", form=form, forum=found)


def load_meeting(slug, meeting_id):
    meeting = services.get_meeting(load_forum(slug), meeting_id)
    if meeting is None:
        abort(404)
    return meeting


@bp.route(f"{FORUM}/sesiones/<int:meeting_id>")
def meeting(slug, meeting_id):
    shown = load_meeting(slug, meeting_id)
    return render_template("mesa/meeting.html", meeting=shown, forum=shown.forum,
                           awaiting={act.id: services.awaiting_confirmation_by(act, current_user) for act in shown.acts},
                           histories={act.id: history(act) for act in shown.acts}, labels=MESA_LABELS,
                           sectors={sector.name: label for sector, label in SECTOR_LABELS.items()},
                           confirm_form=ConfirmForm())


@bp.route(f"{FORUM}/sesiones/<int:meeting_id>/acuerdo", methods=["GET", "POST"])
def record_act(slug, meeting_id):
    shown = load_meeting(slug, meeting_id)
    require(current_user, "run_mesa", shown)
    if shown.cycle is None:
        abort(404)
    versions = commitments.versions(shown.cycle)
    form = ActForm.for_meeting(shown, versions)
    if form.validate_on_submit():
        try:
            services.record_act(shown, actor=current_user, **form.service_kwargs())
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("The act was recorded: each member present now confirms it from their account."), "info")
            return redirect(_meeting_url(shown))
    return render_template("mesa/act_form.html", form=form, meeting=shown, forum=shown.forum)


def load_act(slug, act_id):
    act = services.get_act(load_forum(slug), act_id)
    if act is None:
        abort(404)
    return act


@bp.route(f"{FORUM}/acuerdos/<int:act_id>/confirmar", methods=["POST"])
def confirm_act(slug, act_id):
    act = load_act(slug, act_id)
    require(current_user, "confirm_act", act)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.confirm_act(act, actor=current_user)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("You confirmed the act.") if not act.in_force
                  else _("You confirmed the act: every member present has, and it is in force."), "info")
    return redirect(_meeting_url(act.meeting))


@bp.route(f"{FORUM}/acuerdos/<int:act_id>/anular", methods=["GET", "POST"])
def void_act(slug, act_id):
    act = load_act(slug, act_id)
    require(current_user, "run_mesa", act)
    form = ReasonForm()
    if form.validate_on_submit():
        try:
            services.void_act(act, actor=current_user, reason=form.reason.data)
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("The act was voided."), "info")
            return redirect(_meeting_url(act.meeting))
    return render_template("mesa/void_act.html", form=form, act=act, forum=act.meeting.forum)


# --- the review ----------------------------------------------------------------------------------

@bp.route(f"{CYCLE}/revision")
def review(slug, cycle_slug):
    cycle = cycle_or_404(slug, cycle_slug)
    require(current_user, "read_dashboards", cycle)
    latest = commitments.latest_version(cycle)
    form = None
    if latest is not None and can(current_user, "review_as_mesa", cycle):
        form = ObservationForm()
        form.fill_choices(latest)
    return render_template("mesa/review.html", cycle=cycle, review=services.review(cycle), latest=latest,
                           form=form, answer_form=AnswerForm() if can(current_user, "moderate", cycle) else None)


@bp.route(f"{CYCLE}/revision/observaciones", methods=["POST"])
def observe(slug, cycle_slug):
    cycle = cycle_or_404(slug, cycle_slug)
    require(current_user, "review_as_mesa", cycle)
    latest = commitments.latest_version(cycle)
    if latest is None:
        abort(404)
    form = ObservationForm()
    form.fill_choices(latest)
    if form.validate_on_submit():
        try:
            services.observe(latest, actor=current_user, body=form.body.data,
                             commitment_number=form.commitment_number.data)
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("Your observation was recorded; the moderators will answer it."), "info")
            return redirect(_review_url(cycle) + "#observations-title")
    return render_template("mesa/review.html", cycle=cycle, review=services.review(cycle), latest=latest,
                           form=form, answer_form=None), 422


@bp.route(f"{CYCLE}/revision/observaciones/<int:observation_id>/respuesta", methods=["GET", "POST"])
def answer(slug, cycle_slug, observation_id):
    cycle = cycle_or_404(slug, cycle_slug)
    observation = services.get_observation(cycle, observation_id)
    if observation is None:
        abort(404)
    require(current_user, "moderate", observation)
    form = AnswerForm()
    if form.validate_on_submit():
        try:
            services.answer_observation(observation, actor=current_user, answer=form.answer.data)
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("The answer was recorded."), "info")
            return redirect(_review_url(cycle) + "#observations-title")
    return render_template("mesa/answer.html", form=form, cycle=cycle, observation=observation)


# --- publication ---------------------------------------------------------------------------------

@bp.route(f"{CYCLE}/plan/publicar", methods=["GET", "POST"])
def publish(slug, cycle_slug):
    cycle = cycle_or_404(slug, cycle_slug)
    require(current_user, "moderate", cycle)
    latest = commitments.latest_version(cycle)
    if latest is None:
        abort(404)
    form = PublishForm()
    if form.validate_on_submit():
        try:
            services.publish(latest, actor=current_user, reason=form.reason.data)
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("Version %(number)s of the plan is published.", number=latest.number), "info")
            return redirect(url_for(".published", slug=slug, cycle_slug=cycle_slug))
    return render_template("mesa/publish.html", form=form, cycle=cycle, version=latest,
                           refusals=services.publication_refusals(latest),
                           correction=services.is_published(cycle))


def load_publication(slug, cycle_slug, number=None):
    cycle = cycle_or_404(slug, cycle_slug)
    found = services.current_publication(cycle) if number is None else services.publication_of(cycle, number)
    if found is None:
        abort(404)
    return found


@bp.route(f"{CYCLE}/plan/publicado")
@bp.route(f"{CYCLE}/plan/publicado/<int:number>")
def published(slug, cycle_slug, number=None):
    publication = load_publication(slug, cycle_slug, number)
    cycle = publication.cycle
    return render_template("mesa/published.html", cycle=cycle, publication=publication,
                           plan=exports.plan_content(publication), publications=services.publications(cycle),
                           current=services.current_publication(cycle))


@bp.route(f"{CYCLE}/plan/publicado/<int:number>/plan.<any(pdf, docx, json):fmt>")
def export(slug, cycle_slug, number, fmt):
    publication = load_publication(slug, cycle_slug, number)
    data, mimetype = exports.render(publication, fmt)
    name = exports.file_name(publication, fmt)
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'})
