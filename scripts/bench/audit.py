"""Audit figures: events indexed per second, and the time to reconcile 100,000 certificates.

On a fresh deployment of its own (on a local chain of its own, or on the node
``CERTLEDGER_RPC_URL`` names: see `scripts.bench._node`), the benchmark anchors `batches` batches
of `batch_size` certificates — written straight into the operators' tables (ciphertexts are
random bytes: the reconciliation never decrypts) with their real batch trees and proofs — plus
`extra_events` revocations, each one event. It then times

* ``index_events_per_second``: a new chain index reading every event from the deployment block;
* ``reconcile_seconds``: a reconciliation from an empty index — indexing included — over every
  certificate (proofs checked against the roots on chain, counts, statuses, the log).

It runs with the operators' database on SQLite, then, given a PostgreSQL server (``--postgres
URL`` or ``CERTLEDGER_TEST_DATABASE_URL``), again on a scratch database of that server that it
creates and drops — never the bureau's (`CERTLEDGER_DATABASE_URL` is not read). Each run has a
deployment of its own, and its figures end in the database's name (``reconcile_seconds_sqlite``,
``reconcile_seconds_postgresql``). The chain indexes stay SQLite files in the run's folder.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scripts.bench._node import ANCHOR_GAS, DEPLOY_GAS, REVOKE_GAS, bench_node, bench_settings, ensure_funded
from scripts.bench._report import Figures
from scripts.bench.issue import _scratch_postgres

if TYPE_CHECKING:
    from wallet_api import WalletContext


@dataclass(frozen=True, slots=True)
class AuditShape:
    """How much the benchmark anchors."""

    batches: int = 100
    batch_size: int = 1000
    extra_events: int = 1000

    @property
    def certificates(self) -> int:
        """Certificates in the operators' database."""
        return self.batches * self.batch_size


FULL = AuditShape()
QUICK = AuditShape(batches=2, batch_size=50, extra_events=20)


def measure_audit(shape: AuditShape = FULL, *, postgres_url: str | None = None) -> Figures:
    """The figures of `shape` with the operators' database on SQLite, and on a scratch PostgreSQL
    database when a server URL is given (or ``CERTLEDGER_TEST_DATABASE_URL`` is set)."""
    figures = Figures()
    measure_audit_on(shape, database_url=None, kind="sqlite", figures=figures)
    postgres_url = postgres_url or os.environ.get("CERTLEDGER_TEST_DATABASE_URL")
    if postgres_url:
        with _scratch_postgres(postgres_url) as url:
            measure_audit_on(shape, database_url=url, kind="postgresql", figures=figures)
    else:
        print("no PostgreSQL URL (CERTLEDGER_TEST_DATABASE_URL or --postgres): skipping it", file=sys.stderr)
    return figures


def measure_audit_on(shape: AuditShape, *, database_url: str | None, kind: str, figures: Figures) -> None:
    """Builds the world of `shape` on a fresh deployment, with the operators' database at
    `database_url` (a SQLite file of the run's by default), and adds the figures of `kind`."""
    from ledger import bootstrap_devnet  # noqa: PLC0415 — keeps `certledger --help` fast
    from wallet_api import WalletContext, WalletSettings  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="certledger-bench-audit-") as folder:
        data = Path(folder)
        database = {} if database_url is None else {"database_url": database_url}
        context = WalletContext(bench_settings(WalletSettings, data, **database))
        gas = {
            "governor": DEPLOY_GAS,
            "issuer": shape.batches * ANCHOR_GAS + shape.extra_events * REVOKE_GAS,
        }
        try:
            with bench_node(context.chain) as node:
                figures.node = node
                ensure_funded(context.chain, gas)
                bootstrap_devnet(context.chain)
                roots = _populate(context, shape)
                _revoke_one_by_one(context, roots, shape.extra_events)
                _measure(context, data, shape, figures, kind=kind)
        finally:
            context.engine.dispose()


