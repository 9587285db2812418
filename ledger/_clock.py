"""The one clock: every date and time certledger acts on comes from a `Clock` that is passed in.

Issuance dates, validity, token, grant and enrolment-code expiry, the access log's times and
the reports' days all read the clock they were given; nothing reads the calendar by itself
(a test keeps it so). Tests fix the time; a process that runs for years simply asks again.

Monotonic time (timeouts, retry pauses, cache ages) is not a date and stays with
`time.monotonic`. The chain keeps its own time in block timestamps.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta, timezone

_BEIJING_OFFSET = timedelta(hours=8)
BEIJING = timezone(_BEIJING_OFFSET, "CST")
"""China Standard Time: the bureau's days, its certificates' validity dates and every time people read."""
BEIJING_OFFSET = f"+{_BEIJING_OFFSET.seconds // 3600:02d}:{_BEIJING_OFFSET.seconds // 60 % 60:02d}"
"""China Standard Time's offset as ISO 8601 writes it (``+08:00``)."""

Clock = Callable[[], datetime]
"""A source of the current moment, timezone-aware."""


def system_clock() -> datetime:
    """The machine's current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def beijing_date(moment: datetime) -> date:
    """The calendar day in China that `moment` falls on."""
    return moment.astimezone(BEIJING).date()


def beijing_time(moment: datetime) -> datetime:
    """`moment` expressed in China Standard Time."""
    return moment.astimezone(BEIJING)


class FixedClock:
    """A clock that stands still until it is moved: for tests and for replaying a given day."""

    def __init__(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("a clock's moment is timezone-aware")
        self._moment = moment.astimezone(UTC)

    def __call__(self) -> datetime:
        return self._moment

    def advance(self, delta: timedelta) -> datetime:
        """Moves the clock forward by `delta` and returns the new moment."""
        if delta < timedelta(0):
            raise ValueError("a clock never runs backwards")
        self._moment += delta
        return self._moment

    def __repr__(self) -> str:
        return f"FixedClock({self._moment.isoformat()})"
