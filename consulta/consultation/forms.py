from datetime import UTC, datetime

from flask import current_app
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, URLSafeSerializer
from wtforms import BooleanField, HiddenField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from consulta.consultation import services
from consulta.consultation.models import Alignment, AnswerOutcome, ReportReason
from consulta.core import clock
from consulta.core.forms import Form, optional_id, plain_text
from consulta.core.sectors import Sector

LENGTH_MESSAGE = _l("This text has at most %(max)d characters.")


def text_area(label, maximum, *, required_message=None, description=None):
    first = DataRequired(message=required_message) if required_message else Optional()
    return TextAreaField(label, description=description, render_kw={"maxlength": maximum}, validators=[
        first, Length(max=maximum, message=LENGTH_MESSAGE), plain_text])


def _choices(enum_class):
    return [SelectChoice(member.name, member.label) for member in enum_class]


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="consultation-form-loaded")


def _now_token() -> str:
    return _serializer().dumps(int(clock.now().timestamp()))


class HumanCheck(Form):
    """Spam defences no person notices: a field hidden from people that bots fill in (the honeypot),
    the time between loading the form and posting it (at least CONSULTATION_MIN_SECONDS), and a key
    that makes posting twice give one comment."""

    website = StringField(_l("Leave this field empty"), render_kw={"autocomplete": "off", "tabindex": "-1",
                                                                   "maxlength": 200},
                          validators=[Optional(), Length(max=200)])
    loaded = HiddenField(validators=[Optional(), Length(max=200)])
    idempotency_key = HiddenField(validators=[Optional(), Regexp(r"^[0-9a-f]{32}$")])

    def start(self) -> None:
        """Stamp a form being shown (not one coming back with what was typed)."""
        if not self.is_submitted():
            self.loaded.data = _now_token()
            self.idempotency_key.data = services.new_idempotency_key()

    def _loaded_at(self) -> datetime | None:
        try:
            return datetime.fromtimestamp(int(_serializer().loads(self.loaded.data or "")), UTC)
        except (BadSignature, TypeError, ValueError, OverflowError):
            return None

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.idempotency_key.errors or not self.idempotency_key.data:
            self.idempotency_key.errors = []
            self.idempotency_key.data = services.new_idempotency_key()
        if not valid:
            return False
        if self.website.data:
            self.form_errors.append(str(_l("This form could not be accepted: leave the last field empty and send "
                                           "it again.")))
            return False
        loaded_at = self._loaded_at()
        if loaded_at is None:
            self.loaded.data = _now_token()
            self.form_errors.append(str(_l("The form came back incomplete. Check your text and send it again.")))
            return False
        if (clock.now() - loaded_at).total_seconds() < current_app.config["CONSULTATION_MIN_SECONDS"]:
            self.form_errors.append(str(_l("That was sent very quickly. Check your text and send it again.")))
            return False
        return True


class SpeakingFor(HumanCheck):
    organisation = RadioField(_l("Who comments"), coerce=optional_id, default=None,
                              description=_l("Yourself, as a citizen, or an organisation whose representative you "
                                             "are (verified by a moderator)."))

    def fill_organisations(self, organisations) -> None:
        self.organisation.choices = [SelectChoice("", _l("Myself, as a citizen"))] + [
            SelectChoice(organisation.id, f"{organisation.name} ({organisation.sector.label})")
            for organisation in organisations]

    def speaker_kwargs(self, organisations) -> dict:
        chosen = next((o for o in organisations if o.id == self.organisation.data), None)
        return {"organisation": chosen, "sector": chosen.sector if chosen else Sector.CIUDADANIA,
                "idempotency_key": self.idempotency_key.data}


class CommentForm(SpeakingFor):
    text = text_area(_l("Your comment"), services.TEXT_MAX, required_message=_l("Write your comment."),
                     description=_l("Plain text; separate paragraphs with an empty line. Web addresses become links."))
    alignment = RadioField(_l("Your position"), choices=_choices(Alignment),
                           validators=[InputRequired(message=_l("Say whether you are in favour, against or "
                                                                "neutral."))])
    part = SelectField(_l("Which part is it about? (optional)"), validators=[Optional()])
    quote = text_area(_l("Quote the sentence you comment on (optional)"), services.QUOTE_MAX,
                      description=_l("Copy it exactly from the text above."))

    FIELDS = ("organisation", "part", "quote", "text", "alignment")

    def fill_choices(self, target, organisations) -> None:
        self.fill_organisations(organisations)
        self.part.choices = [SelectChoice("", _l("The whole text"))] + [SelectChoice(code, label)
                                                                         for code, label in target.parts]
        if not target.parts:
            del self.part

    def service_kwargs(self, organisations) -> dict:
        return {**self.speaker_kwargs(organisations), "text": self.text.data, "alignment": self.alignment.data,
                "part": self.part.data if "part" in self else None, "quote": self.quote.data}