def _measure(context: WalletContext, data: Path, shape: AuditShape, figures: Figures, *, kind: str) -> None:
    """Times a chain index's first sync, then a reconciliation from an empty index."""
    from audit import ChainIndex, Reconciler, default_index_url  # noqa: PLC0415

    deployment = context.chain.deployment()
    index = ChainIndex(
        context.chain.w3, deployment, url=default_index_url(data / "events", deployment.chain_id)
    )
    started = time.perf_counter()
    report = index.sync()
    elapsed = time.perf_counter() - started
    figures.add(f"index_events_{kind}", report.events, "events")
    figures.add(f"index_events_per_second_{kind}", round(report.events / elapsed), "events/s")

    fresh = ChainIndex(
        context.chain.w3, deployment, url=default_index_url(data / "reconcile", deployment.chain_id)
    )
    started = time.perf_counter()
    result = Reconciler(context.engine, fresh).run()
    elapsed = time.perf_counter() - started
    if not result.clean:
        kinds = {kind: count for kind, count in result.counts.items() if count}
        raise RuntimeError(f"the benchmark's database does not reconcile clean: {kinds}")
    if result.certificates_checked != shape.certificates:
        raise RuntimeError(f"checked {result.certificates_checked} of {shape.certificates} certificates")
    figures.add(f"reconcile_certificates_{kind}", result.certificates_checked, "certificates")
    target = "< 120" if shape.certificates == FULL.certificates else None
    figures.add(f"reconcile_seconds_{kind}", round(elapsed, 2), "s", target=target)
    figures.add(
        f"reconcile_certificates_per_second_{kind}",
        round(result.certificates_checked / elapsed),
        "certificates/s",
    )


def _populate(context: Any, shape: AuditShape) -> list[bytes]:
    """Writes `shape.batches` anchored batches of certificates into the database and anchors their
    roots; returns the roots."""
    import sqlalchemy as sa  # noqa: PLC0415

    from issuer import (  # noqa: PLC0415
        BatchState,
        CertificateState,
        batch_metadata_hash,
        batches,
        certificates,
        citizens,
        new_id,
    )
    from ledger import BatchTree, beijing_date, bulk_insert  # noqa: PLC0415

    office_id, type_id = context.office_id, 1
    ledger = context.chain.ledger("issuer")
    now = context.clock()
    citizen = new_id()
    roots = []
    with context.engine.begin() as connection:
        connection.execute(sa.insert(citizens).values(id=citizen, lookup_hash=os.urandom(32), created_at=now))
    for number in range(shape.batches):
        document_roots = [os.urandom(32) for _ in range(shape.batch_size)]
        tree = BatchTree.build(document_roots)
        anchored = ledger.anchor(
            tree.root,
            count=tree.count,
            type_id=type_id,
            metadata_hash=batch_metadata_hash(type_id=type_id, office_id=office_id, count=tree.count),
        )
        batch_id = new_id()
        rows = [
            {
                "id": new_id(),
                "certificate_no": f"B{number:04d}{index:06d}",
                "revision": 1,
                "type_id": type_id,
                "schema_version": 1,
                "office_id": office_id,
                "citizen_id": citizen,
                "input_digest": os.urandom(32),
                "document_root": document_root,
                "body": os.urandom(64),
                "body_version": 1,
                "issued_on": beijing_date(now),
                "batch_id": batch_id,
                "leaf_index": index,
                "proof": b"".join(proof),
                "status": CertificateState.VALID,
                "created_at": now,
            }
            for index, (document_root, proof) in enumerate(zip(document_roots, tree.proofs(), strict=True))
        ]
        with context.engine.begin() as connection:
            connection.execute(
                sa.insert(batches).values(
                    id=batch_id,
                    root=tree.root,
                    type_id=type_id,
                    office_id=office_id,
                    count=tree.count,
                    state=BatchState.ANCHORED,
                    chain_batch_id=anchored.batch_id,
                    transaction_hash=anchored.receipt.transaction_hash,
                    block_number=anchored.receipt.block_number,
                    anchored_at=now,
                    confirmed_until=now,
                    attempts=1,
                    created_at=now,
                )
            )
            bulk_insert(connection, certificates, rows)
        roots.append(tree.root)
    return roots


def _revoke_one_by_one(context: Any, roots: list[bytes], count: int) -> None:
    """`count` revocations, one transaction (one event) each, recorded in the database too."""
    import sqlalchemy as sa  # noqa: PLC0415

    from issuer import CertificateState, Reason, batches, certificates  # noqa: PLC0415

    ledger = context.chain.ledger("issuer")
    per_root = -(-count // len(roots))
    done = 0
    for root in roots:
        for index in range(per_root):
            if done == count:
                return
            ledger.revoke(root, [index], reason=int(Reason.ISSUED_IN_ERROR))
            with context.engine.begin() as connection:
                batch_id = sa.select(batches.c.id).where(batches.c.root == root).scalar_subquery()
                connection.execute(
                    sa.update(certificates)
                    .where(certificates.c.batch_id == batch_id, certificates.c.leaf_index == index)
                    .values(status=CertificateState.REVOKED, status_reason=int(Reason.ISSUED_IN_ERROR))
                )
            done += 1
