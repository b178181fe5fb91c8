from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from consulta.core import exports, storage
from consulta.core.errors import DomainError
from consulta.core.permissions import can, require
from consulta.cycles.services import cycle_or_404
from consulta.extensions import db
from consulta.proposals import bp, services
from consulta.proposals.forms import (ChannelForm, ContentForm, InadmissibleForm, ProposalForm, RegisterFilterForm,
                                      SendForm, WithdrawForm)
from consulta.proposals.models import STATE_LABELS, Draft, ProposalState, WithdrawalReason

PREFIX = "/<slug>/<cycle_slug>/propuestas"


def load_proposal(slug, cycle_slug, reference):
    proposal = services.find(cycle_or_404(slug, cycle_slug), reference)
    if proposal is None:
        abort(404)
    return proposal


def load_draft(slug, cycle_slug, draft_id) -> Draft:
    cycle = cycle_or_404(slug, cycle_slug)
    draft = db.get_or_404(Draft, draft_id)
    if draft.cycle_id != cycle.id:
        abort(404)
    require(current_user, "own_draft", draft)
    return draft


def detail_url(proposal) -> str:
    return url_for("proposals.detail", **services.proposal_url_values(proposal))


# --- the register ----------------------------------------------------------------------------

def _filters(cycle):
    choices = services.filter_choices(cycle)
    form = RegisterFilterForm(request.args)
    form.fill_choices(**choices)
    return form, form.filters(), choices


def _register_page(cycle, *, private: bool):
    form, filters, choices = _filters(cycle)
    counts = services.counts(cycle, areas_shown=choices["areas"], **filters)
    page = services.listing_page(cycle, total=counts["total"], **filters)
    return render_template(
        "proposals/register.html", cycle=cycle, page=page, filters_form=form, query_args=form.query_args(),
        counts=counts, total=page.total, private=private,
        emails=services.contact_addresses(page.items) if private else {}, intake_open=services.intake_open(cycle),
        unfiltered_total=services.received_count(cycle) if filters else counts["total"],
    )


@bp.route(PREFIX)
def register(slug, cycle_slug):
    return _register_page(cycle_or_404(slug, cycle_slug), private=False)


@bp.route(f"{PREFIX}/moderacion")
def moderation(slug, cycle_slug):
    cycle = cycle_or_404(slug, cycle_slug)
    require(current_user, "moderate", cycle)
    return _register_page(cycle, private=True)


@bp.route(f"{PREFIX}/exportar.<any(csv, json, xlsx):fmt>")
def export(slug, cycle_slug, fmt):
    cycle = cycle_or_404(slug, cycle_slug)
    _form, filters, _choices = _filters(cycle)
    return exports.download(fmt, services.EXPORT_FIELDS, services.stream_export_rows(cycle, **filters),
                            filename=f"{cycle.jurisdiction.slug}-{cycle.slug}-propuestas.{fmt}", title="propuestas",
                            key="proposals", jurisdiction=cycle.jurisdiction.name, cycle=cycle.name,
                            filters={key: getattr(value, "name", value) for key, value in filters.items()})


# --- writing, reviewing and sending -------------------------------------------------------------

@bp.route(f"{PREFIX}/nueva", methods=["GET", "POST"])
@bp.route(f"{PREFIX}/borradores/<int:draft_id>", methods=["GET", "POST"])
def write(slug, cycle_slug, draft_id=None):
    cycle = cycle_or_404(slug, cycle_slug)
    require(current_user, "submit_proposal", cycle)
    draft = load_draft(slug, cycle_slug, draft_id) if draft_id is not None else None
    if draft is not None and draft.is_sent:
        return redirect(detail_url(draft.proposal))
    organisations = services.submitter_choices(current_user)
    form = ProposalForm()
    form.fill_choices(cycle, organisations=organisations, attachments=draft.attachments if draft else ())
    if draft is not None and not form.is_submitted():
        form.fill_from(draft)
    if form.validate_on_submit():
        try:
            saved = services.save_draft(cycle=cycle, owner=current_user, actor=current_user, draft=draft,
                                        **form.draft_kwargs(organisations))
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            if "review" in request.form and not form.missing():
                return redirect(url_for(".review", slug=slug, cycle_slug=cycle_slug, draft_id=saved.id))
            if "review" not in request.form:
                flash(_("Draft saved. Only you can see it."), "info")
                return redirect(url_for(".write", slug=slug, cycle_slug=cycle_slug, draft_id=saved.id))
            draft = saved
            form.fill_choices(cycle, organisations=organisations, attachments=draft.attachments)
    return render_template("proposals/write.html", cycle=cycle, form=form, draft=draft,
                           entities=services.entity_suggestions(cycle), closed=services.intake_notice(cycle))


@bp.route(f"{PREFIX}/borradores")
def drafts(slug, cycle_slug):
    cycle = cycle_or_404(slug, cycle_slug)
    require(current_user, "submit_proposal", cycle)
    return render_template("proposals/drafts.html", cycle=cycle, drafts=services.drafts_of(current_user, cycle))


