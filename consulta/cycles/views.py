from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from consulta.core import clock
from consulta.core.audit import history
from consulta.core.errors import DomainError
from consulta.core.permissions import require
from consulta.cycles import bp, services
from consulta.cycles.forms import CycleForm, DuplicateForm, IntakePhaseForm, PhaseForm, StateForm
from consulta.cycles.models import PHASE_STATE_LABELS, SYSTEM_REASON_LABELS, PhaseKind
from consulta.cycles.services import cycle_or_404
from consulta.extensions import db
from consulta.jurisdictions.services import jurisdiction_or_404


def _kind(kind_slug) -> PhaseKind:
    kind = next((kind for kind in PhaseKind if kind.slug == kind_slug), None)
    if kind is None:
        abort(404)
    return kind


def _admin_url(cycle) -> str:
    return url_for(".admin_cycle", slug=cycle.jurisdiction.slug, cycle_slug=cycle.slug)


@bp.route("/<slug>/<cycle_slug>")
def detail(slug, cycle_slug):
    cycle = cycle_or_404(slug, cycle_slug)
    phases = services.phases_in_order(cycle)
    return render_template("cycles/detail.html", cycle=cycle, phases=phases,
                           histories=services.public_histories(phases), now=clock.now(),
                           labels=PHASE_STATE_LABELS, reasons=SYSTEM_REASON_LABELS)


@bp.route("/<slug>/admin/ciclos")
def admin_index(slug):
    jurisdiction = jurisdiction_or_404(slug)
    require(current_user, "administer", jurisdiction)
    return render_template("cycles/admin/index.html", jurisdiction=jurisdiction,
                           cycles=services.cycles_of(jurisdiction))


@bp.route("/<slug>/admin/ciclos/nuevo", methods=["GET", "POST"])
def create(slug):
    jurisdiction = jurisdiction_or_404(slug)
    require(current_user, "administer", jurisdiction)
    form = CycleForm()
    if form.validate_on_submit():
        try:
            cycle = services.create_cycle(jurisdiction, actor=current_user, **form.service_kwargs())
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("The cycle was created. Now set the dates of its phases."), "success")
            return redirect(_admin_url(cycle))
    return render_template("cycles/admin/cycle_form.html", form=form, jurisdiction=jurisdiction, cycle=None)


@bp.route("/<slug>/admin/ciclos/<cycle_slug>", methods=["GET", "POST"])
def admin_cycle(slug, cycle_slug):
    cycle = cycle_or_404(slug, cycle_slug)
    require(current_user, "administer", cycle)
    form = CycleForm(obj=cycle)
    if form.validate_on_submit():
        try:
            services.update_cycle(cycle, actor=current_user, **form.service_kwargs())
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("The cycle was saved."), "success")
            return redirect(_admin_url(cycle))
    return render_template("cycles/admin/cycle_form.html", form=form, jurisdiction=cycle.jurisdiction,
                           cycle=cycle, kinds=list(PhaseKind), held_shut=services.held_shut,
                           labels=PHASE_STATE_LABELS)


@bp.route("/<slug>/admin/ciclos/<cycle_slug>/fases/<kind_slug>", methods=["GET", "POST"])
def admin_phase(slug, cycle_slug, kind_slug):
    cycle = cycle_or_404(slug, cycle_slug)
    kind = _kind(kind_slug)
    require(current_user, "administer", cycle)
    phase = cycle.phase(kind)
    form_class = IntakePhaseForm if kind == PhaseKind.INTAKE else PhaseForm
    form = form_class(tz=cycle.jurisdiction.timezone)
    if form.validate_on_submit():
        try:
            services.set_phase(cycle, kind, actor=current_user, **form.service_kwargs())
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("The dates of %(phase)s were saved.", phase=kind.label), "success")
            return redirect(_admin_url(cycle))
    elif not form.is_submitted() and phase is not None:
        form.fill_from(phase)
    return render_template("cycles/admin/phase_form.html", form=form, cycle=cycle, kind=kind, phase=phase)


@bp.route("/<slug>/admin/ciclos/<cycle_slug>/fases/<kind_slug>/<any(abrir, cerrar):action>",
          methods=["GET", "POST"])
def admin_phase_state(slug, cycle_slug, kind_slug, action):
    cycle = cycle_or_404(slug, cycle_slug)
    require(current_user, "administer", cycle)
    phase = cycle.phase(_kind(kind_slug)) or abort(404)
    change, done = ((services.open_phase, _("%(phase)s is open.")) if action == "abrir"
                    else (services.close_phase, _("%(phase)s is closed.")))
    form = StateForm()
    if form.validate_on_submit():
        try:
            change(phase, actor=current_user, reason=form.reason.data)
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(done % {"phase": phase.label}, "success")
            return redirect(_admin_url(cycle))
    return render_template("cycles/admin/phase_state.html", form=form, cycle=cycle, phase=phase, action=action,
                           refusals=services.held_shut(phase) if action == "abrir" else [],
                           history=history(phase, public_only=False), labels=PHASE_STATE_LABELS,
                           reasons=SYSTEM_REASON_LABELS)


@bp.route("/<slug>/admin/ciclos/<cycle_slug>/duplicar", methods=["GET", "POST"])
def duplicate(slug, cycle_slug):
    cycle = cycle_or_404(slug, cycle_slug)
    require(current_user, "administer", cycle)
    form = DuplicateForm()
    if form.validate_on_submit():
        try:
            copy = services.duplicate_cycle(cycle, actor=current_user, **form.service_kwargs())
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("The copy was created with the same phases, moved to its dates."), "success")
            return redirect(_admin_url(copy))
    return render_template("cycles/admin/duplicate.html", form=form, cycle=cycle)
