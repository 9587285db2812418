"""The anchoring worker: outbox rows in, anchored batches out, exactly once whatever crashes.

A step of the worker, under a fenced database lease so that one worker runs per key (see
`issuer._lease`: the lease is renewed before each send and in every transaction that writes, and
a worker that lost it writes nothing more and ends its step):

1. **watch** batches anchored less than `finality_window` ago: if the chain no longer has one
   (a node restored from an older state, a reorganization), it goes back to `sending`;
2. **resume** batches in `sending`: a previous run may have sent them or not; they are sent
   again, and the ledger's refusal of a duplicate root is the success it means;
3. **form** new batches from the outbox, per certificate type, once `batch_size` certificates
   wait or the oldest has waited `batch_wait` seconds: in one transaction the batch row is
   written, every certificate gets its leaf index and proof, and their outbox rows go;
4. **send** each new batch and record where it landed.

Because a batch is written before it is sent, and its root is sent until the chain has it, a
crash anywhere leaves every certificate either waiting in the outbox or in exactly one batch
that the chain has anchored or will.

`AnchoringWorker.run` outlives any failure of a step (the chain, the database, a bug): it logs
it, records it in `health`, pauses longer each time, and steps again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from issuer._batches import complete_batch, requeue_batches
from issuer._errors import IssuerError, LeaseLostError
from issuer._lease import Lease, acquire_lease, hold_lease, process_holder, release_lease
from issuer._models import anchor_outbox, batches, certificates, new_id
from issuer._states import BatchState
from issuer._status import StatusService
from ledger import (
    BatchTree,
    CertificateLedgerClient,
    ChainError,
    Clock,
    ContractRevertError,
    TransactionError,
    TransactionSender,
    bulk_update,
    canonical_json,
    describe_failure,
    keccak256,
    system_clock,
)

log = logging.getLogger("certledger.worker")
BATCH_METADATA_FORMAT = "certledger/batch/v1"
ANCHORING_LEASE_PREFIX = "anchoring:"
"""Every anchoring worker's lease is named this and its key's address."""
_MAX_PAUSE = 10.0


@dataclass(frozen=True, slots=True)
class StepOutcome:
    """What one worker step did."""

    leader: bool
    anchored: int = 0
    resent: int = 0
    reverted: int = 0
    pending: int = 0
    sending: int = 0
    superseded: int = 0
    unsettled: int = 0
    error: str | None = None
    lease_lost: bool = False


@dataclass(frozen=True, slots=True)
class WorkerHealth:
    """How the worker's loop fares, for a health check: times from the worker's clock."""

    running: bool
    leader: bool
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    consecutive_failures: int


def batch_metadata_hash(*, type_id: int, office_id: int, count: int) -> bytes:
    """The metadata hash anchored with a batch: its format, type, office and size — nothing personal."""
    return keccak256(
        canonical_json(
            {"format": BATCH_METADATA_FORMAT, "type": type_id, "office": office_id, "count": count}
        )
    )


class AnchoringWorker:
    """Anchors the outbox of one office through one key."""

    def __init__(
        self,
        engine: Engine,
        ledger: CertificateLedgerClient,
        *,
        office_id: int,
        batch_size: int = 1000,
        batch_wait: float = 2.0,
        finality_window: float = 120.0,
        lease_seconds: float = 30.0,
        clock: Clock = system_clock,
        holder: str | None = None,
    ) -> None:
        if ledger.sender is None:
            raise ValueError("the worker needs a ledger client with the issuer's sender")
        self.sender: TransactionSender = ledger.sender
        self.engine = engine
        self.ledger = ledger
        self.office_id = office_id
        self.batch_size = batch_size
        self.batch_wait = batch_wait
        self.finality_window = finality_window
        self.lease_seconds = lease_seconds
        self.clock = clock
        self.lease_name = f"{ANCHORING_LEASE_PREFIX}{ledger.sender.address}"
        self.statuses = StatusService(engine, ledger, clock=clock)
        self.holder: str = holder or process_holder()
        self.lease: Lease | None = None
        self._running = False
        self._last_success_at: datetime | None = None
        self._last_error: str | None = None
        self._last_error_at: datetime | None = None
        self._failures = 0
        self._pending = 0  # the outbox's last count, for an outcome when the database fails

    # ---------------------------------------------------------------- loop

    def step(self, *, flush: bool = False) -> StepOutcome:
        """One pass: watch, resume, form and send. `flush` sends batches without waiting to fill.

        A step that loses the lease midway stops there: what it wrote is whole, what it was about
        to write is not written, and the outcome says `lease_lost`."""
        self.lease = None  # until the lease is confirmed again
        self.lease = acquire_lease(
            self.engine, self.lease_name, self.holder, seconds=self.lease_seconds, now=self.clock()
        )
        if self.lease is None:
            return self._follower_outcome()
        reverted = resent = anchored = 0
        try:
            reverted = self._watch_recent()
            for waiting in self._batches_in(BatchState.SENDING):
                self._send(waiting)
                resent += 1
            while (formed := self._form_batch(flush=flush)) is not None:
                self._send(formed)
                anchored += 1
            self._renew()  # the revocations below go out under the lease too
            settled = self.statuses.settle_superseded(office_id=self.office_id)
        except LeaseLostError as lost:
            log.warning("anchoring step stopped: %s", lost)
            self.lease = None
            return replace(
                self._follower_outcome(),
                anchored=anchored,
                resent=resent,
                reverted=reverted,
                lease_lost=True,
            )
        return StepOutcome(
            leader=True,
            anchored=anchored,
            resent=resent,
            reverted=reverted,
            pending=self.pending(),
            sending=len(self._batches_in(BatchState.SENDING)),
            superseded=len(settled.changed) + len(settled.unchanged),
            unsettled=self.statuses.unsettled(office_id=self.office_id),
        )

    def run(
        self,
        stop: threading.Event,
        *,
        poll: float = 0.5,
        on_step: Callable[[StepOutcome], None] | None = None,
    ) -> None:
        """Steps until `stop` is set. Whatever a step raises — the chain away, the database
        restarted, a bug — is logged and kept in `health`, the next step waits longer each time
        (up to 10 s), and the loop goes on."""
        pause = poll
        self._running = True
        try:
            while not stop.is_set():
                try:
                    outcome = self.step()
                except Exception as error:  # the service outlives any one failure
                    outcome = self._failed(error)
                    pause = min(max(pause, poll) * 2, _MAX_PAUSE)
                else:
                    self._succeeded()
                    pause = poll
                if on_step is not None:
                    try:
                        on_step(outcome)
                    except Exception:  # a broken display must not stop anchoring
                        log.exception("the anchoring worker's step callback failed")
                stop.wait(pause)
        finally:
            self._running = False
            self._release()

    def drain(
        self,
        *,
        timeout: float = 600.0,
        poll: float = 0.2,
        on_step: Callable[[StepOutcome], None] | None = None,
    ) -> StepOutcome:
        """Steps until nothing waits in the outbox or in `sending` (or `timeout` passes); an
        unreachable chain or database is waited out, anything else raises."""
        deadline = time.monotonic() + timeout
        outcome = StepOutcome(leader=False)
        pause = poll
        try:
            while time.monotonic() < deadline:
                try:
                    outcome = self.step(flush=True)
                    self._succeeded()
                    pause = poll
                except (
                    ChainError,
                    TransactionError,
                    sa.exc.OperationalError,
                    sa.exc.DisconnectionError,
                ) as error:
                    outcome = self._failed(error)
                    pause = min(pause * 2, 5.0)
                if on_step is not None:
                    on_step(outcome)
                # Done when nothing waits, whoever anchored it (another worker may hold the lease).
                idle = outcome.pending == 0 and outcome.sending == 0 and outcome.unsettled == 0
                if outcome.error is None and idle:
                    break
                time.sleep(pause)
        finally:
            self._release()
        return outcome

    def resend(self, batch_ids: list[str]) -> list[str]:
        """Sends these `sending` batches now, under the lease (reconciliation's repair of batches
        no worker was sending); returns those now anchored. Empty when another worker holds the
        lease: that worker resumes every `sending` batch itself."""
        self.lease = acquire_lease(
            self.engine, self.lease_name, self.holder, seconds=self.lease_seconds, now=self.clock()
        )
        if self.lease is None:
            return []
        anchored = []
        try:
            for batch_id in batch_ids:
                self._send(batch_id)
                anchored.append(batch_id)
        except LeaseLostError as lost:
            log.warning("resending stopped: %s", lost)
        finally:
            self._release()
        return anchored

    @property
    def health(self) -> WorkerHealth:
        """The loop's state for a health check: whether it runs and leads, its last success and
        its last failure (kept after a success, with `consecutive_failures` back at 0)."""
        return WorkerHealth(
            running=self._running,
            leader=self.lease is not None,
            last_success_at=self._last_success_at,
            last_error=self._last_error,
            last_error_at=self._last_error_at,
            consecutive_failures=self._failures,
        )

    def _succeeded(self) -> None:
        self._last_success_at = self.clock()
        self._failures = 0

    def _failed(self, error: Exception) -> StepOutcome:
        """Notes a failed step; the outcome carries the error and the last known figures."""
        message = describe_failure(error, IssuerError)
        self._last_error = message
        self._last_error_at = self.clock()
        self._failures += 1
        if isinstance(error, ChainError | TransactionError):
            log.warning("anchoring paused: %s", message)
        elif isinstance(error, sa.exc.SQLAlchemyError):
            # No traceback: a database error's text carries the statement's values.
            log.error("anchoring step failed: %s; retrying", message)
        else:
            log.error("anchoring step failed: %s; retrying", message, exc_info=error)
        # A send may have failed after the node took the transaction: ask it for the nonce again.
        self.sender.forget_nonce()
        try:
            self._pending = self.pending()
        except Exception:  # the database may be the failure: the last count stands
            log.debug("cannot count the outbox", exc_info=True)
        return StepOutcome(leader=self.lease is not None, error=message, pending=self._pending)

    def _follower_outcome(self) -> StepOutcome:
        return StepOutcome(
            leader=False,
            pending=self.pending(),
            sending=len(self._batches_in(BatchState.SENDING)),
            unsettled=self.statuses.unsettled(office_id=self.office_id),
        )

    # ---------------------------------------------------------------- lease

    def _hold(self, connection: sa.Connection) -> None:
        """Renews the lease as the first statement of a writing transaction, or raises
        `LeaseLostError` (the transaction then rolls back)."""
        if self.lease is None:
            raise LeaseLostError(f"{self.holder} writes without holding the lease {self.lease_name}")
        self.lease = hold_lease(connection, self.lease, seconds=self.lease_seconds, now=self.clock())

    def _renew(self) -> None:
        """Renews the lease before a long wait (a send), or raises `LeaseLostError`."""
        with self.engine.begin() as connection:
            self._hold(connection)

    def _release(self) -> None:
        lease, self.lease = self.lease, None
        if lease is None:
            return
        try:
            release_lease(self.engine, lease)
        except Exception as error:  # the lease lapses by itself
            log.warning(
                "could not release the lease %s (%s); it lapses by itself",
                lease.name,
                describe_failure(error, IssuerError),
            )

    # ---------------------------------------------------------------- queries

    def pending(self) -> int:
        """Certificates of this office waiting in the outbox."""
        with self.engine.connect() as connection:
            self._pending = int(
                connection.execute(
                    sa.select(sa.func.count())
                    .select_from(anchor_outbox)
                    .where(anchor_outbox.c.office_id == self.office_id)
                ).scalar_one()
            )
        return self._pending

    def _batches_in(self, state: BatchState) -> list[str]:
        with self.engine.connect() as connection:
            return list(
                connection.execute(
                    sa.select(batches.c.id)
                    .where(batches.c.state == state, batches.c.office_id == self.office_id)
                    .order_by(batches.c.created_at)
                ).scalars()
            )

    # ---------------------------------------------------------------- steps

    def _watch_recent(self) -> int:
        """Sends back to `sending` every recent batch the chain no longer has."""
        now = self.clock()
        with self.engine.connect() as connection:
            recent = connection.execute(
                sa.select(batches.c.id, batches.c.root, batches.c.chain_batch_id).where(
                    batches.c.state == BatchState.ANCHORED,
                    batches.c.office_id == self.office_id,
                    batches.c.confirmed_until > now,
                )
            ).all()
        reverted = 0
        for batch_id, root, chain_batch_id in recent:
            on_chain = self.ledger.batch(root)
            if on_chain is not None and on_chain.batch_id == chain_batch_id:
                continue
            log.warning("batch %s vanished from the chain; it will be anchored again", batch_id)
            with self.engine.begin() as connection:
                self._hold(connection)
                reverted += requeue_batches(connection, [batch_id], reason="no longer on chain; re-anchoring")
        return reverted

    def _form_batch(self, *, flush: bool) -> str | None:
        """Moves the next batch of waiting certificates from the outbox into a batch row."""
        with self.engine.begin() as connection:
            # The lease row stays locked until this transaction ends: no one else forms batches.
            self._hold(connection)
            type_id = self._ready_type(connection, flush=flush)
            if type_id is None:
                return None
            entries = connection.execute(
                sa.select(anchor_outbox.c.seq, certificates.c.id, certificates.c.document_root)
                .join(certificates, certificates.c.id == anchor_outbox.c.certificate_id)
                .where(anchor_outbox.c.office_id == self.office_id, anchor_outbox.c.type_id == type_id)
                .order_by(anchor_outbox.c.seq)
                .limit(self.batch_size)
            ).all()
            tree = BatchTree.build([root for _seq, _id, root in entries])
            batch_id = new_id()
            connection.execute(
                sa.insert(batches).values(
                    id=batch_id,
                    root=tree.root,
                    type_id=type_id,
                    office_id=self.office_id,
                    count=tree.count,
                    state=BatchState.SENDING,
                    attempts=0,
                    created_at=self.clock(),
                )
            )
            proofs = tree.proofs()
            bulk_update(
                connection,
                certificates,
                key="id",
                rows=[
                    {
                        "id": certificate_id,
                        "batch_id": batch_id,
                        "leaf_index": index,
                        "proof": b"".join(proofs[index]),
                    }
                    for index, (_seq, certificate_id, _root) in enumerate(entries)
                ],
            )
            # The batch took the oldest entries of its office and type: a range names them all.
            connection.execute(
                sa.delete(anchor_outbox).where(
                    anchor_outbox.c.office_id == self.office_id,
                    anchor_outbox.c.type_id == type_id,
                    anchor_outbox.c.seq <= entries[-1][0],
                )
            )
        return batch_id

    def _ready_type(self, connection: sa.Connection, *, flush: bool) -> int | None:
        waiting = connection.execute(
            sa.select(anchor_outbox.c.type_id, sa.func.count(), sa.func.min(anchor_outbox.c.created_at))
            .where(anchor_outbox.c.office_id == self.office_id)
            .group_by(anchor_outbox.c.type_id)
            .order_by(anchor_outbox.c.type_id)
        ).all()
        now = self.clock()
        for type_id, count, first_created in waiting:
            oldest = first_created
            if oldest is not None and oldest.tzinfo is None:
                oldest = oldest.replace(tzinfo=UTC)
            if (
                flush
                or count >= self.batch_size
                or (oldest is not None and now - oldest >= timedelta(seconds=self.batch_wait))
            ):
                return int(type_id)
        return None

    def _send(self, batch_id: str) -> None:
        """Anchors a `sending` batch, or learns that the chain already has it."""
        with self.engine.connect() as connection:
            root, type_id, count = connection.execute(
                sa.select(batches.c.root, batches.c.type_id, batches.c.count).where(batches.c.id == batch_id)
            ).one()
        self._renew()  # a send can take long: the lease must outlast it
        transaction: bytes | None = None
        try:
            anchored = self.ledger.anchor(
                root,
                count=count,
                type_id=type_id,
                metadata_hash=batch_metadata_hash(type_id=type_id, office_id=self.office_id, count=count),
            )
            transaction = anchored.receipt.transaction_hash
        except ContractRevertError as error:
            if error.error != "CertificateLedgerDuplicateRoot":
                self._note_failure(batch_id, str(error))
                raise
            log.info("batch %s was already anchored (a resend after a crash)", batch_id)
        except (ChainError, TransactionError) as error:
            self._note_failure(batch_id, str(error))
            raise
        on_chain = self.ledger.batch(root)
        if on_chain is None:
            self._note_failure(batch_id, "the anchor was accepted but the chain does not show it")
            raise TransactionError(f"batch {batch_id}: anchored but not visible on chain")
        if transaction is None:
            transaction = self._anchoring_transaction(root, on_chain.anchored_block)
        with self.engine.begin() as connection:
            self._hold(connection)
            complete_batch(
                connection,
                batch_id,
                chain_batch_id=on_chain.batch_id,
                block_number=on_chain.anchored_block,
                transaction_hash=transaction,
                anchored_at=datetime.fromtimestamp(on_chain.anchored_at, UTC),
                confirmed_until=self.clock() + timedelta(seconds=self.finality_window),
            )

    def _anchoring_transaction(self, root: bytes, block: int) -> bytes | None:
        for event in self.ledger.events.read(
            from_block=block, to_block=block, names=["BatchAnchored"], topics=["0x" + root.hex()]
        ):
            return event.transaction_hash
        return None

    def _note_failure(self, batch_id: str, message: str) -> None:
        """Notes a failed send on the batch, if this worker still holds the lease; the failure
        itself is raised by the caller either way."""
        try:
            with self.engine.begin() as connection:
                self._hold(connection)
                connection.execute(
                    sa.update(batches)
                    .where(batches.c.id == batch_id)
                    .values(attempts=batches.c.attempts + 1, last_error=message[:500])
                )
        except LeaseLostError:
            log.info("batch %s: the failure is not noted, the lease was lost meanwhile", batch_id)


@contextmanager
def anchoring_alongside(worker: AnchoringWorker, *, poll: float = 0.2) -> Iterator[None]:
    """Runs `worker` in a thread for the duration of the block, as the service would.

    Anchoring waits on the database and the chain most of the time, so it overlaps well with
    issuing; what is still waiting when the block ends is for the caller to drain.
    """
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), kwargs={"poll": poll}, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
