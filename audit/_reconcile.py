"""Reconciliation: the operators' database compared with the chain, every difference classified.

The chain side comes from the chain index (which reads only the chain); the database side from
set-based queries over the issuer's tables and the access log, so that 100,000 certificates take
seconds, not one RPC call each. The kinds of difference:

==========================  =================================================  =======================
kind                        what it means                                      repaired by ``--repair``
==========================  =================================================  =======================
``batch_not_on_chain``      the database has a batch as anchored, the chain    yes: the batch goes
                            has no such root (a reorganization, a node         back to ``sending`` and
                            restored from an older state)                      the worker anchors it
``batch_sent_unrecorded``   the database still has a batch as sending, no      yes: the batch is
                            worker is finishing it (no anchoring lease runs,   recorded anchored with
                            or it has been sending longer than                 the chain's batch id,
                            ``stuck_after``), and the chain has its root       block and transaction
                            anchored (a worker killed after its send)
``batch_stuck_sending``     the same, but the chain does not have the root     yes, with the issuer
                            (a worker killed before its send)                  key: the batch is sent
                                                                               again; else a running
                                                                               worker sends it
``batch_not_in_database``   a batch of one of the database's offices is        no: the chain cannot be
                            anchored on chain, and the database has no         undone; revoke it on
                            batch with that root                               chain if it is bogus
``count_mismatch``          the chain's certificate count of a batch is not    no: rows are missing
                            the database's, or not the number of certificate   (deleted) or extra
                            rows that point at it
``proof_mismatch``          a certificate's stored proof does not lead from    yes, when the batch's
                            its document root to its batch's root on chain     tree rebuilt from the
                                                                               database reaches the
                                                                               root on chain
``status_mismatch``         revoked or suspended on one side, not the other    yes: the chain is the
                                                                               truth; its status and
                                                                               reason are recorded
                                                                               (not for a superseded
                                                                               revision, which needs
                                                                               revoking on chain)
``log_root_mismatch``       a root of the access log anchored on chain that    no: the log is append
                            the database's entries cannot reproduce            only
==========================  =================================================  =======================

Re-anchoring is exactly once: a batch goes back to ``sending`` only when its root is not on chain,
the worker sends the same root again, and the ledger refuses a root it already has. The repairs
are the issuer's own functions (`complete_batch`, `requeue_batches`, `rewrite_proofs`,
`record_chain_status`, and the worker's `resend`): the worker and the reconciliation change a
batch one way.

Every run is stored in ``reconciliations`` (time, counts per kind, the first differences) for the
auditor's page and API. Differences name batches by root, certificates by their random id and
log problems by size — never a certificate number or anything personal.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, get_args

import sqlalchemy as sa
from pydantic import Field, computed_field
from sqlalchemy.engine import Engine

from audit._accesslog import check_log
from audit._errors import AuditError
from audit._indexer import ChainIndex, chain_batches, chain_log_anchors, chain_status_changes, unpack_indexes
from audit._models import access_log, access_log_nodes, reconciliations
from audit._out import IsoTime, Out, Row
from audit._reports import ChainAudit, ChainBatchOut, ChainReachOut, reason_label
from issuer import (
    ANCHORING_LEASE_PREFIX,
    CHAIN_STATUS,
    AnchoringWorker,
    BatchState,
    CertificateState,
    IssuerError,
    Lease,
    acquire_lease,
    batches,
    certificates,
    complete_batch,
    lease_held,
    new_id,
    process_holder,
    record_chain_status,
    release_lease,
    requeue_batches,
    rewrite_proofs,
    status_changes,
)
from ledger import (
    ACCESS_LOG_ID,
    CertificateStatus,
    Clock,
    LedgerError,
    describe_failure,
    hex0x,
    system_clock,
    verify_batch_proof,
)

log = logging.getLogger("certledger.reconcile")

KINDS: dict[str, str] = {
    "batch_not_on_chain": "a batch the database has as anchored is not on chain",
    "batch_sent_unrecorded": "a batch anchored on chain is left sending in the database by a worker gone",
    "batch_stuck_sending": "a batch not on chain is left sending in the database by a worker gone",
    "batch_not_in_database": "a batch anchored on chain has no certificates in the database",
    "count_mismatch": "the certificate count of a batch differs between the chain and the database",
    "proof_mismatch": "a certificate's proof does not lead to its batch's root on chain",
    "status_mismatch": "a certificate's status differs between the chain and the database",
    "log_root_mismatch": "a root of the access log on chain that the database cannot reproduce",
}
REPAIRABLE = frozenset(
    {
        "batch_not_on_chain",
        "batch_sent_unrecorded",
        "batch_stuck_sending",
        "proof_mismatch",
        "status_mismatch",
    }
)
Phase = Literal["syncing", "batches", "proofs", "statuses", "log", "repairing", "storing"]
"""A step of a reconciliation, as `Reconciler.run` reports it."""
PHASES: tuple[Phase, ...] = get_args(Phase)
"""The steps of a reconciliation, in order."""
STUCK_AFTER = 900.0
"""Seconds after which a batch still sending is stuck even while an anchoring lease runs."""
STORED_DIFFERENCES = 1000
_PROOF_CHUNK = 20_000
_STATUS_AFTER = {
    "revoked": CertificateStatus.REVOKED,
    "suspended": CertificateStatus.SUSPENDED,
    "reinstated": CertificateStatus.VALID,
}
"""The status on chain after each action of the index's status changes (`audit._indexer`)."""


