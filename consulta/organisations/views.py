from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from consulta.core.audit import history
from consulta.core.errors import DomainError
from consulta.core.forms import ConfirmForm
from consulta.core.permissions import require
from consulta.extensions import db
from consulta.jurisdictions.models import Jurisdiction
from consulta.jurisdictions.services import jurisdiction_or_404, ordered_jurisdictions
from consulta.organisations import bp, services
from consulta.organisations.forms import RejectForm, RepresentationRequestForm, VerifyForm
from consulta.organisations.models import STATE_LABELS, Organisation, Representation


@bp.route("/solicitar", methods=["GET", "POST"])
def request_representation():
    if current_user.is_authenticated and not current_user.is_verified:
        return render_template("organisations/verify_first.html"), 403
    require(current_user, "request_representation")
    form = RepresentationRequestForm()
    form.fill_choices(ordered_jurisdictions())
    if form.validate_on_submit():
        jurisdiction = db.get_or_404(Jurisdiction, form.jurisdiction.data)
        try:
            representation = services.request_representation(current_user, jurisdiction=jurisdiction,
                                                              **form.service_kwargs())
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("Your request to represent %(name)s was sent. A moderator will check it and you will be "
                    "told by email.", name=representation.organisation.name))
            return redirect(url_for(".mine"))
    return render_template("organisations/request.html", form=form)


@bp.route("/mias")
def mine():
    require(current_user, "view_own_organisations")
    return render_template("organisations/mine.html", representations=services.representations_of(current_user),
                           labels=STATE_LABELS)


@bp.route("/solicitudes/<int:representation_id>/retirar", methods=["POST"])
def withdraw(representation_id):
    representation = db.get_or_404(Representation, representation_id)
    require(current_user, "withdraw_representation", representation)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.withdraw_representation(representation, actor=current_user)
        except DomainError as error:
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("Your request for %(name)s was withdrawn.", name=representation.organisation.name))
    else:
        for message in form.form_errors:
            flash(message, "error")
    return redirect(url_for(".mine"))


@bp.route("/<int:organisation_id>")
def detail(organisation_id):
    organisation = db.get_or_404(Organisation, organisation_id)
    require(current_user, "view_organisation", organisation)
    return render_template("organisations/detail.html", organisation=organisation, labels=STATE_LABELS,
                           history=history(organisation))


# Moderation ---------------------------------------------------------------------------------------

@bp.route("/verificar")
def moderation():
    require(current_user, "moderate")
    jurisdiction = None
    slug = request.args.get("j", "")[:60]
    if slug:
        jurisdiction = jurisdiction_or_404(slug)
        require(current_user, "moderate", jurisdiction)
    return render_template("organisations/queue.html", jurisdiction=jurisdiction,
                           places=services.moderated_jurisdictions(current_user),
                           requests=services.pending_requests(current_user, jurisdiction))


def _render_review(representation, verify_form=None, reject_form=None):
    return render_template("organisations/review.html", representation=representation,
                           organisation=representation.organisation, labels=STATE_LABELS,
                           verify_form=verify_form or VerifyForm(formdata=None, prefix="verify"),
                           reject_form=reject_form or RejectForm(formdata=None, prefix="reject"))


def _load_for_decision(representation_id) -> Representation:
    representation = db.get_or_404(Representation, representation_id)
    require(current_user, "verify_representation", representation)
    return representation


@bp.route("/solicitudes/<int:representation_id>")
def review(representation_id):
    return _render_review(_load_for_decision(representation_id))


@bp.route("/solicitudes/<int:representation_id>/verificar", methods=["POST"])
def verify(representation_id):
    representation = _load_for_decision(representation_id)
    form = VerifyForm(prefix="verify")
    if form.validate_on_submit():
        try:
            services.verify_representation(representation, actor=current_user, reason=form.reason.data)
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("%(person)s now represents %(name)s.", person=representation.user.public_name,
                    name=representation.organisation.name))
            return redirect(url_for(".moderation"))
    return _render_review(representation, verify_form=form)


@bp.route("/solicitudes/<int:representation_id>/rechazar", methods=["POST"])
def reject(representation_id):
    representation = _load_for_decision(representation_id)
    form = RejectForm(prefix="reject")
    if form.validate_on_submit():
        try:
            services.reject_representation(representation, actor=current_user, reason=form.reason.data)
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("The request of %(person)s for %(name)s was rejected.", person=representation.user.public_name,
                    name=representation.organisation.name))
            return redirect(url_for(".moderation"))
    return _render_review(representation, reject_form=form)
