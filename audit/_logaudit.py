"""The auditor's view of the operators' access log: checkpoints, entries, activity, proofs, and a
full check of the entries against every root anchored on chain."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

import orjson
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from audit._accesslog import LogCheck, check_log, entry_proof, log_size, root_at, sizes_proof
from audit._errors import AuditQueryError, LogEntryNotFoundError, LogNotAnchoredError
from audit._models import access_log, access_log_nodes, log_anchors
from audit._out import Hex, Row
from ledger import (
    ACCESS_LOG_ID,
    BEIJING,
    AccessLogAnchorClient,
    CanonicalJSONError,
    LogTreeError,
    canonical_json,
    hex0x,
    log_leaf_hash,
    parse_json,
    verify_consistency,
    verify_inclusion,
)

_PAGE = 5000  # log entries read per query when counting activity
MAX_PROOF_FILE = 65_536
"""The largest inclusion proof file read, in bytes: an entry is a few hundred bytes and a path
has at most 64 hashes of 32 bytes, so a real proof is a few kilobytes."""
_MAX_PATH = 64  # a log of 2**64 entries; the API takes sizes up to 2**53


def _china_day(stamp: str) -> str:
    """The China-time day of an entry's UTC ``…Z`` time."""
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return moment.astimezone(BEIJING).date().isoformat()


def _china_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=BEIJING)


class CheckpointOut(Row):
    """A size and root of the log anchored on chain."""

    size: int
    root: Hex
    transaction: Hex
    block: int


class LogSummary(Row):
    """The access log now, and its anchored checkpoints."""

    log_id: Hex
    size: int
    root: Hex
    anchors: list[CheckpointOut]


class LogActivityRow(Row):
    """Log events of one kind on one day."""

    day: str
    event: str
    count: int


class LogEntryOut(Row):
    """A log entry as stored."""

    seq: int
    entry: dict[str, Any]
    leaf_hash: Hex


class InclusionOut(Row):
    """The proof that an entry is in the log of a given size."""

    seq: int
    size: int
    entry: dict[str, Any]
    leaf_hash: Hex
    proof: list[Hex]
    root: Hex
    anchored_root: Hex | None
    verified: bool


class ConsistencyOut(Row):
    """The proof that the log at `second` entries extends the log at `first`."""

    first: int
    second: int
    first_root: Hex
    second_root: Hex
    proof: list[Hex]
    anchored_roots: list[Hex | None]
    verified: bool


