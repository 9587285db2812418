"""Audit reports from the chain alone: issuance, status changes, the issuer registry's history, and
the access log's anchors with the proofs checked against them.

Everything here reads the chain index (`ChainIndex`), which reads only the chain. Days and months
are those of China Standard Time, the bureau's time zone; a period's `start` and `end` dates are
both included.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import Field

from audit._errors import AuditQueryError, IndexReadError
from audit._indexer import (
    ChainIndex,
    chain_batches,
    chain_log_anchors,
    chain_registry_changes,
    chain_status_changes,
    index_cursor,
    index_meta,
    indexed_blocks,
    unpack_indexes,
)
from audit._out import ChainTime, Hex, IsoTime, Out, Row, chain_time
from issuer import IssuerError
from ledger import (
    BEIJING,
    LogTreeError,
    Reason,
    describe_failure,
    hex0x,
    log_leaf_hash,
    verify_consistency,
    verify_inclusion,
)
from verifier import VerifierError

Grouping = Literal["office", "type", "day", "month"]
GROUPINGS: tuple[Grouping, ...] = ("office", "type", "day", "month")


def _time(seconds: int | None) -> str | None:
    """A chain time as ISO 8601 in China Standard Time."""
    return None if seconds is None else chain_time(seconds)


def reason_label(code: int) -> str:
    """The reason code's name (``issued-in-error``), or ``code-N`` for one certledger does not define."""
    try:
        return Reason(code).label
    except ValueError:
        return f"code-{code}"


def period_bounds(start: date | None, end: date | None) -> tuple[int | None, int | None]:
    """`[start, end]` in China Standard Time as epoch seconds `[from, until)`."""
    if start is not None and end is not None and end < start:
        raise AuditQueryError(f"the period ends ({end}) before it starts ({start})")
    try:
        lower = (
            None if start is None else int(datetime.combine(start, datetime.min.time(), BEIJING).timestamp())
        )
        upper = (
            None
            if end is None
            else int(datetime.combine(end + timedelta(days=1), datetime.min.time(), BEIJING).timestamp())
        )
    except (OverflowError, ValueError) as error:
        raise AuditQueryError(f"the period {start} to {end} is outside the calendar: {error}") from error
    return lower, upper


class IssuanceRowOut(Row):
    """Batches and certificates anchored in one group."""

    group: str
    label: str
    batches: int
    certificates: int


class ChainBatchOut(Row):
    """A batch anchored on chain."""

    batch_id: int
    root: Hex
    office_id: int
    type_id: int
    count: int
    key: str
    block: int
    time: ChainTime
    transaction: Hex


class StatusChangeOut(Row):
    """A revocation, suspension or reinstatement on chain."""

    block: int
    time: ChainTime
    action: Literal["revoked", "suspended", "reinstated"]
    reason: int
    reason_label: str
    batch_id: int
    office_id: int | None
    certificates: int
    root: Hex
    by: str
    transaction: Hex


class StatusCountOut(Row):
    """Status changes of one action and reason."""

    action: str
    reason: int
    reason_label: str
    changes: int
    certificates: int


class TypeWindowOut(Out):  # not frozen: the registry's replay (`_Registry`) updates it
    """A window in which an office could issue a type; `until` None while open."""

    type_id: int
    start: ChainTime | None = Field(alias="from")
    until: ChainTime | None


class OfficeOut(Out):  # not frozen: the registry's replay (`_Registry`) updates it
    """An office as the registry knew it."""

    office_id: int
    region_code: int
    display_name: str
    registered_block: int
    registered_at: ChainTime | None
    suspended_from: ChainTime | None
    types: list[TypeWindowOut]


class KeyOut(Out):  # not frozen: the registry's replay (`_Registry`) updates it
    """A signing key as the registry knew it."""

    key: str
    office_id: int
    key_id: int
    valid_from: ChainTime | None
    valid_until: ChainTime | None
    added_block: int


