from io import BytesIO

from flask import abort, current_app, flash, g, redirect, render_template, request, send_file, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from wtforms.fields.choices import SelectChoice

from consulta.accounts import bp, services, tokens
from consulta.accounts.forms import (AppealForm, CloseAccountForm, DecisionForm, EmailChangeForm, EmailForm,
                                     LoginForm, ProfileForm, RegisterForm, ResetPasswordForm, SuspendForm)
from consulta.accounts.models import SUSPENSION_STATE_LABELS, Suspension, SuspensionState, User, UserState
from consulta.core.errors import DomainError
from consulta.core.forms import STASH_KEY, ConfirmForm
from consulta.core.i18n import current_language, safe_next
from consulta.core.permissions import can, requires
from consulta.extensions import db, limiter
from consulta.jurisdictions.models import Jurisdiction

# What survives the fresh session made at sign-in: the chosen language, and a form a visitor
# posted before being asked to sign in.
KEPT_ACROSS_SIGN_IN = ("lang", STASH_KEY)

# Staff pages linked from /cuenta/equipo once the domain that serves them exists: (endpoint,
# label, action the person needs somewhere).
STAFF_PAGES = (
    ("jurisdictions.admin_index", _l("Jurisdictions, cycles and phases"), "administer"),
    ("jurisdictions.admin_roles", _l("Roles"), "administer"),
    ("organisations.moderation", _l("Organisations to verify"), "moderate"),
    ("accounts.suspensions", _l("Suspensions and appeals"), "review_suspensions"),
)

# Where a visitor gets a fresh link when one did not work.
SENT_PAGES = {
    "registro": _l("We sent you an email. Follow its link within 48 hours to confirm your address, then "
                   "sign in."),
    "verificacion": _l("If an account with that address is waiting to be confirmed, we sent it a new link."),
    "clave": _l("If an account uses that address, we sent it a link to choose a new password. The link "
                "works for two hours."),
}


def auth_limited(view):
    return limiter.limit(lambda: current_app.config["RATELIMIT_AUTH"], methods=["POST"])(view)


def _me(**view_args):
    """The signed-in person as the model object (services record it, and history needs its class)."""
    return current_user._get_current_object()


def _load_suspension(suspension_id):
    return db.get_or_404(Suspension, suspension_id)


def _fresh_session() -> None:
    kept = {key: session[key] for key in KEPT_ACROSS_SIGN_IN if key in session}
    session.clear()
    session.update(kept)
    # Flask-WTF caches this request's CSRF token in g: it belonged to the old session.
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)


@bp.context_processor
def _labels():
    return {"suspension_labels": SUSPENSION_STATE_LABELS}


@bp.errorhandler(tokens.InvalidLink)
def invalid_link(error):
    return render_template("accounts/invalid_link.html", error=error, form=EmailForm()), 400


# --- signing up, in and out --------------------------------------------------------------------

@bp.route("/registro", methods=["GET", "POST"])
@auth_limited
def register():
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            services.register(locale=current_language(), **form.service_kwargs())
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            return redirect(url_for(".email_sent", kind="registro"))
    return render_template("accounts/register.html", form=form)


@bp.route("/revisa-tu-correo/<any(registro, verificacion, clave):kind>")
def email_sent(kind):
    return render_template("accounts/email_sent.html", message=SENT_PAGES[kind])


@bp.route("/verificar/<token>", methods=["GET", "POST"])
def verify(token):
    services.check_link(tokens.VERIFY, token)
    form = ConfirmForm()
    if form.validate_on_submit():
        services.verify_email(token)
        db.session.commit()
        flash(_("Your email address is confirmed. You can sign in now."))
        return redirect(url_for(".login"))
    return render_template("accounts/verify.html", form=form)


@bp.route("/verificar/nuevo", methods=["GET", "POST"])
@auth_limited
def resend_verification():
    form = EmailForm()
    if form.validate_on_submit():
        services.resend_verification(form.email.data)
        db.session.commit()
        return redirect(url_for(".email_sent", kind="verificacion"))
    return render_template("accounts/resend_verification.html", form=form)


@bp.route("/ingresar", methods=["GET", "POST"])
@auth_limited
def login():
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.email.data, form.password.data)
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            _fresh_session()
            # force: a suspended person signs in to read and to appeal (permissions refuse the rest).
            login_user(user, remember=form.remember.data, force=True)
            return redirect(safe_next(request.args.get("next"), url_for(".profile")))
    return render_template("accounts/login.html", form=form)


@bp.route("/salir", methods=["POST"])
def logout():
    form = ConfirmForm()
    if form.validate_on_submit():
        logout_user()
        _fresh_session()
        flash(_("You signed out."))
    return redirect(url_for("site.home"))


# --- passwords ---------------------------------------------------------------------------------

@bp.route("/clave/olvido", methods=["GET", "POST"])
@auth_limited
def forgot_password():
    form = EmailForm()
    if form.validate_on_submit():
        services.request_password_reset(form.email.data)
        db.session.commit()
        return redirect(url_for(".email_sent", kind="clave"))
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/clave/<token>", methods=["GET", "POST"])
def reset_password(token):
    services.check_link(tokens.RESET, token)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            services.reset_password(token, password=form.password.data)
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            logout_user()
            _fresh_session()
            flash(_("Your password was changed and every other session was signed out. Sign in with the new "
                    "password."))
            return redirect(url_for(".login"))
    return render_template("accounts/reset_password.html", form=form)