class DifferenceOut(Out):
    """One difference between the database and the chain."""

    kind: str
    subject: str
    detail: str
    repaired: bool

    @property
    def repairable(self) -> bool:
        """Whether ``--repair`` may fix this kind (it may still find a case it cannot)."""
        return self.kind in REPAIRABLE


class ReconcileReport(Out):
    """What one reconciliation found and did."""

    id: str
    started_at: IsoTime
    finished_at: IsoTime | None = None
    repair: bool = False
    indexed_to: int = -1
    batches_checked: int = 0
    certificates_checked: int = 0
    log_entries_checked: int = 0
    differences: list[DifferenceOut] = Field(default_factory=list)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def counts(self) -> dict[str, int]:
        """Differences per kind, every kind listed."""
        found = Counter(difference.kind for difference in self.differences)
        return {kind: found.get(kind, 0) for kind in KINDS}

    @computed_field  # type: ignore[prop-decorator]
    @property
    def repaired(self) -> int:
        """How many differences were repaired."""
        return sum(difference.repaired for difference in self.differences)

    @property
    def clean(self) -> bool:
        """Whether the database and the chain agree."""
        return not self.differences


class ReconciliationOut(Out):
    """The stored result of the last reconciliation."""

    id: str
    started_at: IsoTime
    finished_at: IsoTime
    repair: bool
    indexed_to: int
    batches_checked: int
    certificates_checked: int
    log_entries_checked: int
    differences: int
    repaired: int
    counts: dict[str, int]
    details: list[DifferenceOut]


@dataclass(frozen=True, slots=True)
class _ChainBatch:
    batch_id: int
    office_id: int
    type_id: int
    count: int
    block_number: int
    block_time: int
    transaction_hash: bytes


@dataclass(frozen=True, slots=True)
class _DatabaseBatch:
    id: str
    root: bytes
    state: str
    office_id: int
    count: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class _ChainChange:
    """The last status change of a certificate on chain."""

    status: CertificateStatus
    reason: int
    block_time: int
    transaction_hash: bytes


@dataclass(frozen=True, slots=True)
class _StatusMismatch:
    certificate_id: str
    was: CertificateState
    status: CertificateStatus
    change: _ChainChange | None  # None: never changed on chain, so valid


@dataclass(slots=True)
class _BatchFindings:
    """The batches a repair acts on."""

    vanished: list[_DatabaseBatch] = field(default_factory=list)
    unrecorded: list[_DatabaseBatch] = field(default_factory=list)
    stuck: list[_DatabaseBatch] = field(default_factory=list)