class LogAudit:
    """Reads the log from `reader` (an engine for queries only) and its anchored roots from the
    chain through `anchors`, which is called only when a root on chain is needed."""

    def __init__(
        self,
        reader: Engine,
        anchors: Callable[[], AccessLogAnchorClient],
        *,
        log_id: bytes = ACCESS_LOG_ID,
    ) -> None:
        self.reader = reader
        self.anchors = anchors
        self.log_id = log_id

    def summary(self) -> LogSummary:
        """The log's size and root now, and its anchored checkpoints (newest first)."""
        with self.reader.connect() as connection:
            size = log_size(connection)
            root = root_at(connection, size)
            anchors = [
                CheckpointOut(size=at, root=bytes(anchored), transaction=bytes(transaction), block=block)
                for at, anchored, transaction, block in connection.execute(
                    sa.select(
                        log_anchors.c.size,
                        log_anchors.c.root,
                        log_anchors.c.transaction_hash,
                        log_anchors.c.block_number,
                    ).order_by(log_anchors.c.size.desc())
                ).all()
            ]
        return LogSummary(log_id=self.log_id, size=size, root=root, anchors=anchors)

    def entries(self, *, start: int, limit: int) -> list[LogEntryOut]:
        """Entries from `start`, as stored: pseudonymous JSON and leaf hash."""
        with self.reader.connect() as connection:
            rows = connection.execute(
                sa.select(access_log.c.seq, access_log.c.entry, access_log.c.leaf_hash)
                .where(access_log.c.seq >= start)
                .order_by(access_log.c.seq)
                .limit(limit)
            ).all()
        return [
            LogEntryOut(seq=seq, entry=json.loads(entry), leaf_hash=bytes(leaf)) for seq, entry, leaf in rows
        ]

    def activity(self, *, start: date | None = None, end: date | None = None) -> list[LogActivityRow]:
        """Log events counted per day (China time) and kind, oldest day first: grants made,
        redeemed, revoked and refused. The entries carry no personal data; only their kind and
        time are read."""
        counts: Counter[tuple[str, str]] = Counter()
        query = sa.select(access_log.c.seq, access_log.c.entry).order_by(access_log.c.seq).limit(_PAGE)
        if start is not None:
            query = query.where(access_log.c.created_at >= _china_midnight(start))
        if end is not None:
            query = query.where(access_log.c.created_at < _china_midnight(end + timedelta(days=1)))
        # Pages by sequence number, not a server-side cursor: the reader runs without a
        # transaction (AUTOCOMMIT on PostgreSQL), where a cursor cannot be declared.
        after = -1
        with self.reader.connect() as connection:
            while rows := connection.execute(query.where(access_log.c.seq > after)).all():
                for _seq, entry in rows:
                    parsed = orjson.loads(entry)
                    counts[_china_day(parsed["time"]), parsed["event"]] += 1
                after = rows[-1][0]
        return [
            LogActivityRow(day=day, event=event, count=count)
            for (day, event), count in sorted(counts.items())
        ]

    def inclusion(self, seq: int, size: int | None) -> InclusionOut:
        """The proof that entry `seq` is in the log of `size` entries (the latest anchored size by
        default), with the root the chain holds for that size.

        Raises `LogNotAnchoredError` without a size before the first anchor, `LogEntryNotFoundError`
        for an entry the log does not hold, `AuditQueryError` for a size the log cannot prove."""
        with self.reader.connect() as connection:
            size = size if size is not None else self._latest_anchor(connection)
            row = connection.execute(
                sa.select(access_log.c.entry).where(access_log.c.seq == seq)
            ).scalar_one_or_none()
            if row is None:
                raise LogEntryNotFoundError(seq)
            try:
                proof = entry_proof(connection, seq, size)
                root = root_at(connection, size)
            except LogTreeError as error:
                raise AuditQueryError(str(error)) from None
        anchored = self.anchors().root_at(self.log_id, size)
        leaf = log_leaf_hash(row)
        return InclusionOut(
            seq=seq,
            size=size,
            entry=json.loads(row),
            leaf_hash=leaf,
            proof=proof,
            root=root,
            anchored_root=anchored or None,
            verified=anchored is not None
            and verify_inclusion(leaf, seq, size=size, proof=proof, root=anchored),
        )

    def consistency(self, first: int, second: int) -> ConsistencyOut:
        """The proof that the log at `second` entries extends the log at `first`; `AuditQueryError`
        unless ``0 < first <= second`` and the log can prove it."""
        if not 0 < first <= second:
            raise AuditQueryError("first and second: sizes with 0 < first <= second")
        with self.reader.connect() as connection:
            try:
                proof = sizes_proof(connection, first, second)
                first_root, second_root = root_at(connection, first), root_at(connection, second)
            except LogTreeError as error:
                raise AuditQueryError(str(error)) from None
        client = self.anchors()
        anchored = (client.root_at(self.log_id, first), client.root_at(self.log_id, second))
        return ConsistencyOut(
            first=first,
            second=second,
            first_root=first_root,
            second_root=second_root,
            proof=proof,
            anchored_roots=[root or None for root in anchored],
            verified=None not in anchored
            and verify_consistency(
                first, second, old_root=anchored[0] or b"", new_root=anchored[1] or b"", proof=proof
            ),
        )

    def check(self) -> LogCheck:
        """Recomputes the whole log from its entries and compares it with every root on chain."""
        client = self.anchors()
        with self.reader.connect() as connection:
            sizes = [int(size) for size in connection.execute(sa.select(log_anchors.c.size)).scalars()]
            head = client.head(self.log_id)
            if head.size and head.size not in sizes:
                sizes.append(head.size)
            anchors = {}
            for size in sizes:
                root = client.root_at(self.log_id, size)
                if root is not None:
                    anchors[size] = root
            rows = connection.execute(
                sa.select(access_log.c.seq, access_log.c.entry, access_log.c.leaf_hash).order_by(
                    access_log.c.seq
                )
            ).all()
            nodes = {
                (level, index): node
                for level, index, node in connection.execute(
                    sa.select(access_log_nodes.c.level, access_log_nodes.c.idx, access_log_nodes.c.hash)
                ).all()
            }
        return check_log(((r[0], r[1], r[2]) for r in rows), anchors, stored_nodes=nodes)

    def _latest_anchor(self, connection: sa.Connection) -> int:
        latest = connection.execute(sa.select(sa.func.max(log_anchors.c.size))).scalar_one()
        if latest is None:
            raise LogNotAnchoredError
        return int(latest)


Step = Literal["leaf hash", "path", "root not anchored"]
"""The steps of an offline inclusion check, in order."""


