"""Exactly once: 1,000 certificates anchored while the worker and the chain are killed.

The worker runs as its own process (`certledger worker`) and is killed with SIGKILL at random
moments at least three times while certificates keep arriving; the chain node is killed with
SIGKILL once and restarted from its last state dump, losing its most recent blocks. In the end
every certificate must be in exactly one batch whose root the chain's own events show anchored
exactly once — checked against the chain, not only the database.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from issuer import InputRow, IssuerContext, IssuerSettings, anchor_outbox, batches, certificates
from ledger import CertificateType, bootstrap_devnet, verify_batch_proof
from scripts.demo_data import generate
from tests.conftest import free_port, wait_for_state_dump
from tests.databases import fresh_database_url

CERTIFICATES = 1000
CERTLEDGER = Path(sys.executable).parent / "certledger"


@pytest.fixture(params=["sqlite", "postgresql"])
def crash_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    yield from fresh_database_url(str(request.param), tmp_path)


def _environment(data: Path, port: int, database_url: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CERTLEDGER_")}
    return base | {
        "CERTLEDGER_DATA_DIR": str(data),
        "CERTLEDGER_CHAIN_PORT": str(port),
        "CERTLEDGER_DATABASE_URL": database_url,
        "CERTLEDGER_BATCH_SIZE": "25",
        "CERTLEDGER_BATCH_WAIT": "0.1",
        "CERTLEDGER_WORKER_POLL": "0.05",
        "CERTLEDGER_WORKER_LEASE": "1.5",
        "CERTLEDGER_FINALITY_WINDOW": "600",
        "CERTLEDGER_TRANSACTION_TIMEOUT": "20",
        "PYTHONUNBUFFERED": "1",  # what the worker said survives its SIGKILL
    }


class _Worker:
    """The `certledger worker` process, restartable."""

    def __init__(self, environment: dict[str, str], log: Path) -> None:
        self.environment = environment
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as output:
            self.process = subprocess.Popen(
                [str(CERTLEDGER), "worker"], env=self.environment, stdout=output, stderr=subprocess.STDOUT
            )

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()


@pytest.mark.slow
def test_every_certificate_is_anchored_exactly_once_through_crashes(
    tmp_path: Path, crash_database: str
) -> None:
    data = tmp_path / "data"
    environment = _environment(data, free_port(), crash_database)
    for name, value in environment.items():
        if name.startswith("CERTLEDGER_"):
            os.environ[name] = value
    try:
        settings = IssuerSettings()
    finally:
        for name in environment:
            if name.startswith("CERTLEDGER_"):
                os.environ.pop(name, None)
    context = IssuerContext(settings)
    chain = context.chain.managed_chain
    assert chain is not None
    chain.up()
    worker = _Worker(environment, tmp_path / "worker.log")
    _progress_mark["anchored"] = 0
    rng = random.Random(20261129)
    try:
        bootstrap_devnet(context.chain)
        wait_for_state_dump(chain)  # the deployment is on disk before any kill
        contribution = context.catalog.find("contribution-certificate")
        documents = list(generate("contribution-certificate", CERTIFICATES, seed=11))
        issuance = context.issuance()
        worker.start()
        kills = 0
        chain_killed = False
        for start in range(0, CERTIFICATES, 100):
            rows = [
                InputRow(start + i + 2, document["certificate_no"], _derived(document, contribution))
                for i, document in enumerate(documents[start : start + 100])
            ]
            assert issuance.issue(rows, contribution).issued == len(rows)
            if start in (100, 300, 500, 800):
                # Kill a worker that is at work: once it has anchored since the last kill.
                _wait_for_progress(context)
                time.sleep(rng.uniform(0.0, 0.15))
                worker.kill()
                kills += 1
                worker.start()
            elif start == 600:
                # Kill the node right after it accepted anchors it has not dumped to disk yet.
                _wait_for_progress(context)
                pid = chain.status().pid
                assert pid is not None
                os.kill(pid, signal.SIGKILL)
                time.sleep(rng.uniform(0.5, 1.5))
                chain.up()
                chain_killed = True
            else:
                time.sleep(rng.uniform(0.05, 0.4))
        assert kills >= 3 and chain_killed
        _wait_until_settled(context)
    finally:
        worker.stop()
    try:
        _check_exactly_once(context)
    finally:
        chain.down()
        context.engine.dispose()


def _derived(document: dict[str, object], certificate_type: CertificateType) -> dict[str, object]:
    from issuer._derive import apply_derivations  # noqa: PLC0415

    claims = dict(document)
    assert apply_derivations(claims, certificate_type.derive) == []
    return claims


_progress_mark = {"anchored": 0}


def _wait_for_progress(context: IssuerContext, timeout: float = 60.0) -> None:
    """Until the worker has anchored a batch since the last call."""
    deadline = time.monotonic() + timeout
    while True:
        with context.engine.connect() as connection:
            anchored = connection.execute(
                sa.select(sa.func.count()).select_from(batches).where(batches.c.state == "anchored")
            ).scalar_one()
        if anchored > _progress_mark["anchored"]:
            _progress_mark["anchored"] = anchored
            return
        assert time.monotonic() < deadline, "the worker made no progress"
        time.sleep(0.02)


def _wait_until_settled(context: IssuerContext, timeout: float = 120.0) -> None:
    """Until the outbox is empty, nothing is sending, and the chain has every recorded batch."""
    ledger = context.chain.ledger()
    deadline = time.monotonic() + timeout
    while True:
        with context.engine.connect() as connection:
            waiting = connection.execute(sa.select(sa.func.count()).select_from(anchor_outbox)).scalar_one()
            recorded = connection.execute(
                sa.select(batches.c.state, batches.c.root, batches.c.chain_batch_id)
            ).all()
        settled = waiting == 0 and all(state == "anchored" for state, _r, _i in recorded)
        if settled:
            on_chain = [ledger.batch(root) for _s, root, _i in recorded]
            if all(
                batch is not None and batch.batch_id == chain_id
                for batch, (_s, _r, chain_id) in zip(on_chain, recorded, strict=True)
            ):
                return
        assert time.monotonic() < deadline, (
            f"not settled: {waiting} waiting, states {[b[0] for b in recorded]}"
        )
        time.sleep(0.3)


def _check_exactly_once(context: IssuerContext) -> None:
    ledger = context.chain.ledger()
    events = list(ledger.events.read(from_block=0, names=["BatchAnchored"]))
    anchored_roots = [bytes(event.args["root"]) for event in events]
    assert len(anchored_roots) == len(set(anchored_roots)), "a root was anchored twice"
    by_root = {bytes(event.args["root"]): event for event in events}
    with context.engine.connect() as connection:
        known = {
            root: (batch_id, count, chain_id)
            for batch_id, root, count, chain_id in connection.execute(
                sa.select(batches.c.id, batches.c.root, batches.c.count, batches.c.chain_batch_id)
            ).all()
        }
        placed = connection.execute(
            sa.select(
                certificates.c.batch_id,
                certificates.c.leaf_index,
                certificates.c.document_root,
                certificates.c.proof,
            )
        ).all()
    assert len(placed) == CERTIFICATES
    # Every anchored root on chain is a batch the database knows, and the other way round.
    assert set(by_root) == set(known)
    assert sum(count for _id, count, _chain in known.values()) == CERTIFICATES
    for root, (_batch_id, count, chain_id) in known.items():
        assert by_root[root].args["batchId"] == chain_id
        assert by_root[root].args["count"] == count
    roots_by_batch = {batch_id: (root, count) for root, (batch_id, count, _c) in known.items()}
    places = set()
    for batch_id, index, document_root, proof in placed:
        assert batch_id is not None, "a certificate was never placed in a batch"
        root, count = roots_by_batch[batch_id]
        siblings = tuple(proof[i : i + 32] for i in range(0, len(proof), 32))
        assert verify_batch_proof(document_root, index, siblings, root=root, count=count)
        places.add((batch_id, index))
    assert len(places) == CERTIFICATES  # no two certificates share a leaf
