"""The chain indexer: the contracts' events, from their deployment block, in a database of its own.

The index is a cache of the chain, never a source of truth: it needs nothing of the operators'
database, and can be deleted and rebuilt at any time. It holds

* ``indexed_blocks``: the number, hash and time of every block that held an event, and of the
  last block of every page, so that a reorganization is noticed;
* ``chain_batches``, ``chain_status_changes``, ``chain_registry_changes``, ``chain_log_anchors``:
  the decoded events, one row each;
* ``index_cursor``: the next block to read; ``index_meta``: the schema version and the deployment
  (chain id, genesis hash, contract addresses) the rows belong to.

Blocks are read in pages. A page's rows and the cursor move in one transaction, so a crash leaves
the index at the end of the last committed page and the next run goes on from there. Before each
page the hash of the last indexed block is compared with the chain's; when they differ (a
reorganization, or a local node restarted from an older state) the index walks back through its
stored hashes to the newest block the chain still has, deletes everything after it, and reads
again from there.

The tables are created from this module's metadata (not by Alembic): when `SCHEMA_VERSION` or the
deployment differs from what the index was built for, the tables are dropped and rebuilt from the
chain.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from web3 import Web3
from web3.types import RPCEndpoint

from audit._errors import AuditConfigError, AuditQueryError, IndexReadError
from ledger import (
    OPEN_END,
    ChainError,
    Clock,
    Deployment,
    Event,
    EventReader,
    create_database_engine,
    genesis_hash,
    load_artifact,
    system_clock,
)

log = logging.getLogger("certledger.indexer")

SCHEMA_VERSION = 1
DEFAULT_PAGE_SIZE = 2000
_HEADER_BATCH = 500
_ADVISORY_LOCK = 0x6365_7274_6964_78  # "certidx"
_STATUS_EVENTS = {
    "CertificatesRevoked": "revoked",
    "CertificatesSuspended": "suspended",
    "CertificatesReinstated": "reinstated",
}
REGISTRY_EVENTS = (
    "OfficeRegistered",
    "OfficeSuspended",
    "CertificateTypeAllowed",
    "CertificateTypeWithdrawn",
    "KeyAdded",
    "KeyRetired",
    "GovernanceTransferStarted",
    "GovernanceTransferred",
    "OperatorAuthorized",
    "OperatorRevoked",
)

metadata = sa.MetaData()

index_meta = sa.Table(
    "index_meta",
    metadata,
    sa.Column("key", sa.String(40), primary_key=True),
    sa.Column("value", sa.String(200), nullable=False),
)
index_cursor = sa.Table(
    "index_cursor",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("next_block", sa.BigInteger, nullable=False),
    sa.Column("updated_at", sa.BigInteger, nullable=False),
)
indexed_blocks = sa.Table(
    "indexed_blocks",
    metadata,
    sa.Column("number", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("hash", sa.LargeBinary(32), nullable=False),
    sa.Column("timestamp", sa.BigInteger, nullable=False),
)
chain_batches = sa.Table(
    "chain_batches",
    metadata,
    sa.Column("root", sa.LargeBinary(32), primary_key=True),
    sa.Column("batch_id", sa.BigInteger, nullable=False, unique=True),
    sa.Column("office_id", sa.BigInteger, nullable=False, index=True),
    sa.Column("type_id", sa.BigInteger, nullable=False),
    sa.Column("count", sa.BigInteger, nullable=False),
    sa.Column("metadata_hash", sa.LargeBinary(32), nullable=False),
    sa.Column("key", sa.String(42), nullable=False),
    sa.Column("block_number", sa.BigInteger, nullable=False, index=True),
    sa.Column("block_time", sa.BigInteger, nullable=False, index=True),
    sa.Column("transaction_hash", sa.LargeBinary(32), nullable=False),
    sa.Column("log_index", sa.Integer, nullable=False),
)
chain_status_changes = sa.Table(
    "chain_status_changes",
    metadata,
    sa.Column("block_number", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("log_index", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("action", sa.String(16), nullable=False),
    sa.Column("root", sa.LargeBinary(32), nullable=False, index=True),
    sa.Column("batch_id", sa.BigInteger, nullable=False),
    sa.Column("reason", sa.Integer, nullable=False),
    sa.Column("count", sa.BigInteger, nullable=False),
    sa.Column("indexes", sa.LargeBinary, nullable=False),
    sa.Column("by", sa.String(42), nullable=False),
    sa.Column("block_time", sa.BigInteger, nullable=False, index=True),
    sa.Column("transaction_hash", sa.LargeBinary(32), nullable=False),
)
chain_registry_changes = sa.Table(
    "chain_registry_changes",
    metadata,
    sa.Column("block_number", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("log_index", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("event", sa.String(40), nullable=False),
    sa.Column("office_id", sa.BigInteger, nullable=True),
    sa.Column("type_id", sa.BigInteger, nullable=True),
    sa.Column("key", sa.String(42), nullable=True),
    sa.Column("key_id", sa.BigInteger, nullable=True),
    sa.Column("time_from", sa.BigInteger, nullable=True),
    sa.Column("time_until", sa.BigInteger, nullable=True),
    sa.Column("region_code", sa.BigInteger, nullable=True),
    sa.Column("display_name", sa.String(200), nullable=True),
    sa.Column("log_id", sa.LargeBinary(32), nullable=True),
    sa.Column("account", sa.String(42), nullable=True),
    sa.Column("block_time", sa.BigInteger, nullable=False),
    sa.Column("transaction_hash", sa.LargeBinary(32), nullable=False),
)
chain_log_anchors = sa.Table(
    "chain_log_anchors",
    metadata,
    sa.Column("log_id", sa.LargeBinary(32), primary_key=True),
    sa.Column("size", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("root", sa.LargeBinary(32), nullable=False),
    sa.Column("sequence", sa.BigInteger, nullable=False),
    sa.Column("operator", sa.String(42), nullable=False),
    sa.Column("block_number", sa.BigInteger, nullable=False, index=True),
    sa.Column("block_time", sa.BigInteger, nullable=False),
    sa.Column("transaction_hash", sa.LargeBinary(32), nullable=False),
    sa.Column("log_index", sa.Integer, nullable=False),
)
EVENT_TABLES = (chain_batches, chain_status_changes, chain_registry_changes, chain_log_anchors)


def default_index_url(data_dir: Path, chain_id: int) -> str:
    """The embedded index of chain `chain_id`: ``<data>/chain-index-<chain id>.db``."""
    return f"sqlite:///{data_dir / f'chain-index-{chain_id}.db'}"


def unpack_indexes(packed: bytes) -> list[int]:
    """The certificate indexes of a status event: 4-byte big-endian words."""
    return [int.from_bytes(packed[i : i + 4], "big") for i in range(0, len(packed), 4)]


@dataclass(frozen=True, slots=True)
class BlockHeader:
    """What the index keeps of a block."""

    number: int
    hash: bytes
    timestamp: int


@dataclass(slots=True)
class SyncReport:
    """What one `ChainIndex.sync` did."""

    start_block: int
    indexed_to: int = -1
    head: int = -1
    pages: int = 0
    events: int = 0
    reorgs: list[tuple[int, int]] = field(default_factory=list)  # (last indexed block, common ancestor)
    rebuilt: str | None = None


Progress = Callable[[int, int, int], None]  # (indexed to, target block, events so far)


class ChainIndex:
    """The index of one deployment's events in its own database.

    `w3` is the node to read, `deployment` the contracts to follow; `url` names the database
    (``sqlite:///…`` or ``postgresql://…``), or an `engine` is handed over.
    """

    def __init__(
        self,
        w3: Web3,
        deployment: Deployment,
        *,
        url: str | None = None,
        engine: Engine | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        confirmations: int = 0,
        clock: Clock = system_clock,
    ) -> None:
        if (url is None) == (engine is None):
            raise AuditConfigError("a chain index needs a database URL or an engine, not both")
        if page_size < 1:
            raise AuditConfigError(f"the page size is at least one block, got {page_size}")
        self.w3 = w3
        self.deployment = deployment
        self.engine = engine if engine is not None else create_database_engine(str(url))
        self.page_size = page_size
        self.confirmations = confirmations
        self.clock = clock
        self._readers = [
            EventReader(w3, deployment.ledger, load_artifact("CertificateLedger").abi, page_size=page_size),
            EventReader(w3, deployment.access_log, load_artifact("AccessLogAnchor").abi, page_size=page_size),
        ]
        self._prepared = False
        self._sync_lock = threading.Lock()

    # ---------------------------------------------------------------- set-up

    def expected_meta(self) -> dict[str, str]:
        """What the index records about the deployment it belongs to."""
        deployment = self.deployment
        return {
            "schema_version": str(SCHEMA_VERSION),
            "chain_id": str(deployment.chain_id),
            "genesis_hash": deployment.genesis_hash,
            "ledger": deployment.ledger,
            "access_log": deployment.access_log,
            "start_block": str(deployment.start_block),
        }

    def prepare(self) -> str | None:
        """Creates the tables, or rebuilds them when they belong to another schema or deployment;
        returns why they were rebuilt, if they were. Refuses a node that is not the manifest's chain."""
        self.check_chain()
        expected = self.expected_meta()
        rebuilt: str | None = None
        with self.engine.begin() as connection:
            self._lock(connection)
            inspector = sa.inspect(connection)
            if inspector.has_table(index_meta.name):
                stored = dict(connection.execute(sa.select(index_meta.c.key, index_meta.c.value)).all())
                if stored != expected:
                    differing = sorted(key for key in expected if stored.get(key) != expected[key])
                    rebuilt = f"the index was built for another {' and '.join(differing) or 'schema'}"
                    log.info("rebuilding the chain index: %s", rebuilt)
                    metadata.drop_all(connection)
            metadata.create_all(connection)
            if connection.execute(sa.select(sa.func.count()).select_from(index_meta)).scalar_one() == 0:
                connection.execute(
                    sa.insert(index_meta), [{"key": k, "value": v} for k, v in expected.items()]
                )
                connection.execute(
                    sa.insert(index_cursor).values(
                        id=1, next_block=self.deployment.start_block, updated_at=self._now()
                    )
                )
        self._prepared = True
        return rebuilt

    def check_chain(self) -> None:
        """Refuses a node that is not the chain of the deployment manifest."""
        chain_id = self._read("the chain id", lambda: int(self.w3.eth.chain_id))
        if chain_id != self.deployment.chain_id:
            raise AuditConfigError(
                f"the node is chain {chain_id}, but the deployment manifest is for chain "
                f"{self.deployment.chain_id}"
            )
        genesis = self._read("the genesis block", lambda: genesis_hash(self.w3))
        if genesis != self.deployment.genesis_hash:
            raise AuditConfigError(
                "the node's genesis block differs from the deployment manifest's: it is another chain"
            )

    # ---------------------------------------------------------------- state

    def next_block(self) -> int:
        """The next block to read."""
        self._ensure_prepared()
        with self.engine.connect() as connection:
            return int(connection.execute(sa.select(index_cursor.c.next_block)).scalar_one())

    def built(self) -> bool:
        """Whether the index has read the chain at least once since it was created (or rebuilt)."""
        return self.next_block() > self.deployment.start_block

    def indexed_to(self) -> int:
        """The last block whose events are in the index (before the deployment block at first)."""
        return self.next_block() - 1

    def _now(self) -> int:
        return int(self.clock().timestamp())

    def connect(self) -> sa.Connection:
        """A connection for queries on the index."""
        self._ensure_prepared()
        return self.engine.connect()

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        """The cursor, every event row, and the blocks that hold events, in key order: two indexes
        of the same chain up to the same block compare equal, whatever pages they were read in."""
        self._ensure_prepared()
        with self.engine.connect() as connection:
            dumped = {
                table.name: [
                    tuple(row)
                    for row in connection.execute(sa.select(table).order_by(*table.primary_key.columns))
                ]
                for table in EVENT_TABLES
            }
            with_events = sa.union(*(sa.select(table.c.block_number) for table in EVENT_TABLES)).subquery()
            dumped[indexed_blocks.name] = [
                tuple(row)
                for row in connection.execute(
                    sa.select(indexed_blocks)
                    .where(indexed_blocks.c.number.in_(sa.select(with_events.c.block_number)))
                    .order_by(indexed_blocks.c.number)
                )
            ]
            next_block = connection.execute(sa.select(index_cursor.c.next_block)).scalar_one()
            dumped[index_cursor.name] = [(next_block,)]
        return dumped

    # ---------------------------------------------------------------- sync

    def sync(self, *, to_block: int | None = None, on_page: Progress | None = None) -> SyncReport:
        """Reads the chain up to `to_block` (the head less `confirmations` by default), a page at a
        time, following reorganizations back to the common ancestor. Threads of one process sync one
        at a time; processes sharing the database skip pages another one committed first."""
        with self._sync_lock:
            return self._sync(to_block, on_page)

    def _sync(self, to_block: int | None, on_page: Progress | None) -> SyncReport:
        if self._prepared:
            self.check_chain()
            rebuilt = None
        else:
            rebuilt = self.prepare()
        report = SyncReport(start_block=self.next_block(), rebuilt=rebuilt)
        while True:
            head = self._read("the latest block", lambda: int(self.w3.eth.block_number))
            target = head - self.confirmations
            if to_block is not None:
                if to_block > head:
                    raise AuditQueryError(f"block {to_block} is beyond the chain's head {head}")
                target = min(target, to_block)
            report.head = head
            rewound = self._rewind_if_reorganized()
            if rewound is not None:
                report.reorgs.append(rewound)
                continue
            start = self.next_block()
            if start > target:
                report.indexed_to = start - 1
                return report
            end = min(start + self.page_size - 1, target)
            report.events += self._index_page(start, end)
            report.pages += 1
            report.indexed_to = end
            if on_page is not None:
                on_page(end, target, report.events)

    def _index_page(self, start: int, end: int) -> int:
        """Reads blocks `start`..`end` and commits their rows with the cursor; returns the event
        count (0 when another process indexed the page first)."""
        for _attempt in range(5):
            events = self._events(start, end)
            numbers = sorted({event.block_number for event in events} | {end})
            headers = {header.number: header for header in self._headers(numbers)}
            if len(headers) != len(numbers):
                raise IndexReadError(f"the node does not know block {end} any more; it is being reorganized")
            # A page read across a reorganization mixes two chains: read it again.
            if all(headers[event.block_number].hash == event.block_hash for event in events):
                return self._commit_page(start, end, events, headers)
        raise IndexReadError(f"blocks {start}-{end} kept changing while they were read")

    def _commit_page(
        self, start: int, end: int, events: Sequence[Event], headers: Mapping[int, BlockHeader]
    ) -> int:
        rows: dict[str, list[dict[str, Any]]] = {table.name: [] for table in EVENT_TABLES}
        for event in events:
            table, row = _row(event, headers[event.block_number])
            if table is not None:
                rows[table.name].append(row)
        with self.engine.begin() as connection:
            if self._locked_cursor(connection) != start:
                return 0  # another indexer committed this page
            for table in EVENT_TABLES:
                if rows[table.name]:
                    connection.execute(sa.insert(table), rows[table.name])
            connection.execute(
                sa.insert(indexed_blocks),
                [{"number": h.number, "hash": h.hash, "timestamp": h.timestamp} for h in headers.values()],
            )
            connection.execute(sa.update(index_cursor).values(next_block=end + 1, updated_at=self._now()))
        return len(events)

    def _rewind_if_reorganized(self) -> tuple[int, int] | None:
        """Walks back to the newest indexed block the chain still has, when the last one is gone;
        returns (last indexed block, common ancestor) after rewinding, None when nothing changed."""
        with self.engine.connect() as connection:
            last = connection.execute(
                sa.select(indexed_blocks.c.number, indexed_blocks.c.hash)
                .order_by(indexed_blocks.c.number.desc())
                .limit(1)
            ).first()
        if last is None:
            return None
        on_chain = self._headers([int(last[0])])
        if on_chain and on_chain[0].hash == bytes(last[1]):
            return None
        ancestor = self._common_ancestor(int(last[0]))
        cursor = self.next_block()
        with self.engine.begin() as connection:
            if self._locked_cursor(connection) != cursor:
                return None  # another indexer moved: look again
            for table in EVENT_TABLES:
                connection.execute(sa.delete(table).where(table.c.block_number > ancestor))
            connection.execute(sa.delete(indexed_blocks).where(indexed_blocks.c.number > ancestor))
            connection.execute(
                sa.update(index_cursor).values(next_block=ancestor + 1, updated_at=self._now())
            )
        log.warning("the chain was reorganized after block %d; re-reading from there", ancestor)
        return int(last[0]), ancestor

    def _common_ancestor(self, below: int) -> int:
        """The newest stored block the chain still has with the same hash (the block before the
        deployment when there is none)."""
        upper = below
        while True:
            with self.engine.connect() as connection:
                stored = connection.execute(
                    sa.select(indexed_blocks.c.number, indexed_blocks.c.hash)
                    .where(indexed_blocks.c.number < upper)
                    .order_by(indexed_blocks.c.number.desc())
                    .limit(64)
                ).all()
            if not stored:
                return self.deployment.start_block - 1
            chain = {header.number: header.hash for header in self._headers([int(n) for n, _ in stored])}
            for number, stored_hash in stored:
                if chain.get(int(number)) == bytes(stored_hash):
                    return int(number)
            upper = int(stored[-1][0])

    # ---------------------------------------------------------------- chain reads

    def _events(self, start: int, end: int) -> list[Event]:
        def read() -> list[Event]:
            found = [
                event for reader in self._readers for event in reader.read(from_block=start, to_block=end)
            ]
            return sorted(found, key=lambda event: (event.block_number, event.log_index))

        events: list[Event] = self._read(f"the events of blocks {start}-{end}", read)
        return events

    def _headers(self, numbers: Sequence[int]) -> list[BlockHeader]:
        """The headers of blocks `numbers` that the chain has, in batches of JSON-RPC requests."""
        found: list[BlockHeader] = []
        for offset in range(0, len(numbers), _HEADER_BATCH):
            chunk = numbers[offset : offset + _HEADER_BATCH]
            batch: list[tuple[RPCEndpoint, Any]] = [
                (RPCEndpoint("eth_getBlockByNumber"), [hex(n), False]) for n in chunk
            ]
            answers = self._read("block headers", lambda: self._batch(batch))  # noqa: B023
            if not isinstance(answers, list) or len(answers) != len(chunk):
                raise IndexReadError("the node answered a batch of block requests with something else")
            for answer in answers:
                block = answer.get("result") if isinstance(answer, dict) else None
                if block is None:
                    continue  # beyond the head: the chain does not have it (any more)
                found.append(
                    BlockHeader(
                        int(block["number"], 16),
                        bytes.fromhex(block["hash"][2:]),
                        int(block["timestamp"], 16),
                    )
                )
        return found

    def _batch(self, batch: list[tuple[RPCEndpoint, Any]]) -> Any:
        """One JSON-RPC batch request, or the requests one by one where the provider cannot batch."""
        send = getattr(self.w3.provider, "make_batch_request", None)
        if callable(send):
            return send(batch)
        return [self.w3.provider.make_request(method, params) for method, params in batch]

    def _read(self, what: str, read: Callable[[], Any]) -> Any:
        try:
            return read()
        except (ChainError, requests.RequestException, ValueError, KeyError, TypeError) as error:
            if isinstance(error, AuditQueryError | AuditConfigError):
                raise
            raise IndexReadError(f"could not read {what} from the chain: {error}") from error

    # ---------------------------------------------------------------- plumbing

    def _ensure_prepared(self) -> None:
        if not self._prepared:
            self.prepare()

    def _lock(self, connection: sa.Connection) -> None:
        """Serializes set-up between processes (SQLite's write lock is held already)."""
        if connection.dialect.name == "postgresql":
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK})

    def _locked_cursor(self, connection: sa.Connection) -> int:
        query = sa.select(index_cursor.c.next_block).where(index_cursor.c.id == 1)
        if connection.dialect.name == "postgresql":
            query = query.with_for_update()
        return int(connection.execute(query).scalar_one())


