from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileSize
from wtforms import BooleanField, DateField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional

from consulta.core.forms import Form
from consulta.jurisdictions.regions import Region
from consulta.municipal.models import (
    ADHESION_LABELS, ActivityKind, AdhesionState, Area,
)
from consulta.municipal.services import (
    ADVANCE_TARGETS, DOCUMENT_MAX_BYTES, EVIDENCE_MAX_CHARS, NOT_INVITED, answer_field, evidence_field,
    parse_attendees,
)


def _enum_coerce(enum_type):
    def coerce(value):
        if isinstance(value, enum_type):
            return value
        return enum_type[value] if value in enum_type.__members__ else None

    return coerce


class InviteForm(Form):
    reason = TextAreaField(_l("Note for the record (optional)"), validators=[Optional(), Length(max=1000)])


class AdhesionActForm(Form):
    mayor_name = StringField(_l("Mayor who signed"), validators=[DataRequired(), Length(max=120)])
    signed_on = DateField(_l("Date signed"), validators=[DataRequired(message=_l("Enter the date as day, month and year."))])
    act_number = StringField(_l("Act or decree number"), validators=[DataRequired(), Length(max=60)],
                             description=_l("For example: Decreto Alcaldicio N° 1234."))
    document = FileField(_l("Signed document (PDF or image, up to 10 MB)"),
                         validators=[Optional(), FileSize(DOCUMENT_MAX_BYTES)])

    def service_kwargs(self) -> dict:
        return {"mayor_name": self.mayor_name.data, "signed_on": self.signed_on.data,
                "act_number": self.act_number.data, "document": self.document.data or None}


class AdvanceForm(Form):
    to = SelectField(_l("New state"), choices=[SelectChoice(state.name, ADHESION_LABELS[state.name]) for state in ADVANCE_TARGETS],
                     validators=[DataRequired()], coerce=str)
    reason = TextAreaField(_l("Why (required to withdraw)"), validators=[Optional(), Length(max=1000)])

    def service_kwargs(self) -> dict:
        return {"to": AdhesionState[self.to.data], "reason": self.reason.data or ""}


class VersionForm(Form):
    title = StringField(_l("Title of the new version"), validators=[DataRequired(), Length(max=160)])


class QuestionForm(Form):
    area = SelectField(_l("Area"), choices=[SelectChoice(area.name, area.label) for area in Area],
                       coerce=_enum_coerce(Area), validators=[InputRequired()])
    text = TextAreaField(_l("Question"), validators=[DataRequired(), Length(max=1000)])
    scale_max = IntegerField(_l("Highest answer on the scale"), default=4,
                             description=_l("Answers run from 0 (not in place) to this number (fully in place)."),
                             validators=[InputRequired(), NumberRange(min=1, max=10)])
    weight = IntegerField(_l("Weight within its area"), default=1,
                          validators=[InputRequired(), NumberRange(min=1, max=10)])
    evidence_prompt = TextAreaField(_l("Evidence asked for (optional)"), validators=[Optional(), Length(max=500)],
                                    description=_l("What a municipality should attach or cite to back its answer."))
    short = BooleanField(_l("Also in the short version that local organisations answer"))

    def service_kwargs(self) -> dict:
        return {"area": self.area.data, "text": self.text.data, "scale_max": self.scale_max.data,
                "weight": self.weight.data, "evidence_prompt": self.evidence_prompt.data or "",
                "short": bool(self.short.data)}


def diagnostic_form(version, diagnostic):
    """A form with one scale per question (and an evidence box where evidence is asked), filled
    with the draft's saved answers."""

    class DiagnosticForm(Form):
        def answers(self) -> dict:
            """{question id: (value or None, evidence)} as the service takes them."""
            return {question.id: (self[answer_field(question)].data,
                                  self[evidence_field(question)].data if question.evidence_prompt else "")
                    for question in version.questions}

    return _answers_form(DiagnosticForm, version.questions, diagnostic.answers, evidence=True)


