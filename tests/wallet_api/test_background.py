"""The service's background work with several processes and through a database outage.

* API processes (contexts with engines of their own, on one database) started together
  reconcile exactly once per interval between them, on SQLite and PostgreSQL.
* On PostgreSQL, the service's backends are terminated again and again for a while (only its own:
  its engines carry an application name of their own, since other tests share the server); the
  readiness check says so meanwhile; afterwards every loop runs again, readiness recovers, and
  what is issued and accessed after the outage is anchored, certificates and access log alike.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from web3 import Web3

from audit import reconciliations
from issuer import InputRow, batches, certificates
from ledger import FixedClock
from tests.databases import POSTGRES_URL, SKIP_POSTGRES, fresh_database_url
from tests.issuing import pension_claims
from tests.wallet_api.conftest import WalletWorld, build_world
from wallet_api import WalletContext, create_app
from wallet_api._supervisor import LoopStatus, Supervisor

INTERVAL = 0.2


def eventually(condition: Callable[[], bool], what: str, *, timeout: float = 60) -> None:
    """Waits for `condition`, checked every 20 ms, failing after a generous bound."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"never: {what}"
        time.sleep(0.02)


def loops_of(client: TestClient) -> Supervisor:
    supervisor: Supervisor | None = client.app.state.services.supervisor  # type: ignore[attr-defined]
    assert supervisor is not None
    return supervisor


def loop(supervisor: Supervisor, name: str) -> LoopStatus:
    return next(status for status in supervisor.statuses() if status.name == name)


def stored_reconciliations(world: WalletWorld) -> int:
    with world.context.engine.connect() as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(reconciliations)).scalar_one())


@pytest.fixture(params=["sqlite", "postgresql"])
def reconciling(
    request: pytest.FixtureRequest, w3: Web3, chain: Any, tmp_path: Path, snapshot: None
) -> Iterator[WalletWorld]:
    """A populated service that reconciles every `INTERVAL` seconds of its (fixed) clock."""
    del snapshot
    for url in fresh_database_url(str(request.param), tmp_path):
        world = build_world(w3, chain.rpc_url, url, tmp_path, reconcile_interval=INTERVAL, worker_poll=0.05)
        yield world
        world.context.engine.dispose()
        world.context.reader.dispose()
        world.context.chain_index.engine.dispose()


def test_processes_started_together_reconcile_once_per_interval(reconciling: WalletWorld) -> None:
    clock = reconciling.context.clock
    assert isinstance(clock, FixedClock)
    others = [WalletContext(reconciling.context.settings, clock=clock) for _ in range(2)]
    with ExitStack() as stack:
        clients = [
            stack.enter_context(TestClient(create_app(context, background=True)))
            for context in [reconciling.context, *others]
        ]
        supervisors = [loops_of(client) for client in clients]
        for expected in (1, 2, 3):

            def stored(count: int = expected) -> bool:
                return stored_reconciliations(reconciling) >= count

            eventually(stored, f"reconciliation {expected}")
            # Every process looks at the job twice more, and none runs it again before it is due.
            seen = [loop(supervisor, "reconciler").rounds for supervisor in supervisors]

            def polled(seen: list[int] = seen) -> bool:
                return all(
                    loop(supervisor, "reconciler").rounds >= before + 2
                    for supervisor, before in zip(supervisors, seen, strict=True)
                )

            eventually(polled, "every process polls the job")
            assert stored_reconciliations(reconciling) == expected
            clock.advance(timedelta(seconds=INTERVAL))
    for context in others:
        context.engine.dispose()
        context.reader.dispose()
        context.chain_index.engine.dispose()
    assert all(loop(supervisor, "reconciler").failures == 0 for supervisor in supervisors)


class Terminator:
    """Terminates every backend carrying `marker` as its application name, again and again, from a
    connection of its own, until stopped."""

    def __init__(self, marker: str) -> None:
        assert POSTGRES_URL is not None
        self.admin = sa.create_engine(
            POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
        )
        self.marker = marker
        self.rounds = 0
        self.terminated = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="terminator", daemon=True)

    def _run(self) -> None:
        kill = sa.text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE application_name = :marker AND pid <> pg_backend_pid()"
        )
        with self.admin.connect() as connection:
            while not self._stop.wait(0.005):
                self.terminated += int(connection.execute(kill, {"marker": self.marker}).scalar_one())
                self.rounds += 1

    def __enter__(self) -> Terminator:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)
        self.admin.dispose()


