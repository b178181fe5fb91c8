"""Files about a table: the registrations for its moderators (CSV, XLSX through the core writer, with
contact data) and a public iCalendar event (RFC 5545, times in UTC)."""
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _

from consulta.core import clock, exports
from consulta.core.i18n import local_datetime
from consulta.core.outbox import absolute_url
from consulta.tables import services
from consulta.tables.models import RegistrationState

XLSX_MIMETYPE = exports.MIMETYPES["xlsx"]


def _state_label(registration, position) -> str:
    if registration.state == RegistrationState.WAITING:
        return _("Waiting list, number %(position)s", position=position)
    return _("Confirmed")


def registration_rows(table) -> list[list[str]]:
    """A header and one row per live registration: contact data included, for moderators only."""
    header = [_("Code"), _("Name"), _("Email"), _("Phone"), _("Sector"), _("Organisation"), _("State"),
              _("Accessibility needs"), _("Registered"), _("Checked in")]
    rows = [header]
    for registration, position in services.registrations_for_moderators(table):
        person = registration.user
        rows.append([
            registration.code, person.public_name, person.email or "", person.phone or "",
            str(registration.sector.label), getattr(registration.organisation, "name", ""),
            _state_label(registration, position), registration.needs,
            local_datetime(registration.created_at, table.venue_timezone),
            _("yes") if registration.check_in is not None else _("no"),
        ])
    return rows


def registrations_csv(table) -> bytes:
    header, *rows = registration_rows(table)
    return b"".join(exports.csv_lines(header, rows))


def registrations_xlsx(table) -> bytes:
    header, *rows = registration_rows(table)
    return exports.xlsx_bytes(header, rows, title=_("Registrations"))


# --- iCalendar -----------------------------------------------------------------------------------

def _ical_text(value: str) -> str:
    return (value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n"))


def _ical_time(instant) -> str:
    return instant.strftime("%Y%m%dT%H%M%SZ")


def _fold(line: str) -> str:
    """Lines longer than 75 octets continue on the next line after a space, never inside a character."""
    pieces, current = [], b""
    for character in line:
        encoded = character.encode("utf-8")
        if len(current) + len(encoded) > (75 if not pieces else 74):
            pieces.append(current)
            current = b""
        current += encoded
    pieces.append(current)
    return "\r\n ".join(piece.decode("utf-8") for piece in pieces)


def _place(table) -> str:
    parts = [table.address, table.commune, table.region.label if table.region else None]
    place = ", ".join(part for part in parts if part)
    return place or table.online_link or ""


def icalendar(table) -> bytes:
    page = absolute_url("tables.detail", table_id=table.id)
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "consulta"
    description = "\n\n".join(part for part in (table.area, table.description, table.online_link, page) if part)
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//consulta//mesas de trabajo//ES", "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH", "BEGIN:VEVENT",
        f"UID:mesa-{table.id}@{host}",
        f"DTSTAMP:{_ical_time(clock.now())}",
        f"DTSTART:{_ical_time(table.starts_at)}",
        f"DTEND:{_ical_time(table.ends_at)}",
        f"SUMMARY:{_ical_text(table.title)}",
        f"DESCRIPTION:{_ical_text(description)}",
        f"LOCATION:{_ical_text(_place(table))}",
        f"URL:{page}",
        "END:VEVENT", "END:VCALENDAR",
    ]
    return ("\r\n".join(_fold(line) for line in lines) + "\r\n").encode("utf-8")
