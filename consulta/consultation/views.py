from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address
from flask_login import current_user

from consulta.commitments import services as commitments
from consulta.consultation import bp, services
from consulta.consultation.forms import (
    AnswerForm, AppealForm, CommentForm, DecideAppealForm, EditForm, HideForm, ReplyForm, ReportForm, RestoreForm,
    SettingsForm, WithdrawForm,
)
from consulta.consultation.models import (
    ALIGNMENT_LABELS, HISTORY_LABELS, HISTORY_REASONS, OUTCOME_LABELS, REASON_LABELS, CommentState,
)
from consulta.core import exports
from consulta.core.audit import history
from consulta.core.errors import DomainError
from consulta.core.forms import stash_posted_form
from consulta.core.permissions import can, require
from consulta.extensions import db, limiter
from consulta.cycles.services import cycle_or_404

PREFIX = "/<slug>/<cycle_slug>/consulta"
COMMENT = f"{PREFIX}/comentarios/<int:comment_id>"


def _me():
    """The signed-in person as the model object (services record it, and history needs its class)."""
    return current_user._get_current_object()


def _keep_text(limit):
    # A refused flood loses nothing: the text comes back when the person opens the page again.
    stash_posted_form()


def _person():
    return f"person:{current_user.id}" if current_user.is_authenticated else get_remote_address()


def posting_limited(view):
    """Posting comments and replies: a budget per address and one per person, shared by both forms."""
    view = limiter.shared_limit(lambda: current_app.config["CONSULTATION_RATE_PER_ADDRESS"],
                                scope="consultation-address", methods=["POST"], on_breach=_keep_text)(view)
    return limiter.shared_limit(lambda: current_app.config["CONSULTATION_RATE_PER_PERSON"],
                                scope="consultation-person", key_func=_person, methods=["POST"],
                                on_breach=_keep_text)(view)


def load_comment(slug, cycle_slug, comment_id):
    comment = services.find_comment(cycle_or_404(slug, cycle_slug), comment_id)
    if comment is None:
        abort(404)
    return comment


def comment_url(comment) -> str:
    return url_for("consultation.comment", **services.comment_url_values(comment))


def _labels() -> dict:
    return {"alignment": ALIGNMENT_LABELS, "reasons": REASON_LABELS, "outcomes": OUTCOME_LABELS}


# --- the consultation and its threads -------------------------------------------------------------

@bp.route(PREFIX)
def overview(slug, cycle_slug):
    cycle = cycle_or_404(slug, cycle_slug)
    version = commitments.consultation_version(cycle)
    plan = services.plan_target(cycle)
    rows = list(zip(version.snapshots, commitments.readable(version))) if version is not None else []
    return render_template(
        "consultation/overview.html", cycle=cycle, version=version, plan=plan, rows=rows,
        counts=services.counts_by_target(cycle), plan_counts=services.counts_by_target(cycle, "plan"),
        coverage=services.coverage(cycle), hidden=services.hidden_counts(cycle), notice=services.closed_notice(plan),
        labels=_labels(), moderator=can(current_user, "moderate", cycle),
    )


def comment_form(target, page_url: str):
    """The form to comment on any target's page (a commitment here, a progress report in monitoring).

    Returns the form and, once a comment was posted, the redirect to it (None otherwise)."""
    form = CommentForm()
    organisations = services.commenting_choices(current_user)
    form.fill_choices(target, organisations)
    form.start()
    if form.is_submitted():
        require(current_user, "comment", target.cycle)
    if form.validate_on_submit():
        try:
            comment = services.post_comment(target, author=_me(), **form.service_kwargs(organisations))
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            if comment.state is CommentState.PENDING_REVIEW:
                flash(_("Thank you. Your first comment here will be shown once a moderator has read it."), "info")
            else:
                flash(_("Thank you: your comment is published."), "info")
            return form, redirect(f"{page_url}#comment-{comment.campaign_of_id or comment.id}")
    return form, None


def _thread_page(target):
    """A target's page: its frozen text, its comments a page at a time, and the form to comment."""
    form, posted = comment_form(target, target.url)
    if posted is not None:
        return posted
    order = request.args.get("orden") if request.args.get("orden") in services.ORDERS else "recientes"
    is_open = services.accepting_comments(target)
    version = target.version
    frozen = None
    if version is not None and target.kind.kind == "commitment":
        frozen = next((content for row, content in zip(version.snapshots, commitments.readable(version))
                       if row.commitment_id == target.id), None)
    counts = services.thread_counts(target)
    return render_template(
        "consultation/thread.html", target=target, cycle=target.cycle, version=version, frozen=frozen, form=form,
        page=services.thread(target, order=order, total=counts["top_level"]), order=order, counts=counts,
        notice=services.closed_notice(target), open=is_open, labels=_labels(),
        moderator=can(current_user, "moderate", target.cycle),
        editable=lambda comment: services.editable(comment, window_open=is_open),
    )


