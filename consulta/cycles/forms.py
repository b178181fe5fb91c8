"""Forms for cycles and phases. Windows are typed in the jurisdiction's local dates, times optional,
and become UTC windows here, through core.windows (DESIGN.md's rule for dates typed without times)."""
from datetime import datetime, time, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import Form as PlainForm
from wtforms import FormField, StringField, TextAreaField
from wtforms.fields import DateField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from consulta.core.forms import Form
from consulta.core.sectors import Sector
from consulta.core.windows import window_from_dates, window_from_local
from consulta.cycles.models import EARLIEST_DATE, LATEST_DATE
from consulta.cycles.services import typed_local

REASON_MAX = 500


def plausible_date(form, field):
    # Also keeps window arithmetic away from year 9999, which a date input accepts.
    if field.data is not None and not EARLIEST_DATE <= field.data <= LATEST_DATE:
        raise ValidationError(_("Enter a date between %(first)s and %(last)s.",
                                first=EARLIEST_DATE.isoformat(), last=LATEST_DATE.isoformat()))


class _CycleFields(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=160)],
                       description=_l("Such as “4th Action Plan 2018-2020”."))
    slug = StringField(_l("Address"), validators=[DataRequired(), Length(max=80)],
                       description=_l("The last part of the cycle's web address: lower-case letters, digits "
                                      "and hyphens, such as “plan-2018-2020”."))
    code = StringField(_l("Reference prefix"), validators=[DataRequired(), Length(max=10)],
                       description=_l("Starts the reference of everything the cycle receives, such as "
                                      "“PA4” for PA4-0042."))
    starts_on = DateField(_l("Starts on"), validators=[InputRequired(), plausible_date])

    def service_kwargs(self) -> dict:
        return {field.name: field.data for field in self if field.name != "csrf_token"}


class DuplicateForm(_CycleFields):
    """The copy's own name, address, prefix and start; its phases move with the start."""


class CycleForm(_CycleFields):
    ends_on = DateField(_l("Ends on"), validators=[InputRequired(), plausible_date])


class StateForm(Form):
    reason = TextAreaField(_l("Reason (shown in the public history)"),
                           validators=[DataRequired(), Length(max=REASON_MAX)])


class _WindowFields:
    """A window as typed: two local dates, each with an optional time of day."""

    opens_on = DateField(_l("First day"), validators=[Optional(), plausible_date])
    opens_time = TimeField(_l("Opening time (optional)"), validators=[Optional()])
    closes_on = DateField(_l("Last day"), validators=[Optional(), plausible_date])
    closes_time = TimeField(_l("Closing time on the last day (optional)"), validators=[Optional()])

    def typed(self) -> bool:
        return any(self[name].raw_data and self[name].raw_data[0]
                   for name in ("opens_on", "opens_time", "closes_on", "closes_time"))

    def read_window(self, tz: str, *, required: bool):
        """The window typed, in UTC; None (with the errors on the fields) when there is none."""
        if any(self[name].errors for name in ("opens_on", "opens_time", "closes_on", "closes_time")):
            return None
        if not required and not self.typed():
            return None
        for field in (self.opens_on, self.closes_on):
            if field.data is None:
                field.errors = [*field.errors, _("Enter a date.")]
        if self.opens_on.errors or self.closes_on.errors:
            return None
        first, last = self.opens_on.data, self.closes_on.data
        try:
            if self.opens_time.data is None and self.closes_time.data is None:
                return window_from_dates(first, last, tz)
            closes = (datetime.combine(last, self.closes_time.data) if self.closes_time.data is not None
                      else datetime.combine(last + timedelta(days=1), time.min))
            return window_from_local(datetime.combine(first, self.opens_time.data or time.min), closes, tz)
        except ValueError:
            self.closes_on.errors = [*self.closes_on.errors, _("The window must close after it opens.")]
            return None

    def fill(self, window, tz: str) -> None:
        """Show a stored window as it would have been typed."""
        opens, closes = typed_local(window.opens_at, tz), typed_local(window.closes_at, tz)
        self.opens_on.data = opens.date()
        self.opens_time.data = opens.time() if opens.time() != time.min else None
        if closes.time() == time.min:
            self.closes_on.data, self.closes_time.data = closes.date() - timedelta(days=1), None
        else:
            self.closes_on.data, self.closes_time.data = closes.date(), closes.time()


class SectorWindowForm(_WindowFields, PlainForm):
    """One sector's own intake window, inside the phase form (which carries the CSRF token)."""


class PhaseForm(_WindowFields, Form):
    reason = StringField(_l("Why the dates change (optional, shown in the public history)"),
                         validators=[Optional(), Length(max=REASON_MAX)])

    def __init__(self, *args, tz: str, **kwargs):
        self.tz = tz
        self.window = None
        self.sector_windows = {}
        super().__init__(*args, **kwargs)

    def sector_fields(self) -> list:
        return []

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for sector, fields in self.sector_fields():
            window = fields.form.read_window(self.tz, required=False)
            if window is not None:
                self.sector_windows[sector] = window
        self.window = self.read_window(self.tz, required=not self.sector_windows)
        errors = any(self[name].errors for name in ("opens_on", "opens_time", "closes_on", "closes_time"))
        errors = errors or any(fields.errors for _sector, fields in self.sector_fields())
        return valid and not errors

    def attach(self, error) -> None:
        """A refusal about one sector's window names "<sector>-<field>"."""
        prefix, _dash, name = (error.field or "").partition("-")
        sub = getattr(self, prefix, None) if name else None
        if sub is not None and name in sub.form:
            sub.form[name].errors = [*sub.form[name].errors, error.message]
        else:
            super().attach(error)

    def fill_from(self, phase) -> None:
        self.fill(phase.window, self.tz)
        own = {window.sector: window.window for window in phase.sector_windows}
        for sector, fields in self.sector_fields():
            if sector in own:
                fields.form.fill(own[sector], self.tz)

    def service_kwargs(self) -> dict:
        return {"window": self.window, "sector_windows": self.sector_windows, "reason": self.reason.data or ""}


class IntakePhaseForm(PhaseForm):
    def sector_fields(self) -> list:
        return [(sector, self[sector.value]) for sector in Sector]


for _sector in Sector:
    setattr(IntakePhaseForm, _sector.value, FormField(SectorWindowForm, label=_sector.label))
