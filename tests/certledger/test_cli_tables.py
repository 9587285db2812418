"""What the `certledger` command prints for people: times in Beijing time (长期 for no end), the
port it serves on, and the demonstration's unit keys whole at 80 columns."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest
from rich.console import Console
from typer.testing import CliRunner

from audit.cli import table_of
from certledger.cli import app, print_population
from ledger.cli import table_time, table_times
from scripts.demo_wallet import DemoCitizen, DemoStaff, DemoUnit, Population

KEYS = [
    "clu_0123456789abcdef_" + "A" * 43,
    "clu_fedcba9876543210_" + "b-_" * 14 + "c",
]


def _printed(population: Population, width: int) -> str:
    out = io.StringIO()
    print_population(population, Console(file=out, width=width, color_system=None))
    return out.getvalue()


@pytest.fixture
def population() -> Population:
    return Population(
        staff=[DemoStaff("operator", "operator", "operator-password-1")],
        citizens=[
            DemoCitizen(
                name="王秀英",
                identity_number="37100219790330748X",
                phone="13900000001",
                password="citizen-password-1",
                private_key="0x" + "11" * 32,
                address="0x" + "22" * 20,
                account_id="a" * 32,
                certificates=["c" * 32],
            )
        ],
        units=[
            DemoUnit("u" * 32, "威海市住房公积金管理中心", "91371000MA3C8KXQ1N", KEYS[0]),
            DemoUnit("v" * 32, "中国工商银行威海分行", "91371000863020001X", KEYS[1]),
        ],
    )


@pytest.mark.parametrize("width", [60, 80, 200])
def test_each_unit_key_is_printed_whole_on_its_own_line(population: Population, width: int) -> None:
    lines = _printed(population, width).splitlines()
    for key in KEYS:
        assert key in lines, f"{key} is not on a line of its own at {width} columns"
    assert "…" not in "".join(lines)  # nothing in the table is cut either
    assert sum("key 1, below" in line for line in lines) == 1


def test_run_help_names_the_host_and_the_port_and_their_defaults() -> None:
    result = CliRunner().invoke(app, ["run", "--help"], env={"COLUMNS": "120", "NO_COLOR": "1"})
    assert result.exit_code == 0
    text = re.sub(r"\s+", " ", re.sub(r"[│╭╮╰╯─]", " ", result.output))
    for said in ("--host", "--port", "127.0.0.1", "8000", "CERTLEDGER_PORT", "CERTLEDGER_HOST", "/docs"):
        assert said in text, said


def test_serve_help_names_the_same_defaults() -> None:
    result = CliRunner().invoke(app, ["serve", "--help"], env={"COLUMNS": "120", "NO_COLOR": "1"})
    text = re.sub(r"\s+", " ", re.sub(r"[│╭╮╰╯─]", " ", result.output))
    assert "8000" in text and "CERTLEDGER_PORT" in text and "127.0.0.1" in text


@pytest.mark.parametrize(
    ("moment", "shown"),
    [
        (datetime(2026, 12, 9, 17, 6, 2, tzinfo=UTC), "2026-12-10 01:06:02"),
        ("2026-12-09T17:06:02+00:00", "2026-12-10 01:06:02"),
        ("2026-12-09T17:06:02Z", "2026-12-10 01:06:02"),
        ("2026-12-10T01:06:02+08:00", "2026-12-10 01:06:02"),
        (datetime(2026, 12, 9, 12, 0, tzinfo=timezone(timedelta(hours=-5))), "2026-12-10 01:00:00"),
        ("2026-12-10", "2026-12-10"),  # a date is a Beijing day already
        ("not a time", "not a time"),
    ],
)
def test_a_table_time_is_beijing_time(moment: datetime | str, shown: str) -> None:
    assert table_time(moment) == shown


def test_a_missing_end_is_long_term_and_a_naive_time_is_refused() -> None:
    assert table_time(None, end=True) == "长期"
    assert table_time(None) == "—"
    with pytest.raises(ValueError, match="timezone-aware"):
        table_time(datetime(2026, 12, 9, 17, 6, 2))  # a naive time: refused


def test_times_inside_a_check_reason_are_rewritten() -> None:
    assert (
        table_times("valid until 2026-12-09T17:06:02+00:00") == "valid until 2026-12-10 01:06:02 Beijing time"
    )
    assert table_times("block 12, 3 fields") == "block 12, 3 fields"


def test_the_audit_tables_show_beijing_time_and_long_term() -> None:
    rows = [
        {"keyId": 1, "validFrom": "2026-12-09T17:06:02+00:00", "validUntil": None, "note": None},
        {
            "keyId": 2,
            "validFrom": "2026-01-01T00:00:00+08:00",
            "validUntil": "2026-06-30T16:00:00Z",
            "note": "x",
        },
    ]
    out = io.StringIO()
    Console(file=out, width=200, color_system=None).print(table_of("keys", rows))
    text = out.getvalue()
    assert "2026-12-10 01:06:02" in text and "2026-07-01 00:00:00" in text
    assert "2026-01-01 00:00:00" in text
    assert "长期" in text  # validUntil None
    assert "—" in text  # note None: not a validity
    assert "T17:06" not in text and "+00:00" not in text
    assert "Beijing time" in text