class Reconciler:
    """Compares the operators' database (`engine`) with the chain index, and repairs when asked.

    A batch left `sending` is a difference once no anchoring worker holds a lease, or once it has
    been sending longer than `stuck_after` seconds (of `clock`); before that it is the worker's
    business. `anchoring` makes a worker with the issuer key (called only when one is needed): it
    lets the repair send such a batch again when the chain does not have it."""

    def __init__(
        self,
        engine: Engine,
        index: ChainIndex,
        *,
        reader: Engine | None = None,
        log_id: bytes = ACCESS_LOG_ID,
        clock: Clock = system_clock,
        anchoring: Callable[[], AnchoringWorker] | None = None,
        stuck_after: float = STUCK_AFTER,
    ) -> None:
        self.engine = engine
        self.reader = reader or engine
        self.index = index
        self.log_id = log_id
        self.clock = clock
        self.anchoring = anchoring
        self.stuck_after = stuck_after

    def run(
        self, *, repair: bool = False, sync: bool = True, on_phase: Callable[[Phase], object] | None = None
    ) -> ReconcileReport:
        """One reconciliation: brings the index up to the head (unless `sync` is False), compares,
        repairs the safe cases when `repair`, and stores the result; `on_phase` hears each step
        as it begins."""
        phase: Callable[[Phase], object] = on_phase or (lambda _: None)
        report = ReconcileReport(id=new_id(), started_at=self.clock(), repair=repair)
        if sync:
            phase("syncing")
            self.index.sync()
        phase("batches")
        report.indexed_to = self.index.indexed_to()
        on_chain = self._chain_batches()
        with self.reader.connect() as connection:
            stored = self._database_batches(connection)
            rows_per_batch = {
                str(batch_id): int(count)
                for batch_id, count in connection.execute(
                    sa.select(certificates.c.batch_id, sa.func.count())
                    .where(certificates.c.batch_id.is_not(None))
                    .group_by(certificates.c.batch_id)
                )
            }
            offices = {batch.office_id for batch in stored} | set(
                connection.execute(sa.select(certificates.c.office_id).distinct()).scalars()
            )
            worker_at_work = lease_held(connection, prefix=ANCHORING_LEASE_PREFIX, now=report.started_at)
        report.batches_checked = len(stored)
        findings = self._compare_batches(report, stored, on_chain, rows_per_batch, offices)
        self._compare_sending(
            report, stored, on_chain, rows_per_batch, findings, worker_at_work=worker_at_work
        )
        phase("proofs")
        broken = self._compare_proofs(report, stored, on_chain)
        phase("statuses")
        mismatches = self._compare_statuses(report, stored, on_chain)
        phase("log")
        self._compare_log(report)
        if repair:
            phase("repairing")
            self._requeue(report, findings.vanished)
            self._complete(report, findings.unrecorded, on_chain)
            self._resend(report, findings.stuck)
            self._rewrite_proofs(report, broken, on_chain)
            self._record_statuses(report, mismatches)
        phase("storing")
        report.finished_at = self.clock()
        self._store(report)
        log.info(
            "reconciliation %s: %d differences, %d repaired",
            report.id,
            len(report.differences),
            report.repaired,
        )
        return report

    # ---------------------------------------------------------------- reads

    def _chain_batches(self) -> dict[bytes, _ChainBatch]:
        c = chain_batches.c
        with self.index.connect() as connection:
            rows = connection.execute(
                sa.select(
                    c.root,
                    c.batch_id,
                    c.office_id,
                    c.type_id,
                    c.count,
                    c.block_number,
                    c.block_time,
                    c.transaction_hash,
                )
            )
            return {
                bytes(root): _ChainBatch(
                    int(batch_id), int(office), int(type_id), int(count), int(block), int(time), bytes(tx)
                )
                for root, batch_id, office, type_id, count, block, time, tx in rows
            }

    @staticmethod
    def _database_batches(connection: sa.Connection) -> list[_DatabaseBatch]:
        b = batches.c
        return [
            _DatabaseBatch(row[0], bytes(row[1]), row[2], int(row[3]), int(row[4]), _aware(row[5]))
            for row in connection.execute(
                sa.select(b.id, b.root, b.state, b.office_id, b.count, b.created_at)
            )
        ]

    # ---------------------------------------------------------------- comparisons

    def _compare_batches(
        self,
        report: ReconcileReport,
        stored: list[_DatabaseBatch],
        on_chain: dict[bytes, _ChainBatch],
        rows_per_batch: dict[str, int],
        offices: set[int],
    ) -> _BatchFindings:
        findings = _BatchFindings()
        for batch in stored:
            chain = on_chain.get(batch.root)
            rows = rows_per_batch.get(batch.id, 0)
            if batch.state != BatchState.ANCHORED:
                continue  # still being sent: the worker's business
            if chain is None:
                findings.vanished.append(batch)
                report.differences.append(
                    DifferenceOut(
                        kind="batch_not_on_chain",
                        subject=hex0x(batch.root),
                        detail=(
                            f"the database has this batch of {rows} certificates as anchored; "
                            "the chain has no such root"
                        ),
                        repaired=False,
                    )
                )
            elif chain.count != batch.count or rows != chain.count:
                report.differences.append(
                    DifferenceOut(
                        kind="count_mismatch",
                        subject=hex0x(batch.root),
                        detail=(
                            f"batch {chain.batch_id} holds {chain.count} certificates on chain; the database "
                            f"records {batch.count} and holds {rows} certificate rows for it"
                        ),
                        repaired=False,
                    )
                )
        known = {batch.root for batch in stored}
        for root, chain in sorted(on_chain.items(), key=lambda item: item[1].batch_id):
            if chain.office_id in offices and root not in known:
                report.differences.append(
                    DifferenceOut(
                        kind="batch_not_in_database",
                        subject=hex0x(root),
                        detail=(
                            f"batch {chain.batch_id} of office {chain.office_id} ({chain.count} certificates "
                            f"of type {chain.type_id}) is anchored on chain; the database has no such batch"
                        ),
                        repaired=False,
                    )
                )
        return findings

    def _compare_sending(
        self,
        report: ReconcileReport,
        stored: list[_DatabaseBatch],
        on_chain: dict[bytes, _ChainBatch],
        rows_per_batch: dict[str, int],
        findings: _BatchFindings,
        *,
        worker_at_work: bool,
    ) -> None:
        """Finds the batches left `sending` that no worker is finishing."""
        limit = timedelta(seconds=self.stuck_after)
        for batch in stored:
            if batch.state != BatchState.SENDING:
                continue
            age = report.started_at - batch.created_at
            if worker_at_work and age <= limit:
                continue  # a worker holds the lease and will send it
            why = (
                f"it has been sending for {age.total_seconds():,.0f} s "
                f"(longer than {limit.total_seconds():,.0f} s)"
                if worker_at_work
                else "no anchoring worker holds a lease"
            )
            rows = rows_per_batch.get(batch.id, 0)
            chain = on_chain.get(batch.root)
            if chain is not None:
                findings.unrecorded.append(batch)
                report.differences.append(
                    DifferenceOut(
                        kind="batch_sent_unrecorded",
                        subject=hex0x(batch.root),
                        detail=(
                            f"the chain has this root anchored as batch {chain.batch_id} in block "
                            f"{chain.block_number}; the database has its {rows} certificates still sending, "
                            f"and {why}: --repair records it anchored"
                        ),
                        repaired=False,
                    )
                )
            else:
                findings.stuck.append(batch)
                report.differences.append(
                    DifferenceOut(
                        kind="batch_stuck_sending",
                        subject=hex0x(batch.root),
                        detail=(
                            f"the database has this batch of {rows} certificates sending, the chain does not "
                            f"have its root, and {why}: --repair sends it with the issuer key, "
                            "or start `certledger worker`"
                        ),
                        repaired=False,
                    )
                )

    def _compare_proofs(
        self, report: ReconcileReport, stored: list[_DatabaseBatch], on_chain: dict[bytes, _ChainBatch]
    ) -> dict[str, list[str]]:
        """Checks every anchored certificate's proof against its batch's root on chain; returns
        the certificates whose proof fails, per batch id."""
        anchored = {
            batch.id: batch.root
            for batch in stored
            if batch.state == BatchState.ANCHORED and batch.root in on_chain
        }
        broken: dict[str, list[str]] = defaultdict(list)
        c = certificates.c
        query = (
            sa.select(c.id, c.batch_id, c.leaf_index, c.document_root, c.proof)
            .join(batches, batches.c.id == c.batch_id)
            .where(batches.c.state == BatchState.ANCHORED)
        )
        checked = 0
        with self.reader.connect() as connection:
            for certificate_id, batch_id, index, document_root, proof in _stream(connection, query):
                root = anchored.get(batch_id)
                if root is None:
                    continue  # the batch is not on chain: reported as such
                checked += 1
                count = on_chain[root].count
                siblings = _split(proof)
                if (
                    index is None
                    or siblings is None
                    or not verify_batch_proof(
                        bytes(document_root), int(index), siblings, root=root, count=count
                    )
                ):
                    broken[batch_id].append(certificate_id)
                    report.differences.append(
                        DifferenceOut(
                            kind="proof_mismatch",
                            subject=certificate_id,
                            detail=(
                                f"the stored proof of leaf {index} does not lead to "
                                f"the root {hex0x(root)} on chain"
                            ),
                            repaired=False,
                        )
                    )
        report.certificates_checked = checked
        return broken

    def _compare_statuses(
        self, report: ReconcileReport, stored: list[_DatabaseBatch], on_chain: dict[bytes, _ChainBatch]
    ) -> list[_StatusMismatch]:
        """Compares each anchored certificate's stored status with the chain's; returns the
        differences a repair may record."""
        roots = {
            batch.id: batch.root
            for batch in stored
            if batch.state == BatchState.ANCHORED and batch.root in on_chain
        }
        chain_changes: dict[tuple[bytes, int], _ChainChange] = {}
        s = chain_status_changes.c
        with self.index.connect() as connection:
            for root, action, reason, packed, block_time, transaction in connection.execute(
                sa.select(s.root, s.action, s.reason, s.indexes, s.block_time, s.transaction_hash).order_by(
                    s.block_number, s.log_index
                )
            ):
                last = _ChainChange(_STATUS_AFTER[action], int(reason), int(block_time), bytes(transaction))
                for index in unpack_indexes(bytes(packed)):
                    chain_changes[bytes(root), index] = last
        c = certificates.c
        settled = sa.exists().where(
            status_changes.c.certificate_id == c.id, status_changes.c.action == "revoke"
        )
        changed_roots = {root for root, _ in chain_changes}
        changed_batches = [batch_id for batch_id, root in roots.items() if root in changed_roots]
        query = sa.select(c.id, c.batch_id, c.leaf_index, c.status, settled).where(
            c.batch_id.in_(list(roots)),
            sa.or_(c.status != CertificateState.VALID, c.batch_id.in_(changed_batches)),
        )
        with self.reader.connect() as connection:
            rows = connection.execute(query).all() if roots else []
        mismatches = []
        for certificate_id, batch_id, index, status, revoked_on_record in rows:
            if index is None:
                continue
            root = roots[batch_id]
            change = chain_changes.get((root, int(index)))
            actual = CertificateStatus.VALID if change is None else change.status
            if status == CertificateState.SUPERSEDED and not revoked_on_record:
                continue  # its revocation is still to be sent by the worker
            expected = CHAIN_STATUS.get(status)
            if expected is None or actual == expected:
                continue
            state = CertificateState(status)
            detail = (
                f"the database has it {status}, the chain {actual.name.lower()} "
                f"(leaf {index} of {hex0x(root)})"
            )
            if state == CertificateState.SUPERSEDED:
                detail += (
                    "; not repaired: a later revision replaced it, so it is not made current again: "
                    "revoke it on chain (reason superseded)"
                )
            else:
                detail += (
                    "; --repair records the chain's: where the database's was meant (a change lost "
                    "with its blocks), run `certledger revoke` / `suspend` / `reinstate` instead"
                )
                mismatches.append(_StatusMismatch(certificate_id, state, actual, change))
            report.differences.append(
                DifferenceOut(kind="status_mismatch", subject=certificate_id, detail=detail, repaired=False)
            )
        return mismatches

    def _compare_log(self, report: ReconcileReport) -> None:
        with self.index.connect() as connection:
            a = chain_log_anchors.c
            anchors = {
                int(size): bytes(root)
                for size, root in connection.execute(sa.select(a.size, a.root).where(a.log_id == self.log_id))
            }
        with self.reader.connect() as connection:
            entries = _stream(
                connection,
                sa.select(access_log.c.seq, access_log.c.entry, access_log.c.leaf_hash).order_by(
                    access_log.c.seq
                ),
            )
            nodes = {
                (int(level), int(index)): bytes(node)
                for level, index, node in connection.execute(
                    sa.select(access_log_nodes.c.level, access_log_nodes.c.idx, access_log_nodes.c.hash)
                )
            }
            check = check_log(
                ((int(s), bytes(e), bytes(h)) for s, e, h in entries), anchors, stored_nodes=nodes
            )
        report.log_entries_checked = check.size
        for problem in check.problems:
            report.differences.append(
                DifferenceOut(
                    kind="log_root_mismatch",
                    subject=f"log {hex0x(self.log_id)[:10]}…",
                    detail=problem,
                    repaired=False,
                )
            )

    # ---------------------------------------------------------------- repairs

    def _requeue(self, report: ReconcileReport, vanished: list[_DatabaseBatch]) -> None:
        """Sends vanished batches back to ``sending``: the anchoring worker anchors them again."""
        if not vanished:
            return
        with self.engine.begin() as connection:
            requeue_batches(
                connection,
                [batch.id for batch in vanished],
                reason="reconciliation: not on chain; re-anchoring",
            )
        _mark_repaired(report, "batch_not_on_chain", {hex0x(batch.root) for batch in vanished})

    def _complete(
        self, report: ReconcileReport, unrecorded: list[_DatabaseBatch], on_chain: dict[bytes, _ChainBatch]
    ) -> None:
        """Records batches the chain has as anchored, where the chain has them."""
        completed = set()
        for batch in unrecorded:
            chain = on_chain[batch.root]
            with self.engine.begin() as connection:
                done = complete_batch(
                    connection,
                    batch.id,
                    chain_batch_id=chain.batch_id,
                    block_number=chain.block_number,
                    transaction_hash=chain.transaction_hash,
                    anchored_at=datetime.fromtimestamp(chain.block_time, UTC),
                    confirmed_until=self.clock(),  # found on chain by this run: no worker watches it
                )
            if done:
                completed.add(hex0x(batch.root))
        _mark_repaired(report, "batch_sent_unrecorded", completed)

    def _resend(self, report: ReconcileReport, stuck: list[_DatabaseBatch]) -> None:
        """Sends stuck batches through the issuer's worker, when this run can make one."""
        if not stuck or self.anchoring is None:
            return
        try:
            sent = set(self.anchoring().resend([batch.id for batch in stuck]))
        except (IssuerError, LedgerError) as error:
            log.warning("reconciliation could not send the stuck batches: %s", error)
            for difference in report.differences:
                if difference.kind == "batch_stuck_sending":
                    difference.detail += f" (this repair could not send it: {error})"
            return
        _mark_repaired(report, "batch_stuck_sending", {hex0x(b.root) for b in stuck if b.id in sent})

    def _rewrite_proofs(
        self, report: ReconcileReport, broken: dict[str, list[str]], on_chain: dict[bytes, _ChainBatch]
    ) -> None:
        """Rewrites the proofs of a batch whose tree, rebuilt from the database's document roots,
        reaches the root on chain; a batch that does not rebuild keeps its difference."""
        fixed: set[str] = set()
        for batch_id, certificate_ids in broken.items():
            with self.reader.connect() as connection:
                root = connection.execute(
                    sa.select(batches.c.root).where(batches.c.id == batch_id)
                ).scalar_one()
            count = on_chain[bytes(root)].count
            if rewrite_proofs(self.engine, batch_id, certificate_ids, count=count, reader=self.reader):
                fixed |= set(certificate_ids)
        _mark_repaired(report, "proof_mismatch", fixed)

    def _record_statuses(self, report: ReconcileReport, mismatches: list[_StatusMismatch]) -> None:
        """Records the chain's status (and reason) of each certificate whose stored status differs."""
        recorded = set()
        with self.engine.begin() as connection:
            for mismatch in mismatches:
                change = mismatch.change
                if record_chain_status(
                    connection,
                    mismatch.certificate_id,
                    was=mismatch.was,
                    status=mismatch.status,
                    reason=None if change is None else change.reason,
                    changed_at=self.clock()
                    if change is None
                    else datetime.fromtimestamp(change.block_time, UTC),
                    transaction_hash=None if change is None else change.transaction_hash,
                ):
                    recorded.add(mismatch.certificate_id)
        _mark_repaired(report, "status_mismatch", recorded)

    # ---------------------------------------------------------------- storage

    def _store(self, report: ReconcileReport) -> None:
        details = [
            difference.model_dump(mode="json") for difference in report.differences[:STORED_DIFFERENCES]
        ]
        with self.engine.begin() as connection:
            connection.execute(
                sa.insert(reconciliations).values(
                    id=report.id,
                    started_at=report.started_at,
                    finished_at=report.finished_at,
                    repair=report.repair,
                    indexed_to=report.indexed_to,
                    batches_checked=report.batches_checked,
                    certificates_checked=report.certificates_checked,
                    log_entries_checked=report.log_entries_checked,
                    differences=len(report.differences),
                    repaired=report.repaired,
                    counts=json.dumps(report.counts, sort_keys=True),
                    details=json.dumps(details, ensure_ascii=False),
                )
            )


