from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from consulta.accounts.models import User
from consulta.commitments import services as commitments
from consulta.core.audit import history
from consulta.core.errors import DomainError
from consulta.core.forms import ConfirmForm
from consulta.core.pagination import paginate, paginate_list
from consulta.cycles.services import cycle_or_404
from consulta.core.permissions import require
from consulta.extensions import db
from consulta.jurisdictions.models import Jurisdiction
from consulta.jurisdictions.services import jurisdiction_or_404
from consulta.proposals import services as proposals
from consulta.proposals.models import STATE_LABELS
from consulta.proposals.views import load_proposal
from consulta.tables.services import tables_of
from consulta.triage import bp, services
from consulta.triage.forms import (AssignForm, BulkForm, ClusterForm, DecisionForm, NoteForm, QueueFilterForm,
                                   TemplateForm, UndoMergeForm)
from consulta.triage.models import TEMPLATE_LABELS, AnswerTemplate, TemplateState

PREFIX = "/<slug>/<cycle_slug>/triaje"
CLUSTERS_PER_PAGE = 6


def _moderated_cycle(slug, cycle_slug):
    cycle = cycle_or_404(slug, cycle_slug)
    require(current_user, "moderate", cycle)
    return cycle


def _moderated_proposal(slug, cycle_slug, reference):
    proposal = load_proposal(slug, cycle_slug, reference)
    require(current_user, "moderate", proposal)
    return proposal


def decision_url(proposal) -> str:
    return url_for("triage.decide", **proposals.proposal_url_values(proposal))


def _queue_url(cycle) -> str:
    return url_for("triage.queue", slug=cycle.jurisdiction.slug, cycle_slug=cycle.slug)


def _chosen(cycle, references):
    """The proposals picked in the queue (by reference); an unknown one is shown as a refusal."""
    return commitments.proposals_by_reference(cycle, references[:services.BULK_MAX + 1])


# --- the queue ------------------------------------------------------------------------------------

@bp.route(PREFIX)
def queue(slug, cycle_slug):
    cycle = _moderated_cycle(slug, cycle_slug)
    form = QueueFilterForm(request.args)
    form.fill_choices(**proposals.filter_choices(cycle))
    form.fill_tables(tables_of(cycle))
    page = paginate(services.queue(cycle, **form.queue_kwargs(current_user)))
    return render_template("triage/queue.html", cycle=cycle, page=page, filters_form=form,
                           query_args=form.query_args(), handlings=services.handlings(page.items),
                           unanswered=services.count_unanswered(cycle), labels=STATE_LABELS,
                           prepared=len(services.prepared(cycle)))


@bp.route(f"{PREFIX}/siguiente")
def next_unanswered(slug, cycle_slug):
    cycle = _moderated_cycle(slug, cycle_slug)
    found = services.next_unanswered(cycle, actor=current_user, after=request.args.get("despues", type=int))
    if found is None:
        flash(_("Every received proposal has a final outcome."), "info")
        return redirect(_queue_url(cycle))
    return redirect(decision_url(found))


# --- one proposal ---------------------------------------------------------------------------------

def _decision_page(proposal, form, *, stale=None):
    cycle = proposal.cycle
    return render_template(
        "triage/decide.html", proposal=proposal, cycle=cycle, form=form, stale=stale,
        handling=services.handling_of(proposal), responses=services.responses_of(proposal),
        notes=services.notes_of(proposal), note_form=NoteForm(formdata=None),
        assign_form=_assign_form(proposal), undo_form=UndoMergeForm(formdata=None), claim_form=ConfirmForm(),
        integrated=services.integrated_into(proposal), went_into=commitments.commitments_of_proposal(proposal),
        similar=proposals.similar_to(cycle, title=proposal.title, text=f"{proposal.problem}\n{proposal.body}",
                                     exclude=proposal),
        history=history(proposal, public_only=False), labels=STATE_LABELS,
        contact=proposals.contact_addresses([proposal]).get(proposal.id),
    )


def _assign_form(proposal):
    form = AssignForm(formdata=None)
    form.fill(services.moderators_of(proposal.cycle.jurisdiction))
    handling = services.handling_of(proposal)
    form.assignee.data = handling.assignee_id if handling else None
    return form


def _fill_decision(form, proposal) -> None:
    """Show what is prepared (or published) and the version it was read at."""
    handling = services.handling_of(proposal)
    form.version.data = handling.version if handling else 0
    if handling is not None and handling.has_draft:
        form.outcome.data, form.response.data = handling.draft_outcome.name, handling.draft_text
        form.merged_into.data = handling.draft_merged_into.reference if handling.draft_merged_into else ""
        form.commitment.data = handling.draft_commitment.number if handling.draft_commitment else None
    elif proposal.response:
        form.outcome.data, form.response.data = proposal.state.name, proposal.response
        form.merged_into.data = proposal.merged_into.reference if proposal.merged_into else ""