@bp.route(f"{PREFIX}/plan", methods=["GET", "POST"])
@posting_limited
def plan_thread(slug, cycle_slug):
    cycle = cycle_or_404(slug, cycle_slug)
    target = services.plan_target(cycle)
    if target is None:
        abort(404)
    return _thread_page(target)


@bp.route(f"{PREFIX}/compromisos/<int:number>", methods=["GET", "POST"])
@posting_limited
def commitment_thread(slug, cycle_slug, number):
    # Held for the whole request: the session keeps loaded rows only while something refers to them,
    # and the target reads its cycle and jurisdiction many times.
    cycle = cycle_or_404(slug, cycle_slug)
    target = services.commitment_target(cycle, number)
    if target is None:
        abort(404)
    return _thread_page(target)


@bp.route(COMMENT)
def comment(slug, cycle_slug, comment_id):
    comment = load_comment(slug, cycle_slug, comment_id)
    target = services.target_of_comment(comment)
    moderator = can(current_user, "moderate", comment)
    return render_template(
        "consultation/comment.html", comment=comment, cycle=comment.cycle, target=target,
        group=services.group_of(comment) if not comment.is_reply else None,
        replies=services.replies_of(comment), history=history(comment), history_labels=HISTORY_LABELS,
        history_reasons=HISTORY_REASONS, labels=_labels(), moderator=moderator,
        reports=services.reports_of(comment) if moderator else [], appeal=services.find_appeal(comment),
        open=services.accepting_comments(target), editable=services.editable,
    )


# --- what a participant does with a comment -------------------------------------------------------

def _act(comment, form, *, permission, perform, title, submit, done, obj=None):
    """The pages that do one thing to a comment: check, validate, one service call, commit, back to it."""
    require(current_user, permission, obj if obj is not None else comment)
    if form.validate_on_submit():
        try:
            perform()
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(done, "info")
            return redirect(comment_url(comment))
    return render_template("consultation/action.html", comment=comment, cycle=comment.cycle, form=form, title=title,
                           submit=submit, labels=_labels())


@bp.route(f"{COMMENT}/responder", methods=["GET", "POST"])
@posting_limited
def reply(slug, cycle_slug, comment_id):
    comment = load_comment(slug, cycle_slug, comment_id)
    form = ReplyForm()
    organisations = services.commenting_choices(current_user)
    form.fill_organisations(organisations)
    form.start()
    return _act(comment, form, permission="comment", obj=comment.cycle,
                perform=lambda: services.post_comment(None, reply_to=comment, author=_me(),
                                                      **form.service_kwargs(organisations)),
                title=_("Reply to a comment"), submit=_("Publish the reply"), done=_("Thank you: your reply was sent."))


@bp.route(f"{COMMENT}/editar", methods=["GET", "POST"])
def edit(slug, cycle_slug, comment_id):
    comment = load_comment(slug, cycle_slug, comment_id)
    form = EditForm()
    if not form.is_submitted():
        form.text.data = comment.text
    return _act(comment, form, permission="edit_comment",
                perform=lambda: services.edit_comment(comment, text=form.text.data, actor=_me()),
                title=_("Edit your comment"), submit=_("Save"), done=_("Your comment was saved; it shows as edited."))


@bp.route(f"{COMMENT}/retirar", methods=["GET", "POST"])
def withdraw(slug, cycle_slug, comment_id):
    comment = load_comment(slug, cycle_slug, comment_id)
    return _act(comment, WithdrawForm(), permission="withdraw_comment",
                perform=lambda: services.withdraw_comment(comment, actor=_me()),
                title=_("Withdraw your comment"), submit=_("Withdraw the comment"),
                done=_("Your comment was withdrawn. It shows as withdrawn by its author and still counts."))


@bp.route(f"{COMMENT}/reportar", methods=["GET", "POST"])
def report(slug, cycle_slug, comment_id):
    comment = load_comment(slug, cycle_slug, comment_id)
    form = ReportForm()
    return _act(comment, form, permission="report_comment",
                perform=lambda: services.report(comment, reporter=_me(), **form.service_kwargs()),
                title=_("Report a comment"), submit=_("Send the report"),
                done=_("Thank you: the moderators will look at it."))