class LogOperatorsOut(Row):
    """Who may append to one access log."""

    log_id: str
    operators: list[str]


class RegistryEventOut(Row):
    """One change of the registry."""

    block: int
    time: ChainTime | None
    event: str
    subject: str
    detail: str


class TrustOut(Row):
    """The issuer registry as of a block, and its history up to it."""

    block: int
    block_time: ChainTime | None
    governor: str
    offices: list[OfficeOut]
    keys: list[KeyOut]
    log_operators: list[LogOperatorsOut]
    history: list[RegistryEventOut]


class ChainAnchorOut(Row):
    """A checkpoint of an access log anchored on chain."""

    log_id: Hex
    size: int
    root: Hex
    sequence: int
    operator: str
    block: int
    time: ChainTime
    transaction: Hex


ChainState = Literal["reachable", "syncing", "unreachable"]


class ChainReachOut(Row):
    """Whether the chain answered the index's last attempt to reach its head, and how far the
    index (which every report reads) has got.

    ``syncing``: the index is still reading pages of blocks (the chain answers, the reports may
    lag it); ``unreachable``: the chain refused, failed or did not answer in time, and the reports
    come from the index as it stands, up to `indexed_to`."""

    state: ChainState
    checked_at: IsoTime
    last_reached_at: IsoTime | None
    unreachable_since: IsoTime | None
    error: str | None
    indexed_to: int

    @property
    def reachable(self) -> bool:
        """Whether the index reached the chain's head (or is reading its way there)."""
        return self.state != "unreachable"


class ProofCheck(Row):
    """A log proof checked against the roots anchored on chain."""

    kind: Literal["inclusion", "consistency"]
    sizes: tuple[int, ...]
    anchored_roots: tuple[Hex | None, ...]
    verified: bool
    reason: str


@dataclass(slots=True)
class _Registry:
    """The issuer registry while its events are replayed: offices and keys change as they come."""

    governor: str
    offices: dict[int, OfficeOut] = field(default_factory=dict)
    # office id → type id → the windows in which the office could issue the type
    windows: dict[int, dict[int, list[TypeWindowOut]]] = field(default_factory=dict)
    keys: dict[str, KeyOut] = field(default_factory=dict)
    log_operators: dict[str, list[str]] = field(default_factory=dict)  # log id → operators
    history: list[RegistryEventOut] = field(default_factory=list)

    def state(self, block: int, block_time: int | None) -> TrustOut:
        """The registry as replayed, offices by id, keys by key id, windows by type."""
        offices = [
            office.model_copy(
                update={
                    "types": [
                        window
                        for _, windows in sorted(self.windows.get(office_id, {}).items())
                        for window in windows
                    ]
                }
            )
            for office_id, office in sorted(self.offices.items())
        ]
        return TrustOut(
            block=block,
            block_time=block_time,
            governor=self.governor,
            offices=offices,
            keys=sorted(self.keys.values(), key=lambda key: key.key_id),
            log_operators=[
                LogOperatorsOut(log_id=log_id, operators=sorted(operators))
                for log_id, operators in sorted(self.log_operators.items())
            ],
            history=self.history,
        )


@dataclass(slots=True)
class _Reach:
    """What the last attempts to bring the index up to the head found."""

    reached_at: datetime | None = None
    unreachable_since: datetime | None = None
    error: str | None = None
    progressed_at: datetime | None = None  # the last page the running attempt committed