@pytest.fixture
def on_postgres(w3: Web3, chain: Any, tmp_path: Path, snapshot: None) -> Iterator[tuple[WalletWorld, str]]:
    """A populated service on PostgreSQL whose connections carry an application name of their own,
    with quick background loops; and that name."""
    del snapshot
    if POSTGRES_URL is None:
        pytest.skip(SKIP_POSTGRES)
    marker = f"certledger-outage-{uuid.uuid4().hex[:12]}"
    for url in fresh_database_url("postgresql", tmp_path):
        world = build_world(
            w3,
            chain.rpc_url,
            f"{url}?application_name={marker}",
            tmp_path,
            worker_poll=0.05,
            log_anchor_interval=0.1,
            reconcile_interval=INTERVAL,
            loop_backoff_cap=0.5,
        )
        yield world, marker
        world.context.engine.dispose()
        world.context.reader.dispose()
        world.context.chain_index.engine.dispose()


DATABASE_LOOPS = ("anchoring-worker", "log-anchorer", "reconciler")


def _issue(world: WalletWorld, count: int) -> list[str]:
    rng = random.Random(18)
    numbers = [f"OUT{i:05d}" for i in range(count)]
    rows = [InputRow(line=i + 2, number=n, claims=pension_claims(rng, n)) for i, n in enumerate(numbers)]
    context = world.context
    assert context.issuance().issue(rows, context.catalog.find("pension-qualification")).issued == count
    return numbers


def _anchored(world: WalletWorld, numbers: list[str]) -> bool:
    with world.context.engine.connect() as connection:
        states = connection.execute(
            sa.select(batches.c.state)
            .select_from(certificates.outerjoin(batches, batches.c.id == certificates.c.batch_id))
            .where(certificates.c.certificate_no.in_(numbers))
        ).scalars()
        return list(states) == ["anchored"] * len(numbers)


def test_background_work_survives_a_database_outage_and_catches_up(
    on_postgres: tuple[WalletWorld, str],
) -> None:
    world, marker = on_postgres
    with TestClient(create_app(world.context, background=True)) as client:
        supervisor = loops_of(client)
        eventually(lambda: client.get("/v1/health/ready").status_code == 200, "ready at start")
        outage_answers: list[dict[str, Any]] = []

        def not_ready() -> bool:
            answer = client.get("/v1/health/ready")
            if answer.status_code == 503:
                outage_answers.append(answer.json())
            return answer.status_code == 503

        with Terminator(marker) as terminator:
            eventually(
                lambda: all(loop(supervisor, name).last_error is not None for name in DATABASE_LOOPS),
                "every loop on the database fails",
            )
            eventually(not_ready, "readiness says so")
            eventually(lambda: terminator.rounds >= 200, "the outage lasts a while")
        assert terminator.terminated > 0
        assert outage_answers[0]["status"] == "not_ready"
        assert outage_answers[0]["problems"]

        eventually(lambda: client.get("/v1/health/ready").status_code == 200, "ready again")
        after = client.get("/v1/health/ready").json()
        assert after["problems"] == []
        assert {status["name"] for status in after["loops"]} == {*DATABASE_LOOPS, "head-refresher"}
        assert all(status["alive"] and status["healthy"] for status in after["loops"])
        assert all(status["restarts"] == 0 for status in after["loops"])  # they survived, not restarted
        assert client.get("/v1/health").json()["status"] == "ok"

        numbers = _issue(world, 3)
        citizen = world.citizens[0]
        headers = world.citizen_headers(citizen)
        created = world.grant(
            citizen, headers, world.terms(world.certificate_ids(headers)[0], world.units[0])
        )
        redeemed = client.post(
            "/v1/redemptions", json={"link": created["link"]}, headers=world.unit_headers(world.units[0])
        )
        assert redeemed.status_code == 200, redeemed.text

        def caught_up() -> bool:
            answer: dict[str, Any] = client.get("/v1/health/ready").json()
            idle = {"waiting": 0, "oldestAgeSeconds": None}
            return bool(answer["anchoring"] == {**idle, "sendingBatches": 0} and answer["accessLog"] == idle)

        eventually(caught_up, "what was issued and accessed after the outage is anchored")
        assert _anchored(world, numbers)
