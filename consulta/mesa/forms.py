"""Forms of the Mesa. Required fields are checked by the services, which name the field; the forms
check types and lengths."""
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileSize
from wtforms import BooleanField, DateField, EmailField, RadioField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, InputRequired, Length, Optional

from consulta.core.forms import Form, MultiCheckboxField, optional_id, text_field
from consulta.mesa import services
from consulta.mesa.models import Decision, MesaSector, Vote


def _date(label, description=None):
    return DateField(label, description=description,
                     validators=[InputRequired(message=_l("Enter the date as day, month and year."))])


class ForumForm(Form):
    name = text_field(_l("Name"), services.NAME_MAX)
    act_number = text_field(_l("Act that formalised it"), services.ACT_NUMBER_MAX,
                            description=_l("Such as “Resolución Exenta N° 852”."))
    act_date = _date(_l("Date of the act"))
    document = FileField(_l("The act's document (PDF or image, up to 10 MB)"),
                         validators=[Optional(), FileSize(services.DOCUMENT_MAX_BYTES)])
    rules = text_field(_l("Rules of participation (public)"), services.RULES_MAX, area=True,
                       description=_l("Paragraphs, lists, emphasis and links are kept; anything else is removed."))

    def fill_from(self, forum) -> None:
        self.name.data, self.act_number.data, self.act_date.data = forum.name, forum.act_number, forum.act_date
        self.rules.data = forum.rules_html

    def service_kwargs(self) -> dict:
        return {"name": self.name.data, "act_number": self.act_number.data, "act_date": self.act_date.data,
                "rules": self.rules.data, "document": self.document.data or None}


class SeatForm(Form):
    sector = SelectField(_l("Sector it represents"), validators=[InputRequired()],
                         choices=[SelectChoice(sector.name, sector.label) for sector in MesaSector])
    holder = EmailField(_l("Email address of the holder's account"), render_kw={"maxlength": 254},
                        description=_l("Not shown to the public: the page shows the person's display name."),
                        validators=[InputRequired(message=_l("Give the address of the person's account.")),
                                    Length(max=254), Email(message=_l("Enter an email address."))])
    organisation = text_field(_l("Body represented (optional)"), services.ORGANISATION_MAX)
    designated_on = _date(_l("Designated on"))
    designation = text_field(_l("How the person was designated"), services.DESIGNATION_MAX, area=True,
                             description=_l("Such as “designated by the Undersecretary” or “elected by the "
                                            "civil-society network”."))
    chairs = BooleanField(_l("This seat chairs the forum"))

    def service_kwargs(self) -> dict:
        return {"sector": self.sector.data, "holder": self.holder.data, "organisation": self.organisation.data,
                "designated_on": self.designated_on.data, "designation": self.designation.data,
                "chairs": self.chairs.data}


class EndSeatForm(Form):
    ends_on = _date(_l("Term ends on"))
    reason = text_field(_l("Why the term ends (public)"), services.REASON_MAX, area=True)

    def service_kwargs(self) -> dict:
        return {"ends_on": self.ends_on.data, "reason": self.reason.data}


class MeetingForm(Form):
    held_on = _date(_l("Held on"))
    cycle = SelectField(_l("Action-plan cycle it dealt with"), coerce=optional_id, validators=[Optional()],
                        description=_l("Needed to record an act on that cycle's plan."))
    present = MultiCheckboxField(_l("Seats present"), coerce=int)
    agenda = text_field(_l("Agenda"), services.AGENDA_MAX, area=True)
    minutes = text_field(_l("Minutes"), services.MINUTES_MAX, area=True)
    decisions = text_field(_l("Decisions (optional)"), services.DECISIONS_MAX, area=True)

    def fill_choices(self, forum, cycles) -> None:
        self.cycle.choices = [SelectChoice("", _l("None"))] + [SelectChoice(cycle.id, cycle.name) for cycle in cycles]
        self.present.choices = [SelectChoice(seat.id, f"{seat.holder.public_name} ({seat.sector.label})")
                                for seat in services.current_seats(forum) + services.past_seats(forum)]

    def service_kwargs(self, cycles) -> dict:
        return {"held_on": self.held_on.data, "agenda": self.agenda.data, "minutes": self.minutes.data,
                "decisions": self.decisions.data, "present": self.present.data or [],
                "cycle": next((cycle for cycle in cycles if cycle.id == self.cycle.data), None)}


class ActForm(Form):
    """The act's decision and one vote per seat present (fields `vote_<seat id>`, added per meeting)."""

    version = SelectField(_l("Version of the plan"), coerce=optional_id, validators=[Optional()])
    decision = RadioField(_l("Decision"), validators=[InputRequired(message=_l("Choose the decision."))],
                          choices=[SelectChoice(decision.name, decision.label) for decision in Decision])
    dissent = text_field(_l("Dissent, as it goes into the minutes (optional)"), services.DISSENT_MAX, area=True)

    @classmethod
    def for_meeting(cls, meeting, versions, **kwargs) -> "ActForm":
        class MeetingActForm(cls):
            pass

        for seat in meeting.present:
            setattr(MeetingActForm, f"vote_{seat.id}", RadioField(
                _l("Vote of %(name)s (%(sector)s)", name=seat.holder.public_name, sector=seat.sector.label),
                choices=[SelectChoice(vote.name, vote.label) for vote in Vote],
                validators=[InputRequired(message=_l("Record this seat's vote."))]))
        form = MeetingActForm(**kwargs)
        form.version.choices = [SelectChoice(version.id, _l("Version %(number)s", number=version.number))
                                for version in reversed(versions)]
        form.versions = versions
        form.seats = list(meeting.present)
        return form

    def vote_fields(self):
        return [getattr(self, f"vote_{seat.id}") for seat in self.seats]

    def service_kwargs(self) -> dict:
        return {"version": next((version for version in self.versions if version.id == self.version.data), None),
                "decision": self.decision.data, "dissent": self.dissent.data,
                "votes": {seat.id: getattr(self, f"vote_{seat.id}").data for seat in self.seats}}


class ObservationForm(Form):
    commitment_number = SelectField(_l("About"), coerce=optional_id, validators=[Optional()])
    body = text_field(_l("Observation"), services.OBSERVATION_MAX, area=True)

    def fill_choices(self, version) -> None:
        self.commitment_number.choices = [SelectChoice("", _l("The plan as a whole"))] + [
            SelectChoice(row.number, _l("Commitment N° %(number)s: %(name)s", number=row.number,
                                        name=row.content["name"])) for row in version.snapshots]


class AnswerForm(Form):
    answer = text_field(_l("Answer (public once the plan is published)"), services.ANSWER_MAX, area=True)


class ReasonForm(Form):
    reason = text_field(_l("Reason"), services.REASON_MAX, area=True)


class PublishForm(Form):
    reason = text_field(_l("Why the published plan is corrected (public)"), services.REASON_MAX, area=True,
                        description=_l("Needed when a version was already published."))

