from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from consulta.commitments import bp, services
from consulta.commitments.forms import ActivityForm, CommitmentForm, FreezeForm, LinkForm, RestoreForm, WithdrawForm
from consulta.commitments.models import COMMITMENT_LABELS, Activity
from consulta.core.audit import history
from consulta.core.errors import DomainError
from consulta.core.permissions import can, require
from consulta.extensions import db
from consulta.cycles.services import cycle_or_404

PREFIX = "/<slug>/<cycle_slug>"


def load_commitment(slug, cycle_slug, number):
    commitment = services.find(cycle_or_404(slug, cycle_slug), number)
    if commitment is None:
        abort(404)
    return commitment


def commitment_url(commitment) -> str:
    return url_for("commitments.detail", slug=commitment.cycle.jurisdiction.slug, cycle_slug=commitment.cycle.slug,
                   number=commitment.number)


def _plan_url(cycle) -> str:
    return url_for("commitments.plan", slug=cycle.jurisdiction.slug, cycle_slug=cycle.slug)


# --- public pages --------------------------------------------------------------------------------

@bp.route(f"{PREFIX}/plan")
def plan(slug, cycle_slug):
    cycle = cycle_or_404(slug, cycle_slug)
    commitments = services.plan(cycle)
    return render_template("commitments/plan.html", cycle=cycle, groups=services.by_area(commitments),
                           total=len(commitments), withdrawn=services.withdrawn(cycle),
                           versions=services.versions(cycle))


@bp.route(f"{PREFIX}/compromisos/<int:number>")
def detail(slug, cycle_slug, number):
    commitment = load_commitment(slug, cycle_slug, number)
    return render_template("commitments/detail.html", commitment=commitment, cycle=commitment.cycle,
                           origins=services.origin_proposals(commitment), history=history(commitment),
                           labels=COMMITMENT_LABELS, moderator=can(current_user, "moderate", commitment))


@bp.route(f"{PREFIX}/plan/versiones")
def versions(slug, cycle_slug):
    cycle = cycle_or_404(slug, cycle_slug)
    latest = services.latest_version(cycle)
    return render_template("commitments/versions.html", cycle=cycle, versions=services.versions(cycle),
                           changed=services.changed_since(cycle, latest))


@bp.route(f"{PREFIX}/plan/versiones/<int:number>")
def version(slug, cycle_slug, number):
    cycle = cycle_or_404(slug, cycle_slug)
    shown = services.get_version(cycle, number)
    if shown is None:
        abort(404)
    previous = services.previous_version(shown)
    return render_template("commitments/version.html", cycle=cycle, version=shown, previous=previous,
                           changes=services.diff(previous, shown) if previous else None,
                           commitments=services.readable(shown))


# --- moderators: commitments ---------------------------------------------------------------------

@bp.route(f"{PREFIX}/compromisos/nuevo", methods=["GET", "POST"])
def create(slug, cycle_slug):
    cycle = cycle_or_404(slug, cycle_slug)
    require(current_user, "moderate", cycle)
    form = CommitmentForm()
    form.fill_choices(cycle)
    if not form.is_submitted():
        form.number.data = services.next_number(cycle)
        references = request.args.getlist("propuesta")[:50]
        if references:
            try:
                origins = services.proposals_by_reference(cycle, references)
            except DomainError as error:
                form.attach(error)
            else:
                form.fill_start(services.starting_text(origins), [p.reference for p in origins])
    if form.validate_on_submit():
        try:
            commitment = services.create_commitment(cycle, actor=current_user, from_proposals=form.references(),
                                                    **form.service_kwargs())
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("Commitment N° %(number)s was created.", number=commitment.number), "info")
            return redirect(commitment_url(commitment))
    return render_template("commitments/form.html", cycle=cycle, form=form, commitment=None)


@bp.route(f"{PREFIX}/compromisos/<int:number>/editar", methods=["GET", "POST"])
def edit(slug, cycle_slug, number):
    commitment = load_commitment(slug, cycle_slug, number)
    require(current_user, "moderate", commitment)
    form = CommitmentForm()
    form.fill_choices(commitment.cycle)
    del form.proposals
    if not form.is_submitted():
        form.fill_from(commitment)
    if form.validate_on_submit():
        try:
            services.update_commitment(commitment, actor=current_user, **form.service_kwargs())
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("The commitment was saved."), "info")
            return redirect(commitment_url(commitment))
    return render_template("commitments/form.html", cycle=commitment.cycle, form=form, commitment=commitment)


@bp.route(f"{PREFIX}/compromisos/<int:number>/vincular", methods=["GET", "POST"])
def link(slug, cycle_slug, number):
    commitment = load_commitment(slug, cycle_slug, number)
    require(current_user, "moderate", commitment)
    form = LinkForm()
    if form.validate_on_submit():
        try:
            services.link_proposal(commitment, form.reference.data, actor=current_user)
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("The proposal is linked to this commitment."), "info")
            return redirect(commitment_url(commitment))
    return render_template("commitments/link.html", cycle=commitment.cycle, commitment=commitment, form=form)


@bp.route(f"{PREFIX}/compromisos/<int:number>/<any(retirar, restaurar):action>", methods=["GET", "POST"])
def change_state(slug, cycle_slug, number, action):
    commitment = load_commitment(slug, cycle_slug, number)
    require(current_user, "moderate", commitment)
    form = WithdrawForm() if action == "retirar" else RestoreForm()
    change = services.withdraw_commitment if action == "retirar" else services.restore_commitment
    if form.validate_on_submit():
        try:
            change(commitment, actor=current_user, reason=form.reason.data)
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            return redirect(commitment_url(commitment))
    return render_template("commitments/state.html", cycle=commitment.cycle, commitment=commitment, form=form,
                           action=action)


# --- moderators: activities ----------------------------------------------------------------------

@bp.route(f"{PREFIX}/compromisos/<int:number>/actividades/nueva", methods=["GET", "POST"])
@bp.route(f"{PREFIX}/compromisos/<int:number>/actividades/<int:activity_id>", methods=["GET", "POST"])
def activity(slug, cycle_slug, number, activity_id=None):
    commitment = load_commitment(slug, cycle_slug, number)
    require(current_user, "moderate", commitment)
    existing = db.get_or_404(Activity, activity_id) if activity_id is not None else None
    if existing is not None and existing.commitment_id != commitment.id:
        abort(404)
    form = ActivityForm(obj=existing)
    if form.validate_on_submit():
        try:
            if existing is None:
                services.add_activity(commitment, actor=current_user, **form.service_kwargs())
            else:
                services.update_activity(existing, actor=current_user, **form.service_kwargs())
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("The activity was saved."), "info")
            return redirect(commitment_url(commitment))
    return render_template("commitments/activity.html", cycle=commitment.cycle, commitment=commitment,
                           activity=existing, form=form)


# --- moderators: freezing a version --------------------------------------------------------------

@bp.route(f"{PREFIX}/plan/versiones/nueva", methods=["GET", "POST"])
def freeze(slug, cycle_slug):
    cycle = cycle_or_404(slug, cycle_slug)
    require(current_user, "moderate", cycle)
    form = FreezeForm()
    if form.validate_on_submit():
        try:
            frozen = services.freeze_plan(cycle, actor=current_user, label=form.label.data)
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("The plan was frozen as version %(number)s.", number=frozen.number), "info")
            return redirect(url_for(".version", slug=slug, cycle_slug=cycle_slug, number=frozen.number))
    return render_template("commitments/freeze.html", cycle=cycle, form=form, latest=services.latest_version(cycle))
