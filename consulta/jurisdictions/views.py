from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from consulta.accounts.models import USER_STATE_LABELS, User
from consulta.core.audit import history
from consulta.core.errors import DomainError
from consulta.core.forms import confirmed
from consulta.core.pagination import paginate
from consulta.core.permissions import can, require
from consulta.extensions import db
from consulta.jurisdictions import bp, services
from consulta.jurisdictions.forms import (EntityForm, GrantForm, JurisdictionForm, NewJurisdictionForm, RevokeForm,
                                          UserSearchForm)
from consulta.jurisdictions.models import GRANT_EVENT_LABELS, GRANT_STATE_LABELS, Entity, GrantState, Jurisdiction, Role, RoleGrant

USERS_PER_PAGE = 25


# Public pages ------------------------------------------------------------------------------------

@bp.route("/")
def index():
    jurisdictions = services.ordered_jurisdictions()
    return render_template("jurisdictions/index.html", national=[j for j in jurisdictions if j.is_national],
                           regions=services.by_region(jurisdictions))


@bp.route("/<slug>")
def detail(slug):
    # Imported here: cycles builds on jurisdictions, and this page is the one place that looks back.
    from consulta.cycles.services import cycles_of

    jurisdiction = services.jurisdiction_or_404(slug)
    return render_template("jurisdictions/detail.html", jurisdiction=jurisdiction, cycles=cycles_of(jurisdiction),
                           following=services.is_following(current_user, jurisdiction))


@bp.route("/<slug>/seguir", methods=["POST"])
def follow(slug):
    jurisdiction = services.jurisdiction_or_404(slug)
    require(current_user, "follow_jurisdiction", jurisdiction)
    if confirmed():
        services.follow(current_user, jurisdiction)
        db.session.commit()
        flash(_("You follow %(name)s: we will email you when one of its phases opens.", name=jurisdiction.name))
    return redirect(url_for(".detail", slug=slug))


@bp.route("/<slug>/dejar-de-seguir", methods=["POST"])
def unfollow(slug):
    jurisdiction = services.jurisdiction_or_404(slug)
    require(current_user, "follow_jurisdiction", jurisdiction)
    if confirmed():
        services.unfollow(current_user, jurisdiction)
        db.session.commit()
        flash(_("You no longer follow %(name)s.", name=jurisdiction.name))
    return redirect(url_for(".detail", slug=slug))


# Administration: jurisdictions and entities ------------------------------------------------------

@bp.route("/admin/")
def admin_index():
    require(current_user, "administer")
    return render_template("jurisdictions/admin/index.html",
                           jurisdictions=services.administered_jurisdictions(current_user))


@bp.route("/admin/nueva", methods=["GET", "POST"])
def admin_create():
    require(current_user, "create_jurisdiction")
    form = NewJurisdictionForm()
    if form.validate_on_submit():
        try:
            jurisdiction = services.create_jurisdiction(actor=current_user, **form.service_kwargs())
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("%(name)s was created.", name=jurisdiction.name))
            return redirect(url_for(".admin_edit", slug=jurisdiction.slug))
    return render_template("jurisdictions/admin/create.html", form=form)


def _render_edit(jurisdiction, form=None, entity_form=None):
    if form is None:
        form = JurisdictionForm(data={"name": jurisdiction.name, "slug": jurisdiction.slug,
                                      "region": jurisdiction.region.name if jurisdiction.region else "",
                                      "timezone": jurisdiction.timezone})
    return render_template("jurisdictions/admin/edit.html", jurisdiction=jurisdiction, form=form,
                           entity_form=entity_form or EntityForm(formdata=None, prefix="entity"),
                           history=history(jurisdiction, public_only=False))