class ChainAudit:
    """Answers an auditor's questions from the chain index.

    The reports read the index as it stands and never ask the chain themselves, once the index
    exists for this deployment; `refresh` brings it up to the chain's head within a bound, so that
    a chain that is away makes a caller wait seconds, not the node's timeout times every read."""

    def __init__(self, index: ChainIndex) -> None:
        self.index = index
        self._reach = _Reach()
        self._reach_lock = threading.Lock()
        self._syncing: threading.Thread | None = None
        self._readable = False

    # ---------------------------------------------------------------- the chain's head

    def refresh(self, *, within: float) -> ChainReachOut:
        """Brings the index up to the chain's head, waiting at most `within` seconds: the sync
        runs in a thread of its own (one at a time), which goes on when the wait is over and
        records what it found. Returns whether the chain was reached."""
        with self._reach_lock:
            if self._syncing is None or not self._syncing.is_alive():
                self._syncing = threading.Thread(target=self._sync, name="chain-audit-sync", daemon=True)
                self._syncing.start()
            syncing = self._syncing
        syncing.join(within)
        if syncing.is_alive():
            now = self.index.clock()
            with self._reach_lock:
                progressed = self._reach.progressed_at
                if progressed is None or (now - progressed).total_seconds() > within:
                    self._failed(now, f"the chain has not answered within {within:g} s")
        return self.reach()

    def reach(self) -> ChainReachOut:
        """What the last attempt to reach the chain's head found (nothing is asked of the chain)."""
        with self._reach_lock:
            reach = self._reach
            running = self._syncing is not None and self._syncing.is_alive()
            if reach.unreachable_since is not None:
                state: ChainState = "unreachable"
            elif running:
                state = "syncing"
            else:
                state = "reachable" if reach.reached_at is not None else "unreachable"
            out = ChainReachOut(
                state=state,
                checked_at=self.index.clock(),
                last_reached_at=reach.reached_at,
                unreachable_since=reach.unreachable_since,
                error=reach.error,
                indexed_to=-1,
            )
        try:
            indexed_to = self.indexed_to()
        except IndexReadError:
            indexed_to = -1  # never built, and the chain is away: nothing to read
        return out.model_copy(update={"indexed_to": indexed_to})

    def indexed_to(self) -> int:
        """The last block whose events are in the index (read without asking the chain)."""
        with self._connect() as connection:
            return int(connection.execute(sa.select(index_cursor.c.next_block)).scalar_one()) - 1

    def _sync(self) -> None:
        def progressed(_indexed_to: int, _target: int, _events: int) -> None:
            with self._reach_lock:
                self._reach.progressed_at = self.index.clock()

        try:
            self.index.sync(on_page=progressed)
        except Exception as error:  # whatever failed, the chain was not reached; the reach tells why
            with self._reach_lock:
                self._failed(self.index.clock(), describe_failure(error, IssuerError, VerifierError))
        else:
            with self._reach_lock:
                self._reach = _Reach(reached_at=self.index.clock())
        finally:
            with self._reach_lock:
                self._reach.progressed_at = None

    def _failed(self, now: datetime, error: str) -> None:
        """Records a failed attempt (the caller holds the lock); the streak keeps its start."""
        reach = self._reach
        self._reach = _Reach(
            reached_at=reach.reached_at,
            unreachable_since=reach.unreachable_since or now,
            error=error,
            progressed_at=reach.progressed_at,
        )

    def _connect(self) -> sa.Connection:
        """A connection on the index. An index built for this deployment is read as it stands,
        chain or no chain; one that is not (never built, or another deployment's) is set up by
        the index, which asks the chain — unless the chain is known to be away."""
        if not self._readable:
            with self.index.engine.connect() as connection:
                if sa.inspect(connection).has_table(index_meta.name):
                    stored = dict(connection.execute(sa.select(index_meta.c.key, index_meta.c.value)).all())
                    self._readable = stored == self.index.expected_meta()
        if self._readable:
            return self.index.engine.connect()
        with self._reach_lock:
            away = self._reach.unreachable_since is not None
        if away:
            raise IndexReadError("the chain index has never been built, and the chain does not answer")
        return self.index.connect()

    # ---------------------------------------------------------------- batches on chain

    def batch_count(
        self,
        *,
        up_to_block: int | None = None,
        start: date | None = None,
        end: date | None = None,
        office_id: int | None = None,
    ) -> int:
        """How many batches the index holds (anchored up to `up_to_block`, in the period, of the
        office, when given)."""
        lower, upper = period_bounds(start, end)
        c = chain_batches.c
        query = _in_period(sa.select(sa.func.count()).select_from(chain_batches), c.block_time, lower, upper)
        if up_to_block is not None:
            query = query.where(c.block_number <= up_to_block)
        if office_id is not None:
            query = query.where(c.office_id == office_id)
        with self._connect() as connection:
            return int(connection.execute(query).scalar_one())

    def batch(self, batch_id: int) -> ChainBatchOut | None:
        """The batch anchored with this id, if the index has it."""
        found = self._batch_rows(sa.true(), batch_id=batch_id, limit=1, offset=0, newest_first=False)
        return found[0] if found else None

    def leaf_statuses(self, root: bytes) -> dict[int, tuple[str, int]]:
        """The last status change on chain of each leaf of the batch `root` that has one:
        leaf index → (action, reason code). A leaf absent has never changed: it is valid."""
        s = chain_status_changes.c
        statuses: dict[int, tuple[str, int]] = {}
        with self._connect() as connection:
            for action, reason, packed in connection.execute(
                sa.select(s.action, s.reason, s.indexes)
                .where(s.root == root)
                .order_by(s.block_number, s.log_index)
            ):
                for index in unpack_indexes(bytes(packed)):
                    statuses[index] = (str(action), int(reason))
        return statuses

    # ---------------------------------------------------------------- issuance

    def batches(
        self,
        *,
        start: date | None = None,
        end: date | None = None,
        office_id: int | None = None,
        limit: int | None = None,
        offset: int = 0,
        newest_first: bool = False,
    ) -> list[ChainBatchOut]:
        """Batches anchored in the period, oldest first (or newest first)."""
        lower, upper = period_bounds(start, end)
        c = chain_batches.c
        where = sa.and_(
            sa.true(),
            *([] if lower is None else [c.block_time >= lower]),
            *([] if upper is None else [c.block_time < upper]),
            *([] if office_id is None else [c.office_id == office_id]),
        )
        return self._batch_rows(where, limit=limit, offset=offset, newest_first=newest_first)

    def _batch_rows(
        self,
        where: sa.ColumnElement[bool],
        *,
        batch_id: int | None = None,
        limit: int | None,
        offset: int,
        newest_first: bool,
    ) -> list[ChainBatchOut]:
        c = chain_batches.c
        order = (c.block_number.desc(), c.log_index.desc()) if newest_first else (c.block_number, c.log_index)
        query: sa.Select[Any] = (
            sa.select(
                c.batch_id,
                c.root,
                c.office_id,
                c.type_id,
                c.count,
                c.key,
                c.block_number,
                c.block_time,
                c.transaction_hash,
            )
            .where(where)
            .order_by(*order)
        )
        if batch_id is not None:
            query = query.where(c.batch_id == batch_id)
        if limit is not None:
            query = query.limit(limit).offset(offset)
        with self._connect() as connection:
            return [
                ChainBatchOut(
                    batch_id=int(r[0]),
                    root=bytes(r[1]),
                    office_id=int(r[2]),
                    type_id=int(r[3]),
                    count=int(r[4]),
                    key=r[5],
                    block=int(r[6]),
                    time=int(r[7]),
                    transaction=bytes(r[8]),
                )
                for r in connection.execute(query)
            ]

    def issuance(
        self, *, start: date | None = None, end: date | None = None, by: Grouping = "office"
    ) -> list[IssuanceRowOut]:
        """Batches and certificates anchored in the period, per office, type, day or month."""
        if by not in GROUPINGS:
            raise AuditQueryError(f"issuance is grouped by one of {', '.join(GROUPINGS)}, not {by!r}")
        lower, upper = period_bounds(start, end)
        c = chain_batches.c
        query = _in_period(
            sa.select(c.office_id, c.type_id, c.block_time, c.count), c.block_time, lower, upper
        )
        totals: dict[Any, list[int]] = defaultdict(lambda: [0, 0])
        with self._connect() as connection:
            for office_id, type_id, block_time, count in connection.execute(query):
                moment = datetime.fromtimestamp(int(block_time), BEIJING)
                key: Any = {
                    "office": int(office_id),
                    "type": int(type_id),
                    "day": moment.date().isoformat(),
                    "month": moment.strftime("%Y-%m"),
                }[by]
                totals[key][0] += 1
                totals[key][1] += int(count)
            names = self._office_names(connection) if by == "office" else {}
        return [
            IssuanceRowOut(
                group=str(key),
                label=names.get(key, "") if by == "office" else (f"type {key}" if by == "type" else str(key)),
                batches=batches,
                certificates=certificates,
            )
            for key, (batches, certificates) in sorted(totals.items())
        ]

    # ---------------------------------------------------------------- status

    def status_changes(
        self,
        *,
        start: date | None = None,
        end: date | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[StatusChangeOut]:
        """Revocations, suspensions and reinstatements in the period, oldest first."""
        lower, upper = period_bounds(start, end)
        s = chain_status_changes.c
        query: sa.Select[Any] = (
            sa.select(
                s.block_number,
                s.block_time,
                s.action,
                s.reason,
                s.batch_id,
                chain_batches.c.office_id,
                s.count,
                s.root,
                s.by,
                s.transaction_hash,
            )
            .outerjoin(chain_batches, chain_batches.c.root == s.root)
            .order_by(s.block_number, s.log_index)
        )
        query = _in_period(query, s.block_time, lower, upper)
        if limit is not None:
            query = query.limit(limit).offset(offset)
        with self._connect() as connection:
            return [
                StatusChangeOut(
                    block=int(r[0]),
                    time=int(r[1]),
                    action=r[2],
                    reason=int(r[3]),
                    reason_label=reason_label(int(r[3])),
                    batch_id=int(r[4]),
                    office_id=None if r[5] is None else int(r[5]),
                    certificates=int(r[6]),
                    root=bytes(r[7]),
                    by=r[8],
                    transaction=bytes(r[9]),
                )
                for r in connection.execute(query)
            ]

    def status_summary(self, *, start: date | None = None, end: date | None = None) -> list[StatusCountOut]:
        """Status changes in the period counted per action and reason code."""
        totals: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0])
        for row in self.status_changes(start=start, end=end):
            totals[row.action, row.reason][0] += 1
            totals[row.action, row.reason][1] += row.certificates
        return [
            StatusCountOut(
                action=action,
                reason=reason,
                reason_label=reason_label(reason),
                changes=changes,
                certificates=certificates,
            )
            for (action, reason), (changes, certificates) in sorted(totals.items())
        ]

    # ---------------------------------------------------------------- trust

    def trust(self, *, block: int | None = None) -> TrustOut:
        """The issuer registry and the access log's operators as they were after `block` (the
        last indexed block by default)."""
        indexed_to = self.indexed_to()
        if block is None:
            block = indexed_to
        if block > indexed_to:
            raise AuditQueryError(
                f"the index reaches block {indexed_to}, not {block}: run `certledger audit index` first"
            )
        r = chain_registry_changes.c
        with self._connect() as connection:
            rows = connection.execute(
                sa.select(chain_registry_changes)
                .where(r.block_number <= block)
                .order_by(r.block_number, r.log_index)
            ).mappings()
            registry = _Registry(governor=self.index.deployment.governor)
            for row in rows:
                _apply(registry, row)
            block_time = connection.execute(
                sa.select(indexed_blocks.c.timestamp)
                .where(indexed_blocks.c.number <= block)
                .order_by(indexed_blocks.c.number.desc())
                .limit(1)
            ).scalar_one_or_none()
        return registry.state(block, block_time)

    # ---------------------------------------------------------------- access

    def log_anchors(self, *, log_id: bytes | None = None) -> list[ChainAnchorOut]:
        """Checkpoints of the access logs, oldest first."""
        a = chain_log_anchors.c
        query = sa.select(
            a.log_id, a.size, a.root, a.sequence, a.operator, a.block_number, a.block_time, a.transaction_hash
        ).order_by(a.block_number, a.log_index)
        if log_id is not None:
            query = query.where(a.log_id == log_id)
        with self._connect() as connection:
            return [
                ChainAnchorOut(
                    log_id=bytes(r[0]),
                    size=int(r[1]),
                    root=bytes(r[2]),
                    sequence=int(r[3]),
                    operator=r[4],
                    block=int(r[5]),
                    time=int(r[6]),
                    transaction=bytes(r[7]),
                )
                for r in connection.execute(query)
            ]

    def anchored_root(self, log_id: bytes, size: int) -> bytes | None:
        """The root anchored on chain for `size` entries of the log, if any."""
        a = chain_log_anchors.c
        with self._connect() as connection:
            root = connection.execute(
                sa.select(a.root).where(a.log_id == log_id, a.size == size)
            ).scalar_one_or_none()
        return None if root is None else bytes(root)

    def anchored_roots(self, log_id: bytes) -> dict[int, bytes]:
        """Every anchored size of the log and its root."""
        return {row.size: row.root for row in self.log_anchors(log_id=log_id)}

    def check_inclusion(
        self, *, log_id: bytes, seq: int, size: int, entry: bytes, proof: Sequence[bytes]
    ) -> ProofCheck:
        """Whether `entry` is entry `seq` of the log of `size` entries whose root is on chain."""
        anchored = self.anchored_root(log_id, size)
        if anchored is None:
            return ProofCheck(
                kind="inclusion",
                sizes=(size,),
                anchored_roots=(None,),
                verified=False,
                reason=f"no root is anchored for size {size}",
            )
        try:
            verified = verify_inclusion(log_leaf_hash(entry), seq, size=size, proof=proof, root=anchored)
        except LogTreeError as error:
            return ProofCheck(
                kind="inclusion", sizes=(size,), anchored_roots=(anchored,), verified=False, reason=str(error)
            )
        reason = (
            f"entry {seq} is in the first {size} entries anchored on chain"
            if verified
            else f"the proof does not lead from entry {seq} to the root anchored for size {size}"
        )
        return ProofCheck(
            kind="inclusion", sizes=(size,), anchored_roots=(anchored,), verified=verified, reason=reason
        )

    def check_consistency(
        self, *, log_id: bytes, first: int, second: int, proof: Sequence[bytes]
    ) -> ProofCheck:
        """Whether the log anchored at `second` entries extends the one anchored at `first`."""
        roots = (self.anchored_root(log_id, first), self.anchored_root(log_id, second))
        missing = [size for size, root in zip((first, second), roots, strict=True) if root is None]
        if missing:
            sizes = " and ".join(str(size) for size in missing)
            return ProofCheck(
                kind="consistency",
                sizes=(first, second),
                anchored_roots=roots,
                verified=False,
                reason=f"no root is anchored for size {sizes}",
            )
        old_root, new_root = roots
        assert old_root is not None and new_root is not None  # noqa: S101 — checked just above
        try:
            verified = verify_consistency(first, second, old_root=old_root, new_root=new_root, proof=proof)
        except LogTreeError as error:
            return ProofCheck(
                kind="consistency",
                sizes=(first, second),
                anchored_roots=roots,
                verified=False,
                reason=str(error),
            )
        reason = (
            f"the log anchored at {second} entries extends the one anchored at {first}"
            if verified
            else f"the proof does not show that the log at {second} entries extends the one at {first}"
        )
        return ProofCheck(
            kind="consistency", sizes=(first, second), anchored_roots=roots, verified=verified, reason=reason
        )

    # ---------------------------------------------------------------- helpers

    @staticmethod
    def _office_names(connection: sa.Connection) -> dict[int, str]:
        r = chain_registry_changes.c
        return {
            int(office_id): str(name)
            for office_id, name in connection.execute(
                sa.select(r.office_id, r.display_name).where(r.event == "OfficeRegistered")
            )
        }


