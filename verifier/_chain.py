"""The verifier's view of the chain: a few reads, cached per block, and never trusted blindly.

Every read goes to the ledger this verifier was configured with — never an address a document
names. Anything but a well-formed answer (a refused connection, a timeout, another chain id,
garbage in place of JSON-RPC or of ABI data) raises `ChainReadError`, which the pipeline turns
into an INDETERMINATE verdict with the reason: a verifier fails closed.

Reads are cached until the chain's head moves. With `head_ttl` 0 every verification asks for the
head (two small requests); a service verifying thousands a second sets a fraction of a second,
so a revocation is seen within that time of its block.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar, cast

from eth_typing import ChecksumAddress
from web3 import Web3

from ledger import Batch, CertificateLedgerClient, CertificateStatus, Office
from verifier._errors import ChainReadError

T = TypeVar("T")
_MISSING = object()


class ChainView:
    """Cached reads of one ledger on one chain."""

    def __init__(
        self,
        w3: Web3,
        *,
        ledger: str,
        chain_id: int,
        head_ttl: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.w3 = w3
        self.chain_id = chain_id
        self.client = CertificateLedgerClient(w3, ledger)
        self.ledger: ChecksumAddress = self.client.address
        self.head_ttl = head_ttl
        self.clock = clock
        self._lock = threading.Lock()
        self._head: int | None = None
        self._checked_at = float("-inf")
        self._per_head: dict[tuple[Any, ...], Any] = {}
        self._forever: dict[tuple[Any, ...], Any] = {}

    # ---------------------------------------------------------------- the head

    def head(self) -> int:
        """The latest block, re-read when older than `head_ttl`; a new head drops the cache."""
        now = self.clock()
        with self._lock:
            if self._head is not None and now - self._checked_at < self.head_ttl:
                return self._head
        return self._read_head(now)

    def _read_head(self, now: float) -> int:
        chain_id = self._read("the chain id", lambda: int(self.w3.eth.chain_id))
        if chain_id != self.chain_id:
            raise ChainReadError(f"the node is chain {chain_id}, not the configured chain {self.chain_id}")
        head = self._read("the latest block", lambda: int(self.w3.eth.block_number))
        with self._lock:
            if head != self._head:
                self._per_head.clear()
                self._head = head
            self._checked_at = now
        return head

    @contextmanager
    def pinned(self) -> Iterator[int]:
        """Reads the head once and answers every read in the block from that head."""
        head = self.refresh()
        with self._lock:
            saved, self.head_ttl = self.head_ttl, float("inf")
        try:
            yield head
        finally:
            with self._lock:
                self.head_ttl = saved

    def refresh(self) -> int:
        """Reads the head now, whatever its age. Until the answer is in, other readers keep using
        the head they have (within `head_ttl`); if no answer comes, the head just ages."""
        return self._read_head(self.clock())

    # ---------------------------------------------------------------- reads

    def batch(self, root: bytes) -> Batch | None:
        """The batch anchored under `root`, or None."""
        return self._cached(("batch", root), lambda: self.client.batch(root), per_head=True, what="the batch")

    def key_by_id(self, key_id: int) -> ChecksumAddress | None:
        """The key with serial number `key_id` (never changes once assigned)."""
        found = self._cached(
            ("key", key_id), lambda: self.client.key_by_id(key_id), per_head=False, what="the key"
        )
        if found is None:
            self._forever.pop(("key", key_id), None)  # not assigned yet: ask again next time
        return found

    def office(self, office_id: int) -> Office | None:
        """The office registered under `office_id`."""
        return self._cached(
            ("office", office_id), lambda: self.client.office(office_id), per_head=True, what="the office"
        )

    def is_authorized(self, key: str, office_id: int, type_id: int, at: int) -> bool:
        """Whether the registry says `key` could issue `type_id` for `office_id` at time `at`."""
        return self._cached(
            ("authorized", key, office_id, type_id, at),
            lambda: self.client.is_authorized(key, office_id, type_id, at),
            per_head=True,
            what="the issuer registry",
        )

    def status(self, root: bytes, index: int) -> CertificateStatus:
        """The status of one certificate at the head."""
        return self._cached(
            ("status", root, index),
            lambda: self.client.status_of(root, index),
            per_head=True,
            what="the status",
        )

    def prefetch_statuses(self, items: Sequence[tuple[bytes, int]]) -> None:
        """Reads the statuses of many certificates in one call."""
        wanted = [item for item in dict.fromkeys(items) if ("status", *item) not in self._per_head]
        if not wanted:
            return
        statuses = self._read("the statuses", lambda: self.client.statuses_of(wanted))
        with self._lock:
            for (root, index), status in zip(wanted, statuses, strict=True):
                self._per_head[("status", root, index)] = status

    def anchoring_transaction(self, root: bytes, block: int) -> bytes | None:
        """The transaction that anchored `root` in `block`."""

        def find() -> bytes | None:
            for event in self.client.events.read(
                from_block=block, to_block=block, names=["BatchAnchored"], topics=["0x" + root.hex()]
            ):
                return event.transaction_hash
            return None

        return self._cached(("anchoring", root, block), find, per_head=False, what="the anchoring event")

    # ---------------------------------------------------------------- plumbing

    def _cached(self, key: tuple[Any, ...], read: Callable[[], T], *, per_head: bool, what: str) -> T:
        store = self._per_head if per_head else self._forever
        with self._lock:
            value = store.get(key, _MISSING)
        if value is not _MISSING:
            return cast(T, value)
        value = self._read(what, read)
        with self._lock:
            store[key] = value
        return value

    def _read(self, what: str, read: Callable[[], T]) -> T:
        try:
            return read()
        except ChainReadError:
            raise
        except Exception as error:
            raise ChainReadError(f"could not read {what} from the chain: {_short(error)}") from error


def _short(error: Exception) -> str:
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text if len(text) <= 200 else text[:197] + "..."