# --- the person's own account ------------------------------------------------------------------

@bp.route("/")
@requires("read_own_account", load=_me)
def profile():
    return render_template("accounts/profile.html", user=current_user,
                           suspensions=services.suspensions_of(current_user))


@bp.route("/perfil", methods=["GET", "POST"])
@requires("edit_profile", load=_me)
def edit_profile():
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        try:
            services.update_profile(_me(), actor=_me(), **form.service_kwargs())
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("Your profile was saved."))
            return redirect(url_for(".profile"))
    return render_template("accounts/edit_profile.html", form=form)


@bp.route("/correo", methods=["GET", "POST"])
@auth_limited
@requires("edit_profile", load=_me)
def change_email():
    form = EmailChangeForm()
    if form.validate_on_submit():
        try:
            services.request_email_change(_me(), actor=_me(), **form.service_kwargs())
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("We sent a link to the new address. Your address changes when you follow it."))
            return redirect(url_for(".profile"))
    return render_template("accounts/change_email.html", form=form, user=current_user)


@bp.route("/correo/<token>", methods=["GET", "POST"])
def confirm_email(token):
    user = services.check_link(tokens.EMAIL, token)
    form = ConfirmForm()
    if form.validate_on_submit():
        try:
            services.confirm_email_change(token)
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("Your new email address is confirmed."))
            return redirect(url_for(".profile" if current_user.is_authenticated else ".login"))
    return render_template("accounts/confirm_email.html", form=form, new_email=user.pending_email)


@bp.route("/cerrar", methods=["GET", "POST"])
@auth_limited
@requires("close_account", load=_me)
def close_account():
    form = CloseAccountForm()
    if form.validate_on_submit():
        try:
            services.close_account(_me(), actor=_me(), reason=_("Closed by its owner"),
                                   password=form.password.data)
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            logout_user()
            _fresh_session()
            flash(_("Your account is closed. What you contributed stays, under a pseudonym."))
            return redirect(url_for("site.home"))
    return render_template("accounts/close_account.html", form=form)


@bp.route("/mis-datos.zip")
@requires("download_own_data", load=_me)
def download_data():
    archive = services.download_data(_me(), actor=_me())
    response = send_file(BytesIO(archive), mimetype="application/zip", as_attachment=True,
                         download_name="consulta-mis-datos.zip")
    response.headers["Cache-Control"] = "no-store"
    return response


# --- suspension --------------------------------------------------------------------------------

@bp.route("/suspension", methods=["GET", "POST"])
@requires("read_own_account", load=_me)
def my_suspension():
    suspensions = services.suspensions_of(current_user)
    live = next((row for row in suspensions if row.state == SuspensionState.ACTIVE), None)
    form = AppealForm()
    if live is not None and form.validate_on_submit():
        try:
            services.appeal(live, actor=_me(), text=form.text.data)
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("Your appeal was sent. An administrator will answer it."))
            return redirect(url_for(".my_suspension"))
    return render_template("accounts/my_suspension.html", suspensions=suspensions, live=live, form=form)


@bp.route("/suspensiones")
@requires("review_suspensions")
def suspensions():
    return render_template("accounts/suspensions.html", suspensions=services.suspensions_for_review(current_user))


@bp.route("/suspensiones/nueva/<int:user_id>", methods=["GET", "POST"])
@requires("moderate")
def suspend(user_id):
    person = db.get_or_404(User, user_id)
    if person.state == UserState.CLOSED:
        abort(404)
    form = SuspendForm()
    form.jurisdiction.choices = [SelectChoice(row.id, row.name) for row in services.moderated_jurisdictions(current_user)]
    if form.validate_on_submit():
        try:
            suspension = services.suspend(person, actor=_me(), reason=form.reason.data,
                                          jurisdiction=db.session.get(Jurisdiction, form.jurisdiction.data))
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("The account is suspended and the person was told why."))
            return redirect(url_for(".suspension_detail", suspension_id=suspension.id))
    return render_template("accounts/suspend.html", form=form, person=person)


@bp.route("/suspensiones/<int:suspension_id>", methods=["GET", "POST"])
@requires("review_suspensions", load=_load_suspension)
def suspension_detail(suspension_id):
    suspension = _load_suspension(suspension_id)
    form = DecisionForm()
    if form.validate_on_submit():
        try:
            services.decide_appeal(suspension, actor=_me(), **form.service_kwargs())
        except DomainError as error:
            form.attach(error)
        else:
            db.session.commit()
            flash(_("The decision was recorded and sent to the person."))
            return redirect(url_for(".suspension_detail", suspension_id=suspension.id))
    return render_template("accounts/suspension_detail.html", suspension=suspension, form=form,
                           may_decide=can(current_user, "administer", suspension.jurisdiction))


# --- staff -------------------------------------------------------------------------------------

@bp.route("/equipo")
@requires("view_staff_area")
def staff():
    links = [(label, url_for(endpoint)) for endpoint, label, action in STAFF_PAGES
             if endpoint in current_app.view_functions and can(current_user, action)]
    return render_template("accounts/staff.html", roles=services.roles_by_jurisdiction(current_user),
                           links=links)