@bp.route(f"{COMMENT}/apelar", methods=["GET", "POST"])
def appeal(slug, cycle_slug, comment_id):
    comment = load_comment(slug, cycle_slug, comment_id)
    form = AppealForm()
    return _act(comment, form, permission="appeal_comment",
                perform=lambda: services.appeal(comment, text=form.text.data, actor=_me()),
                title=_("Appeal against hiding your comment"), submit=_("Send the appeal"),
                done=_("Your appeal was sent; you will be emailed the decision."))


# --- what moderators do --------------------------------------------------------------------------

@bp.route(f"{COMMENT}/respuesta", methods=["GET", "POST"])
def answer(slug, cycle_slug, comment_id):
    comment = load_comment(slug, cycle_slug, comment_id)
    form = AnswerForm()
    group = services.group_of(comment) if not comment.is_reply else None
    if group is None or group.size < 2:
        del form.whole_group

    def perform():
        whole = "whole_group" in form and form.whole_group.data
        services.answer(group if whole else comment, actor=_me(), **form.service_kwargs())

    return _act(comment, form, permission="moderate", perform=perform, title=_("Answer a comment"),
                submit=_("Publish the official answer"), done=_("The answer is published; the author was emailed."))


@bp.route(f"{COMMENT}/ocultar", methods=["GET", "POST"])
def hide(slug, cycle_slug, comment_id):
    comment = load_comment(slug, cycle_slug, comment_id)
    form = HideForm()
    return _act(comment, form, permission="moderate",
                perform=lambda: services.hide(comment, actor=_me(), **form.service_kwargs()),
                title=_("Hide a comment"), submit=_("Hide the comment"),
                done=_("The comment is hidden; its author was emailed the reason."))


@bp.route(f"{COMMENT}/mostrar", methods=["GET", "POST"])
def restore(slug, cycle_slug, comment_id):
    comment = load_comment(slug, cycle_slug, comment_id)
    form = RestoreForm()
    return _act(comment, form, permission="moderate",
                perform=lambda: services.restore(comment, note=form.note.data, actor=_me()),
                title=_("Show a comment"), submit=_("Show the comment"), done=_("The comment is shown."))


@bp.route(f"{COMMENT}/apelacion", methods=["GET", "POST"])
def decide_appeal(slug, cycle_slug, comment_id):
    comment = load_comment(slug, cycle_slug, comment_id)
    lodged = services.find_appeal(comment)
    if lodged is None:
        abort(404)
    form = DecideAppealForm()
    return _act(comment, form, permission="decide_comment_appeal", obj=lodged,
                perform=lambda: services.decide_appeal(lodged, actor=_me(), **form.service_kwargs()),
                title=_("Decide an appeal"), submit=_("Decide"),
                done=_("The appeal is decided; the author was emailed."))


@bp.route(f"{PREFIX}/moderacion")
def queue(slug, cycle_slug):
    cycle = cycle_or_404(slug, cycle_slug)
    require(current_user, "moderate", cycle)
    return render_template(
        "consultation/queue.html", cycle=cycle, review=services.awaiting_review(cycle),
        reported=services.reported(cycle), appeals=services.appeals_pending(cycle),
        page=services.pending_page(cycle), coverage=services.coverage(cycle), labels=_labels(),
    )


@bp.route(f"{PREFIX}/ajustes", methods=["GET", "POST"])
def settings(slug, cycle_slug):
    cycle = cycle_or_404(slug, cycle_slug)
    jurisdiction = cycle.jurisdiction
    require(current_user, "administer", jurisdiction)
    current = services.settings_for(jurisdiction)
    form = SettingsForm(obj=current)
    if form.validate_on_submit():
        try:
            services.update_settings(jurisdiction, actor=_me(), **form.service_kwargs())
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("The moderation settings of %(place)s were saved.", place=jurisdiction.name), "info")
            return redirect(url_for(".queue", slug=slug, cycle_slug=cycle_slug))
    return render_template("consultation/settings.html", cycle=cycle, form=form)


# --- exports -------------------------------------------------------------------------------------

@bp.route(f"{PREFIX}/exportar.<any(csv, json, xlsx):fmt>")
def export(slug, cycle_slug, fmt):
    cycle = cycle_or_404(slug, cycle_slug)
    return exports.download(fmt, services.EXPORT_FIELDS, services.export_rows(cycle),
                            filename=f"{cycle.jurisdiction.slug}-{cycle.slug}-comentarios.{fmt}", title="comentarios",
                            key="comments", jurisdiction=cycle.jurisdiction.name, cycle=cycle.name)
