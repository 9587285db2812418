"""The anchoring lease keeps leaders apart: fenced by a generation, renewed while a step runs,
released only by its holder; several workers side by side anchor everything exactly once; and a
worker's loop outlives any failure of a step."""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import timedelta
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from issuer import (
    AnchoringWorker,
    LeaseLostError,
    StepOutcome,
    acquire_lease,
    anchor_outbox,
    batches,
    certificates,
    hold_lease,
    release_lease,
    worker_leases,
)
from ledger import FixedClock, verify_batch_proof
from tests.issuing import IssuingWorld

LEASE = "anchoring:test"


def test_only_the_holder_in_its_generation_renews_or_releases_a_lease(
    engine: Engine, clock: FixedClock
) -> None:
    now = clock()
    first = acquire_lease(engine, LEASE, "first", seconds=30, now=now)
    assert first is not None and first.generation == 1
    # Release by a non-holder does nothing: the lease is still the first holder's.
    assert release_lease(engine, replace(first, holder="second")) is False
    assert acquire_lease(engine, LEASE, "second", seconds=30, now=now + timedelta(seconds=29)) is None
    # Its holder renews it in the same generation while it runs.
    renewed = acquire_lease(engine, LEASE, "first", seconds=30, now=now + timedelta(seconds=20))
    assert renewed is not None and renewed.generation == 1
    # Once it lapses, another takes it in a new generation.
    later = now + timedelta(seconds=51)
    second = acquire_lease(engine, LEASE, "second", seconds=30, now=later)
    assert second is not None and second.generation == 2
    # The deposed holder can neither write under its generation nor free its successor's lease.
    with pytest.raises(LeaseLostError, match="generation 1"), engine.begin() as connection:
        hold_lease(connection, renewed, seconds=30, now=later)
    assert release_lease(engine, renewed) is False
    assert acquire_lease(engine, LEASE, "third", seconds=30, now=later) is None
    with engine.begin() as connection:
        assert hold_lease(connection, second, seconds=30, now=later).generation == 2
    # Its holder releases it: it is free at once, and taken in the next generation.
    assert release_lease(engine, second) is True
    third = acquire_lease(engine, LEASE, "third", seconds=30, now=later)
    assert third is not None and third.generation == 3
    with engine.connect() as connection:
        row = connection.execute(
            sa.select(worker_leases.c.holder, worker_leases.c.generation).where(worker_leases.c.name == LEASE)
        ).one()
    assert tuple(row) == ("third", 3)


class _Killed(BaseException):
    """Stands for the process ending where it is raised."""


def test_a_worker_whose_lease_was_taken_mid_step_writes_nothing_more(
    issuing: IssuingWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    pension = issuing.catalog.find("pension-qualification")
    issuing.issuance().issue(issuing.rows("pension-qualification", 10), pension)
    deposed = issuing.worker(batch_size=5, holder="deposed")
    successor = issuing.worker(batch_size=5, holder="successor")
    anchor = deposed.ledger.anchor

    def anchor_and_lose_the_lease(*args: Any, **options: Any) -> Any:
        anchored = anchor(*args, **options)
        # A long pause (a stalled node, a paused VM): the lease lapses, the successor takes it.
        issuing.clock.advance(timedelta(seconds=31))
        assert acquire_lease(
            issuing.engine, successor.lease_name, "successor", seconds=30, now=issuing.clock()
        )
        return anchored

    monkeypatch.setattr(deposed.ledger, "anchor", anchor_and_lose_the_lease)
    before = issuing.ledger.batch_count()
    outcome = deposed.step()
    assert (outcome.leader, outcome.lease_lost, outcome.anchored, outcome.error) == (False, True, 0, None)
    # The anchor went out, but neither its record nor a second batch was written.
    assert issuing.ledger.batch_count() == before + 1
    assert _batch_rows(issuing) == [("sending", 5, None, 0, None)]
    assert deposed.pending() == 5

    finished = successor.step()  # resends: the ledger refuses the root, and the successor records it
    assert (finished.leader, finished.resent, finished.anchored, finished.pending) == (True, 1, 1, 0)
    assert issuing.ledger.batch_count() == before + 2
    assert [state for state, *_ in _batch_rows(issuing)] == ["anchored", "anchored"]


def test_a_worker_whose_lease_lapsed_mid_step_stops_and_resumes_next_step(
    issuing: IssuingWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    pension = issuing.catalog.find("pension-qualification")
    issuing.issuance().issue(issuing.rows("pension-qualification", 5), pension)
    worker = issuing.worker(batch_size=5)
    anchor = worker.ledger.anchor

    def anchor_slowly(*args: Any, **options: Any) -> Any:
        anchored = anchor(*args, **options)
        issuing.clock.advance(timedelta(seconds=31))  # no one else takes the lease
        return anchored

    monkeypatch.setattr(worker.ledger, "anchor", anchor_slowly)
    lapsed = worker.step()
    assert (lapsed.leader, lapsed.lease_lost, lapsed.sending) == (False, True, 1)
    assert _batch_rows(issuing) == [("sending", 5, None, 0, None)]
    monkeypatch.setattr(worker.ledger, "anchor", anchor)
    resumed = worker.step()  # takes the lease again (a new generation) and records the batch
    assert (resumed.leader, resumed.resent, resumed.sending) == (True, 1, 0)
    assert [state for state, *_ in _batch_rows(issuing)] == ["anchored"]


def _batch_rows(world: IssuingWorld) -> list[tuple[Any, ...]]:
    b = batches.c
    with world.engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                sa.select(b.state, b.count, b.chain_batch_id, b.attempts, b.last_error).order_by(
                    b.state, b.created_at
                )
            )
        ]


