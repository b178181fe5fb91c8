"""Language and local time: Spanish first, English second; instants shown in a zone, with the zone."""
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, get_timezone_name
from flask import current_app, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        # Commands, the demo loader and the outbox worker render text too: they have no visitor.
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("lang")
    if chosen in languages:
        return chosen
    preferred = getattr(current_user, "locale", None) if current_user else None
    if preferred in languages:
        return preferred
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def local_datetime(instant, tz: str | None = None, format: str = "medium") -> str:
    """An instant in local time with the zone's name: '18 jun 2018, 0:00:00 (hora de Chile)'."""
    if instant is None:
        return ""
    zone = ZoneInfo(tz or current_app.config["BABEL_DEFAULT_TIMEZONE"])
    local = instant.astimezone(zone)
    locale = str(get_locale() or "es")
    pattern = {"medium": "d MMM y, HH:mm", "long": "EEEE d 'de' MMMM 'de' y, HH:mm:ss"}.get(format, format)
    if locale == "en" and format == "long":
        pattern = "EEEE, MMMM d, y, HH:mm:ss"
    text = format_datetime(local, pattern, locale=locale)
    return f"{text} ({get_timezone_name(local, width='long', locale=locale)})"


def local_date(value, format: str = "long") -> str:
    if value is None:
        return ""
    return format_date(value, format, locale=str(get_locale() or "es"))


def safe_next(target: str | None, default: str = "/") -> str:
    """A redirect target on this site only: a path, never another host."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def current_language() -> str:
    return str(get_locale() or "es")


def switch_language_url(code: str) -> str:
    from flask import url_for

    return url_for("site.language", code=code, next=request.full_path.rstrip("?"))
