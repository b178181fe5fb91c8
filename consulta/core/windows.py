"""Time windows: the one answer to "is it open?".

A window is a half-open interval of UTC instants: open from `opens_at`, closed from `closes_at`.
Intake, registration, consultation and reporting windows all ask `is_open`.
"""
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Window:
    opens_at: datetime
    closes_at: datetime

    def __post_init__(self):
        for instant in (self.opens_at, self.closes_at):
            if instant.tzinfo is None:
                raise ValueError("A window takes aware datetimes only.")
        if self.closes_at <= self.opens_at:
            raise ValueError("A window must close after it opens.")


def is_open(window: Window | None, at: datetime) -> bool:
    """True from the opening instant (included) to the closing instant (excluded)."""
    if window is None:
        return False
    return window.opens_at <= at < window.closes_at


def has_closed(window: Window, at: datetime) -> bool:
    return at >= window.closes_at


def local_to_utc(naive: datetime, tz: str | ZoneInfo) -> datetime:
    """The UTC instant of a local wall-clock time.

    A wall-clock time that happens twice (clocks going back) is its first occurrence. One that
    never happens (clocks jumping forward) becomes the first valid instant after it: the moment
    of the jump.
    """
    zone = ZoneInfo(tz) if isinstance(tz, str) else tz
    earlier = naive.replace(tzinfo=zone, fold=0)
    instant = earlier.astimezone(UTC)
    if instant.astimezone(zone).replace(tzinfo=None) == naive:
        later = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
        return min(instant, later)
    # In a gap: fold=0 reads the time with the offset before the jump, which lands after the jump
    # by the distance from the gap's start; search back for the jump itself, second by second.
    low = naive.replace(tzinfo=zone, fold=1).astimezone(UTC)
    high = instant
    before = low.astimezone(zone).utcoffset()
    while (high - low) > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == before:
            low = middle
        else:
            high = middle
    return high.replace(microsecond=0)


def window_from_dates(first_day: date, last_day: date, tz: str) -> Window:
    """A window typed as dates: from the first day's 00:00 to the end of the last day, local time.

    It closes at the next local midnight after the last day.
    """
    opens_at = local_to_utc(datetime.combine(first_day, time.min), tz)
    closes_at = local_to_utc(datetime.combine(last_day + timedelta(days=1), time.min), tz)
    return Window(opens_at, closes_at)


def window_from_local(opens: datetime, closes: datetime, tz: str) -> Window:
    """A window typed as local date-times."""
    return Window(local_to_utc(opens, tz), local_to_utc(closes, tz))


def to_local(instant: datetime, tz: str) -> datetime:
    return instant.astimezone(ZoneInfo(tz))
