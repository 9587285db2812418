"""Jobs that run once across processes: on SQLite and PostgreSQL, runners with engines of their
own on one database, started together, run a periodic job exactly once per interval and never two
at a time; a leader job has one leader, which hands over when it fails or resigns."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from issuer import process_holder, worker_leases
from ledger import FixedClock, create_database_engine, migrate
from tests.conftest import NOW
from wallet_api._jobs import JobLease, LeaderJob, PeriodicJob

RUNNERS = 4
INTERVAL = 60.0


@pytest.fixture
def engines(database_url: str) -> Iterator[list[Engine]]:
    """One migrated database, and an engine of its own for each runner (as each API process has)."""
    engines = [create_database_engine(database_url) for _ in range(RUNNERS)]
    migrate(engines[0])
    yield engines
    for engine in engines:
        engine.dispose()


class GuardedAction:
    """The job's work: counts its runs and how many ran at once. A run holds on until every other
    runner of its round has returned, so that a second run, were the lease broken, would overlap."""

    def __init__(self) -> None:
        self.runs = 0
        self.active = 0
        self.most_active = 0
        self.returned = 0
        self.fail_next = False
        self._changed = threading.Condition()

    def __call__(self) -> None:
        with self._changed:
            self.runs += 1
            self.active += 1
            self.most_active = max(self.most_active, self.active)
            fail, self.fail_next = self.fail_next, False
            self._changed.wait_for(lambda: self.returned >= RUNNERS - 1, timeout=30)
            self.active -= 1
        if fail:
            raise RuntimeError("the chain went away")

    def step_returned(self) -> None:
        with self._changed:
            self.returned += 1
            self._changed.notify_all()


def run_together(steps: list[Callable[[], bool]], action: GuardedAction) -> list[bool | BaseException]:
    """Calls every step at once, each in its own thread; returns what each returned or raised."""
    action.returned = 0
    results: list[bool | BaseException] = [False] * len(steps)
    start = threading.Barrier(len(steps))

    def call(index: int) -> None:
        start.wait()
        try:
            results[index] = steps[index]()
        except Exception as error:  # the test looks at it
            results[index] = error
        finally:
            action.step_returned()

    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(steps))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_a_periodic_job_runs_exactly_once_per_interval_and_never_twice_at_a_time(
    engines: list[Engine],
) -> None:
    clock = FixedClock(NOW)
    action = GuardedAction()
    jobs = [
        PeriodicJob(
            JobLease(engine, "reconcile", holder=process_holder(), clock=clock), action, interval=INTERVAL
        )
        for engine in engines
    ]
    for round_number in range(1, 4):
        results = run_together([job.step for job in jobs], action)
        assert sorted(results, key=bool) == [False] * (RUNNERS - 1) + [True]
        assert action.runs == round_number
        # Not due again until the interval has passed, whoever asks.
        clock.advance(timedelta(seconds=INTERVAL - 1))
        assert run_together([job.step for job in jobs], action) == [False] * RUNNERS
        clock.advance(timedelta(seconds=1))
    assert action.most_active == 1
    assert action.runs == 3


def test_a_failed_run_is_due_again_at_once_anywhere(engines: list[Engine]) -> None:
    clock = FixedClock(NOW)
    action = GuardedAction()
    first, second = (
        PeriodicJob(
            JobLease(engine, "reconcile", holder=f"process-{i}", clock=clock), action, interval=INTERVAL
        )
        for i, engine in enumerate(engines[:2])
    )
    action.fail_next = True
    action.returned = RUNNERS  # nobody else to wait for
    with pytest.raises(RuntimeError, match="the chain went away"):
        first.step()
    assert second.step() is True
    assert first.step() is False
    assert action.runs == 2


def test_a_running_job_is_not_taken_until_its_longest_run_has_passed(engines: list[Engine]) -> None:
    """A process that died while running leaves the job due when its run could no longer last."""
    clock = FixedClock(NOW)
    lease = JobLease(engines[0], "reconcile", holder="died-while-running", clock=clock)
    assert lease.claim(until=NOW + timedelta(seconds=3600), renew=False)
    survivor = PeriodicJob(
        JobLease(engines[1], "reconcile", holder="survivor", clock=clock), lambda: None, interval=INTERVAL
    )
    clock.advance(timedelta(seconds=3599))
    assert survivor.step() is False
    clock.advance(timedelta(seconds=1))
    assert survivor.step() is True
    assert lease.hold_until(NOW) is False  # the dead holder's late write changes nothing
    with engines[0].connect() as connection:
        row = connection.execute(
            sa.select(worker_leases.c.holder, worker_leases.c.expires_at).where(
                worker_leases.c.name == "job:reconcile"
            )
        ).one()
    assert tuple(row) == ("survivor", clock() + timedelta(seconds=INTERVAL))


def test_a_leader_job_has_one_leader_which_hands_over_when_it_fails_or_resigns(engines: list[Engine]) -> None:
    clock = FixedClock(NOW)
    rounds: list[str] = []
    failing = {"a": False}

    def round_of(name: str) -> Callable[[], None]:
        def action() -> None:
            if failing.get(name):
                raise RuntimeError("nonce too low")
            rounds.append(name)

        return action

    a, b, c = (
        LeaderJob(
            JobLease(engine, "access-log-anchor", holder=name, clock=clock), round_of(name), lease_seconds=30
        )
        for engine, name in zip(engines, "abc", strict=False)
    )
    assert [a.step(), b.step(), c.step(), a.step()] == [True, False, False, True]
    clock.advance(timedelta(seconds=29))
    assert [b.step(), a.step()] == [False, True]  # the leader renews its lease each round
    failing["a"] = True
    with pytest.raises(RuntimeError, match="nonce too low"):
        a.step()
    assert b.step() is True
    assert a.step() is False
    b.resign()
    assert c.step() is True
    clock.advance(timedelta(seconds=31))  # c stopped renewing: its lease ran out
    failing["a"] = False
    assert a.step() is True
    assert rounds == ["a", "a", "a", "b", "c", "a"]


def test_racing_first_claims_leave_one_holder(engines: list[Engine]) -> None:
    clock = FixedClock(NOW)
    action = GuardedAction()
    leases = [JobLease(engine, "fresh", holder=f"p{i}", clock=clock) for i, engine in enumerate(engines)]

    def claimer(lease: JobLease) -> Callable[[], bool]:
        return lambda: lease.claim(until=NOW + timedelta(seconds=5), renew=True)

    results = run_together([claimer(lease) for lease in leases], action)
    assert sorted(results, key=bool) == [False] * (RUNNERS - 1) + [True]