class ReplyForm(SpeakingFor):
    text = text_area(_l("Your reply"), services.TEXT_MAX, required_message=_l("Write your reply."))

    FIELDS = ("organisation", "text")

    def service_kwargs(self, organisations) -> dict:
        return {**self.speaker_kwargs(organisations), "text": self.text.data}


class EditForm(Form):
    text = text_area(_l("Your comment"), services.TEXT_MAX, required_message=_l("Write your comment."))

    FIELDS = ("text",)


class WithdrawForm(Form):
    FIELDS = ()


class ReportForm(Form):
    reason = RadioField(_l("Why do you report it?"), choices=_choices(ReportReason),
                        validators=[InputRequired(message=_l("Choose why you report it."))])
    details = text_area(_l("Details (optional)"), services.DETAILS_MAX,
                        description=_l("Only the moderators read them."))

    FIELDS = ("reason", "details")

    def service_kwargs(self) -> dict:
        return {"reason": ReportReason[self.reason.data], "details": self.details.data}


class AnswerForm(Form):
    outcome = RadioField(_l("Outcome"), choices=_choices(AnswerOutcome),
                         validators=[InputRequired(message=_l("Choose the outcome."))])
    text = text_area(_l("The official answer"), services.ANSWER_MAX,
                     required_message=_l("Write the answer: it is public, and the author reads it."),
                     description=_l("Public, shown as the institution's answer, and emailed to the author."))
    whole_group = BooleanField(_l("Answer every person who presented this same comment"), default=True)

    FIELDS = ("outcome", "text", "whole_group")

    def service_kwargs(self) -> dict:
        return {"outcome": AnswerOutcome[self.outcome.data], "text": self.text.data}


class HideForm(Form):
    reason = RadioField(_l("Reason"), choices=_choices(ReportReason),
                        description=_l("Shown publicly in the comment's place."),
                        validators=[InputRequired(message=_l("Choose the reason: it is shown in the comment's "
                                                             "place."))])
    note = text_area(_l("Words for the author (optional)"), services.NOTE_MAX,
                     description=_l("Emailed to the author with the reason; not public."))

    FIELDS = ("reason", "note")

    def service_kwargs(self) -> dict:
        return {"reason": ReportReason[self.reason.data], "note": self.note.data}


class RestoreForm(Form):
    note = text_area(_l("Why (optional)"), services.NOTE_MAX, description=_l("Recorded in its public history."))

    FIELDS = ("note",)


class AppealForm(Form):
    text = text_area(_l("Why should it be shown?"), services.NOTE_MAX,
                     required_message=_l("Say why the comment should be shown."),
                     description=_l("Another moderator decides. A comment can be appealed once."))

    FIELDS = ("text",)


class DecideAppealForm(Form):
    decision = RadioField(_l("Decision"), choices=[SelectChoice("grant", _l("Show the comment again")),
                                                   SelectChoice("reject", _l("Keep it hidden"))],
                          validators=[InputRequired(message=_l("Choose a decision."))])
    reason = text_area(_l("Reason"), services.NOTE_MAX, required_message=_l("Give the reason: the author reads it."),
                       description=_l("Emailed to the author."))

    FIELDS = ("decision", "reason")

    def service_kwargs(self) -> dict:
        return {"grant": self.decision.data == "grant", "reason": self.reason.data}


class SettingsForm(Form):
    report_threshold = IntegerField(_l("Reports that hide a comment until it is reviewed"),
                                    description=_l("From distinct accounts with a confirmed email address, 1 to 50."),
                                    render_kw={"min": 1, "max": 50, "maxlength": 2},
                                    validators=[InputRequired(message=_l("Choose a number between 1 and 50.")),
                                                NumberRange(min=1, max=50,
                                                            message=_l("Choose a number between 1 and 50."))])
    premoderate_new_accounts = BooleanField(_l("Hold a new account's first comment until a moderator publishes it"),
                                            description=_l("Accounts created less than 30 days ago, for their "
                                                           "first comment in this jurisdiction."))

    FIELDS = ("report_threshold", "premoderate_new_accounts")

    def service_kwargs(self) -> dict:
        return {"report_threshold": self.report_threshold.data,
                "premoderate_new_accounts": self.premoderate_new_accounts.data}
