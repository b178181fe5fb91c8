"""Forms for commitments, activities and versions of the plan. Required fields are checked by the
services, which name the field; the forms check types and lengths."""
import re

from flask_babel import lazy_gettext as _l
from wtforms import DateField, IntegerField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from consulta.commitments import services
from consulta.core.forms import Form, MultiCheckboxField, optional_id, plain_text, text_field
from consulta.proposals.models import OgpValue

REFERENCES_MAX = 500


class CommitmentForm(Form):
    number = IntegerField(_l("Number (N°)"), validators=[
        InputRequired(message=_l("Give the commitment a number.")),
        NumberRange(min=1, max=services.NUMBER_MAX, message=_l("Use a number between %(min)s and %(max)s."))],
        render_kw={"min": 1, "max": services.NUMBER_MAX})
    name = text_field(_l("Name"), services.NAME_MAX)
    area = SelectField(_l("Thematic area"), coerce=optional_id, validators=[Optional()])
    entity = SelectField(_l("Responsible entity"), coerce=optional_id, validators=[Optional()])
    supporting = text_field(_l("Supporting institutions"), services.SUPPORTING_MAX, area=True,
                            description=_l("Other bodies or organisations that take part (optional)."))
    starts_on = DateField(_l("Execution starts on"), validators=[InputRequired(message=_l("Enter a date."))])
    ends_on = DateField(_l("Execution ends on"), validators=[InputRequired(message=_l("Enter a date."))])
    problem = text_field(_l("The problem it addresses"), services.TEXT_MAX, area=True)
    commitment_text = text_field(_l("What is the commitment?"), services.TEXT_MAX, area=True)
    contribution = text_field(_l("How it contributes to solving the problem"), services.TEXT_MAX, area=True)
    values = MultiCheckboxField(_l("Open Government values it serves"),
                                choices=[SelectChoice(value.name, value.label) for value in OgpValue])
    proposals = text_field(_l("Proposals it comes from"), REFERENCES_MAX,
                           description=_l("Their references, separated by commas, such as “PA4-0012, PA4-0031”."))

    FIELDS = ("number", "name", "area", "entity", "supporting", "starts_on", "ends_on", "problem",
              "commitment_text", "contribution", "values")

    def fill_choices(self, cycle) -> None:
        from consulta.proposals.services import areas

        self.area.choices = [SelectChoice("", _l("Choose an area"))] + [SelectChoice(area.id, area.name)
                                                                          for area in areas(cycle)]
        self.entity.choices = [SelectChoice("", _l("Choose an entity"))] + [
            SelectChoice(entity.id, entity.name) for entity in services.entity_choices(cycle)]

    def fill_from(self, commitment) -> None:
        for name in self.FIELDS:
            if name not in ("area", "entity", "values"):
                getattr(self, name).data = getattr(commitment, name)
        self.area.data, self.entity.data = commitment.area_id, commitment.entity_id
        self.values.data = [value.name for value in commitment.values]

    def fill_start(self, start: dict, references) -> None:
        """Offer the text of the proposals a new commitment is drafted from."""
        for name in ("name", "problem", "commitment_text", "area", "entity"):
            getattr(self, name).data = start.get(name)
        self.values.data = [value.name for value in start.get("values", ())]
        self.proposals.data = ", ".join(references)

    def references(self) -> list[str]:
        return [reference for reference in re.split(r"[\s,;]+", self.proposals.data or "") if reference]

    def service_kwargs(self) -> dict:
        kwargs = {name: getattr(self, name).data for name in self.FIELDS}
        kwargs["values"] = kwargs["values"] or []
        return kwargs


class ActivityForm(Form):
    name = text_field(_l("Activity and deliverable"), services.ACTIVITY_MAX, area=True)
    starts_on = DateField(_l("Starts on"), validators=[InputRequired(message=_l("Enter a date."))])
    ends_on = DateField(_l("Ends on"), validators=[InputRequired(message=_l("Enter a date."))])

    def service_kwargs(self) -> dict:
        return {"name": self.name.data, "starts_on": self.starts_on.data, "ends_on": self.ends_on.data}


class LinkForm(Form):
    reference = StringField(_l("Reference of the proposal"), render_kw={"maxlength": 24},
                            validators=[DataRequired(message=_l("Give the proposal's reference.")), Length(max=24),
                                        plain_text])


class WithdrawForm(Form):
    reason = text_field(_l("Why it leaves the plan (public)"), services.REASON_MAX, area=True)


class RestoreForm(Form):
    reason = text_field(_l("Why it comes back (public, optional)"), services.REASON_MAX, area=True)


class FreezeForm(Form):
    label = StringField(_l("What this version is"), render_kw={"maxlength": services.LABEL_MAX},
                        description=_l("Optional, such as “after the public consultation's comments”."),
                        validators=[Optional(), Length(max=services.LABEL_MAX), plain_text])
