from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectField, StringField, TextAreaField, URLField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from consulta.core.forms import Form
from consulta.core.sectors import ORGANISATION_SECTORS, Sector
from consulta.organisations import services


class RepresentationRequestForm(Form):
    name = StringField(_l("Name of the organisation"), validators=[DataRequired(), Length(max=services.NAME_MAX)])
    sector = RadioField(_l("Sector"), validators=[InputRequired()],
                        choices=[SelectChoice(sector.name, sector.label) for sector in ORGANISATION_SECTORS])
    identifier = StringField(_l("RUT of the organisation"), validators=[Optional(), Length(max=20)],
                             description=_l("Optional, such as 76.123.456-0. An organisation already registered "
                                            "with this RUT is the one you ask to represent."))
    website = URLField(_l("Website"), validators=[Optional(), Length(max=services.WEBSITE_MAX)],
                       description=_l("Optional, starting with https://"))
    # The list offers every jurisdiction; a forged id is loaded by the view and answers 404.
    jurisdiction = SelectField(_l("Where does the organisation take part?"), coerce=int, validate_choice=False,
                               validators=[InputRequired()],
                               description=_l("The moderators of this jurisdiction check your request."))
    role_title = StringField(_l("Your position in the organisation"),
                             validators=[Optional(), Length(max=services.ROLE_TITLE_MAX)],
                             description=_l("Optional, such as executive director."))

    def fill_choices(self, jurisdictions) -> None:
        self.jurisdiction.choices = [SelectChoice(j.id, j.name) for j in jurisdictions]

    def service_kwargs(self) -> dict:
        return {"name": self.name.data, "sector": Sector[self.sector.data], "identifier": self.identifier.data,
                "website": self.website.data, "role_title": self.role_title.data}


class VerifyForm(Form):
    reason = TextAreaField(_l("Note to the person (optional)"),
                           validators=[Optional(), Length(max=services.REASON_MAX)])


class RejectForm(Form):
    reason = TextAreaField(_l("Reason (sent to the person)"),
                           validators=[DataRequired(), Length(max=services.REASON_MAX)])
