"""The base form: refusals shown next to their field, and no typed text ever lost.

An expired CSRF token or session does not end in a bare 400: the view runs again with what was
posted, and `validate_on_submit` answers False with a message, so the page comes back with every
typed value and a fresh token. A visitor whose login lapsed gets the text back after signing in.

The field helpers every domain's forms share live here too: `text_field` (a length-bounded text that
refuses control characters through `plain_text`), `optional_id` and `MultiCheckboxField`.
"""
import re

from flask import flash, g, request, session
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import SelectMultipleField, StringField, TextAreaField, widgets
from wtforms.validators import Length, Optional, ValidationError

from consulta.core.errors import DomainError

STASH_KEY = "stashed_form"
CSRF_EXPIRED_MESSAGE = _l("Your session expired before you sent this. Nothing was lost: check the "
                          "text below and send it again.")


def stash_posted_form() -> None:
    """Keep a visitor's posted text in the session until the same page is shown again."""
    data = request.form.to_dict(flat=False)
    data.pop("csrf_token", None)
    session[STASH_KEY] = {"path": request.path, "data": data}


def _take_stash():
    stash = session.get(STASH_KEY)
    if request.method == "GET" and stash and stash.get("path") == request.path:
        session.pop(STASH_KEY)
        return MultiDict([(key, value) for key, values in stash["data"].items() for value in values])
    return None


# Control characters (NUL above all) cannot be stored by PostgreSQL and mean nothing in a text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def plain_text(form, field):
    if field.data and isinstance(field.data, str) and _CONTROL.search(field.data):
        raise ValidationError(_l("This text contains control characters (such as NUL) that cannot be kept: "
                                 "remove them and send it again."))


def optional_id(value):
    """'' → None; digits → int; anything else is refused by the field as an invalid choice."""
    if value in (None, ""):
        return None
    return int(value)


def text_field(label, maximum, *, area=False, description=None, **render):
    field_class = TextAreaField if area else StringField
    return field_class(label, description=description, render_kw={"maxlength": maximum, **render}, validators=[
        Optional(), Length(max=maximum, message=_l("This text has at most %(max)d characters.")), plain_text,
    ])


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes (the form macro renders it as a fieldset)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class Form(FlaskForm):
    def __init__(self, *args, **kwargs):
        stash = _take_stash()
        if stash is not None and "formdata" not in kwargs:
            kwargs["formdata"] = stash
        super().__init__(*args, **kwargs)

    def validate_on_submit(self, extra_validators=None) -> bool:
        if g.get("csrf_failed"):
            g.csrf_handled = True
            self.form_errors.append(str(CSRF_EXPIRED_MESSAGE))
            return False
        return super().validate_on_submit(extra_validators)

    def attach(self, error: DomainError) -> None:
        """Show a service's refusal next to its field (or at the top of the form)."""
        field = getattr(self, error.field, None) if error.field else None
        if field is not None and hasattr(field, "errors"):
            field.errors = [*field.errors, error.message]
        else:
            self.form_errors.append(error.message)

    @property
    def all_errors(self) -> list[tuple[str | None, str]]:
        """(field id, message) pairs for the error summary at the top of the form."""
        pairs = [(None, message) for message in self.form_errors]
        for field in self:
            pairs.extend((field.id, message) for message in field.errors)
        return pairs


class ConfirmForm(Form):
    """A form with no fields: a button that changes something is still a POST with CSRF."""


def confirmed() -> bool:
    """A one-button POST: True when its token is good; otherwise say why on the next page."""
    form = ConfirmForm()
    if form.validate_on_submit():
        return True
    for message in form.form_errors or [str(_l("Please try again."))]:
        flash(message, "error")
    return False
