from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, RadioField, SelectField, StringField, TelField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, Regexp

from consulta.accounts.passwords import MAX_LENGTH, MIN_LENGTH
from consulta.accounts.services import DISPLAY_NAME_MAX, PHONE_MAX, TEXT_MAX
from consulta.core.forms import Form

EMAIL_MAX = 254
PASSWORD_HINT = _l("Between %(min)s and %(max)s characters. A few words you remember are better than one short "
                   "word with symbols.", min=MIN_LENGTH, max=MAX_LENGTH)


def email_field(label=_l("Email address")):
    return EmailField(label, validators=[
        DataRequired(message=_l("Write an email address.")),
        Length(max=EMAIL_MAX, message=_l("An email address has at most %(max)d characters.")),
        Email(message=_l("This does not look like an email address: check it.")),
    ], render_kw={"autocomplete": "email", "maxlength": EMAIL_MAX})


def new_password_field(label=_l("Password")):
    return PasswordField(label, description=PASSWORD_HINT, validators=[
        DataRequired(message=_l("Choose a password.")),
        Length(min=MIN_LENGTH, max=MAX_LENGTH,
               message=_l("A password has between %(min)d and %(max)d characters.")),
    ], render_kw={"autocomplete": "new-password", "maxlength": MAX_LENGTH})


def current_password_field(label=_l("Password")):
    return PasswordField(label, validators=[
        DataRequired(message=_l("Write your password.")),
        Length(max=MAX_LENGTH, message=_l("A password has at most %(max)d characters.")),
    ], render_kw={"autocomplete": "current-password", "maxlength": MAX_LENGTH})


def display_name_field():
    return StringField(_l("Your name"), description=_l("Shown next to what you contribute."), validators=[
        DataRequired(message=_l("Write the name you want others to see.")),
        Length(max=DISPLAY_NAME_MAX, message=_l("A name has at most %(max)d characters.")),
    ], render_kw={"autocomplete": "name", "maxlength": DISPLAY_NAME_MAX})


def long_text_field(label, required_message, description=None):
    return TextAreaField(label, description=description, validators=[
        DataRequired(message=required_message),
        Length(max=TEXT_MAX, message=_l("This text has at most %(max)d characters.")),
    ], render_kw={"maxlength": TEXT_MAX})


class RegisterForm(Form):
    display_name = display_name_field()
    email = email_field()
    password = new_password_field()

    def service_kwargs(self) -> dict:
        return {"display_name": self.display_name.data, "email": self.email.data, "password": self.password.data}


class LoginForm(Form):
    email = email_field()
    password = current_password_field()
    remember = BooleanField(_l("Keep me signed in on this device"))


class EmailForm(Form):
    """One address: a new verification link or a password reset."""

    email = email_field()


class ResetPasswordForm(Form):
    password = new_password_field(_l("New password"))


class ProfileForm(Form):
    display_name = display_name_field()
    phone = TelField(_l("Phone (optional)"), description=_l("Only you and consulta's staff can see it."),
                     validators=[
                         Optional(),
                         Length(max=PHONE_MAX, message=_l("A phone number has at most %(max)d characters.")),
                         Regexp(r"^\+?[0-9 ()-]{6,}$",
                                message=_l("Write digits only, with the country code if you like (+56 9 …).")),
                     ], render_kw={"autocomplete": "tel", "maxlength": PHONE_MAX})

    def service_kwargs(self) -> dict:
        return {"display_name": self.display_name.data, "phone": self.phone.data}


class EmailChangeForm(Form):
    new_email = email_field(_l("New email address"))
    password = current_password_field(_l("Your password"))

    def service_kwargs(self) -> dict:
        return {"new_email": self.new_email.data, "password": self.password.data}


class CloseAccountForm(Form):
    password = current_password_field(_l("Your password"))
    confirm = BooleanField(_l("I understand that this cannot be undone"),
                           validators=[DataRequired(message=_l("Tick the box to confirm."))])


class SuspendForm(Form):
    jurisdiction = SelectField(_l("Jurisdiction"), coerce=int,
                               validators=[InputRequired(message=_l("Choose a jurisdiction."))])
    reason = long_text_field(_l("Reason"), _l("Say why: the person reads it and can appeal."),
                             _l("Sent to the person, who can appeal to an administrator."))


class AppealForm(Form):
    text = long_text_field(_l("Your appeal"), _l("Write why the suspension should be lifted."))


class DecisionForm(Form):
    outcome = RadioField(_l("Decision"), choices=[SelectChoice("lift", _l("Lift the suspension")),
                                                  SelectChoice("uphold", _l("Keep the suspension"))],
                         validators=[InputRequired(message=_l("Choose a decision."))])
    reason = long_text_field(_l("Reason"), _l("Say why: the person reads it."))

    def service_kwargs(self) -> dict:
        return {"lift": self.outcome.data == "lift", "reason": self.reason.data}
