"""The one clock. Code asks `now()`; tests (and, with testing hooks on, a live test server) set it."""
from datetime import UTC, datetime

_frozen: datetime | None = None


def now() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    return _frozen if _frozen is not None else datetime.now(UTC)


def set_now(instant: datetime | None) -> None:
    """Freeze the clock at `instant` (aware), or let it run again with None."""
    global _frozen
    if instant is not None and instant.tzinfo is None:
        raise ValueError("The clock takes aware datetimes only.")
    _frozen = instant.astimezone(UTC) if instant is not None else None


def is_frozen() -> bool:
    return _frozen is not None