def _u64(value: int) -> int | None:
    """A uint64 time for a signed 64-bit column: the open end (and anything past 2**63) is None."""
    return None if value >= 2**63 or value == OPEN_END else int(value)


def _row(event: Event, header: BlockHeader) -> tuple[sa.Table | None, dict[str, Any]]:
    args = event.args
    where = {"block_time": header.timestamp, "transaction_hash": event.transaction_hash}
    if event.name == "BatchAnchored":
        return chain_batches, {
            "root": bytes(args["root"]),
            "batch_id": int(args["batchId"]),
            "office_id": int(args["officeId"]),
            "type_id": int(args["typeId"]),
            "count": int(args["count"]),
            "metadata_hash": bytes(args["metadataHash"]),
            "key": Web3.to_checksum_address(args["key"]),
            "block_number": event.block_number,
            "log_index": event.log_index,
            **where,
        }
    if event.name in _STATUS_EVENTS:
        packed = bytes(args["indexes"])
        return chain_status_changes, {
            "block_number": event.block_number,
            "log_index": event.log_index,
            "action": _STATUS_EVENTS[event.name],
            "root": bytes(args["root"]),
            "batch_id": int(args["batchId"]),
            "reason": int(args["reason"]),
            "count": len(packed) // 4,
            "indexes": packed,
            "by": Web3.to_checksum_address(args["by"]),
            **where,
        }
    if event.name == "LogRootAppended":
        return chain_log_anchors, {
            "log_id": bytes(args["logId"]),
            "size": int(args["size"]),
            "root": bytes(args["root"]),
            "sequence": int(args["sequence"]),
            "operator": Web3.to_checksum_address(args["operator"]),
            "block_number": event.block_number,
            "log_index": event.log_index,
            **where,
        }
    if event.name in REGISTRY_EVENTS:
        return chain_registry_changes, {
            "block_number": event.block_number,
            "log_index": event.log_index,
            "event": event.name,
            **_registry_columns(event.name, args),
            **where,
        }
    return None, {}