@bp.route(f"{PREFIX}/<reference>", methods=["GET", "POST"])
def decide(slug, cycle_slug, reference):
    proposal = _moderated_proposal(slug, cycle_slug, reference)
    form = DecisionForm()
    form.fill_commitments(commitments.plan(proposal.cycle))
    form.fill_templates(services.templates_of(proposal.cycle.jurisdiction))
    if not form.is_submitted():
        _fill_decision(form, proposal)
    if form.is_submitted() and "fill" in request.form:
        # Fill the response from the chosen template: nothing is saved, so nothing else is checked.
        template = services.template_of(proposal.cycle.jurisdiction, form.template.data)
        try:
            form.response.data = services.fill_in(template, proposal, **form.target_kwargs())
        except DomainError as error:
            form.attach(error)
        return _decision_page(proposal, form)
    stale = None
    if form.validate_on_submit():
        publish = "publish" in request.form
        try:
            services.decide(proposal, actor=current_user, publish=publish, **form.service_kwargs())
        except services.StaleResponse as error:
            form.attach(error)
            form.version.data, stale = error.version, error.current
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("The response was published and its author told.") if publish
                  else _("The response is prepared; it stays private until it is published."), "info")
            return redirect(decision_url(proposal))
    return _decision_page(proposal, form, stale=stale)


@bp.route(f"{PREFIX}/<reference>/<any('tomar', 'asignar', 'nota', 'deshacer-fusion'):action>", methods=["POST"])
def act(slug, cycle_slug, reference, action):
    proposal = _moderated_proposal(slug, cycle_slug, reference)
    form = {"tomar": ConfirmForm, "asignar": AssignForm, "nota": NoteForm, "deshacer-fusion": UndoMergeForm}[action]()
    if action == "asignar":
        form.fill(services.moderators_of(proposal.cycle.jurisdiction))
    if form.validate_on_submit():
        try:
            if action == "tomar":
                services.claim(proposal, actor=current_user)
            elif action == "asignar":
                person = db.session.get(User, form.assignee.data) if form.assignee.data else None
                services.assign(proposal, to=person, actor=current_user)
            elif action == "nota":
                services.add_note(proposal, text=form.text.data, actor=current_user)
            else:
                services.undo_merge(proposal, actor=current_user, reason=form.reason.data)
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            return redirect(decision_url(proposal))
    flash(" ".join(message for _field, message in form.all_errors), "error")
    return redirect(decision_url(proposal))


# --- several at once ------------------------------------------------------------------------------

def _bulk_template(cycle, form):
    template = services.template_of(cycle.jurisdiction, form.template.data)
    return template if template is not None else form.text.data


@bp.route(f"{PREFIX}/lote", methods=["GET", "POST"])
def bulk(slug, cycle_slug):
    cycle = _moderated_cycle(slug, cycle_slug)
    form = BulkForm()
    form.fill_commitments(commitments.plan(cycle))
    form.fill_templates(services.templates_of(cycle.jurisdiction))
    if not form.is_submitted():
        form.proposals.data = ",".join(request.args.getlist("propuesta")[:services.BULK_MAX + 1])
    chosen, previews = [], None
    try:
        chosen = _chosen(cycle, form.references())
    except DomainError as error:
        form.attach(error)
    if form.is_submitted() and not chosen and not form.form_errors:
        form.attach(DomainError(None, _("Choose the proposals to answer in the queue first.")))
    if chosen and form.validate_on_submit():
        kwargs = {"outcome": form.outcome.data, "template": _bulk_template(cycle, form), **form.target_kwargs()}
        try:
            if "publish" in request.form:
                services.bulk_decide(chosen, actor=current_user, **kwargs)
            else:
                previews = services.preview(chosen, **kwargs)
        except DomainError as error:
            form.attach(error)
        else:
            if previews is None:
                db.session.commit()
                flash(_("%(num)s responses were published and their authors told.", num=len(chosen)), "info")
                return redirect(_queue_url(cycle))
    return render_template("triage/bulk.html", cycle=cycle, form=form, chosen=chosen, previews=previews)


@bp.route(f"{PREFIX}/preparadas", methods=["GET", "POST"])
def prepared(slug, cycle_slug):
    cycle = _moderated_cycle(slug, cycle_slug)
    waiting = services.prepared(cycle)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            published = services.publish_prepared(waiting, actor=current_user)
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("%(num)s prepared responses were published.", num=len(published)), "info")
            return redirect(_queue_url(cycle))
    return render_template("triage/prepared.html", cycle=cycle, waiting=waiting, form=form,
                           handlings=services.handlings(waiting), labels=STATE_LABELS)