@bp.route(f"{PREFIX}/borradores/<int:draft_id>/revisar", methods=["GET", "POST"])
def review(slug, cycle_slug, draft_id):
    draft = load_draft(slug, cycle_slug, draft_id)
    if draft.is_sent:
        return redirect(detail_url(draft.proposal))
    form = SendForm()
    if not form.is_submitted():
        form.idempotency_key.data = services.new_idempotency_key()
    if form.validate_on_submit():
        try:
            proposal = services.send_draft(draft, idempotency_key=form.idempotency_key.data, actor=current_user)
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("Your proposal was received with the reference %(reference)s. We emailed you a receipt.",
                    reference=proposal.reference), "info")
            return redirect(detail_url(proposal))
    return render_template("proposals/review.html", cycle=draft.cycle, draft=draft, form=form,
                           closed=None if form.errors else services.intake_notice(draft.cycle, draft.sector),
                           similar=services.similar_to(draft.cycle, title=draft.title,
                                                       text=f"{draft.problem}\n{draft.body}"))


# --- a proposal's page, and what its author and moderators do with it ----------------------------

@bp.route(f"{PREFIX}/<reference>")
def detail(slug, cycle_slug, reference):
    proposal = load_proposal(slug, cycle_slug, reference)
    moderator = can(current_user, "moderate", proposal)
    return render_template(
        "proposals/detail.html", proposal=proposal, cycle=proposal.cycle, labels=STATE_LABELS,
        reasons={reason.name: reason.label for reason in WithdrawalReason},
        history=services.public_history(proposal), moderator=moderator,
        attachments=[a for a in proposal.attachments if a.public or moderator],
        may_edit=can(current_user, "edit_proposal", proposal) and services.editable(proposal),
        may_withdraw=can(current_user, "withdraw_proposal", proposal) and proposal.state is ProposalState.SUBMITTED,
        may_judge=moderator and proposal.state is ProposalState.SUBMITTED,
        contact=services.contact_addresses([proposal]).get(proposal.id) if moderator else None,
    )


@bp.route(f"{PREFIX}/<reference>/versiones")
def versions(slug, cycle_slug, reference):
    proposal = load_proposal(slug, cycle_slug, reference)
    return render_template("proposals/versions.html", proposal=proposal, cycle=proposal.cycle)


@bp.route(f"{PREFIX}/<reference>/adjuntos/<int:attachment_id>")
def attachment(slug, cycle_slug, reference, attachment_id):
    proposal = load_proposal(slug, cycle_slug, reference)
    found = services.attachment_of(proposal, attachment_id)
    if found is None:
        abort(404)
    if not found.public:
        require(current_user, "moderate", proposal)
    return storage.serve(services.stored_file(found))


@bp.route(f"{PREFIX}/<reference>/editar", methods=["GET", "POST"])
def edit(slug, cycle_slug, reference):
    proposal = load_proposal(slug, cycle_slug, reference)
    require(current_user, "edit_proposal", proposal)
    form = ContentForm()
    form.fill_choices(proposal.cycle)
    if not form.is_submitted():
        form.fill_from(proposal)
    if form.validate_on_submit() and not form.missing():
        try:
            services.edit(proposal, actor=current_user, **form.content_kwargs())
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("Your changes were saved as version %(number)s.", number=proposal.version_count), "info")
            return redirect(detail_url(proposal))
    return render_template("proposals/edit.html", proposal=proposal, cycle=proposal.cycle, form=form,
                           entities=services.entity_suggestions(proposal.cycle))


@bp.route(f"{PREFIX}/<reference>/retirar", methods=["GET", "POST"])
def withdraw(slug, cycle_slug, reference):
    proposal = load_proposal(slug, cycle_slug, reference)
    require(current_user, "withdraw_proposal", proposal)
    form = WithdrawForm()
    if form.validate_on_submit():
        try:
            services.withdraw(proposal, actor=current_user, **form.service_kwargs())
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("The proposal was withdrawn. It stays visible, marked as withdrawn."), "info")
            return redirect(detail_url(proposal))
    return render_template("proposals/withdraw.html", proposal=proposal, cycle=proposal.cycle, form=form)


@bp.route(f"{PREFIX}/<reference>/no-admisible", methods=["GET", "POST"])
def inadmissible(slug, cycle_slug, reference):
    proposal = load_proposal(slug, cycle_slug, reference)
    require(current_user, "moderate", proposal)
    form = InadmissibleForm()
    if form.validate_on_submit():
        try:
            services.mark_inadmissible(proposal, actor=current_user, reason=form.reason.data)
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("The proposal is marked not admissible; its sender was told why."), "info")
            return redirect(detail_url(proposal))
    return render_template("proposals/inadmissible.html", proposal=proposal, cycle=proposal.cycle, form=form)


@bp.route(f"{PREFIX}/otro-canal", methods=["GET", "POST"])
def enter(slug, cycle_slug):
    cycle = cycle_or_404(slug, cycle_slug)
    require(current_user, "moderate", cycle)
    organisations = services.channel_organisations()
    form = ChannelForm()
    form.fill_choices(cycle, organisations=organisations)
    if not form.is_submitted():
        form.idempotency_key.data = services.new_idempotency_key()
        form.received_on.data = services.local_today(cycle)
    if form.validate_on_submit() and not form.missing():
        try:
            proposal = services.enter_from_channel(cycle=cycle, actor=current_user,
                                                   **form.service_kwargs(organisations))
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("Entered with the reference %(reference)s.", reference=proposal.reference), "info")
            return redirect(detail_url(proposal))
    return render_template("proposals/enter.html", cycle=cycle, form=form,
                           entities=services.entity_suggestions(cycle))


@bp.app_template_global("proposal_intake")
def proposal_intake(cycle) -> dict:
    """For the cycle page's links: is the form open, and how many proposals were received."""
    return {"open": services.intake_open(cycle), "received": services.received_count(cycle)}