def local_answers_form(response):
    """The short version for a local organisation: one scale per question, no evidence asked."""
    questions = response.diagnostic.version.short_questions

    class LocalAnswersForm(Form):
        def answers(self) -> dict:
            """{question id: value or None} as the service takes them."""
            return {question.id: self[answer_field(question)].data for question in questions}

    return _answers_form(LocalAnswersForm, questions, response.answers, evidence=False)


def _answers_form(form_class, questions, saved_rows, *, evidence: bool):
    saved = {row.question_id: row for row in saved_rows}
    data = {}
    for question in questions:
        values = [str(value) for value in range(question.scale_max + 1)]
        setattr(form_class, answer_field(question), RadioField(
            question.text, choices=[SelectChoice(value, value) for value in values], coerce=int, validate_choice=False,
            description=_l("0 means not in place; %(max)s means fully in place.", max=question.scale_max),
            validators=[Optional(), AnyOf(range(question.scale_max + 1),
                                          message=_l("Choose a value from 0 to %(max)s.", max=question.scale_max))]))
        if evidence and question.evidence_prompt:
            setattr(form_class, evidence_field(question), TextAreaField(
                _l("Evidence"), description=question.evidence_prompt,
                validators=[Optional(), Length(max=EVIDENCE_MAX_CHARS)]))
        if question.id in saved:
            data[answer_field(question)] = saved[question.id].value
            if evidence:
                data[evidence_field(question)] = saved[question.id].evidence
    return form_class(data=data)


class SupportForm(Form):
    kind = SelectField(_l("Kind"), choices=[SelectChoice(kind.name, kind.label) for kind in ActivityKind],
                       coerce=_enum_coerce(ActivityKind), validators=[InputRequired()])
    jurisdiction_id = SelectField(_l("Municipality"), coerce=int, validators=[InputRequired()])
    held_on = DateField(_l("Date held"), validators=[DataRequired(message=_l("Enter the date as day, month and year."))])
    topic = StringField(_l("Topic"), validators=[DataRequired(), Length(max=200)])
    attendees = TextAreaField(_l("People who attended (for a session already held)"),
                              validators=[Optional(), Length(max=60000)],
                              description=_l("One person per line, as on the sign-in sheet: the name, then a "
                                             "comma and their organisation or post if you like. Leave it empty "
                                             "for a session still to come: people register, then are checked in "
                                             "on the day."))

    def __init__(self, municipalities, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.jurisdiction_id.choices = [SelectChoice(place.id, place.name) for place in municipalities]

    def service_kwargs(self) -> dict:
        return {"kind": self.kind.data, "held_on": self.held_on.data, "topic": self.topic.data,
                "attendees": parse_attendees(self.attendees.data)}


class WalkInForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    affiliation = StringField(_l("Organisation or post (optional)"), validators=[Optional(), Length(max=120)])

    def service_kwargs(self) -> dict:
        return {"name": self.name.data, "affiliation": self.affiliation.data or ""}


class LocalOrganisationForm(Form):
    """Which of the person's verified local organisations answers."""

    organisation_id = SelectField(_l("Answer for"), coerce=int, validators=[InputRequired()])

    def __init__(self, organisations, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation_id.choices = [SelectChoice(organisation.id, organisation.name)
                                        for organisation in organisations]


class FilterForm(Form):
    """The follow-up page's filters: a GET form, so a filtered list has its own address."""

    class Meta:
        csrf = False

    region = SelectField(_l("Region"), validators=[Optional()],
                         choices=[SelectChoice("", _l("All regions"))]
                         + [SelectChoice(region.name, region.label) for region in Region])
    state = SelectField(_l("Adhesion"), validators=[Optional()],
                        choices=[SelectChoice("", _l("Any state")), SelectChoice(NOT_INVITED, _l("Not invited yet"))]
                        + [SelectChoice(state.name, ADHESION_LABELS[state.name]) for state in AdhesionState])
    far = BooleanField(_l("Only regions far from the capital"))

    def service_kwargs(self) -> dict:
        valid = self.validate()
        return {"region": Region[self.region.data] if valid and self.region.data else None,
                "state": self.state.data if valid and self.state.data else None,
                "far_only": bool(valid and self.far.data)}