def latest_reconciliation(engine: Engine) -> ReconciliationOut | None:
    """The stored result of the last reconciliation, or None before the first."""
    found = recent_reconciliations(engine, 1)
    return found[0] if found else None


def recent_reconciliations(engine: Engine, limit: int) -> list[ReconciliationOut]:
    """The stored results of the last `limit` reconciliations, newest first."""
    r = reconciliations.c
    with engine.connect() as connection:
        rows = (
            connection.execute(sa.select(reconciliations).order_by(r.started_at.desc(), r.id).limit(limit))
            .mappings()
            .all()
        )
    return [_stored(row) for row in rows]


def _stored(row: Any) -> ReconciliationOut:
    return ReconciliationOut(
        id=row["id"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        repair=bool(row["repair"]),
        indexed_to=int(row["indexed_to"]),
        batches_checked=int(row["batches_checked"]),
        certificates_checked=int(row["certificates_checked"]),
        log_entries_checked=int(row["log_entries_checked"]),
        differences=int(row["differences"]),
        repaired=int(row["repaired"]),
        counts=json.loads(row["counts"]),
        details=[DifferenceOut.model_validate(detail) for detail in json.loads(row["details"])],
    )


# ---------------------------------------------------------------- the auditor's view of the last run


DEFAULT_FRESHNESS = 3600.0
"""How old a reconciliation may be, in seconds, when the service does not reconcile by itself."""
RECONCILER_POLL = 30.0
"""The longest pause of the service's reconciler loop between two looks at whether a run is due
(`wallet_api.app.background_loops`): a run starts at most that long after it is due."""
StaleReason = Literal["older_than_interval", "batches_not_covered", "chain_unreachable"]


def freshness_bound(interval: float) -> float:
    """How old, in seconds, the last reconciliation may be before it is stale: the periodic
    reconciliation's `interval` and the reconciler loop's pause (`RECONCILER_POLL`, or the
    interval when shorter) — or `DEFAULT_FRESHNESS` when the periodic reconciliation is off (0)."""
    if interval <= 0:
        return DEFAULT_FRESHNESS
    return interval + min(RECONCILER_POLL, interval)


class StalenessOut(Row):
    """Why the last reconciliation cannot be taken as the truth of now."""

    code: StaleReason
    detail: str


class ReconciliationStandingOut(Out):
    """The last reconciliation judged against now: when it ran, what it covered, whether it is
    still the truth. `verdict` is what it found; `stale` (with its `reasons`) says it no longer
    speaks for the chain as it stands — then no page may show it as an all-clear."""

    latest: ReconciliationOut | None
    verdict: Literal["none", "clean", "differences"]
    stale: bool
    reasons: list[StalenessOut]
    checked_at: IsoTime
    age_seconds: float | None
    max_age_seconds: float
    interval_seconds: float
    batches_covered: int
    """batches on chain up to the block the last reconciliation's index had reached"""
    batches_on_chain: int
    """batches on chain in the index now"""
    chain: ChainReachOut


def judge_reconciliation(
    latest: ReconciliationOut | None,
    *,
    now: datetime,
    interval: float,
    batches_covered: int,
    batches_on_chain: int,
    chain: ChainReachOut,
) -> ReconciliationStandingOut:
    """The standing of `latest` at `now`: stale when older than `freshness_bound(interval)`, when
    the chain has batches it did not cover, or when the chain cannot be reached to tell."""
    bound = freshness_bound(interval)
    reasons: list[StalenessOut] = []
    age = None
    if latest is not None:
        age = max(0.0, (now - _aware(latest.finished_at)).total_seconds())
        if age > bound:
            reasons.append(
                StalenessOut(
                    code="older_than_interval",
                    detail=f"it finished {age:.0f} s ago; a result is due every {bound:.0f} s",
                )
            )
        if batches_on_chain > batches_covered:
            reasons.append(
                StalenessOut(
                    code="batches_not_covered",
                    detail=(
                        f"it covered {batches_covered} batches on chain (up to block {latest.indexed_to}); "
                        f"the chain has {batches_on_chain}"
                    ),
                )
            )
        if not chain.reachable:
            reasons.append(
                StalenessOut(
                    code="chain_unreachable",
                    detail="the chain cannot be reached: whether it has anchored more is unknown",
                )
            )
    verdict: Literal["none", "clean", "differences"] = (
        "none" if latest is None else ("differences" if latest.differences else "clean")
    )
    return ReconciliationStandingOut(
        latest=latest,
        verdict=verdict,
        stale=bool(reasons),
        reasons=reasons,
        checked_at=now,
        age_seconds=age,
        max_age_seconds=bound,
        interval_seconds=interval,
        batches_covered=batches_covered,
        batches_on_chain=batches_on_chain,
        chain=chain,
    )


def reconciliation_standing(
    reader: Engine, audit: ChainAudit, *, interval: float, within: float
) -> ReconciliationStandingOut:
    """The last reconciliation stored in `reader`, judged against the chain index brought up to
    the head (waiting at most `within` seconds for the chain) and the index's clock."""
    chain = audit.refresh(within=within)
    latest = latest_reconciliation(reader)
    covered = 0 if latest is None else audit.batch_count(up_to_block=latest.indexed_to)
    return judge_reconciliation(
        latest,
        now=audit.index.clock(),
        interval=interval,
        batches_covered=covered,
        batches_on_chain=audit.batch_count(),
        chain=chain,
    )


# ---------------------------------------------------------------- "reconcile now"


RECONCILE_NOW_LEASE = "audit:reconcile-now"
"""The lease (``worker_leases``) an auditor's reconciliation holds while it runs, in any process."""
RunState = Literal["idle", "running", "finished", "failed"]


class ReconcileRunningError(AuditError, RuntimeError):
    """A reconciliation asked for while one runs already (in this process or another)."""


class ReconcileRunOut(Out):
    """Where an auditor's reconciliation stands: `here` when this process runs (or ran) it,
    `phase` the step it is at (`PHASES`), `reconciliation_id` the stored result once finished."""

    state: RunState
    here: bool
    phase: Phase | None = None
    started_at: IsoTime | None = None
    finished_at: IsoTime | None = None
    reconciliation_id: str | None = None
    error: str | None = None


class ReconcileRunner:
    """Runs a reconciliation on request in a thread of its own, one at a time across the
    processes that share the database: a run holds the lease `RECONCILE_NOW_LEASE` for at most
    `longest_run` seconds (a process that dies mid-run frees it then), and gives it up when done.
    It never repairs: that stays a deliberate ``certledger audit reconcile --repair``."""

    def __init__(
        self,
        reconciler: Callable[[], Reconciler],
        engine: Engine,
        *,
        clock: Clock = system_clock,
        holder: str | None = None,
        longest_run: float = STUCK_AFTER,
    ) -> None:
        self.reconciler = reconciler
        self.engine = engine
        self.clock = clock
        self.holder = holder or process_holder()
        self.longest_run = longest_run
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._run = ReconcileRunOut(state="idle", here=False)

    def start(self) -> ReconcileRunOut:
        """Starts a reconciliation and returns at once; `ReconcileRunningError` while one runs."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                raise ReconcileRunningError("a reconciliation is running in this process")
            now = self.clock()
            lease = acquire_lease(
                self.engine, RECONCILE_NOW_LEASE, self.holder, seconds=self.longest_run, now=now
            )
            if lease is None:
                raise ReconcileRunningError("a reconciliation is running in another process")
            self._run = ReconcileRunOut(state="running", here=True, phase="syncing", started_at=now)
            self._thread = threading.Thread(
                target=self._work, args=(lease,), name="reconcile-now", daemon=True
            )
            self._thread.start()
            return self._run

    def status(self) -> ReconcileRunOut:
        """This process's run (running or last), else whether another process runs one."""
        with self._lock:
            run = self._run
        if run.state == "running":
            return run
        with self.engine.connect() as connection:
            elsewhere = lease_held(connection, prefix=RECONCILE_NOW_LEASE, now=self.clock())
        if elsewhere:
            return ReconcileRunOut(state="running", here=False)
        return run

    def join(self, timeout: float | None = None) -> ReconcileRunOut:
        """Waits for this process's run (if any) to end, at most `timeout` seconds."""
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self.status()

    def _phase(self, phase: Phase) -> None:
        with self._lock:
            self._run = self._run.model_copy(update={"phase": phase})

    def _work(self, lease: Lease) -> None:
        try:
            report = self.reconciler().run(on_phase=self._phase)
        except Exception as error:  # the run failed; the status says why, in words without data
            log.warning("the requested reconciliation failed: %s", describe_failure(error, IssuerError))
            with self._lock:
                self._run = self._run.model_copy(
                    update={
                        "state": "failed",
                        "finished_at": self.clock(),
                        "error": describe_failure(error, IssuerError, AuditError),
                    }
                )
        else:
            with self._lock:
                self._run = self._run.model_copy(
                    update={"state": "finished", "finished_at": self.clock(), "reconciliation_id": report.id}
                )
        finally:
            release_lease(self.engine, lease)


# ---------------------------------------------------------------- a batch's certificates


ChainStatus = Literal["valid", "revoked", "suspended"]


class BatchCertificateOut(Row):
    """One certificate of a batch, side by side in the database and on chain: its number, its
    leaf, its status in each. Nothing personal: no name, no identity number, no content."""

    number: str
    revision: int
    leaf_index: int | None
    status: str
    reason: int | None
    reason_label: str | None
    chain_status: ChainStatus | None
    """None when the leaf is beyond the batch on chain"""
    chain_reason: int | None
    chain_reason_label: str | None


class BatchCertificatesOut(Out):
    """A page of a chain batch's certificates as the operators' database has them, in leaf order,
    with each one's status on chain."""

    batch: ChainBatchOut
    total: int
    """certificate rows the database has in this batch (the chain counts `batch.count`)"""
    certificates: list[BatchCertificateOut]


_CHAIN_STATUS_OF: dict[str, ChainStatus] = {
    "revoked": "revoked",
    "suspended": "suspended",
    "reinstated": "valid",
}


def batch_certificates(
    reader: Engine, audit: ChainAudit, batch_id: int, *, limit: int, offset: int = 0
) -> BatchCertificatesOut | None:
    """The certificates of the batch anchored on chain as `batch_id` (None when the index has no
    such batch), `limit` at a time from `offset`, in leaf order."""
    batch = audit.batch(batch_id)
    if batch is None:
        return None
    on_chain = audit.leaf_statuses(batch.root)
    c = certificates.c
    in_batch = batches.c.root == batch.root
    with reader.connect() as connection:
        total = int(
            connection.execute(
                sa.select(sa.func.count()).select_from(certificates.join(batches)).where(in_batch)
            ).scalar_one()
        )
        rows = connection.execute(
            sa.select(c.certificate_no, c.revision, c.leaf_index, c.status, c.status_reason)
            .select_from(certificates.join(batches))
            .where(in_batch)
            .order_by(c.leaf_index, c.revision, c.id)
            .limit(limit)
            .offset(offset)
        ).all()
    listed = []
    for number, revision, leaf, status, reason in rows:
        chain_status: ChainStatus | None = None
        chain_reason = None
        if leaf is not None and 0 <= int(leaf) < batch.count:
            action, code = on_chain.get(int(leaf), ("reinstated", 0))
            chain_status = _CHAIN_STATUS_OF[action]
            chain_reason = None if chain_status == "valid" else code
        listed.append(
            BatchCertificateOut(
                number=number,
                revision=int(revision),
                leaf_index=None if leaf is None else int(leaf),
                status=status,
                reason=reason,
                reason_label=None if reason is None else reason_label(int(reason)),
                chain_status=chain_status,
                chain_reason=chain_reason,
                chain_reason_label=None if chain_reason is None else reason_label(chain_reason),
            )
        )
    return BatchCertificatesOut(batch=batch, total=total, certificates=listed)


def _mark_repaired(report: ReconcileReport, kind: str, subjects: set[str]) -> None:
    for difference in report.differences:
        if difference.kind == kind and difference.subject in subjects:
            difference.repaired = True


def _aware(moment: datetime) -> datetime:
    """A stored time as UTC-aware (rows bulk-written on SQLite may read back naive)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _split(proof: bytes | None) -> list[bytes] | None:
    if proof is None or len(proof) % 32:
        return None
    data = bytes(proof)
    return [data[i : i + 32] for i in range(0, len(data), 32)]


def _stream(connection: sa.Connection, query: sa.Select[Any]) -> Iterator[Any]:
    """The rows of `query`, fetched in chunks rather than all at once."""
    result = connection.execute(query)
    while chunk := result.fetchmany(_PROOF_CHUNK):
        yield from chunk