@bp.route("/admin/<slug>/editar", methods=["GET", "POST"])
def admin_edit(slug):
    jurisdiction = services.jurisdiction_or_404(slug)
    require(current_user, "administer", jurisdiction)
    form = JurisdictionForm() if request.method == "POST" else None
    if form is not None and form.validate_on_submit():
        try:
            services.update_jurisdiction(jurisdiction, actor=current_user, **form.service_kwargs())
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("The changes to %(name)s were saved.", name=jurisdiction.name))
            return redirect(url_for(".admin_edit", slug=jurisdiction.slug))
    return _render_edit(jurisdiction, form=form)


@bp.route("/admin/<slug>/entidades", methods=["POST"])
def admin_add_entity(slug):
    jurisdiction = services.jurisdiction_or_404(slug)
    require(current_user, "administer", jurisdiction)
    form = EntityForm(prefix="entity")
    if form.validate_on_submit():
        try:
            entity = services.add_entity(jurisdiction, name=form.name.data, actor=current_user)
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("%(name)s was added.", name=entity.name))
            return redirect(url_for(".admin_edit", slug=jurisdiction.slug, _anchor="entities-title"))
    return _render_edit(jurisdiction, entity_form=form)


# Administration: people and their roles ----------------------------------------------------------

@bp.route("/admin/usuarios")
def admin_roles():
    require(current_user, "manage_users")
    search = UserSearchForm(request.args)
    text = search.q.data if search.validate() else ""
    page = paginate(services.user_search(text), per_page=USERS_PER_PAGE)
    return render_template("jurisdictions/admin/users.html", search=search, page=page, q=text or "",
                           user_state_labels=USER_STATE_LABELS)


def _load_user(user_id: int):
    return db.get_or_404(User, user_id)


def _render_user(person, grant_form=None, revoke_forms=None):
    administered = services.administered_jurisdictions(current_user)
    if grant_form is None:
        grant_form = GrantForm(formdata=None)
    grant_form.fill_choices(administered)
    records = services.role_history(person)
    revoke_forms = revoke_forms or {}
    for record in records:
        grant = record.grant
        if grant.state == GrantState.ACTIVE and can(current_user, "administer", grant) and grant.id not in revoke_forms:
            revoke_forms[grant.id] = RevokeForm(formdata=None, prefix=f"grant-{grant.id}")
    return render_template("jurisdictions/admin/user.html", person=person, records=records,
                           grant_form=grant_form, revoke_forms=revoke_forms, labels=GRANT_EVENT_LABELS,
                           state_labels=GRANT_STATE_LABELS, user_state_labels=USER_STATE_LABELS)


@bp.route("/admin/usuarios/<int:user_id>")
def admin_user(user_id):
    require(current_user, "manage_users")
    return _render_user(_load_user(user_id))


@bp.route("/admin/usuarios/<int:user_id>/roles", methods=["POST"])
def admin_grant(user_id):
    require(current_user, "manage_users")
    person = _load_user(user_id)
    form = GrantForm()
    form.fill_choices(services.administered_jurisdictions(current_user))
    if form.validate_on_submit():
        jurisdiction = db.get_or_404(Jurisdiction, form.jurisdiction.data)
        entity = db.get_or_404(Entity, form.entity.data) if form.entity.data is not None else None
        try:
            grant = services.grant_role(person, Role[form.role.data], jurisdiction, actor=current_user,
                                        entity=entity, reason=form.reason.data)
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("%(name)s is now %(role)s in %(place)s.", name=person.display_name, role=grant.role.label,
                    place=jurisdiction.name))
            return redirect(url_for(".admin_user", user_id=person.id))
    return _render_user(person, grant_form=form)


@bp.route("/admin/roles/<int:grant_id>/revocar", methods=["POST"])
def admin_revoke(grant_id):
    grant = db.get_or_404(RoleGrant, grant_id)
    require(current_user, "administer", grant)
    form = RevokeForm(prefix=f"grant-{grant.id}")
    if form.validate_on_submit():
        try:
            services.revoke_role(grant, actor=current_user, reason=form.reason.data)
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("The role was revoked."))
            return redirect(url_for(".admin_user", user_id=grant.user_id))
    return _render_user(grant.user, revoke_forms={grant.id: form})
