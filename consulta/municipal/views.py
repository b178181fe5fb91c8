from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from consulta.core.audit import history
from consulta.core.errors import DomainError, PermissionDenied
from consulta.core.forms import ConfirmForm, confirmed
from consulta.core.permissions import can, require
from consulta.core.storage import serve
from consulta.extensions import db
from consulta.jurisdictions.models import Jurisdiction, JurisdictionKind
from consulta.jurisdictions.services import jurisdiction_or_404
from consulta.municipal import bp, services
from consulta.municipal.forms import (
    AdhesionActForm, AdvanceForm, FilterForm, InviteForm, LocalOrganisationForm, QuestionForm, SupportForm,
    VersionForm, WalkInForm, diagnostic_form, local_answers_form,
)
from consulta.municipal.models import (
    ADHESION_LABELS, AREA_LABELS, DIAGNOSTIC_LABELS, VERSION_LABELS, Area, Attendee, Diagnostic, LocalResponse,
    Question, QuestionnaireVersion, SupportActivity, VersionState,
)


def _municipality(slug) -> Jurisdiction:
    return jurisdiction_or_404(slug, kind=JurisdictionKind.MUNICIPALITY)


def _diagnostic(slug, diagnostic_id) -> Diagnostic:
    place = _municipality(slug)
    diagnostic = db.get_or_404(Diagnostic, diagnostic_id)
    # An id from another municipality, typed into this one's address, is not found here.
    if diagnostic.jurisdiction_id != place.id:
        abort(404)
    return diagnostic


def _version(number) -> QuestionnaireVersion:
    return db.first_or_404(select(QuestionnaireVersion).where(QuestionnaireVersion.number == number))


def _status() -> int:
    """A form shown again after a refused POST answers 422, so that tools and tests can tell."""
    return 422 if request.method == "POST" else 200


def _refused(form, error: DomainError) -> None:
    """A refusal changes nothing: undo what the service began, and show why next to the field."""
    db.session.rollback()
    form.attach(error)


# --- National follow-up -----------------------------------------------------------------------

@bp.route("/")
def followup():
    form = FilterForm(formdata=request.args)
    rows = services.followup_rows(**form.service_kwargs())
    return render_template("municipal/followup.html", form=form, rows=rows, areas=list(Area),
                           labels=ADHESION_LABELS)


@bp.route("/regiones")
def regions():
    rows, total = services.regional_summary()
    return render_template("municipal/regions.html", rows=rows, total=total)


# --- Municipality -----------------------------------------------------------------------------

def _municipality_page(place, *, invite_form=None, advance_form=None, status=200):
    overview = services.municipality_overview(place)
    adhesion = overview["adhesion"]
    return render_template(
        "municipal/municipality.html", place=place, labels=ADHESION_LABELS,
        history=history(adhesion) if adhesion is not None else [],
        invite_form=invite_form or InviteForm(), advance_form=advance_form or AdvanceForm(),
        start_form=ConfirmForm(), areas=list(Area), **overview, **_short_version_offer(place, overview),
    ), status


def _short_version_offer(place, overview) -> dict:
    """The diagnostic a local organisation's representative may answer the short version of (the
    draft under way, else the latest submitted), and the form to start."""
    target = overview["draft"] or (overview["diagnostics"][0] if overview["diagnostics"] else None)
    mine = services.local_organisations(current_user, place) if target and target.version.short_questions else []
    return {"short_target": target if mine else None,
            "short_form": LocalOrganisationForm(mine) if mine else None}


@bp.route("/<slug>")
def municipality(slug):
    return _municipality_page(_municipality(slug))


@bp.route("/<slug>/invitar", methods=["POST"])
def invite(slug):
    place = _municipality(slug)
    require(current_user, "manage_adhesion", place)
    form = InviteForm()
    if form.validate_on_submit():
        try:
            services.invite(place, actor=current_user, reason=form.reason.data or "")
        except DomainError as error:
            _refused(form, error)
        else:
            db.session.commit()
            flash(_("%(name)s was invited to adhere to the Model.", name=place.name))
            return redirect(url_for(".municipality", slug=place.slug))
    return _municipality_page(place, invite_form=form, status=422)