@bp.route(f"{PREFIX}/grupos", methods=["GET", "POST"])
def clusters(slug, cycle_slug):
    cycle = _moderated_cycle(slug, cycle_slug)
    groups = services.clusters(cycle)
    templates = services.templates_of(cycle.jurisdiction)
    posted = request.form.get("group", type=int) if request.method == "POST" else None
    forms = []
    for position, group in enumerate(groups):
        # Only the group whose button was pressed reads the posted data; the others show empty.
        form = ClusterForm(prefix=f"g{position}") if position == posted else ClusterForm(prefix=f"g{position}",
                                                                                          formdata=None)
        form.fill(group, templates)
        forms.append(form)
    if posted is not None and 0 <= posted < len(groups) and forms[posted].validate_on_submit():
        form, group = forms[posted], groups[posted]
        target = next(p for p in group if p.id == form.target.data)
        others = [p for p in group if p.id != target.id]
        try:
            services.bulk_decide(others, outcome="MERGED", merged_into=target, actor=current_user,
                                 template=_bulk_template(cycle, form))
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("%(num)s proposals were merged into %(reference)s and their authors told.",
                    num=len(others), reference=target.reference), "info")
            return redirect(url_for(".clusters", slug=slug, cycle_slug=cycle_slug))
    # A page of groups at a time: each carries its own form, and a large cycle has dozens.
    shown = paginate_list(list(enumerate(zip(groups, forms, strict=True))), per_page=CLUSTERS_PER_PAGE)
    return render_template("triage/clusters.html", cycle=cycle, groups=shown, labels=STATE_LABELS)


# --- coverage (public) ----------------------------------------------------------------------------

@bp.route("/<slug>/<cycle_slug>/cobertura")
def coverage(slug, cycle_slug):
    cycle = cycle_or_404(slug, cycle_slug)
    return render_template("triage/coverage.html", cycle=cycle, coverage=services.coverage(cycle),
                           outcomes=services.asked_said_done(cycle), labels=STATE_LABELS,
                           final=services.OUTCOMES[1:])


@bp.route("/<slug>/<cycle_slug>/cobertura/propuestas")
def coverage_list(slug, cycle_slug):
    cycle = cycle_or_404(slug, cycle_slug)
    form = QueueFilterForm(request.args)
    form.fill_choices(**proposals.filter_choices(cycle))
    form.fill_tables(tables_of(cycle))
    group = request.args.get("grupo", "recibidas")
    if group not in services.GROUPS:
        abort(404)
    filters = form.filters()
    page = paginate(services.coverage_list(cycle, group, table=form.table.data if not form.table.errors else None,
                                           no_table=request.args.get("sin_mesa") == "1", **filters))
    args = {**form.query_args(), "grupo": group}
    if request.args.get("sin_mesa") == "1":
        args["sin_mesa"] = "1"
    return render_template("triage/coverage_list.html", cycle=cycle, page=page, group=group, query_args=args,
                           labels=STATE_LABELS)


# --- answer templates -----------------------------------------------------------------------------

def _jurisdiction(slug) -> Jurisdiction:
    jurisdiction = jurisdiction_or_404(slug)
    require(current_user, "moderate", jurisdiction)
    return jurisdiction


def _templates_url(jurisdiction) -> str:
    return url_for("triage.templates", slug=jurisdiction.slug)


@bp.route("/<slug>/admin/plantillas-respuesta")
def templates(slug):
    jurisdiction = _jurisdiction(slug)
    return render_template("triage/templates.html", jurisdiction=jurisdiction,
                           templates=services.templates_of(jurisdiction, active_only=False), labels=TEMPLATE_LABELS,
                           state_labels=STATE_LABELS, placeholders=services.PLACEHOLDERS, form=ConfirmForm())


@bp.route("/<slug>/admin/plantillas-respuesta/nueva", methods=["GET", "POST"])
@bp.route("/<slug>/admin/plantillas-respuesta/<int:template_id>", methods=["GET", "POST"])
def template_form(slug, template_id=None):
    jurisdiction = _jurisdiction(slug)
    template = None
    if template_id is not None:
        template = services.template_of(jurisdiction, template_id) or abort(404)
    form = TemplateForm(obj=template)
    if not form.is_submitted() and template is not None:
        form.outcome.data = template.outcome.name if template.outcome else ""
    if form.validate_on_submit():
        try:
            if template is None:
                services.create_template(jurisdiction, actor=current_user, **form.service_kwargs())
            else:
                services.update_template(template, actor=current_user, **form.service_kwargs())
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("The template was saved."), "info")
            return redirect(_templates_url(jurisdiction))
    return render_template("triage/template_form.html", jurisdiction=jurisdiction, template=template, form=form,
                           history=history(template) if template else [], labels=TEMPLATE_LABELS)


@bp.route("/<slug>/admin/plantillas-respuesta/<int:template_id>/<any(retirar, activar):action>", methods=["POST"])
def template_state(slug, template_id, action):
    jurisdiction = _jurisdiction(slug)
    template: AnswerTemplate = services.template_of(jurisdiction, template_id) or abort(404)
    form = ConfirmForm()
    if form.validate_on_submit():
        services.set_template_state(template, TemplateState.RETIRED if action == "retirar" else TemplateState.ACTIVE,
                                    actor=current_user)
        db.session.commit()
    return redirect(_templates_url(jurisdiction))
