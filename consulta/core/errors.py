"""Refusals that a person can act on, each tied to the form field it concerns."""
from flask_babel import gettext as _


class DomainError(Exception):
    """A rule refused the action. `field` names the form field to show it next to (None: the form)."""

    def __init__(self, field: str | None, message: str):
        super().__init__(message)
        self.field = field
        self.message = message


class WindowClosed(DomainError):
    """The action's window is closed; the message says when, in the jurisdiction's time zone."""

    def __init__(self, window, tz: str, field: str | None = None, *, not_yet: bool = False):
        from consulta.core.i18n import local_datetime

        self.window = window
        if not_yet:
            message = _("This is not open yet: it opens on %(when)s.",
                        when=local_datetime(window.opens_at, tz, "long"))
        else:
            message = _("This closed on %(when)s.", when=local_datetime(window.closes_at, tz, "long"))
        super().__init__(field, message)


class PermissionDenied(Exception):
    """The acting person may not do this. Views turn it into 403, or a login page for visitors."""
