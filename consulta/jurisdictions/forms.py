from flask_babel import lazy_gettext as _l
from wtforms import Form as QueryForm
from wtforms import SearchField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from consulta.core.forms import Form
from consulta.jurisdictions.models import JurisdictionKind, Role
from consulta.jurisdictions.regions import NATIONAL_LABEL, Region

KIND_LABELS = {JurisdictionKind.NATIONAL: NATIONAL_LABEL, JurisdictionKind.MUNICIPALITY: _l("Municipality")}


def _optional_id(value):
    """'' → None; digits → int; anything else is refused by the field with a message."""
    if value in (None, ""):
        return None
    return int(value)


class JurisdictionForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    slug = StringField(_l("Address"), validators=[DataRequired(), Length(max=60)],
                       description=_l("Used in links: lower-case letters, digits and hyphens, such as cerro-navia."))
    region = SelectField(_l("Region"), validators=[Optional()],
                         choices=[SelectChoice("", _l("None (national level)"))]
                         + [SelectChoice(r.name, r.label) for r in Region])
    timezone = StringField(_l("Time zone"), validators=[Optional(), Length(max=40)],
                           description=_l("An IANA name such as America/Santiago. Leave it empty to use the "
                                          "region's (America/Punta_Arenas in Magallanes)."))

    def service_kwargs(self) -> dict:
        return {"name": self.name.data, "slug": self.slug.data,
                "region": Region[self.region.data] if self.region.data else None,
                "timezone": self.timezone.data}


class NewJurisdictionForm(JurisdictionForm):
    kind = SelectField(_l("Level"), default=JurisdictionKind.MUNICIPALITY.name,
                       choices=[SelectChoice(kind.name, label) for kind, label in KIND_LABELS.items()])

    def service_kwargs(self) -> dict:
        return {**super().service_kwargs(), "kind": JurisdictionKind[self.kind.data]}


class EntityForm(Form):
    name = StringField(_l("Name of the entity"), validators=[DataRequired(), Length(max=200)],
                       description=_l("A public body responsible for commitments, such as a ministry."))


class UserSearchForm(QueryForm):
    """Read from the query string: a search is a GET, bookmarkable, with no token."""

    q = SearchField(_l("Email or name"), validators=[Optional(), Length(max=100)])


class GrantForm(Form):
    role = SelectField(_l("Role"), choices=[SelectChoice(role.name, role.label) for role in Role])
    # The lists show what the administrator may grant; a forged id is loaded (404) and checked (403).
    jurisdiction = SelectField(_l("Jurisdiction"), coerce=int, validate_choice=False, validators=[InputRequired()])
    entity = SelectField(_l("Entity (reporters only)"), coerce=_optional_id, validate_choice=False,
                         validators=[Optional()])
    reason = TextAreaField(_l("Reason (kept in the role's history)"), validators=[Optional(), Length(max=500)])

    def fill_choices(self, jurisdictions) -> None:
        self.jurisdiction.choices = [SelectChoice(j.id, j.name) for j in jurisdictions]
        self.entity.choices = [SelectChoice("", "—")] + [SelectChoice(e.id, e.name, optgroup=j.name)
                                                        for j in jurisdictions for e in j.entities]


class RevokeForm(Form):
    reason = TextAreaField(_l("Reason for revoking"), validators=[DataRequired(), Length(max=500)])
