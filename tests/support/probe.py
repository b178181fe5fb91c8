"""A test-only blueprint: pages that exercise the core (forms, permissions, errors) without a domain.

Registered on the suite's app before its first request (tests/conftest.py); the application never
imports it.
"""
from flask import Blueprint, render_template
from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from consulta.core.forms import Form
from consulta.core.permissions import rule, requires

bp = Blueprint("probe", __name__, url_prefix="/_probe", template_folder="templates")

SIGNED_IN = "probe_signed_in"
NOBODY = "probe_nobody"


@rule(SIGNED_IN)
def _signed_in(user, obj):
    return user.is_authenticated


@rule(NOBODY)
def _nobody(user, obj):
    return False


class ProbeForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=120)])
    body = TextAreaField(_l("Text"), validators=[DataRequired(), Length(max=5000)])


def _form_page():
    form = ProbeForm()
    if form.validate_on_submit():
        return render_template("probe/saved.html", title=form.title.data)
    return render_template("probe/form.html", form=form)


@bp.route("/form", methods=["GET", "POST"])
def form_page():
    return _form_page()


@bp.route("/private", methods=["GET", "POST"])
@requires(SIGNED_IN)
def private_form_page():
    return _form_page()


@bp.route("/forbidden", methods=["GET", "POST"])
@requires(NOBODY)
def forbidden():
    return "never shown"


@bp.route("/boom")
def boom():
    raise RuntimeError("a bug in a view")


def register(app):
    app.register_blueprint(bp)
