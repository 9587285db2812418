"""The background loops' supervisor: a loop survives any exception and resumes, a loop whose
thread dies is started again, every status says where each loop stands, and the readiness check
reports a failing or dead loop (503) until it recovers — without an error's text reaching the
status, which could carry personal data."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError

from ledger import ChainUnavailableError, FixedClock
from tests.conftest import NOW
from tests.wallet_api.conftest import WalletWorld
from wallet_api import create_app
from wallet_api._supervisor import LoopStatus, RoundReport, Supervisor, backoff, describe_error

PERSONAL = "张三 371002197903307486"


class GremlinError(Exception):
    """An arbitrary fault, of a kind no loop expects; its text is personal on purpose."""


class Fatal(BaseException):
    """What no `except Exception` catches: the loop's thread dies of it."""


class FaultyStep:
    """A step that raises what `fault` makes while it is set, and counts its calls."""

    def __init__(self) -> None:
        self.fault: Callable[[], BaseException] | None = None
        self.calls = 0
        self._changed = threading.Condition()

    def __call__(self) -> None:
        with self._changed:
            self.calls += 1
            fault = self.fault
            self._changed.notify_all()
        if fault is not None:
            raise fault()

    def wait_for_calls(self, count: int) -> None:
        with self._changed:
            assert self._changed.wait_for(lambda: self.calls >= count, timeout=30), self.calls


def eventually(condition: Callable[[], bool], what: str) -> None:
    """Waits for `condition` (checked every few milliseconds), failing after a generous bound."""
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.005)


def status(supervisor: Supervisor, name: str) -> LoopStatus:
    return next(loop for loop in supervisor.statuses() if loop.name == name)


@pytest.fixture
def supervisor() -> Iterator[Supervisor]:
    """A supervisor with quick retries and no watchdog (tests call `revive`)."""
    supervisor = Supervisor(clock=FixedClock(NOW), backoff_cap=0.02, watch_every=None)
    yield supervisor
    supervisor.stop(timeout=10)


@pytest.fixture
def logged(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """The supervisor's log records (its logger may not propagate, as the service configures it)."""
    logger = logging.getLogger("certledger.supervisor")
    logger.addHandler(caplog.handler)
    yield caplog
    logger.removeHandler(caplog.handler)


def test_a_periodic_loop_survives_any_exception_and_resumes(
    supervisor: Supervisor, logged: pytest.LogCaptureFixture
) -> None:
    step = FaultyStep()
    step.fault = lambda: GremlinError(PERSONAL)
    supervisor.every("gremlin", step, interval=0.001, first_delay=0)
    supervisor.start()
    step.wait_for_calls(4)

    failing = status(supervisor, "gremlin")
    assert failing.alive
    assert not failing.healthy
    assert failing.failures >= 3
    assert failing.rounds == 0
    assert failing.last_error == "GremlinError"  # the type only: the text could be personal
    assert failing.last_error_at == NOW
    assert failing.last_success is None

    step.fault = None
    eventually(lambda: status(supervisor, "gremlin").rounds >= 2, "rounds succeed again")
    recovered = status(supervisor, "gremlin")
    assert recovered.healthy
    assert recovered.failures == 0
    assert recovered.restarts == 0
    assert recovered.last_success == NOW
    assert recovered.last_error == "GremlinError"  # the last error is kept for the record
    warnings = [record.getMessage() for record in logged.records if record.name == "certledger.supervisor"]
    assert warnings[0] == "background loop gremlin failed: GremlinError; next attempt in 0.0 s"
    assert all(PERSONAL.split(maxsplit=1)[0] not in message for message in warnings)
    assert all(record.exc_info is None for record in logged.records)  # no traceback: its text is personal


def test_a_long_running_loop_is_called_again_after_it_raises_or_returns(supervisor: Supervisor) -> None:
    calls: list[int] = []

    def body(stop: threading.Event, report: RoundReport) -> None:
        calls.append(len(calls))
        if len(calls) == 1:
            raise OSError(PERSONAL)
        if len(calls) == 2:
            report.failure("anchoring step failed: the node is away")
            return  # returning before the stop is a failure too
        report.success()
        stop.wait()

    supervisor.long_running("worker", body)
    supervisor.start()
    eventually(lambda: status(supervisor, "worker").rounds == 1, "the third call reports a round")
    running = status(supervisor, "worker")
    assert calls == [0, 1, 2]
    assert running.healthy
    assert running.last_error == "the loop returned before the service stopped"

    supervisor.stop(timeout=10)
    assert not status(supervisor, "worker").alive
    assert calls == [0, 1, 2]


def test_a_loop_whose_thread_dies_is_reported_dead_and_started_again(
    supervisor: Supervisor, monkeypatch: pytest.MonkeyPatch
) -> None:
    died: list[type[BaseException]] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: died.append(args.exc_type))
    step = FaultyStep()
    step.fault = Fatal
    supervisor.every("fragile", step, interval=0.001, first_delay=0)
    supervisor.start()
    eventually(lambda: not status(supervisor, "fragile").alive, "the thread dies")
    assert died == [Fatal]
    assert status(supervisor, "fragile").restarts == 0

    step.fault = None
    assert supervisor.revive() == ["fragile"]
    eventually(lambda: status(supervisor, "fragile").rounds >= 1, "the restarted loop runs")
    revived = status(supervisor, "fragile")
    assert revived.alive
    assert revived.restarts == 1
    assert supervisor.revive() == []  # nothing else to start


