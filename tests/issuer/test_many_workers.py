"""Several `certledger worker` processes on one PostgreSQL database, one of them killed with
SIGKILL and the database's connections cut under the others: every certificate is anchored
exactly once, nothing is left sending, and every surviving worker is still running at the end."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from issuer import anchor_outbox, batches, certificates
from ledger import (
    BatchTree,
    CertificateLedgerClient,
    ManagedChain,
    connect,
    load_manifest,
)
from scripts.demo_data import generate, write_jsonl
from tests.databases import fresh_database_url
from tests.issuing import CERTLEDGER, run_certledger

CERTIFICATES = 60
BATCH_SIZE = 5
WORKERS = 3
OBSERVER = "certledger-test-observer"  # the test's own connections, which are never cut


@pytest.fixture
def office_on_postgres(chain: ManagedChain, tmp_path: Path) -> Iterator[dict[str, str]]:
    """A data folder set up against the session's anvil as an external node, on a PostgreSQL
    database of its own, with small batches and a short lease."""
    for database_url in fresh_database_url("postgresql", tmp_path):
        environment = {k: v for k, v in os.environ.items() if not k.startswith("CERTLEDGER_")} | {
            "CERTLEDGER_DATA_DIR": str(tmp_path / "data"),
            "CERTLEDGER_RPC_URL": chain.rpc_url,
            "CERTLEDGER_DATABASE_URL": database_url,
            "CERTLEDGER_BATCH_SIZE": str(BATCH_SIZE),
            "CERTLEDGER_BATCH_WAIT": "0.1",
            "CERTLEDGER_WORKER_LEASE": "1.5",
            "COLUMNS": "200",
        }
        started = run_certledger(environment, "run", "--detach", "--no-demo")
        assert started.returncode == 0, started.stdout + started.stderr
        yield environment


def _observer(database_url: str) -> sa.Engine:
    """The test's view of the database: connections the cutter spares, none kept between reads."""
    url = database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    return sa.create_engine(url, poolclass=NullPool, connect_args={"application_name": OBSERVER})


def _cut_connections(database_url: str, stop: threading.Event, cuts: list[int]) -> None:
    """Terminates every other backend of the database, every 0.3 s, until `stop`."""
    admin = _observer(database_url.rsplit("/", 1)[0] + "/postgres")
    name = database_url.rsplit("/", 1)[1]
    try:
        while not stop.wait(0.3):
            with admin.connect() as connection:
                killed = connection.execute(
                    sa.text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid() "
                        "AND application_name <> :observer"
                    ),
                    {"name": name, "observer": OBSERVER},
                ).scalar_one()
            cuts.append(int(killed))
    finally:
        admin.dispose()


@pytest.mark.slow
def test_workers_killed_and_cut_off_anchor_everything_exactly_once(
    office_on_postgres: dict[str, str], tmp_path: Path
) -> None:
    environment = office_on_postgres
    documents = list(generate("pension-qualification", CERTIFICATES, seed=1801))
    write_jsonl(tmp_path / "month.jsonl", documents)
    issued = run_certledger(
        environment, "issue", "-t", "pension-qualification", "--no-wait", str(tmp_path / "month.jsonl")
    )
    assert issued.returncode == 0, issued.stdout + issued.stderr
    engine = _observer(environment["CERTLEDGER_DATABASE_URL"])
    logs = [tmp_path / f"worker-{n}.log" for n in range(WORKERS)]
    workers = []
    for log in logs:
        with log.open("wb") as output:
            workers.append(
                subprocess.Popen(
                    [str(CERTLEDGER), "worker"], env=environment, stdout=output, stderr=subprocess.STDOUT
                )
            )
    stop, cuts = threading.Event(), list[int]()
    cutter = threading.Thread(
        target=_cut_connections, args=(environment["CERTLEDGER_DATABASE_URL"], stop, cuts), daemon=True
    )
    try:
        _wait(lambda: _count(engine, batches.c.state == "anchored") >= 2, "no batch was anchored")
        workers[0].send_signal(signal.SIGKILL)  # perhaps the leader, perhaps mid-send
        workers[0].wait(timeout=10)
        cutter.start()
        # The survivors' connections are cut again and again: ten rounds in which the cutter
        # found some of them to cut.
        _wait(lambda: sum(1 for killed in cuts if killed) >= 10, "the cutter found nothing to cut")
        stop.set()
        cutter.join(timeout=10)
        _wait(lambda: _settled(engine), "the backlog was not anchored after the outage", timeout=120)
        for worker, log in zip(workers[1:], logs[1:], strict=True):
            assert worker.poll() is None, log.read_text(encoding="utf-8")  # it survived
    finally:
        stop.set()
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGINT)
        exits = [worker.wait(timeout=30) for worker in workers]
    assert exits[0] == -signal.SIGKILL
    assert exits[1:] == [0] * (WORKERS - 1), [log.read_text(encoding="utf-8") for log in logs[1:]]
    assert sum(cuts) > 0  # the survivors really lost their connections

    try:
        _check_exactly_once(engine, environment)
    finally:
        engine.dispose()


def _check_exactly_once(engine: sa.Engine, environment: dict[str, str]) -> None:
    deployment = load_manifest(Path(environment["CERTLEDGER_DATA_DIR"]) / "deployments" / "31337.json")
    ledger = CertificateLedgerClient(connect(environment["CERTLEDGER_RPC_URL"]), deployment.ledger)
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(
                batches.c.id, batches.c.root, batches.c.chain_batch_id, batches.c.count, batches.c.state
            )
        ).all()
        members = connection.execute(
            sa.select(certificates.c.batch_id, certificates.c.leaf_index, certificates.c.document_root)
        ).all()
    assert len(members) == CERTIFICATES
    assert {state for *_, state in rows} == {"anchored"}
    assert sum(count for *_, count, _state in rows) == CERTIFICATES  # each certificate in one batch
    assert len({chain_id for _id, _root, chain_id, _count, _state in rows}) == len(rows)
    for batch_id, root, chain_id, count, _state in rows:
        on_chain = ledger.batch(bytes(root))
        assert on_chain is not None and on_chain.batch_id == chain_id, batch_id
        leaves = sorted((index, bytes(leaf)) for member, index, leaf in members if member == batch_id)
        assert [index for index, _leaf in leaves] == list(range(count))
        assert BatchTree.build([leaf for _index, leaf in leaves]).root == bytes(root)
    events = list(ledger.events.read(from_block=0, names=["BatchAnchored"]))
    ours = {bytes(root) for _id, root, *_ in rows}
    anchored = [bytes(event.args["root"]) for event in events if bytes(event.args["root"]) in ours]
    assert sorted(anchored) == sorted(ours)  # each root anchored once


def _count(engine: sa.Engine, condition: sa.ColumnElement[bool]) -> int:
    try:
        with engine.connect() as connection:
            return int(
                connection.execute(
                    sa.select(sa.func.count()).select_from(batches).where(condition)
                ).scalar_one()
            )
    except sa.exc.DBAPIError:
        return 0  # cut off by the test itself: ask again


def _settled(engine: sa.Engine) -> bool:
    try:
        with engine.connect() as connection:
            waiting = connection.execute(sa.select(sa.func.count()).select_from(anchor_outbox)).scalar_one()
            sending = connection.execute(
                sa.select(sa.func.count()).select_from(batches).where(batches.c.state != "anchored")
            ).scalar_one()
        return waiting == 0 and sending == 0
    except sa.exc.DBAPIError:
        return False


def _wait(done: object, message: str, *, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not done():  # type: ignore[operator]
        assert time.monotonic() < deadline, message
        time.sleep(0.2)