WORKERS = 4
CERTIFICATES = 300
CHUNK = 50


def test_workers_side_by_side_anchor_every_certificate_exactly_once(issuing: IssuingWorld) -> None:
    """Several workers with small batches while the lease keeps lapsing (the shared clock jumps
    past it): each certificate in exactly one batch, each root on chain once, every worker alive."""
    pension = issuing.catalog.find("pension-qualification")
    workers = [
        issuing.worker(batch_size=5, batch_wait=1.0, lease_seconds=30, holder=f"worker-{n}")
        for n in range(WORKERS)
    ]
    stop = threading.Event()
    raised: list[BaseException] = []
    outcomes: dict[str, list[StepOutcome]] = {worker.holder: [] for worker in workers}

    def run(worker: AnchoringWorker) -> None:
        try:
            worker.run(stop, poll=0.01, on_step=outcomes[worker.holder].append)
        except BaseException as error:
            raised.append(error)
            raise

    threads = [threading.Thread(target=run, args=(worker,), daemon=True) for worker in workers]
    for thread in threads:
        thread.start()
    try:
        rows = issuing.rows("pension-qualification", CERTIFICATES)
        issuance = issuing.issuance()
        for start in range(0, CERTIFICATES, CHUNK):
            assert issuance.issue(rows[start : start + CHUNK], pension).issued == CHUNK
            issuing.clock.advance(timedelta(seconds=31))  # the leader's lease lapses: anyone may lead
        deadline = time.monotonic() + 300
        while not _settled(issuing):
            assert time.monotonic() < deadline, f"not settled: {_batch_states(issuing)}"
            issuing.clock.advance(timedelta(seconds=31))
            time.sleep(0.2)
        assert all(thread.is_alive() for thread in threads), "a worker's loop ended"
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    assert raised == []
    errors = [o.error for steps in outcomes.values() for o in steps if o.error is not None]
    duplicates = ("IntegrityError", "UniqueViolation", "UNIQUE constraint", "duplicate key")
    assert not [error for error in errors if any(word in error for word in duplicates)]

    events = list(issuing.ledger.events.read(from_block=0, names=["BatchAnchored"]))
    on_chain = [bytes(event.args["root"]) for event in events]
    assert len(on_chain) == len(set(on_chain)), "a root was anchored twice"
    with issuing.engine.connect() as connection:
        known = {
            bytes(root): (batch_id, count, chain_id)
            for batch_id, root, count, chain_id in connection.execute(
                sa.select(batches.c.id, batches.c.root, batches.c.count, batches.c.chain_batch_id)
            )
        }
        placed = connection.execute(
            sa.select(
                certificates.c.batch_id,
                certificates.c.leaf_index,
                certificates.c.document_root,
                certificates.c.proof,
            )
        ).all()
        generation = connection.execute(
            sa.select(worker_leases.c.generation).where(worker_leases.c.name == workers[0].lease_name)
        ).scalar_one()
    assert set(on_chain) == set(known)
    by_root = {bytes(event.args["root"]): event for event in events}
    for root, (_id, count, chain_id) in known.items():
        assert (by_root[root].args["batchId"], by_root[root].args["count"]) == (chain_id, count)
    assert sum(count for _id, count, _chain in known.values()) == CERTIFICATES
    roots = {batch_id: (root, count) for root, (batch_id, count, _chain) in known.items()}
    assert len(placed) == CERTIFICATES
    assert len({(batch_id, index) for batch_id, index, _r, _p in placed}) == CERTIFICATES
    for batch_id, index, document_root, proof in placed:
        root, count = roots[batch_id]
        siblings = [bytes(proof)[i : i + 32] for i in range(0, len(proof), 32)]
        assert verify_batch_proof(bytes(document_root), index, siblings, root=root, count=count)
    assert generation > 1, "the lease never changed hands"


