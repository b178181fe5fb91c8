"""Forms for monitoring. The services check what the rules need and name the field; the forms check
types and lengths."""
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, DateField, Form as QueryForm, IntegerField, MultipleFileField, RadioField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, NumberRange, Optional

from consulta.core.forms import Form, optional_id, text_field
from consulta.monitoring import services
from consulta.monitoring.models import STATUS_ORDER, FollowMode, Status

LINKS_FIELD_MAX = services.LINKS_MAX * (services.LINK_MAX + 2)


def _status_or_none(value):
    if value in (None, "") or isinstance(value, Status):
        return value or None
    return Status(value)


class TrackerForm(QueryForm):
    """"Estado al [fecha]" and the tracker's filters, read from the query string (a GET, no token).
    A forged value is shown as an error and ignored."""

    al = text_field(_l("Status as of"), 10, type="date",
                    description=_l("The statuses are computed from the reports dated up to that day."))
    estado = SelectField(_l("Status"), coerce=_status_or_none,
                         choices=[SelectChoice("", _l("All"))] + [SelectChoice(s.value, s.label) for s in STATUS_ORDER])
    entidad = SelectField(_l("Responsible entity"), coerce=optional_id)

    def fill_choices(self, entities) -> None:
        self.entidad.choices = [SelectChoice("", _l("All"))] + [SelectChoice(e.id, e.name) for e in entities]

    def filters(self) -> dict:
        """The valid filters (status, entity id); the invalid ones keep their error and are ignored."""
        self.validate()
        return {"status": None if self.estado.errors else self.estado.data,
                "entity_id": None if self.entidad.errors else self.entidad.data}


class ReportForm(Form):
    reported_on = DateField(_l("Date of the report"), validators=[InputRequired(message=_l("Enter a date."))],
                            description=_l("The day the progress is reported as of."))
    narrative = text_field(_l("What was done"), services.NARRATIVE_MAX, area=True,
                           description=_l("Plain text; separate paragraphs with an empty line. Web addresses "
                                          "become links."))
    percent = IntegerField(_l("Percentage done"), render_kw={"min": 0, "max": 100}, validators=[
        Optional(), NumberRange(min=0, max=100, message=_l("The percentage is a whole number from 0 to 100."))])
    done = BooleanField(_l("The activity is done (it needs evidence: a link or a file)"))
    links = text_field(_l("Links to evidence"), LINKS_FIELD_MAX, area=True,
                       description=_l("One web address (http:// or https://) per line, at most %(max)s.",
                                      max=services.LINKS_MAX))
    files = MultipleFileField(_l("Files as evidence"),
                              description=_l("PDF, images or office documents (DOCX, XLSX, ODT, ODS), at most "
                                             "%(size)s MB each and %(max)s in all.",
                                             size=services.EVIDENCE_MAX_BYTES // 1024 // 1024,
                                             max=services.FILES_MAX))

    def fill_from(self, version) -> None:
        self.reported_on.data = version.reported_on
        self.narrative.data = version.narrative
        self.percent.data = None if version.done else version.percent
        self.done.data = version.done
        self.links.data = "\n".join(item.url for item in version.links)

    def service_kwargs(self) -> dict:
        return {"reported_on": self.reported_on.data, "narrative": self.narrative.data,
                "percent": self.percent.data, "done": self.done.data,
                "links": (self.links.data or "").split(), "files": self.files.data or []}


class CorrectionForm(ReportForm):
    reason = text_field(_l("What the correction changes (public)"), services.REASON_MAX, area=True)

    def service_kwargs(self) -> dict:
        return {**super().service_kwargs(), "reason": self.reason.data}


class FollowForm(Form):
    mode = RadioField(_l("How do you want to be told?"),
                      choices=[SelectChoice(mode.name, mode.label) for mode in FollowMode],
                      default=FollowMode.EACH_REPORT.name,
                      validators=[InputRequired(message=_l("Choose how you want to be told."))])


class ActivityForm(Form):
    name = text_field(_l("Activity and deliverable"), 1000, area=True)
    starts_on = DateField(_l("Starts on"), validators=[InputRequired(message=_l("Enter a date."))])
    ends_on = DateField(_l("Ends on"), validators=[InputRequired(message=_l("Enter a date."))])
    description = text_field(_l("Description"), services.DETAILS_MAX, area=True)
    deliverable = text_field(_l("Deliverable"), services.DETAILS_MAX, area=True)
    milestone = text_field(_l("Verifiable milestone"), services.DETAILS_MAX, area=True,
                           description=_l("What anyone can check to know it is done (a published document, "
                                          "an act signed…)."))
    entity = SelectField(_l("Responsible entity"), coerce=optional_id, validators=[Optional()])

    FIELDS = ("name", "starts_on", "ends_on", "description", "deliverable", "milestone")

    def fill_choices(self, activity) -> None:
        self.entity.choices = [SelectChoice("", _l("The commitment's: %(name)s",
                                                   name=activity.commitment.entity.name))] + [
            SelectChoice(entity.id, entity.name) for entity in services.entity_choices(activity)
            if entity.id != activity.commitment.entity_id]

    def fill_from(self, activity) -> None:
        for name in self.FIELDS:
            getattr(self, name).data = getattr(activity, name)
        self.entity.data = activity.entity_id

    def service_kwargs(self) -> dict:
        return {**{name: getattr(self, name).data for name in self.FIELDS}, "entity": self.entity.data}
