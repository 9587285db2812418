"""The auditor's view of the operators' access log: checkpoints, entries, activity, proofs, and a
full check of the entries against every root anchored on chain."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any

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
    LogTreeError,
    log_leaf_hash,
    verify_consistency,
    verify_inclusion,
)

_PAGE = 5000  # log entries read per query when counting activity


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
