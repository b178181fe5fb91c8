from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, RadioField, SearchField, SelectField, StringField, TextAreaField, URLField
from wtforms.fields import DateTimeLocalField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from consulta.core.forms import Form, MultiCheckboxField
from consulta.core.sectors import Sector
from consulta.jurisdictions.regions import Region
from consulta.tables import services
from consulta.tables.models import MAX_CAPACITY

LOCAL_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
TIMEZONE_LABELS = {
    "America/Santiago": _l("Continental Chile (America/Santiago)"),
    "America/Punta_Arenas": _l("Magallanes (America/Punta_Arenas)"),
    "Pacific/Easter": _l("Easter Island (Pacific/Easter)"),
}


def _local_time(label, required=True):
    return DateTimeLocalField(label, format=LOCAL_FORMATS,
                              validators=[DataRequired() if required else Optional()])


def _capacity_field():
    return IntegerField(_l("Seats"), validators=[InputRequired(), NumberRange(min=1, max=MAX_CAPACITY)])


class TableForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=services.TITLE_MAX)])
    area = StringField(_l("Thematic area"), validators=[DataRequired(), Length(max=services.AREA_MAX)])
    description = TextAreaField(_l("Description"), validators=[Length(max=services.DESCRIPTION_MAX)])
    starts_at = _local_time(_l("Starts (venue's local time)"))
    ends_at = _local_time(_l("Ends (venue's local time)"))
    venue_timezone = SelectField(
        _l("Venue's time zone"), validators=[Length(max=40)],
        choices=[SelectChoice("", _l("The region's, or else the jurisdiction's"))]
        + [SelectChoice(zone, label) for zone, label in TIMEZONE_LABELS.items()],
    )
    address = StringField(_l("Address"), validators=[Length(max=services.ADDRESS_MAX)],
                          description=_l("Leave it empty for a table held only online."))
    commune = StringField(_l("Commune"), validators=[Length(max=services.COMMUNE_MAX)])
    region = SelectField(_l("Region"), validators=[Length(max=2)],
                         choices=[SelectChoice("", _l("(none)"))]
                         + [SelectChoice(region.name, region.label) for region in Region])
    online_link = URLField(_l("Online link"), validators=[Length(max=services.LINK_MAX)],
                           description=_l("A web address starting with https://"))
    capacity = _capacity_field()
    registration_opens = _local_time(_l("Registration opens (venue's local time)"))
    registration_closes = _local_time(_l("Registration closes (venue's local time)"))
    accessibility_notes = TextAreaField(_l("Accessibility of the venue"),
                                        validators=[Length(max=services.NOTES_MAX)])

    def service_kwargs(self) -> dict:
        return dict(
            title=self.title.data, area=self.area.data, description=self.description.data,
            starts_at=self.starts_at.data, ends_at=self.ends_at.data,
            venue_timezone=self.venue_timezone.data or None,
            address=self.address.data, commune=self.commune.data,
            region=Region[self.region.data] if self.region.data else None,
            online_link=self.online_link.data, capacity=self.capacity.data,
            registration_window=(self.registration_opens.data, self.registration_closes.data),
            accessibility_notes=self.accessibility_notes.data,
        )


class RegistrationForm(Form):
    take_part_as = RadioField(_l("I take part"), validators=[InputRequired(), Length(max=20)])
    needs = TextAreaField(_l("Accessibility needs (optional)"), validators=[Length(max=services.NEEDS_MAX)],
                          description=_l("Only the table's moderators read this."))

    def __init__(self, *args, organisations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.organisations = {str(organisation.id): organisation for organisation in organisations}
        self.take_part_as.choices = [SelectChoice("ciudadania", _l("In my own name (citizens)"))] + [
            SelectChoice(key, _l("For %(name)s (%(sector)s)", name=organisation.name,
                                 sector=organisation.sector.label))
            for key, organisation in self.organisations.items()
        ]
        if not self.take_part_as.data:
            self.take_part_as.data = "ciudadania"

    def service_kwargs(self) -> dict:
        organisation = self.organisations.get(self.take_part_as.data)
        return dict(sector=None if organisation else Sector.CIUDADANIA, organisation=organisation,
                    needs=self.needs.data)


class CapacityForm(Form):
    capacity = _capacity_field()
    reason = StringField(_l("Reason (optional)"), validators=[Length(max=services.REASON_MAX)])


class CheckInForm(Form):
    code = StringField(_l("Registration code"), validators=[DataRequired(), Length(max=20)])


class WalkInForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=services.NAME_MAX)])
    organisation_name = StringField(_l("Organisation (optional)"),
                                    validators=[Length(max=services.ORGANISATION_MAX)])


def _proposal_label(proposal, current=None):
    if current is None:
        return f"{proposal.reference} — {proposal.title}"
    return _l("%(reference)s — %(title)s (now at: %(table)s)", reference=proposal.reference, title=proposal.title,
              table=current.title)


class MinutesForm(Form):
    minutes = TextAreaField(_l("Minutes"), validators=[DataRequired(), Length(max=services.MINUTES_MAX)],
                            description=_l("Public. Simple formatting is kept: paragraphs, bold, lists, links."))
    organisations_present = TextAreaField(
        _l("Organisations present"), validators=[Length(max=services.ORGANISATIONS_PRESENT_MAX * 201)],
        description=_l("One per line. Public."))
    discussed = MultiCheckboxField(_l("Proposals the table discussed"), coerce=int, choices=[])

    def __init__(self, *args, links=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.discussed.choices = [SelectChoice(link.proposal_id, _proposal_label(link.proposal)) for link in links]
        if not self.is_submitted():
            self.discussed.data = [link.proposal_id for link in links if link.discussed]


class AssignForm(Form):
    proposals = MultiCheckboxField(_l("Proposals to assign to this table"), coerce=int, choices=[],
                                   validators=[DataRequired()])

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.by_id = {proposal.id: proposal for proposal, _current in choices}
        self.proposals.choices = [SelectChoice(proposal.id, _proposal_label(proposal, current))
                                  for proposal, current in choices]


class SearchForm(Form):
    """The name search on the moderators' list: a GET form, so no CSRF token."""

    class Meta:
        csrf = False

    q = SearchField(_l("Find a registered person by name"), validators=[Length(max=120)])