@bp.route("/<slug>/adhesion", methods=["GET", "POST"])
def record_adhesion(slug):
    place = _municipality(slug)
    require(current_user, "update_adhesion", place)
    form = AdhesionActForm()
    if form.validate_on_submit():
        try:
            services.record_adhesion(place, actor=current_user, **form.service_kwargs())
        except DomainError as error:
            _refused(form, error)
        else:
            db.session.commit()
            flash(_("The adhesion act of %(name)s was recorded.", name=place.name))
            return redirect(url_for(".municipality", slug=place.slug))
    return render_template("municipal/adhesion_act.html", form=form, place=place,
                           adhesion=services.adhesion_of(place)), _status()


@bp.route("/<slug>/adhesion/acta")
def adhesion_document(slug):
    adhesion = services.adhesion_of(_municipality(slug))
    if adhesion is None or adhesion.document is None:
        abort(404)
    return serve(adhesion.document, inline=False)


@bp.route("/<slug>/adhesion/estado", methods=["POST"])
def advance_adhesion(slug):
    place = _municipality(slug)
    adhesion = services.adhesion_of(place)
    if adhesion is None:
        abort(404)
    require(current_user, "update_adhesion", adhesion)
    form = AdvanceForm()
    if form.validate_on_submit():
        try:
            services.advance_adhesion(adhesion, actor=current_user, **form.service_kwargs())
        except DomainError as error:
            _refused(form, error)
        else:
            db.session.commit()
            flash(_("The adhesion of %(name)s is now: %(state)s.", name=place.name,
                    state=ADHESION_LABELS[adhesion.state.name]))
            return redirect(url_for(".municipality", slug=place.slug))
    return _municipality_page(place, advance_form=form, status=422)


# --- Diagnostics ------------------------------------------------------------------------------

@bp.route("/<slug>/diagnosticos", methods=["POST"])
def start_diagnostic(slug):
    # Before any read: a double click's second request waits here for the first one's draft.
    services.lock_adhesion(slug)
    place = _municipality(slug)
    require(current_user, "fill_diagnostic", place)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            diagnostic = services.start_diagnostic(place, actor=current_user)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            return redirect(url_for(".fill_diagnostic", slug=place.slug, diagnostic_id=diagnostic.id))
    return redirect(url_for(".municipality", slug=place.slug))


@bp.route("/<slug>/diagnosticos/<int:diagnostic_id>")
def diagnostic(slug, diagnostic_id):
    diagnostic = _diagnostic(slug, diagnostic_id)
    if not diagnostic.is_submitted:
        require(current_user, "fill_diagnostic", diagnostic)
    previous = services.previous_diagnostic(diagnostic)
    return render_template("municipal/diagnostic.html", diagnostic=diagnostic, place=diagnostic.jurisdiction,
                           scores=services.scores(diagnostic), previous=previous,
                           previous_scores=services.scores(previous) if previous else None,
                           answers={row.question_id: row for row in diagnostic.answers},
                           local=services.local_comparison(diagnostic),
                           areas=list(Area), area_labels=AREA_LABELS, labels=DIAGNOSTIC_LABELS)


# --- Local organisations' short version -------------------------------------------------------

@bp.route("/<slug>/diagnosticos/<int:diagnostic_id>/organizaciones", methods=["POST"])
def start_local_response(slug, diagnostic_id):
    diagnostic = _diagnostic(slug, diagnostic_id)
    mine = services.local_organisations(current_user, diagnostic.jurisdiction)
    if not mine:
        raise PermissionDenied("answer_short_version")
    form = LocalOrganisationForm(mine)
    if form.validate_on_submit():
        organisation = next(item for item in mine if item.id == form.organisation_id.data)
        try:
            response = services.start_local_response(diagnostic, organisation=organisation, actor=current_user)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            return redirect(url_for(".local_response", slug=slug, diagnostic_id=diagnostic.id,
                                    response_id=response.id))
    else:
        for _field, message in form.all_errors:
            flash(message, "error")
    return redirect(url_for(".municipality", slug=slug))


