"""The last reconciliation judged against now, and reconciliations run on request.

`judge_reconciliation` is stale past the interval and the reconciler loop's pause (an hour with the
periodic reconciliation off), when the chain has batches the run did not cover, and when the chain
is away; never otherwise. `ReconcileRunner` runs one at a time — in this process by its thread, across
processes by its lease — reports its step, and frees the lease however the run ends."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from audit import (
    RECONCILE_NOW_LEASE,
    ChainReachOut,
    IndexReadError,
    ReconcileRunner,
    ReconcileRunningError,
    ReconciliationOut,
    freshness_bound,
    judge_reconciliation,
)
from issuer import acquire_lease, worker_leases
from ledger import FixedClock

START = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)


def _reach(state: str = "reachable") -> ChainReachOut:
    return ChainReachOut(
        state=state,
        checked_at=START,
        last_reached_at=START,
        unreachable_since=None if state != "unreachable" else START,
        error=None,
        indexed_to=40,
    )


def _result(*, differences: int = 0, finished: datetime = START) -> ReconciliationOut:
    return ReconciliationOut(
        id="r1",
        started_at=finished - timedelta(seconds=3),
        finished_at=finished,
        repair=False,
        indexed_to=30,
        batches_checked=3,
        certificates_checked=12,
        log_entries_checked=0,
        differences=differences,
        repaired=0,
        counts={},
        details=[],
    )


def test_the_bound_is_the_interval_and_the_loops_pause_or_an_hour_when_off() -> None:
    assert freshness_bound(3600) == 3630
    assert freshness_bound(10) == 20  # the loop looks every 10 s then
    assert freshness_bound(0) == 3600


@pytest.mark.parametrize(
    ("seconds", "stale"), [(0, False), (3630, False), (3631, True), (86_400, True)], ids=str
)
def test_a_result_is_stale_once_older_than_the_bound(seconds: int, stale: bool) -> None:
    clock = FixedClock(START)
    clock.advance(timedelta(seconds=seconds))
    judged = judge_reconciliation(
        _result(), now=clock(), interval=3600, batches_covered=3, batches_on_chain=3, chain=_reach()
    )
    assert (judged.verdict, judged.stale, judged.age_seconds) == ("clean", stale, seconds)
    assert [reason.code for reason in judged.reasons] == (["older_than_interval"] if stale else [])


def test_a_result_short_of_the_chain_or_blind_to_it_is_stale_whatever_it_found() -> None:
    short = judge_reconciliation(
        _result(), now=START, interval=3600, batches_covered=3, batches_on_chain=25, chain=_reach()
    )
    assert (short.stale, [r.code for r in short.reasons]) == (True, ["batches_not_covered"])
    assert "covered 3 batches" in short.reasons[0].detail and "has 25" in short.reasons[0].detail
    blind = judge_reconciliation(
        _result(differences=2),
        now=START,
        interval=3600,
        batches_covered=3,
        batches_on_chain=3,
        chain=_reach("unreachable"),
    )
    assert (blind.verdict, blind.stale, [r.code for r in blind.reasons]) == (
        "differences",
        True,
        ["chain_unreachable"],
    )
    syncing = judge_reconciliation(
        _result(), now=START, interval=3600, batches_covered=3, batches_on_chain=3, chain=_reach("syncing")
    )
    assert syncing.stale is False


def test_nothing_to_judge_before_the_first_run() -> None:
    judged = judge_reconciliation(
        None, now=START, interval=0, batches_covered=0, batches_on_chain=5, chain=_reach("unreachable")
    )
    assert (judged.verdict, judged.stale, judged.reasons, judged.max_age_seconds) == ("none", False, [], 3600)


class _Report:
    id = "stored-result"


class _Gate:
    """A stand-in reconciler whose run waits at its 'proofs' step until the test opens the gate."""

    def __init__(self, *, fail: bool = False) -> None:
        self.at_proofs = threading.Event()
        self.open = threading.Event()
        self.fail = fail

    def __call__(self) -> Any:
        return self

    def run(self, *, on_phase: Callable[[str], object]) -> _Report:
        on_phase("syncing")
        on_phase("proofs")
        self.at_proofs.set()
        self.open.wait(30)
        if self.fail:
            raise IndexReadError("could not read the latest block from the chain: refused")
        on_phase("storing")
        return _Report()


@pytest.fixture
def leases(tmp_path: Path) -> sa.Engine:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'leases.db'}")
    worker_leases.create(engine)
    return engine


def test_one_run_at_a_time_with_its_step_and_the_lease_freed_after(leases: sa.Engine) -> None:
    clock = FixedClock(START)
    gate = _Gate()
    runner = ReconcileRunner(gate, leases, clock=clock, holder="this-process")
    other = ReconcileRunner(_Gate(), leases, clock=clock, holder="another-process")
    assert runner.status().state == "idle"
    started = runner.start()
    assert (started.state, started.here, started.started_at) == ("running", True, START)
    assert gate.at_proofs.wait(30)
    assert runner.status().phase == "proofs"
    with pytest.raises(ReconcileRunningError, match="in this process"):
        runner.start()
    with pytest.raises(ReconcileRunningError, match="in another process"):
        other.start()
    assert (other.status().state, other.status().here) == ("running", False)
    gate.open.set()
    done = runner.join(30)
    assert (done.state, done.phase, done.reconciliation_id, done.error) == (
        "finished",
        "storing",
        "stored-result",
        None,
    )
    assert other.status().state == "idle"  # the lease is free: the other process may run one now
    assert acquire_lease(leases, RECONCILE_NOW_LEASE, "a-third", seconds=60, now=clock()) is not None


def test_a_failed_run_says_why_in_words_and_frees_the_lease(leases: sa.Engine) -> None:
    clock = FixedClock(START)
    gate = _Gate(fail=True)
    runner = ReconcileRunner(gate, leases, clock=clock, holder="this-process")
    runner.start()
    gate.open.set()
    failed = runner.join(30)
    assert failed.state == "failed"
    assert failed.error == "IndexReadError: could not read the latest block from the chain: refused"
    assert runner.start().state == "running"  # the lease was given up
    runner.join(30)