def test_the_watchdog_starts_a_dead_loop_again(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threading, "excepthook", lambda args: None)
    step = FaultyStep()
    step.fault = Fatal
    supervisor = Supervisor(clock=FixedClock(NOW), backoff_cap=0.02, watch_every=0.005)
    supervisor.every("fragile", step, interval=0.001, first_delay=0)
    supervisor.start()
    try:
        step.wait_for_calls(1)
        step.fault = None
        eventually(lambda: status(supervisor, "fragile").rounds >= 1, "the watchdog restarts the loop")
        assert status(supervisor, "fragile").restarts == 1
    finally:
        supervisor.stop(timeout=10)


def test_backoff_doubles_up_to_the_cap() -> None:
    assert [backoff(n, first=0.1, cap=0.5) for n in range(1, 7)] == [0.1, 0.2, 0.4, 0.5, 0.5, 0.5]
    assert backoff(1, first=60, cap=30) == 60  # a loop never retries sooner than its interval
    assert backoff(10_000, first=0.5, cap=30) == 30


def test_a_loop_is_named_once() -> None:
    supervisor = Supervisor(watch_every=None)
    supervisor.every("twice", lambda: None, interval=1)
    with pytest.raises(ValueError, match="'twice' is supervised already"):
        supervisor.long_running("twice", lambda stop, report: None)


def test_error_descriptions_hold_no_statement_parameters_or_foreign_messages() -> None:
    database = OperationalError(
        "SELECT id FROM citizens WHERE name = %(name)s", {"name": PERSONAL}, GremlinError(PERSONAL)
    )
    assert describe_error(database) == "OperationalError (GremlinError)"
    assert describe_error(KeyError(PERSONAL)) == "KeyError"
    assert describe_error(ChainUnavailableError("http://node:8545 did not answer\nretry")) == (
        "ChainUnavailableError: http://node:8545 did not answer"
    )


def test_readiness_reports_a_failing_loop_and_a_dead_one_until_they_recover(
    wallet: WalletWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(threading, "excepthook", lambda args: None)
    flaky, fragile = FaultyStep(), FaultyStep()
    flaky.fault = lambda: GremlinError(PERSONAL)
    fragile.fault = Fatal
    supervisor = Supervisor(clock=wallet.context.clock, backoff_cap=0.02, watch_every=None)
    supervisor.every("flaky", flaky, interval=0.001, first_delay=0)
    supervisor.every("fragile", fragile, interval=0.001, first_delay=0)
    app = create_app(wallet.context, background=False)
    app.state.services = replace(app.state.services, supervisor=supervisor)
    client = TestClient(app, raise_server_exceptions=False)

    before = client.get("/v1/health/ready")
    assert before.status_code == 503  # not started yet: no loop runs
    assert before.json()["problems"] == [
        "the background loop flaky is not running",
        "the background loop fragile is not running",
    ]

    supervisor.start()
    try:
        flaky.wait_for_calls(2)
        eventually(lambda: not status(supervisor, "fragile").alive, "the fragile loop dies")
        answer = client.get("/v1/health/ready")
        assert answer.status_code == 503
        body = answer.json()
        assert body["status"] == "not_ready"
        assert body["problems"] == [
            "the background loop flaky is failing: GremlinError",
            "the background loop fragile is not running",
        ]
        assert body["database"] == {"ok": True, "error": None}
        assert body["chain"]["ok"] is True
        loops = {loop["name"]: loop for loop in body["loops"]}
        assert loops["flaky"]["alive"] is True
        assert loops["flaky"]["healthy"] is False
        assert loops["flaky"]["failures"] >= 1
        assert loops["fragile"]["alive"] is False
        assert PERSONAL.split(maxsplit=1)[0] not in answer.text
        assert PERSONAL.split()[1] not in answer.text
        legacy = client.get("/v1/health")
        assert legacy.status_code == 200
        assert legacy.json()["status"] == "degraded"
        assert "flaky is failing" in legacy.json()["detail"]
        assert client.get("/v1/health/live").json() == {"status": "alive"}

        flaky.fault = None
        fragile.fault = None
        assert supervisor.revive() == ["fragile"]
        eventually(
            lambda: all(loop.healthy and loop.rounds > 0 for loop in supervisor.statuses()), "both recover"
        )
        recovered = client.get("/v1/health/ready")
        assert recovered.status_code == 200, recovered.text
        assert recovered.json()["problems"] == []
        assert {loop["name"]: loop["restarts"] for loop in recovered.json()["loops"]} == {
            "flaky": 0,
            "fragile": 1,
        }
        assert client.get("/v1/health").json()["status"] == "ok"
    finally:
        supervisor.stop(timeout=10)


def test_readiness_reports_the_backlogs_ages_from_the_injected_clock(wallet: WalletWorld) -> None:
    clock = wallet.context.clock
    assert isinstance(clock, FixedClock)
    client = wallet.client
    start = client.get("/v1/health/ready").json()
    assert start["status"] == "ready"
    assert start["loops"] == []  # this application runs no background loops
    assert start["anchoring"] == {"waiting": 0, "oldestAgeSeconds": None, "sendingBatches": 0}
    anchored = start["accessLog"]["waiting"]
    if anchored:
        wallet.context.log_anchorer.step()
    assert client.get("/v1/health/ready").json()["accessLog"] == {"waiting": 0, "oldestAgeSeconds": None}

    citizen = wallet.citizens[0]
    headers = wallet.citizen_headers(citizen)
    wallet.grant(citizen, headers, wallet.terms(wallet.certificate_ids(headers)[0], wallet.units[0]))
    clock.advance(timedelta(seconds=90))
    waiting = client.get("/v1/health/ready").json()
    assert waiting["status"] == "ready"  # a backlog is reported, not judged
    assert waiting["accessLog"] == {"waiting": 1, "oldestAgeSeconds": 90.0}

    assert wallet.context.log_anchorer.step() is not None
    assert client.get("/v1/health/ready").json()["accessLog"] == {"waiting": 0, "oldestAgeSeconds": None}