class InclusionProofIn(Row):
    """An inclusion proof as the API hands it out (`InclusionOut`), read from a file: only what
    the offline check recomputes is taken; its ``anchoredRoot`` and ``verified`` are not trusted."""

    seq: int
    size: int
    entry: dict[str, Any]
    leaf_hash: Hex
    proof: list[Hex]
    root: Hex


class OfflineInclusionCheck(Row):
    """An inclusion proof checked with nothing but itself and the root anchored on chain."""

    seq: int
    size: int
    verified: bool
    failed: Step | None
    reason: str
    root: Hex
    anchored_root: Hex | None


def read_inclusion_proof(data: bytes) -> InclusionProofIn:
    """The inclusion proof in `data` (the JSON of ``/v1/audit/log/entries/{seq}/proof``);
    `AuditQueryError` saying what is wrong when it is too large, not JSON, or lacks a field."""
    if len(data) > MAX_PROOF_FILE:
        raise AuditQueryError(f"it is larger than {MAX_PROOF_FILE} bytes: not an inclusion proof")
    try:
        document = parse_json(data)
    except CanonicalJSONError as error:
        raise AuditQueryError(f"it is refused as JSON ({error})") from None
    if not isinstance(document, dict):
        raise AuditQueryError("it is not a JSON object")
    missing = [name for name in ("seq", "size", "entry", "leafHash", "proof", "root") if name not in document]
    if missing:
        raise AuditQueryError(
            f"it lacks {', '.join(missing)}: give the JSON of /v1/audit/log/entries/SEQ/proof"
        )
    seq, size, entry, path = document["seq"], document["size"], document["entry"], document["proof"]
    if type(seq) is not int or seq < 0:
        raise AuditQueryError("seq is not a whole number from 0")
    if type(size) is not int or size < 1:
        raise AuditQueryError("size is not a whole number from 1")
    if not isinstance(entry, dict):
        raise AuditQueryError("entry is not a JSON object")
    if not isinstance(path, list) or len(path) > _MAX_PATH:
        raise AuditQueryError(f"proof is not a list of at most {_MAX_PATH} hashes")
    return InclusionProofIn(
        seq=seq,
        size=size,
        entry=entry,
        leaf_hash=_hash32(document["leafHash"], "leafHash"),
        proof=[_hash32(node, f"proof[{i}]") for i, node in enumerate(path)],
        root=_hash32(document["root"], "root"),
    )


def _hash32(value: Any, name: str) -> bytes:
    if isinstance(value, str) and value.startswith("0x") and len(value) == 66:
        try:
            return bytes.fromhex(value[2:])
        except ValueError:
            pass
    raise AuditQueryError(f"{name} is not a 32-byte hash written 0x and 64 hex digits")


def check_inclusion_offline(proof: InclusionProofIn, anchored_root: bytes | None) -> OfflineInclusionCheck:
    """Checks `proof` step by step: its entry hashes to its leaf hash, its path leads from that
    leaf to its root, and that root is `anchored_root`, the chain's for its size. The first step
    that fails is named."""
    failed, reason = _proof_problem(proof) or _anchor_problem(proof, anchored_root) or (None, "")
    return OfflineInclusionCheck(
        seq=proof.seq,
        size=proof.size,
        verified=failed is None,
        failed=failed,
        reason=reason
        or f"entry {proof.seq} is in the first {proof.size} entries, whose root is anchored on chain",
        root=proof.root,
        anchored_root=anchored_root,
    )


def _proof_problem(proof: InclusionProofIn) -> tuple[Step, str] | None:
    """What is wrong with the proof in itself: its leaf hash or its path."""
    try:
        leaf = log_leaf_hash(canonical_json(proof.entry))
    except CanonicalJSONError as error:
        return "leaf hash", f"the entry cannot be canonical JSON: {error}"
    if leaf != proof.leaf_hash:
        return "leaf hash", f"the entry hashes to {hex0x(leaf)}, not to the leaf hash given"
    try:
        leads = verify_inclusion(leaf, proof.seq, size=proof.size, proof=proof.proof, root=proof.root)
    except LogTreeError as error:
        return "path", f"the audit path cannot be followed: {error}"
    if not leads:
        return "path", f"the audit path does not lead from entry {proof.seq} to the root given"
    return None


def _anchor_problem(proof: InclusionProofIn, anchored_root: bytes | None) -> tuple[Step, str] | None:
    """What is wrong with the proof's root against the chain's for its size."""
    if anchored_root is None:
        return "root not anchored", f"no root is anchored on chain for size {proof.size}"
    if anchored_root != proof.root:
        return (
            "root not anchored",
            f"the root given is not the one anchored on chain for size {proof.size}: {hex0x(anchored_root)}",
        )
    return None