def _in_period(query: sa.Select[Any], column: Any, lower: int | None, upper: int | None) -> sa.Select[Any]:
    if lower is not None:
        query = query.where(column >= lower)
    if upper is not None:
        query = query.where(column < upper)
    return query


def _apply(state: _Registry, row: Any) -> None:  # noqa: PLR0912 — one branch per event
    """Replays one registry event onto `state`."""
    event, office_id, block, moment = (
        row["event"],
        row["office_id"],
        int(row["block_number"]),
        int(row["block_time"]),
    )
    subject, detail = "", ""
    if event == "OfficeRegistered":
        state.offices[office_id] = OfficeOut(
            office_id=office_id,
            region_code=row["region_code"],
            display_name=row["display_name"],
            registered_block=block,
            registered_at=moment,
            suspended_from=None,
            types=[],
        )
        subject, detail = f"office {office_id}", f"{row['display_name']}, region {row['region_code']}"
    elif event == "OfficeSuspended":
        if office_id in state.offices:
            state.offices[office_id].suspended_from = row["time_from"]
        subject, detail = f"office {office_id}", f"not trusted from {_time(row['time_from'])}"
    elif event == "CertificateTypeAllowed":
        if office_id in state.offices:
            state.windows.setdefault(office_id, {}).setdefault(row["type_id"], []).append(
                TypeWindowOut(type_id=row["type_id"], start=row["time_from"], until=None)
            )
        subject, detail = (
            f"office {office_id}",
            f"type {row['type_id']} allowed from {_time(row['time_from'])}",
        )
    elif event == "CertificateTypeWithdrawn":
        windows = state.windows.get(office_id, {}).get(row["type_id"], [])
        if windows and windows[-1].until is None:
            windows[-1].until = row["time_until"]
        subject, detail = (
            f"office {office_id}",
            f"type {row['type_id']} withdrawn from {_time(row['time_until'])}",
        )
    elif event == "KeyAdded":
        state.keys[row["key"]] = KeyOut(
            key=row["key"],
            office_id=office_id,
            key_id=row["key_id"],
            valid_from=row["time_from"],
            valid_until=row["time_until"],
            added_block=block,
        )
        until = _time(row["time_until"]) or "no end"
        subject, detail = (
            f"key {row['key']}",
            f"office {office_id}, valid {_time(row['time_from'])} to {until}",
        )
    elif event == "KeyRetired":
        if row["key"] in state.keys:
            state.keys[row["key"]].valid_until = row["time_until"]
        subject, detail = f"key {row['key']}", f"valid until {_time(row['time_until'])}"
    elif event == "GovernanceTransferred":
        state.governor = row["account"]
        subject, detail = "governor", f"now {row['account']}"
    elif event == "GovernanceTransferStarted":
        subject, detail = "governor", f"offered to {row['account']}"
    elif event in {"OperatorAuthorized", "OperatorRevoked"}:
        log_id = hex0x(row["log_id"])
        operators = state.log_operators.setdefault(log_id, [])
        if event == "OperatorAuthorized" and row["account"] not in operators:
            operators.append(row["account"])
        elif event == "OperatorRevoked" and row["account"] in operators:
            operators.remove(row["account"])
        subject = f"log {log_id[:10]}…"
        detail = f"operator {row['account']} {'authorized' if event == 'OperatorAuthorized' else 'revoked'}"
    state.history.append(
        RegistryEventOut(block=block, time=moment, event=event, subject=subject, detail=detail)
    )