@bp.route("/<slug>/diagnosticos/<int:diagnostic_id>/organizaciones/<int:response_id>", methods=["GET", "POST"])
def local_response(slug, diagnostic_id, response_id):
    diagnostic = _diagnostic(slug, diagnostic_id)
    response = db.get_or_404(LocalResponse, response_id)
    if response.diagnostic_id != diagnostic.id:
        abort(404)
    require(current_user, "answer_short_version", response)
    form = local_answers_form(response)
    submit = "submit" in request.form
    if form.validate_on_submit():
        try:
            services.save_local_answers(response, form.answers(), actor=current_user, submit=submit)
        except DomainError as error:
            _refused(form, error)
        else:
            db.session.commit()
            flash(_("The answers of %(name)s were submitted.", name=response.organisation.name) if submit
                  else _("Your answers were saved. They are still a draft."))
            return redirect(url_for(".local_response", slug=slug, diagnostic_id=diagnostic.id,
                                    response_id=response.id))
    short = diagnostic.version.short_questions
    return render_template("municipal/local_response.html", form=form, response=response, diagnostic=diagnostic,
                           place=diagnostic.jurisdiction, areas=list(Area), questions=short,
                           answers={row.question_id: row.value for row in response.answers},
                           scores=services.compute_scores(short, {row.question_id: row.value
                                                                  for row in response.answers})), _status()


@bp.route("/<slug>/diagnosticos/<int:diagnostic_id>/editar", methods=["GET", "POST"])
def fill_diagnostic(slug, diagnostic_id):
    diagnostic = _diagnostic(slug, diagnostic_id)
    require(current_user, "fill_diagnostic", diagnostic)
    if diagnostic.is_submitted and request.method == "GET":
        return redirect(url_for(".diagnostic", slug=slug, diagnostic_id=diagnostic.id))
    form = diagnostic_form(diagnostic.version, diagnostic)
    submit = "submit" in request.form
    if form.validate_on_submit():
        try:
            services.save_answers(diagnostic, form.answers(), actor=current_user, submit=submit)
        except DomainError as error:
            _refused(form, error)
        else:
            db.session.commit()
            if submit:
                flash(_("The diagnostic was submitted. Its results are public."))
                return redirect(url_for(".diagnostic", slug=slug, diagnostic_id=diagnostic.id))
            flash(_("Your answers were saved. The diagnostic is still a draft."))
            return redirect(url_for(".fill_diagnostic", slug=slug, diagnostic_id=diagnostic.id))
    return render_template("municipal/fill_diagnostic.html", form=form, diagnostic=diagnostic,
                           place=diagnostic.jurisdiction, areas=list(Area),
                           scores=services.scores(diagnostic)), _status()


# --- The questionnaire ------------------------------------------------------------------------

def _versions_page(form=None, status=200):
    versions = db.session.scalars(select(QuestionnaireVersion).order_by(QuestionnaireVersion.number.desc())).all()
    return render_template("municipal/versions.html", versions=versions, form=form or VersionForm(),
                           labels=VERSION_LABELS, draft=services.draft_version()), status


@bp.route("/cuestionario")
def versions():
    return _versions_page()


@bp.route("/cuestionario", methods=["POST"])
def create_version():
    require(current_user, "edit_questionnaire")
    form = VersionForm()
    if form.validate_on_submit():
        try:
            version = services.create_questionnaire_version(title=form.title.data, actor=current_user,
                                                            copy_from=services.current_version())
        except DomainError as error:
            _refused(form, error)
        else:
            db.session.commit()
            return redirect(url_for(".version", number=version.number))
    return _versions_page(form, status=422)


def _version_page(version, form=None, publish_errors=(), status=200):
    return render_template("municipal/version.html", version=version, form=form or QuestionForm(),
                           areas=list(Area), labels=VERSION_LABELS, publish_form=ConfirmForm(),
                           publish_errors=publish_errors, editable=version.state == VersionState.DRAFT), status


@bp.route("/cuestionario/<int:number>")
def version(number):
    return _version_page(_version(number))


@bp.route("/cuestionario/<int:number>/preguntas", methods=["POST"])
def add_question(number):
    version = _version(number)
    require(current_user, "edit_questionnaire")
    form = QuestionForm()
    if form.validate_on_submit():
        try:
            services.add_question(version, actor=current_user, **form.service_kwargs())
        except DomainError as error:
            _refused(form, error)
        else:
            db.session.commit()
            flash(_("The question was added."))
            return redirect(url_for(".version", number=number))
    return _version_page(version, form, status=422)


