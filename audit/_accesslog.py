"""The access log: every grant, revocation and redemption, as an append-only Merkle log.

Each entry is canonical JSON (RFC 8785) holding only pseudonymous ids and hashes: the citizen as
a keyed pseudonym, the grant and unit by their random ids, the certificate by its document root,
the purpose by its SHA-256. Entries are the leaves of an RFC 9162 tree (`ledger` computes it from
stored perfect subtrees); a worker anchors the tree's size and root on chain, so an auditor can
prove that an entry is in the log and that a later root extends an earlier one — and `check_log`
recomputes the tree from the entries themselves, so an entry altered or deleted in the database
shows up against the roots on chain.

Appends happen inside the caller's transaction, together with the change they record, under the
log's lock: SQLite's write lock (every transaction begins IMMEDIATE), PostgreSQL's advisory lock.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from audit._models import access_log, access_log_nodes, log_anchors
from ledger import (
    AccessLogAnchorClient,
    ChainError,
    Clock,
    MemorySubtreeStore,
    TransactionError,
    canonical_json,
    completed_subtrees,
    consistency_proof,
    hex0x,
    inclusion_proof,
    log_leaf_hash,
    log_root,
    parse_json,
    system_clock,
)

LOG_FORMAT = 2
"""2 added `addressedTo`: the unit a grant is addressed to, beside `unit`, the one that acted."""
_ADVISORY_LOCK = 0x6365_7274_6C6F_67  # "certlog"


class Pseudonyms:
    """Keyed pseudonyms of citizens for the log: stable per citizen, meaningless without the key."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def of(self, citizen_id: str) -> str:
        """The citizen's pseudonym: 128 bits as hex."""
        return hmac.new(self._key, b"access-log|" + citizen_id.encode(), hashlib.sha256).hexdigest()[:32]


@dataclass(frozen=True, slots=True)
class LogEvent:
    """What happened, before it is numbered and timed.

    `unit` is the unit that acted: the one a grant was made for, or the one that redeemed or
    tried to redeem it. `addressed` is the unit the grant is addressed to, when that is another
    (a unit opening someone else's grant): both are named, so the misuse shows.
    """

    event: str
    subject: str
    grant: str
    unit: str
    certificate: bytes
    fields: Sequence[str] = ()
    purpose: str | None = None
    outcome: str | None = None
    addressed: str | None = None

    def entry(self, seq: int, moment: datetime) -> dict[str, Any]:
        """The entry as stored and hashed."""
        return {
            "v": LOG_FORMAT,
            "seq": seq,
            "time": moment.isoformat(timespec="microseconds").replace("+00:00", "Z"),
            "event": self.event,
            "subject": self.subject,
            "grant": self.grant,
            "unit": self.unit,
            "certificate": hex0x(self.certificate),
            "fields": list(self.fields),
            "purpose": None
            if self.purpose is None
            else hex0x(hashlib.sha256(self.purpose.encode()).digest()),
            "outcome": self.outcome,
            "addressedTo": self.addressed or self.unit,
        }


class _DatabaseSubtrees:
    """The stored perfect subtrees, read in one query per operation."""

    def __init__(self, connection: sa.Connection) -> None:
        self.connection = connection

    def nodes(self, keys: Sequence[tuple[int, int]]) -> Mapping[tuple[int, int], bytes]:
        if not keys:
            return {}
        # (level = ? AND idx = ?) OR …: SQLite reads a row-value IN list with a full scan.
        wanted = sa.or_(
            *(
                sa.and_(access_log_nodes.c.level == level, access_log_nodes.c.idx == index)
                for level, index in keys
            )
        )
        rows = self.connection.execute(
            sa.select(access_log_nodes.c.level, access_log_nodes.c.idx, access_log_nodes.c.hash).where(wanted)
        ).all()
        return {(level, index): node for level, index, node in rows}


def lock_log(connection: sa.Connection) -> None:
    """Takes the log's lock for the rest of the transaction (SQLite holds its write lock already)."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK})


def log_size(connection: sa.Connection) -> int:
    """How many entries the log holds."""
    last = connection.execute(sa.select(sa.func.max(access_log.c.seq))).scalar_one()
    return 0 if last is None else int(last) + 1


def append_events(connection: sa.Connection, events: Sequence[LogEvent], *, now: datetime) -> list[int]:
    """Appends `events` in the caller's transaction; returns their sequence numbers."""
    if not events:
        return []
    lock_log(connection)
    size = log_size(connection)
    # The left siblings the new leaves complete: the trailing perfect subtrees of `size`.
    wanted = [(level, (size >> level) - 1) for level in range(64) if (size >> level) & 1]
    known = dict(_DatabaseSubtrees(connection).nodes(wanted))
    entry_rows: list[dict[str, Any]] = []
    node_rows: list[dict[str, Any]] = []
    seqs: list[int] = []
    for offset, event in enumerate(events):
        seq = size + offset
        entry = canonical_json(event.entry(seq, now))
        leaf = log_leaf_hash(entry)
        for level, index, node in completed_subtrees(seq, leaf, get=lambda level, index: known[level, index]):
            known[level, index] = node
            node_rows.append({"level": level, "idx": index, "hash": node})
        seqs.append(seq)
        entry_rows.append(
            {
                "seq": seq,
                "entry": entry,
                "leaf_hash": leaf,
                "subject": event.subject,
                "grant_id": event.grant,
                "created_at": now,
            }
        )
    connection.execute(sa.insert(access_log), entry_rows)
    connection.execute(sa.insert(access_log_nodes), node_rows)
    return seqs