def _registry_columns(name: str, args: Mapping[str, Any]) -> dict[str, Any]:
    columns: dict[str, Any] = dict.fromkeys(
        (
            "office_id",
            "type_id",
            "key",
            "key_id",
            "time_from",
            "time_until",
            "region_code",
            "display_name",
            "log_id",
            "account",
        )
    )
    if "officeId" in args:
        columns["office_id"] = int(args["officeId"])
    if "typeId" in args:
        columns["type_id"] = int(args["typeId"])
    if "key" in args:
        columns["key"] = Web3.to_checksum_address(args["key"])
    if "keyId" in args:
        columns["key_id"] = int(args["keyId"])
    if name == "OfficeRegistered":
        columns["region_code"] = int(args["regionCode"])
        columns["display_name"] = str(args["displayName"])[:200]
    elif name == "OfficeSuspended":
        columns["time_from"] = _u64(int(args["since"]))
    elif name == "CertificateTypeAllowed":
        columns["time_from"] = _u64(int(args["from"]))
    elif name == "CertificateTypeWithdrawn":
        columns["time_until"] = _u64(int(args["until"]))
    elif name == "KeyAdded":
        columns["time_from"] = _u64(int(args["validFrom"]))
        columns["time_until"] = _u64(int(args["validUntil"]))
    elif name == "KeyRetired":
        columns["time_until"] = _u64(int(args["validUntil"]))
    elif name in {"GovernanceTransferStarted", "GovernanceTransferred"}:
        columns["account"] = Web3.to_checksum_address(
            args["pendingGovernor"] if name == "GovernanceTransferStarted" else args["newGovernor"]
        )
    elif name in {"OperatorAuthorized", "OperatorRevoked"}:
        columns["log_id"] = bytes(args["logId"])
        columns["account"] = Web3.to_checksum_address(args["operator"])
    return columns
