"""Inside a phase: what happened, at the moments it happened.

A hook lays out its events (`Timeline.at(moment, action)`) and plays them in time order, the clock
set to each moment, so that records and their history carry the dates they would have had.
"""
from datetime import datetime, time, timedelta
from random import Random

from consulta.core import clock
from consulta.core.windows import local_to_utc, to_local

# People send forms and meet in the day, local time.
FIRST_HOUR, LAST_HOUR = 8, 22


class Timeline:
    def __init__(self):
        self._events = []

    def at(self, moment: datetime, action) -> None:
        """Run `action()` with the clock at `moment`; events at one moment keep the order they were added."""
        self._events.append((moment, len(self._events), action))

    def play(self) -> None:
        for moment, _order, action in sorted(self._events, key=lambda event: event[:2]):
            clock.set_now(moment)
            action()
        self._events.clear()


def local_moment(day, hour: int, minute: int, tz: str) -> datetime:
    return local_to_utc(datetime.combine(day, time(hour, minute)), tz)


def moments(rng: Random, opens_at: datetime, closes_at: datetime, count: int, tz: str, *,
            rush: float = 1.0) -> list[datetime]:
    """`count` instants in [opens_at, closes_at), in the day (local time), sorted. `rush` above 1
    crowds them towards the end, as sending does before a deadline."""
    first = to_local(opens_at, tz).date()
    days = (to_local(closes_at - timedelta(microseconds=1), tz).date() - first).days + 1
    found = []
    while len(found) < count:
        day = first + timedelta(days=min(days - 1, int(days * rng.random() ** (1 / rush))))
        instant = local_moment(day, rng.randint(FIRST_HOUR, LAST_HOUR), rng.randrange(60), tz)
        instant += timedelta(seconds=rng.randrange(60))
        if opens_at <= instant < closes_at:
            found.append(instant)
    return sorted(found)
