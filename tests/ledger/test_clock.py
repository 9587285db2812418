"""The one clock: fixed clocks for tests, China's calendar days, and no other reader of the calendar."""

from __future__ import annotations

import ast
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from ledger import BEIJING, FixedClock, beijing_date, beijing_time, system_clock

PACKAGES = ("ledger", "issuer", "verifier", "audit", "wallet_api", "scripts", "migrations")
_CALENDAR_READS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "time_ns"),
    ("time", "localtime"),
    ("time", "gmtime"),
    ("time", "ctime"),
}


def _calendar_reads(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name)
            and (node.func.value.id, node.func.attr) in _CALENDAR_READS
        ):
            found.append(f"{path}:{node.lineno} {node.func.value.id}.{node.func.attr}()")
    return found


def test_only_the_system_clock_reads_the_calendar(project_root: Path) -> None:
    reads = [
        read
        for package in PACKAGES
        for path in sorted((project_root / package).rglob("*.py"))
        if path != project_root / "ledger" / "_clock.py"
        for read in _calendar_reads(path)
    ]
    assert reads == [], "pass a ledger.Clock instead of reading the calendar"
    clock_reads = _calendar_reads(project_root / "ledger" / "_clock.py")
    assert [read.split()[-1] for read in clock_reads] == ["datetime.now()"]  # system_clock


def test_a_fixed_clock_stands_still_until_moved() -> None:
    moment = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
    clock = FixedClock(moment.astimezone(BEIJING))
    assert clock() == clock() == moment
    assert clock().tzinfo is UTC
    assert clock.advance(timedelta(days=400)) == moment + timedelta(days=400)
    assert clock() == moment + timedelta(days=400)


def test_a_clock_refuses_naive_moments_and_running_backwards() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        FixedClock(datetime(2026, 11, 29))
    clock = FixedClock(datetime(2026, 11, 29, tzinfo=UTC))
    with pytest.raises(ValueError, match="backwards"):
        clock.advance(timedelta(seconds=-1))


@pytest.mark.parametrize(
    ("moment", "day"),
    [
        (datetime(2026, 11, 29, 15, 59, 59, tzinfo=UTC), date(2026, 11, 29)),
        (datetime(2026, 11, 29, 16, 0, 0, tzinfo=UTC), date(2026, 11, 30)),  # midnight in Beijing
        (datetime(2026, 12, 31, 16, 0, 0, tzinfo=UTC), date(2027, 1, 1)),
    ],
)
def test_days_are_china_days(moment: datetime, day: date) -> None:
    assert beijing_date(moment) == day
    assert beijing_time(moment).utcoffset() == timedelta(hours=8)
    assert beijing_time(moment) == moment


def test_the_system_clock_is_aware_and_in_utc() -> None:
    now = system_clock()
    assert now.tzinfo is UTC