@bp.route("/cuestionario/<int:number>/preguntas/<int:question_id>", methods=["GET", "POST"])
def edit_question(number, question_id):
    version = _version(number)
    question = db.get_or_404(Question, question_id)
    if question.version_id != version.id:
        abort(404)
    require(current_user, "edit_questionnaire")
    form = QuestionForm(obj=question)
    if form.validate_on_submit():
        try:
            services.edit_question(question, actor=current_user, **form.service_kwargs())
        except DomainError as error:
            _refused(form, error)
        else:
            db.session.commit()
            flash(_("The question was saved."))
            return redirect(url_for(".version", number=number))
    return render_template("municipal/question.html", form=form, version=version, question=question), _status()


@bp.route("/cuestionario/<int:number>/publicar", methods=["POST"])
def publish_version(number):
    version = _version(number)
    require(current_user, "edit_questionnaire")
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.publish_version(version, actor=current_user)
        except DomainError as error:
            _refused(form, error)
        else:
            db.session.commit()
            flash(_("Version %(number)s is now the questionnaire in use.", number=version.number))
            return redirect(url_for(".version", number=number))
    return _version_page(version, publish_errors=form.form_errors, status=422)


# --- Training and advice ----------------------------------------------------------------------

@bp.route("/acompanamiento")
def support():
    return render_template("municipal/support.html", activities=services.support_activities(),
                           show_names=can(current_user, "view_attendees"))


def _activity(activity_id) -> SupportActivity:
    return db.get_or_404(SupportActivity, activity_id)


def _session_page(activity, walk_in_form=None, status=200):
    return render_template("municipal/session.html", activity=activity, place=activity.jurisdiction,
                           mine=services.registration_of(activity, current_user),
                           registration_open=services.registration_open(activity),
                           show_names=can(current_user, "view_attendees"),
                           staff=can(current_user, "record_support", activity.jurisdiction),
                           walk_in_form=walk_in_form or WalkInForm()), status


@bp.route("/acompanamiento/<int:activity_id>")
def session(activity_id):
    return _session_page(_activity(activity_id))


@bp.route("/acompanamiento/<int:activity_id>/inscripcion", methods=["POST"])
def register_attendee(activity_id):
    activity = _activity(activity_id)
    require(current_user, "register_for_session", current_user)
    if confirmed():
        try:
            services.register_attendee(activity, user=current_user, actor=current_user)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("You are registered. Staff check you in on the day."))
    return redirect(url_for(".session", activity_id=activity.id))


@bp.route("/acompanamiento/<int:activity_id>/asistentes/<int:attendee_id>/presente", methods=["POST"])
def check_in(activity_id, attendee_id):
    activity = _activity(activity_id)
    attendee = db.get_or_404(Attendee, attendee_id)
    if attendee.activity_id != activity.id:
        abort(404)
    require(current_user, "record_support", activity.jurisdiction)
    if confirmed():
        try:
            services.check_in(attendee, actor=current_user)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("%(name)s is checked in.", name=attendee.name))
    return redirect(url_for(".session", activity_id=activity.id))


@bp.route("/acompanamiento/<int:activity_id>/asistentes", methods=["POST"])
def walk_in(activity_id):
    activity = _activity(activity_id)
    require(current_user, "record_support", activity.jurisdiction)
    form = WalkInForm()
    if form.validate_on_submit():
        try:
            services.walk_in(activity, actor=current_user, **form.service_kwargs())
        except DomainError as error:
            _refused(form, error)
        else:
            db.session.commit()
            flash(_("%(name)s is checked in.", name=form.name.data.strip()))
            return redirect(url_for(".session", activity_id=activity.id))
    return _session_page(_activity(activity_id), walk_in_form=form, status=422)


@bp.route("/acompanamiento/nuevo", methods=["GET", "POST"])
def record_support():
    require(current_user, "record_support")
    form = SupportForm(services.municipalities())
    if form.validate_on_submit():
        place = db.session.get(Jurisdiction, form.jurisdiction_id.data)
        try:
            activity = services.record_training(place, actor=current_user, **form.service_kwargs())
        except DomainError as error:
            _refused(form, error)
        else:
            db.session.commit()
            flash(_("The session was recorded."))
            return redirect(url_for(".session", activity_id=activity.id))
    return render_template("municipal/support_form.html", form=form), _status()