def root_at(connection: sa.Connection, size: int) -> bytes:
    """The log's root at `size` entries."""
    return log_root(size, _DatabaseSubtrees(connection))


def entry_proof(connection: sa.Connection, seq: int, size: int) -> list[bytes]:
    """The inclusion proof of entry `seq` in the log of `size` entries."""
    return inclusion_proof(seq, size, store=_DatabaseSubtrees(connection))


def sizes_proof(connection: sa.Connection, old_size: int, new_size: int) -> list[bytes]:
    """The consistency proof from `old_size` to `new_size`."""
    return consistency_proof(old_size, new_size, store=_DatabaseSubtrees(connection))


@dataclass(slots=True)
class LogCheck:
    """What recomputing the log from its entries found."""

    size: int = 0
    checked_anchors: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        """Whether nothing was found wrong."""
        return not self.problems


def check_log(
    entries: Iterable[tuple[int, bytes, bytes]],
    anchors: Mapping[int, bytes],
    *,
    stored_nodes: Mapping[tuple[int, int], bytes] | None = None,
) -> LogCheck:
    """Recomputes the log from `(seq, entry, stored leaf hash)` rows in order and compares it
    with the anchored roots (`size` → root, from the chain) and, when given, the stored subtrees.

    Every entry must carry its own number, hash to its stored leaf, and follow the one before; the
    root at every anchored size must be the chain's. A gap, an altered entry or a mismatched root
    is reported with where it is.
    """
    report = LogCheck()
    tree = MemorySubtreeStore()
    expected = 0
    pending = sorted(anchors)
    for seq, entry, stored_leaf in entries:
        if seq != expected:
            report.problems.append(f"entries {expected} to {seq - 1} are missing (deleted?)")
            break
        leaf = log_leaf_hash(entry)
        if leaf != stored_leaf:
            report.problems.append(f"entry {seq}: its content does not hash to its stored leaf (altered)")
        try:
            numbered = parse_json(entry).get("seq")
        except ValueError:
            numbered = None
        if numbered != seq:
            report.problems.append(f"entry {seq}: it says it is entry {numbered}")
        tree.append(leaf)
        expected += 1
        while pending and pending[0] == expected:
            _compare_root(tree, expected, anchors[expected], report)
            pending.pop(0)
    report.size = expected
    for size in pending:
        report.problems.append(
            f"the chain anchors {size} entries but the database holds {expected} (entries deleted?)"
        )
    if stored_nodes is not None:
        mismatched = [key for key, node in stored_nodes.items() if tree.nodes([key]).get(key) != node]
        if mismatched:
            level, index = mismatched[0]
            report.problems.append(
                f"{len(mismatched)} stored subtree hash(es) do not match the entries, "
                f"first at level {level}, index {index}"
            )
    return report


def _compare_root(tree: MemorySubtreeStore, size: int, anchored: bytes, report: LogCheck) -> None:
    report.checked_anchors += 1
    if log_root(size, tree) != anchored:
        report.problems.append(
            f"the root of the first {size} entries is not the one anchored on chain (an entry was changed)"
        )


class LogAnchorer:
    """Anchors the log's size and root on chain when it has grown."""

    def __init__(
        self, engine: Engine, client: AccessLogAnchorClient, *, log_id: bytes, clock: Clock = system_clock
    ) -> None:
        self.engine = engine
        self.clock = clock
        self.client = client
        self.log_id = log_id
        self._lock = threading.Lock()

    def step(self) -> int | None:
        """Anchors the current size if the chain has less; returns the size anchored, if any.

        The chain is asked first, so a crash after sending (anchored, not recorded) is recorded
        on the next step instead of anchored twice. Errors are the caller's to wait out (the
        service's supervisor does); one process at a time steps (a job lease in the service).
        """
        with self._lock:
            with self.engine.connect() as connection:
                size = log_size(connection)
                if size == 0:
                    return None
                root = root_at(connection, size)
            try:
                head = self.client.head(self.log_id)
                if head.size >= size:
                    if head.size == size and head.root == root:
                        self._record(size, root, None)
                    return None
                receipt = self.client.append(self.log_id, root=root, size=size)
            except (ChainError, TransactionError):
                if self.client.sender is not None:
                    self.client.sender.forget_nonce()  # the next step asks the node afresh
                raise
            self._record(size, root, receipt)
            return size

    def _record(self, size: int, root: bytes, receipt: Any) -> None:
        with self.engine.begin() as connection:
            exists = connection.execute(
                sa.select(log_anchors.c.size).where(log_anchors.c.size == size)
            ).first()
            if exists is not None:
                return
            connection.execute(
                sa.insert(log_anchors).values(
                    size=size,
                    root=root,
                    transaction_hash=receipt.transaction_hash if receipt else bytes(32),
                    block_number=receipt.block_number if receipt else 0,
                    anchored_at=self.clock(),
                )
            )
