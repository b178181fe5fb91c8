from flask_babel import lazy_gettext as _l
from wtforms import (
    DateField, EmailField, Form as QueryForm, HiddenField, MultipleFileField, RadioField, SearchField,
    SelectField, StringField, TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from consulta.core.forms import Form, MultiCheckboxField, optional_id, plain_text, text_field
from consulta.core.sectors import Sector
from consulta.proposals import services
from consulta.proposals.models import OTHER_CHANNELS, Channel, OgpValue, ProposalState, WithdrawalReason

class ContentForm(Form):
    """What a proposal says; the same fields for the form, an edit and a moderator's entry."""

    title = text_field(_l("Title"), services.TITLE_MAX)
    problem = text_field(_l("The problem it addresses"), services.PROBLEM_MAX, area=True,
                         description=_l("What is wrong today, and who it affects."))
    body = text_field(_l("Your proposal"), services.BODY_MAX, area=True,
                      description=_l("What should be done to solve it."))
    area = SelectField(_l("Thematic area"), coerce=optional_id, validators=[Optional()],
                       validate_choice=True)
    values = MultiCheckboxField(_l("Open Government values it serves"),
                                choices=[SelectChoice(value.name, value.label) for value in OgpValue])
    entity_name = text_field(_l("Public entity it concerns"), services.ENTITY_MAX, list="entity-suggestions",
                             description=_l("Type its name; the list suggests the entities of this jurisdiction."))

    # Needed to send, not to keep a draft.
    REQUIRED = {
        "title": _l("Give the proposal a title."),
        "problem": _l("Describe the problem it addresses."),
        "body": _l("Write the proposal."),
        "area": _l("Choose a thematic area."),
        "values": _l("Choose at least one of the Open Government values it serves."),
    }

    def fill_choices(self, cycle) -> None:
        self.area.choices = [SelectChoice("", _l("Choose an area"))] + [SelectChoice(area.id, area.name)
                                                                          for area in services.areas(cycle)]

    def missing(self) -> bool:
        """Mark every empty field that sending needs; True if there was one."""
        empty = False
        for name, message in self.REQUIRED.items():
            field = getattr(self, name)
            if not (field.data.strip() if isinstance(field.data, str) else field.data):
                field.errors = [*field.errors, str(message)]
                empty = True
        return empty

    def content_kwargs(self) -> dict:
        return {"title": self.title.data, "problem": self.problem.data, "body": self.body.data,
                "area": self.area.data, "values": self.values.data or [], "entity_name": self.entity_name.data}

    def fill_from(self, source) -> None:
        """Show a draft or a proposal in the form (GET)."""
        for name in ("title", "problem", "body", "entity_name"):
            getattr(self, name).data = getattr(source, name) or ""
        self.area.data = source.area_id
        self.values.data = [value.name for value in source.values]


class ProposalForm(ContentForm):
    organisation = RadioField(_l("Who submits it"), coerce=optional_id, default=None,
                              description=_l("Yourself, as a citizen, or an organisation whose representative you "
                                             "are (verified by a moderator). Its sector's window applies."))
    attachments = MultipleFileField(_l("Attach files"),
                                    description=_l("PDF or images, at most 5 MB each and 3 in all."),
                                    render_kw={"accept": "application/pdf,image/*"})
    remove_attachments = MultiCheckboxField(_l("Remove attached files"), coerce=int, choices=[])

    def fill_choices(self, cycle, *, organisations=(), attachments=()) -> None:
        super().fill_choices(cycle)
        self.organisation.choices = [SelectChoice("", _l("Myself, as a citizen"))] + [
            SelectChoice(organisation.id, f"{organisation.name} ({organisation.sector.label})")
            for organisation in organisations]
        self.remove_attachments.choices = [SelectChoice(attachment.id, attachment.original_name)
                                           for attachment in attachments]

    def fill_from(self, draft) -> None:
        super().fill_from(draft)
        self.organisation.data = draft.organisation_id

    def draft_kwargs(self, organisations) -> dict:
        chosen = next((o for o in organisations if o.id == self.organisation.data), None)
        return {**self.content_kwargs(), "organisation": chosen, "uploads": self.attachments.data or [],
                "remove_attachments": self.remove_attachments.data or []}


class SendForm(Form):
    """The review page's button. Its key is made when the page is shown: posting twice sends once."""

    idempotency_key = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9a-f]{32}$")])


class WithdrawForm(Form):
    reason = RadioField(_l("Why do you withdraw it?"),
                        choices=[SelectChoice(reason.name, reason.label) for reason in WithdrawalReason],
                        validators=[DataRequired(message=_l("Choose why you withdraw it."))])
    note = text_field(_l("In your words"), services.REASON_MAX, area=True,
                      description=_l("Needed for \"another reason\"; shown with the proposal."))

    def service_kwargs(self) -> dict:
        return {"reason": WithdrawalReason[self.reason.data], "note": self.note.data}


