"""The append-only Merkle log of RFC 9162 (Certificate Transparency 2.0) §2.1, with SHA-256.

A leaf is ``SHA-256(0x00 ‖ entry)``, an inner node ``SHA-256(0x01 ‖ left ‖ right)``, and the
empty log's root is ``SHA-256()``. The hash of ``n > 1`` leaves splits them at ``k``, the largest
power of two below ``n``, so the tree is never padded and every prefix of the log is a tree of its
own; inclusion and consistency proofs are the RFC's, and so are the algorithms that verify them.

The log is stored as its *perfect* subtrees, keyed by ``(level, index)``: level 0 index ``i`` is
leaf ``i``, level ``L`` index ``j`` covers leaves ``[j·2^L, (j+1)·2^L)``. Appending a leaf writes
the leaf and each perfect subtree it completes, ``O(log n)`` rows at worst and fewer than two on
average, and needs only left siblings already stored. Every tree hash a root or proof needs covers
a range whose length's binary expansion tiles it with aligned perfect subtrees, so an operation
reads ``O(log n)`` stored hashes, fetched in one `SubtreeStore.nodes` call, and never rehashes
the leaves.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from ledger._errors import LedgerError

# RFC 9162 §2.1.1 separates leaves from inner nodes so that no node can pass as a leaf.
_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"
_HASH_SIZE = 32

EMPTY_LOG_ROOT = hashlib.sha256(b"").digest()

_sha256 = hashlib.sha256


class LogTreeError(LedgerError, ValueError):
    """A log root or proof was asked for with impossible arguments, or the store lacks a subtree."""


class SubtreeStore(Protocol):
    """Where the log keeps the hashes of its perfect subtrees, keyed by ``(level, index)``."""

    def nodes(self, keys: Sequence[tuple[int, int]]) -> Mapping[tuple[int, int], bytes]:
        """The stored hashes among `keys`; a key that is not stored is left out."""
        ...


def log_leaf_hash(entry: bytes) -> bytes:
    """The leaf hash of `entry`: ``SHA-256(0x00 ‖ entry)``."""
    return _sha256(_LEAF_PREFIX + entry).digest()


def log_node_hash(left: bytes, right: bytes) -> bytes:
    """The inner node over `left` and `right`: ``SHA-256(0x01 ‖ left ‖ right)``."""
    return _sha256(_NODE_PREFIX + left + right).digest()


def completed_subtrees(
    size_before: int, leaf_hash: bytes, *, get: Callable[[int, int], bytes]
) -> list[tuple[int, int, bytes]]:
    """The ``(level, index, hash)`` rows to store when leaf number `size_before` is appended.

    The first row is the leaf itself; each further row is a perfect subtree the leaf completes,
    one level up. `get` is asked only for the left siblings of those subtrees, which were stored
    when earlier leaves were appended: as many as `size_before` has trailing one bits.
    """
    if size_before < 0:
        raise LogTreeError(f"a log holds a non-negative number of leaves, got {size_before}")
    if len(leaf_hash) != _HASH_SIZE:
        raise LogTreeError(f"a leaf hash is {_HASH_SIZE} bytes, got {len(leaf_hash)}")
    rows = [(0, size_before, leaf_hash)]
    level, index, node = 0, size_before, leaf_hash
    while index & 1:
        node = log_node_hash(get(level, index - 1), node)
        level, index = level + 1, index >> 1
        rows.append((level, index, node))
    return rows


class MemorySubtreeStore:
    """A `SubtreeStore` in a dict, for tests and for logs small enough to keep in memory."""

    def __init__(self) -> None:
        self._nodes: dict[tuple[int, int], bytes] = {}
        self._size = 0

    @property
    def size(self) -> int:
        """The number of leaves appended."""
        return self._size

    def append(self, leaf_hash: bytes) -> None:
        """Appends the leaf `leaf_hash` and stores every perfect subtree it completes."""
        nodes = self._nodes
        for level, index, node in completed_subtrees(
            self._size, leaf_hash, get=lambda level, index: nodes[level, index]
        ):
            nodes[level, index] = node
        self._size += 1

    def nodes(self, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """The stored hashes among `keys`."""
        stored = self._nodes
        return {key: stored[key] for key in keys if key in stored}


def log_root(size: int, store: SubtreeStore) -> bytes:
    """The tree hash of the log's first `size` leaves, ``MTH(D[0:size])`` (RFC 9162 §2.1.1)."""
    if size < 0:
        raise LogTreeError(f"a log holds a non-negative number of leaves, got {size}")
    if size == 0:
        return EMPTY_LOG_ROOT
    return _range_hashes([(0, size)], store)[0]


def inclusion_proof(index: int, size: int, *, store: SubtreeStore) -> list[bytes]:
    """The audit path of leaf `index` in the log's first `size` leaves (RFC 9162 §2.1.3.1).

    The path runs from the leaf's sibling up to the root's other child: ``PATH(m, D[n])``.
    """
    if not 0 <= index < size:
        raise LogTreeError(f"leaf {index} is outside a log of {size} leaves")
    ranges: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        split = start + _split(end - start)
        if index < split:
            ranges.append((split, end))
            end = split
        else:
            ranges.append((start, split))
            start = split
    ranges.reverse()  # the recursion found the siblings top-down; the path lists them bottom-up
    return _range_hashes(ranges, store)