def _settled(world: IssuingWorld) -> bool:
    with world.engine.connect() as connection:
        waiting = connection.execute(sa.select(sa.func.count()).select_from(anchor_outbox)).scalar_one()
        sending = connection.execute(
            sa.select(sa.func.count()).select_from(batches).where(batches.c.state != "anchored")
        ).scalar_one()
    return waiting == 0 and sending == 0


def _batch_states(world: IssuingWorld) -> dict[str, int]:
    with world.engine.connect() as connection:
        return {
            str(state): int(count)
            for state, count in connection.execute(
                sa.select(batches.c.state, sa.func.count()).group_by(batches.c.state)
            )
        }


def test_the_loop_outlives_database_failures_and_bugs(
    issuing: IssuingWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    pension = issuing.catalog.find("pension-qualification")
    issuing.issuance().issue(issuing.rows("pension-qualification", 4), pension)
    worker = issuing.worker(batch_size=2)
    faults: list[BaseException] = [
        sa.exc.OperationalError(
            "SELECT 1",
            {},
            psycopg.errors.AdminShutdown("terminating connection due to administrator command"),
        ),
        sa.exc.InvalidatePoolError("the database restarted: every pooled connection is stale"),
        RuntimeError("a bug in a step"),
    ]
    form_batch = worker._form_batch

    def failing_form_batch(*, flush: bool) -> str | None:
        if faults:
            raise faults.pop(0)
        return form_batch(flush=flush)

    monkeypatch.setattr(worker, "_form_batch", failing_form_batch)
    assert worker.health.running is False
    stop = threading.Event()
    seen: list[StepOutcome] = []
    health_while_failing = []

    def on_step(outcome: StepOutcome) -> None:
        seen.append(outcome)
        if outcome.error is not None:
            health_while_failing.append(worker.health)
        if outcome.anchored and outcome.pending == 0:
            stop.set()

    thread = threading.Thread(target=worker.run, args=(stop,), kwargs={"poll": 0.01, "on_step": on_step})
    thread.start()
    thread.join(timeout=120)
    assert not thread.is_alive(), "the worker never anchored after the failures"
    stop.set()

    errors = [outcome.error for outcome in seen if outcome.error is not None]
    # Described by type: a database error's text carries the statement's values.
    assert errors == ["OperationalError (AdminShutdown)", "InvalidatePoolError", "RuntimeError"]
    assert [h.consecutive_failures for h in health_while_failing] == [1, 2, 3]
    assert all(h.running and h.last_error_at == issuing.clock() for h in health_while_failing)
    assert health_while_failing[0].last_success_at is None
    # After the failures the loop resumed: everything anchored, the last failure kept for the record.
    assert seen[-1].anchored == 2 and seen[-1].pending == 0
    health = worker.health
    assert (health.running, health.leader, health.consecutive_failures) == (False, False, 0)
    assert health.last_success_at == issuing.clock()
    assert health.last_error == "RuntimeError"
    assert sorted(_batch_rows(issuing)) == [("anchored", 2, 1, 1, None), ("anchored", 2, 2, 1, None)]
