"""Forms of triage: the decision on one proposal, bulk actions, notes, assignment, templates and the
queue's filters. Required texts are checked by the services, which name the field."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, IntegerField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import HiddenInput

from consulta.core.forms import Form, optional_id, plain_text, text_field
from consulta.proposals.forms import RegisterFilterForm
from consulta.proposals.models import STATE_LABELS
from consulta.triage import services

REFERENCE_MAX = 24
REFERENCES_MAX = 20 * services.BULK_MAX


def _outcome_choices():
    return [SelectChoice(state.name, STATE_LABELS[state.name]) for state in services.OUTCOMES]


def _response_field(label, description=None):
    return TextAreaField(label, description=description, render_kw={"maxlength": services.RESPONSE_MAX},
                         validators=[Optional(), Length(max=services.RESPONSE_MAX), plain_text])


class _Targets:
    """The merge target and the commitment an outcome may need."""

    merged_into = StringField(_l("Merged into (reference)"), render_kw={"maxlength": REFERENCE_MAX},
                              description=_l("For “merged”: the proposal it is integrated into, such as PA4-0012."),
                              validators=[Optional(), Length(max=REFERENCE_MAX), plain_text])
    commitment = SelectField(_l("Commitment it went into"), coerce=optional_id, validators=[Optional()],
                             description=_l("For “incorporated”."))

    def fill_commitments(self, commitments) -> None:
        self.commitment.choices = [SelectChoice("", _l("None"))] + [
            SelectChoice(commitment.number, f"N° {commitment.number}: {commitment.name}") for commitment in commitments]

    def target_kwargs(self) -> dict:
        return {"merged_into": (self.merged_into.data or "").strip() or None, "commitment": self.commitment.data}


class DecisionForm(_Targets, Form):
    outcome = RadioField(_l("Outcome"), choices=_outcome_choices(),
                         validators=[DataRequired(message=_l("Choose an outcome."))])
    response = _response_field(_l("Public reasoned response"),
                               _l("Why it was or was not taken up. Public, and emailed to its author."))
    template = SelectField(_l("Start from a template"), coerce=optional_id, validators=[Optional()])
    version = IntegerField(widget=HiddenInput(), validators=[Optional()])

    def fill_templates(self, templates) -> None:
        self.template.choices = [SelectChoice("", _l("None"))] + [SelectChoice(t.id, t.name) for t in templates]

    def service_kwargs(self) -> dict:
        return {"outcome": self.outcome.data, "response": self.response.data, "version": self.version.data,
                **self.target_kwargs()}


class BulkForm(_Targets, Form):
    proposals = HiddenField(validators=[DataRequired(), Length(max=REFERENCES_MAX)])
    outcome = RadioField(_l("Outcome for all of them"), choices=_outcome_choices(),
                         validators=[DataRequired(message=_l("Choose an outcome."))])
    template = SelectField(_l("Answer template"), coerce=optional_id, validators=[Optional()])
    text = _response_field(_l("Or write the response here"),
                           _l("Used when no template is chosen. Placeholders: {autor}, {codigo}, {compromiso}, "
                              "{propuesta_destino}."))

    def fill_templates(self, templates) -> None:
        self.template.choices = [SelectChoice("", _l("None: use the text below"))] + [
            SelectChoice(t.id, t.name) for t in templates]

    def references(self) -> list[str]:
        return [reference for reference in (self.proposals.data or "").split(",") if reference.strip()]


class ClusterForm(Form):
    target = RadioField(_l("Merge the others into"), coerce=int,
                        validators=[DataRequired(message=_l("Choose the proposal the others are merged into."))])
    template = SelectField(_l("Answer template"), coerce=optional_id, validators=[Optional()])
    text = _response_field(_l("Or write the response here"),
                           _l("One response per author: placeholders such as {autor} are filled for each."))

    def fill(self, group, templates) -> None:
        self.target.choices = [SelectChoice(p.id, f"{p.reference}: {p.title}") for p in group]
        self.template.choices = [SelectChoice("", _l("None: use the text below"))] + [
            SelectChoice(t.id, t.name) for t in templates]


class NoteForm(Form):
    text = text_field(_l("Private note (moderators only)"), services.NOTE_MAX, area=True)


class AssignForm(Form):
    assignee = SelectField(_l("Assign to"), coerce=optional_id, validators=[Optional()])

    def fill(self, moderators) -> None:
        self.assignee.choices = [SelectChoice("", _l("Nobody"))] + [SelectChoice(m.id, m.display_name)
                                                                    for m in moderators]


class UndoMergeForm(Form):
    reason = text_field(_l("Why the merge is undone (public, optional)"), services.REASON_MAX, area=True)


class TemplateForm(Form):
    name = StringField(_l("Name"), render_kw={"maxlength": services.TEMPLATE_NAME_MAX},
                       validators=[DataRequired(message=_l("Give the template a name.")),
                                   Length(max=services.TEMPLATE_NAME_MAX), plain_text])
    outcome = SelectField(_l("Written for"), choices=[SelectChoice("", _l("Any outcome"))] + _outcome_choices(),
                          validators=[Optional()])
    text = _response_field(_l("Text"), _l("Placeholders: {autor} (who sent it), {codigo} (its reference), "
                                          "{compromiso} (the commitment it went into), {propuesta_destino} (the "
                                          "proposal it was merged into)."))

    def service_kwargs(self) -> dict:
        return {"name": self.name.data, "text": self.text.data, "outcome": self.outcome.data or None}


class QueueFilterForm(RegisterFilterForm):
    """The register's filters, and the queue's own: table, unanswered only, mine, order."""

    table = SelectField(_l("Working table"), coerce=optional_id)
    unanswered = BooleanField(_l("Unanswered only"))
    mine = BooleanField(_l("Assigned to me"))
    sort = SelectField(_l("Order"), choices=[
        SelectChoice("numero", _l("Reference, first to last")), SelectChoice("-numero", _l("Reference, last to first")),
        SelectChoice("recibida", _l("Received, oldest first")), SelectChoice("-recibida", _l("Received, newest first"))],
        default="numero")

    def fill_tables(self, tables) -> None:
        self.table.choices = [SelectChoice("", _l("All"))] + [SelectChoice(t.id, t.title) for t in tables]

    def queue_kwargs(self, user) -> dict:
        kwargs = self.filters()
        if not self.table.errors and self.table.data:
            kwargs["table"] = self.table.data
        kwargs["unanswered_only"] = bool(self.unanswered.data)
        if self.mine.data:
            kwargs["assignee"] = user
        kwargs["sort"] = self.sort.data if self.sort.data in services.SORTS else "numero"
        return kwargs

    def query_args(self) -> dict:
        args = super().query_args()
        for name in ("table", "sort"):
            field = getattr(self, name)
            if not field.errors and field.data not in (None, ""):
                args[name] = field.data
        for name in ("unanswered", "mine"):
            if getattr(self, name).data:
                args[name] = "y"
        return args