class InadmissibleForm(Form):
    reason = TextAreaField(_l("Why it is not admissible"), render_kw={"maxlength": services.REASON_MAX},
                           description=_l("Public, and emailed to the person who sent it."), validators=[
                               DataRequired(message=_l("Give the reason; the author will read it.")),
                               Length(max=services.REASON_MAX, message=_l("This text has at most %(max)d characters.")),
                               plain_text])


class ChannelForm(ContentForm):
    channel = SelectField(_l("How it arrived"), validators=[DataRequired()],
                          choices=[SelectChoice(channel.name, channel.label) for channel in OTHER_CHANNELS])
    received_on = DateField(_l("Date it arrived"), validators=[DataRequired(message=_l("Give the date it arrived."))])
    submitter_name = StringField(_l("Sent by (shown publicly)"), render_kw={"maxlength": services.NAME_MAX},
                                 description=_l("The person or body that sent it."), validators=[
                                     DataRequired(message=_l("Write who sent the proposal.")),
                                     Length(max=services.NAME_MAX), plain_text])
    submitter_email = EmailField(_l("Their email address (private)"), render_kw={"maxlength": 254},
                                 description=_l("Only moderators see it; used to tell them the outcome."),
                                 validators=[Optional(), Length(max=254), Email(message=_l("This does not look like "
                                                                                           "an email address."))])
    sector = SelectField(_l("Sector"), choices=[SelectChoice(sector.name, sector.label) for sector in Sector])
    organisation = SelectField(_l("Registered organisation it came from (optional)"), coerce=optional_id,
                               validators=[Optional()])
    originals = MultipleFileField(_l("The original (letter, email, document)"),
                                  description=_l("PDF or images, at most 5 MB each and 3 in all. Moderators only."),
                                  render_kw={"accept": "application/pdf,image/*"})
    idempotency_key = HiddenField(validators=[DataRequired(), Regexp(r"^[0-9a-f]{32}$")])

    def fill_choices(self, cycle, *, organisations=()) -> None:
        super().fill_choices(cycle)
        self.organisation.choices = [SelectChoice("", _l("None"))] + [SelectChoice(o.id, o.name) for o in organisations]

    def service_kwargs(self, organisations) -> dict:
        return {**self.content_kwargs(), "channel": Channel[self.channel.data], "received_on": self.received_on.data,
                "submitter_name": self.submitter_name.data, "submitter_email": self.submitter_email.data,
                "sector": Sector[self.sector.data],
                "organisation": next((o for o in organisations if o.id == self.organisation.data), None),
                "originals": self.originals.data or [], "idempotency_key": self.idempotency_key.data}


def _enum_or_none(enum_class):
    """'' → None; a member's name → the member; anything else is refused as an invalid choice."""

    def coerce(value):
        if value in (None, ""):
            return None
        if isinstance(value, enum_class):
            return value
        try:
            return enum_class[value]
        except KeyError:
            raise ValueError(value) from None

    return coerce


def _all_and(members):
    return [SelectChoice("", _l("All"))] + [SelectChoice(member.name, member.label) for member in members]


class RegisterFilterForm(QueryForm):
    """The register's filters, read from the query string (a GET: bookmarkable, no token).
    A forged value is shown as an error and that filter ignored."""

    q = SearchField(_l("Search"), validators=[Optional(), Length(max=200), plain_text],
                    render_kw={"maxlength": 200})
    sector = SelectField(_l("Sector"), coerce=_enum_or_none(Sector), choices=_all_and(Sector))
    area = SelectField(_l("Thematic area"), coerce=optional_id)
    state = SelectField(_l("State"), coerce=_enum_or_none(ProposalState), choices=_all_and(ProposalState))
    channel = SelectField(_l("Channel"), coerce=_enum_or_none(Channel), choices=_all_and(Channel))
    organisation = SelectField(_l("Organisation"), coerce=optional_id)

    def fill_choices(self, *, areas, organisations) -> None:
        self.area.choices = [SelectChoice("", _l("All"))] + [SelectChoice(area.id, area.name) for area in areas]
        self.organisation.choices = [SelectChoice("", _l("All"))] + [SelectChoice(o.id, o.name) for o in organisations]

    def filters(self) -> dict:
        """The valid filters, for services.received(); the invalid ones get their error."""
        self.validate()
        chosen = {}
        for name in ("q", "sector", "area", "state", "channel", "organisation"):
            field = getattr(self, name)
            if not field.errors and field.data not in (None, ""):
                chosen[name] = field.data
        return chosen

    def query_args(self) -> dict:
        """The filters as query-string values, for pagination and export links."""
        args = {}
        for name, value in self.filters().items():
            args[name] = getattr(value, "name", value)
        return args