def consistency_proof(old_size: int, new_size: int, *, store: SubtreeStore) -> list[bytes]:
    """The proof that the log's first `old_size` leaves are a prefix of its first `new_size`.

    This is ``PROOF(m, D[n]) = SUBPROOF(m, D[n], true)`` of RFC 9162 §2.1.4.1. The RFC defines it
    for ``0 < m < n`` only; for ``m == n`` and for the empty old tree, which is a prefix of every
    tree, there is nothing to prove and the proof is empty (`verify_consistency` agrees).
    """
    if not 0 <= old_size <= new_size:
        raise LogTreeError(f"no consistency proof from a log of {old_size} to one of {new_size} leaves")
    if old_size in (0, new_size):
        return []
    ranges: list[tuple[int, int]] = []
    start, end, old, old_is_root = 0, new_size, old_size, True
    while old != end - start:
        split = _split(end - start)
        if old <= split:
            ranges.append((start + split, end))
            end = start + split
        else:
            ranges.append((start, start + split))
            start, old, old_is_root = start + split, old - split, False
    if not old_is_root:
        # The old tree's last subtree: the verifier holds the old root only when it is that.
        ranges.append((start, end))
    ranges.reverse()
    return _range_hashes(ranges, store)


def verify_inclusion(leaf_hash: bytes, index: int, *, size: int, proof: Sequence[bytes], root: bytes) -> bool:
    """Whether `proof` shows `leaf_hash` is leaf `index` of the log of `size` leaves with `root`.

    The algorithm of RFC 9162 §2.1.3.2. The size is bound only through the root: a proof also
    verifies against another size whose path to leaf `index` has the same shape, so callers check
    `size` and `root` together, as a signed tree head gives them.
    """
    if not 0 <= index < size or not _all_hashes(leaf_hash, root, *proof):
        return False
    fn, sn = index, size - 1
    node = leaf_hash
    for sibling in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            node = log_node_hash(sibling, node)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            node = log_node_hash(node, sibling)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and node == root


def verify_consistency(
    old_size: int, new_size: int, *, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether `proof` shows the log (`old_size`, `old_root`) is a prefix of (`new_size`, `new_root`).

    For ``0 < old_size < new_size`` this is the algorithm of RFC 9162 §2.1.4.2. The RFC leaves the
    other sizes undefined; here equal sizes need an empty proof and equal roots, and an empty old
    log needs an empty proof and the empty log's root: it is a prefix of every log, but a head of
    size 0 with another root is no head of this log.
    """
    if not 0 <= old_size <= new_size or not _all_hashes(old_root, new_root, *proof):
        return False
    if old_size == 0:
        return not proof and old_root == EMPTY_LOG_ROOT and (new_size > 0 or new_root == EMPTY_LOG_ROOT)
    if old_size == new_size:
        return not proof and old_root == new_root
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    old_node = new_node = path[0]
    for node in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            old_node = log_node_hash(node, old_node)
            new_node = log_node_hash(node, new_node)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            new_node = log_node_hash(new_node, node)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and old_node == old_root and new_node == new_root


def _split(count: int) -> int:
    """The largest power of two below `count` (at least 2), where RFC 9162 splits a tree."""
    return 1 << ((count - 1).bit_length() - 1)


def _perfect_subtrees(start: int, end: int) -> list[tuple[int, int]]:
    """The aligned perfect subtrees tiling leaves ``[start, end)``, largest first.

    Every range the RFC's recursion visits starts at a multiple of a power of two at least its
    length, so its length's binary expansion tiles it with aligned subtrees; and its hash is the
    right fold of theirs, since each split takes the largest power of two below the length.
    """
    keys = []
    while start < end:
        level = (end - start).bit_length() - 1
        keys.append((level, start >> level))
        start += 1 << level
    return keys


def _range_hashes(ranges: Sequence[tuple[int, int]], store: SubtreeStore) -> list[bytes]:
    """``MTH(D[start:end])`` for each range, from one `store.nodes` call for all their subtrees."""
    tilings = [_perfect_subtrees(start, end) for start, end in ranges]
    keys = list(dict.fromkeys(key for tiling in tilings for key in tiling))
    if not keys:
        return []
    stored = store.nodes(keys)
    missing = [key for key in keys if key not in stored]
    if missing:
        level, index = missing[0]
        raise LogTreeError(
            f"the store has no subtree (level {level}, index {index}), leaves "
            f"[{index << level}, {(index + 1) << level}): the log is shorter than asked, or was not "
            f"stored whole ({len(missing)} of {len(keys)} subtrees missing)"
        )
    hashes = []
    for tiling in tilings:
        node = stored[tiling[-1]]
        for key in reversed(tiling[:-1]):
            node = log_node_hash(stored[key], node)
        hashes.append(node)
    return hashes


def _all_hashes(*values: bytes) -> bool:
    return all(len(value) == _HASH_SIZE for value in values)
