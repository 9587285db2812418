"""The RFC 9162 log: published vectors, agreement with the RFC's recursive definitions, refusals."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import (
    EMPTY_LOG_ROOT,
    LedgerError,
    LogTreeError,
    MemorySubtreeStore,
    SubtreeStore,
    completed_subtrees,
    consistency_proof,
    inclusion_proof,
    log_leaf_hash,
    log_node_hash,
    log_root,
    verify_consistency,
    verify_inclusion,
)

# --- The RFC's definitions, written out recursively (RFC 9162 §2.1.1, §2.1.3.1, §2.1.4.1) ------


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    """The largest power of two smaller than `n` (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def _ref_mth(d: Sequence[bytes]) -> bytes:
    if not d:
        return _sha256(b"")
    if len(d) == 1:
        return _sha256(b"\x00" + d[0])
    k = _k(len(d))
    return _sha256(b"\x01" + _ref_mth(d[:k]) + _ref_mth(d[k:]))


def _ref_path(m: int, d: Sequence[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = _k(len(d))
    if m < k:
        return [*_ref_path(m, d[:k]), _ref_mth(d[k:])]
    return [*_ref_path(m - k, d[k:]), _ref_mth(d[:k])]


def _ref_subproof(m: int, d: Sequence[bytes], b: bool) -> list[bytes]:
    if m == len(d):
        return [] if b else [_ref_mth(d)]
    k = _k(len(d))
    if m <= k:
        return [*_ref_subproof(m, d[:k], b), _ref_mth(d[k:])]
    return [*_ref_subproof(m - k, d[k:], False), _ref_mth(d[:k])]


def _ref_proof(m: int, d: Sequence[bytes]) -> list[bytes]:
    return _ref_subproof(m, d, True)


# The same recursions, recording only where each proof element goes. A proof verifies against
# another size exactly when its shape there is the same: the size is bound only by the root.


def _path_sides(m: int, n: int) -> tuple[str, ...]:
    if n == 1:
        return ()
    k = _k(n)
    return (*_path_sides(m, k), "right") if m < k else (*_path_sides(m - k, n - k), "left")


def _proof_shape(m: int, n: int, b: bool = True) -> tuple[str, ...]:
    if m == n:
        return () if b else ("seed",)
    k = _k(n)
    return (*_proof_shape(m, k, b), "new-right") if m <= k else (*_proof_shape(m - k, n - k, False), "both")


# --- Published vectors -------------------------------------------------------------------------
# From github.com/transparency-dev/merkle (Apache-2.0), the Go RFC 6962 tree library of the
# transparency-dev project: testonly/constants.go (LeafInputs, NodeHashes, RootHashes; commit 582a6ad1),
# testonly/reference_test.go (TestRefInclusionProof, TestRefConsistencyProof; commit 141d627e),
# proof/verify_test.go (inclusionProofs, consistencyProofs with 1-based leaves; commit 02194e9a)
# and rfc6962/rfc6962_test.go (TestRFC6962Hasher; commit 78493b07).

LEAF_INPUTS = [
    b"",
    b"\x00",
    b"\x10",
    b"\x20\x21",
    b"\x30\x31",
    b"\x40\x41\x42\x43",
    b"\x50\x51\x52\x53\x54\x55\x56\x57",
    b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
]
# NodeHashes: every perfect subtree of the 8-leaf tree, by level then index.
NODE_HASHES = [
    [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    [
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    [
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
]
# RootHashes: the root at every size from 0 to 8.
ROOT_HASHES = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# TestRefInclusionProof (0-based); verify_test.go's inclusionProofs are the same four non-trivial ones.
INCLUSION_VECTORS = [
    (0, 1, []),
    (0, 2, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"]),
    (1, 2, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"]),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]
# verify_test.go's consistencyProofs (a superset of TestRefConsistencyProof's).
CONSISTENCY_VECTORS = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]

# --- Stores ------------------------------------------------------------------------------------

MAX_SIZE = 300
# Distinct entries of a few lengths, the empty entry first; one more than the largest log drawn,
# so that every drawn log has a successor whose root a proof must not verify against.
ENTRIES = [b"", *(bytes(i % 3) + i.to_bytes(2, "big") for i in range(1, MAX_SIZE + 1))]


def _store(entries: Sequence[bytes]) -> MemorySubtreeStore:
    store = MemorySubtreeStore()
    for entry in entries:
        store.append(log_leaf_hash(entry))
    return store


FULL = _store(ENTRIES)  # read-only: every prefix of the log is a tree of its own
PUBLISHED = _store(LEAF_INPUTS)


class CountingStore:
    """A `SubtreeStore` that records every call, as a database would see it."""

    def __init__(self, inner: SubtreeStore) -> None:
        self.inner = inner
        self.calls: list[list[tuple[int, int]]] = []

    def nodes(self, keys: Sequence[tuple[int, int]]) -> Mapping[tuple[int, int], bytes]:
        self.calls.append(list(keys))
        return self.inner.nodes(keys)


def _hex(values: Sequence[bytes]) -> list[str]:
    return [value.hex() for value in values]


def _flip(value: bytes, position: int, mask: int) -> bytes:
    flipped = bytearray(value)
    flipped[position % len(value)] ^= mask
    return bytes(flipped)


# --- Known answers -----------------------------------------------------------------------------


def test_hashes_match_the_published_rfc6962_hasher_vectors() -> None:
    assert EMPTY_LOG_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert log_leaf_hash(b"").hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    assert (
        log_leaf_hash(b"L123456").hex() == "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    )
    assert (
        log_node_hash(b"N123", b"N456").hex()
        == "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"
    )


def test_roots_match_the_published_vectors() -> None:
    assert [log_root(size, PUBLISHED).hex() for size in range(9)] == ROOT_HASHES


def test_appending_the_published_leaves_stores_exactly_their_perfect_subtrees() -> None:
    store = MemorySubtreeStore()
    rows: dict[tuple[int, int], str] = {}
    for size_before, entry in enumerate(LEAF_INPUTS):
        new = completed_subtrees(
            size_before,
            log_leaf_hash(entry),
            get=lambda level, index: store.nodes([(level, index)])[level, index],
        )
        assert new[0] == (0, size_before, log_leaf_hash(entry))
        assert [level for level, _, _ in new] == list(range(len(new)))
        rows.update({(level, index): node.hex() for level, index, node in new})
        store.append(log_leaf_hash(entry))
    expected = {
        (level, index): node for level, row in enumerate(NODE_HASHES) for index, node in enumerate(row)
    }
    assert rows == expected
    assert {key: node.hex() for key, node in store.nodes(list(expected)).items()} == expected
    assert store.size == 8


@pytest.mark.parametrize(("index", "size", "expected"), INCLUSION_VECTORS)
def test_inclusion_proofs_match_the_published_vectors(index: int, size: int, expected: list[str]) -> None:
    proof = inclusion_proof(index, size, store=PUBLISHED)
    assert _hex(proof) == expected
    root = bytes.fromhex(ROOT_HASHES[size])
    leaf = log_leaf_hash(LEAF_INPUTS[index])
    assert verify_inclusion(leaf, index, size=size, proof=proof, root=root)


@pytest.mark.parametrize(("old_size", "new_size", "expected"), CONSISTENCY_VECTORS)
def test_consistency_proofs_match_the_published_vectors(
    old_size: int, new_size: int, expected: list[str]
) -> None:
    proof = consistency_proof(old_size, new_size, store=PUBLISHED)
    assert _hex(proof) == expected
    old_root, new_root = bytes.fromhex(ROOT_HASHES[old_size]), bytes.fromhex(ROOT_HASHES[new_size])
    assert verify_consistency(old_size, new_size, old_root=old_root, new_root=new_root, proof=proof)


# --- Agreement with the RFC's definitions ------------------------------------------------------


@settings(max_examples=150, deadline=None)
@given(st.integers(0, MAX_SIZE))
def test_roots_agree_with_the_reference(size: int) -> None:
    expected = _ref_mth(ENTRIES[:size])
    assert log_root(size, FULL) == expected
    assert log_root(size, _store(ENTRIES[:size])) == expected


@settings(max_examples=200, deadline=None)
@given(st.integers(1, MAX_SIZE), st.data())
def test_inclusion_proofs_agree_with_the_reference_and_only_they_verify(
    size: int, data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, size - 1), label="index")
    proof = inclusion_proof(index, size, store=FULL)
    assert proof == _ref_path(index, ENTRIES[:size])
    root, leaf = log_root(size, FULL), log_leaf_hash(ENTRIES[index])
    assert verify_inclusion(leaf, index, size=size, proof=proof, root=root)

    def verifies(
        proof: Sequence[bytes] = proof,
        *,
        leaf: bytes = leaf,
        index: int = index,
        size: int = size,
        root: bytes = root,
    ) -> bool:
        return verify_inclusion(leaf, index, size=size, proof=proof, root=root)

    position, mask = data.draw(st.integers(0, 31), label="byte"), data.draw(st.integers(1, 255), label="mask")
    for i in range(len(proof)):
        assert not verifies([*proof[:i], _flip(proof[i], position, mask), *proof[i + 1 :]])
        assert not verifies([*proof[:i], *proof[i + 1 :]])  # a sibling dropped
    for i in range(len(proof) + 1):
        assert not verifies([*proof[:i], root, *proof[i:]])  # a sibling added
        assert not verifies([*proof[:i], EMPTY_LOG_ROOT, *proof[i:]])
    assert not verifies(leaf=_flip(leaf, position, mask))
    assert not verifies(leaf=log_leaf_hash(ENTRIES[(index + 1) % MAX_SIZE]))
    assert not verifies(root=_flip(root, position, mask))
    assert not verifies(root=log_root(size - 1, FULL))
    assert not verifies(root=log_root(size + 1, FULL))
    for other in {index - 1, index + 1, index ^ 1, index ^ 2, size, data.draw(st.integers(0, size - 1))} - {
        index
    }:
        assert not verifies(index=other)
    # Another size verifies exactly when the path to the leaf has the same shape there.
    for other in {size - 1, size + 1, size * 2, size // 2, data.draw(st.integers(1, 2 * MAX_SIZE))} - {size}:
        same_shape = index < other and _path_sides(index, other) == _path_sides(index, size)
        assert verifies(size=other) == same_shape


@settings(max_examples=200, deadline=None)
@given(st.integers(2, MAX_SIZE), st.data())
def test_consistency_proofs_agree_with_the_reference_and_only_they_verify(
    new_size: int, data: st.DataObject
) -> None:
    old_size = data.draw(st.integers(1, new_size - 1), label="old_size")
    proof = consistency_proof(old_size, new_size, store=FULL)
    assert proof == _ref_proof(old_size, ENTRIES[:new_size])
    assert proof  # a proof between two different non-empty sizes is never empty
    old_root, new_root = log_root(old_size, FULL), log_root(new_size, FULL)

    def verifies(
        proof: Sequence[bytes] = proof,
        *,
        old_size: int = old_size,
        new_size: int = new_size,
        old_root: bytes = old_root,
        new_root: bytes = new_root,
    ) -> bool:
        return verify_consistency(old_size, new_size, old_root=old_root, new_root=new_root, proof=proof)

    assert verifies()
    position, mask = data.draw(st.integers(0, 31), label="byte"), data.draw(st.integers(1, 255), label="mask")
    for i in range(len(proof)):
        assert not verifies([*proof[:i], _flip(proof[i], position, mask), *proof[i + 1 :]])
        assert not verifies([*proof[:i], *proof[i + 1 :]])  # a node dropped
    for i in range(len(proof) + 1):
        assert not verifies([*proof[:i], old_root, *proof[i:]])  # a node added
        assert not verifies([*proof[:i], new_root, *proof[i:]])
        assert not verifies([*proof[:i], proof[0], *proof[i:]])
    assert not verifies(old_root=_flip(old_root, position, mask))
    assert not verifies(new_root=_flip(new_root, position, mask))
    assert not verifies(old_root=new_root, new_root=old_root)
    assert not verifies(old_root=log_root(old_size - 1, FULL))
    assert not verifies(new_root=log_root(new_size - 1, FULL))
    # Other sizes verify exactly when the proof has the same shape there.
    shape = _proof_shape(old_size, new_size)
    old_sizes = {0, old_size - 1, old_size + 1, old_size * 2, old_size // 2, new_size}
    new_sizes = {old_size, new_size - 1, new_size + 1, new_size * 2, new_size // 2}
    for other in old_sizes - {old_size}:
        same_shape = 0 < other < new_size and _proof_shape(other, new_size) == shape
        assert verifies(old_size=other) == same_shape
    for other in new_sizes - {new_size}:
        same_shape = old_size < other and _proof_shape(old_size, other) == shape
        assert verifies(new_size=other) == same_shape


# --- The edges the RFC leaves open, and the refusals -------------------------------------------


def test_the_empty_log_is_a_prefix_of_every_log_by_an_empty_proof() -> None:
    for new_size in (0, 1, 5, MAX_SIZE):
        assert consistency_proof(0, new_size, store=FULL) == []
        new_root = log_root(new_size, FULL)
        assert verify_consistency(0, new_size, old_root=EMPTY_LOG_ROOT, new_root=new_root, proof=[])
        # A head of size 0 must carry the empty log's root, and nothing needs proving.
        assert not verify_consistency(0, new_size, old_root=log_leaf_hash(b""), new_root=new_root, proof=[])
        assert not verify_consistency(
            0, new_size, old_root=EMPTY_LOG_ROOT, new_root=new_root, proof=[new_root]
        )
    assert not verify_consistency(0, 0, old_root=EMPTY_LOG_ROOT, new_root=log_root(1, FULL), proof=[])


def test_equal_sizes_need_an_empty_proof_and_equal_roots() -> None:
    root = log_root(7, FULL)
    assert consistency_proof(7, 7, store=FULL) == []
    assert verify_consistency(7, 7, old_root=root, new_root=root, proof=[])
    assert not verify_consistency(7, 7, old_root=root, new_root=log_root(6, FULL), proof=[])
    assert not verify_consistency(7, 7, old_root=root, new_root=root, proof=[root])


def test_a_single_leaf_log_has_an_empty_inclusion_proof() -> None:
    leaf = log_leaf_hash(ENTRIES[0])
    assert inclusion_proof(0, 1, store=FULL) == []
    assert log_root(1, FULL) == leaf
    assert verify_inclusion(leaf, 0, size=1, proof=[], root=leaf)
    assert not verify_inclusion(leaf, 0, size=1, proof=[leaf], root=log_node_hash(leaf, leaf))


def test_impossible_verification_arguments_are_refused_not_raised() -> None:
    leaf, root = log_leaf_hash(ENTRIES[2]), log_root(4, FULL)
    proof = inclusion_proof(2, 4, store=FULL)
    assert verify_inclusion(leaf, 2, size=4, proof=proof, root=root)
    assert not verify_inclusion(leaf, 4, size=4, proof=proof, root=root)  # index == size
    assert not verify_inclusion(leaf, 5, size=4, proof=proof, root=root)
    assert not verify_inclusion(leaf, -1, size=4, proof=proof, root=root)
    assert not verify_inclusion(leaf, 0, size=0, proof=[], root=EMPTY_LOG_ROOT)
    assert not verify_inclusion(leaf[:31], 2, size=4, proof=proof, root=root)
    assert not verify_inclusion(leaf, 2, size=4, proof=[*proof[:-1], proof[-1] + b"\x00"], root=root)
    old_root = log_root(3, FULL)
    consistency = consistency_proof(3, 4, store=FULL)
    assert verify_consistency(3, 4, old_root=old_root, new_root=root, proof=consistency)
    assert not verify_consistency(4, 3, old_root=root, new_root=old_root, proof=consistency)
    assert not verify_consistency(-1, 4, old_root=old_root, new_root=root, proof=consistency)
    assert not verify_consistency(3, 4, old_root=old_root, new_root=root, proof=[])
    assert not verify_consistency(3, 4, old_root=old_root, new_root=root + b"\x00", proof=consistency)


def test_impossible_proof_arguments_raise_a_log_tree_error() -> None:
    assert issubclass(LogTreeError, LedgerError) and issubclass(LogTreeError, ValueError)
    with pytest.raises(LogTreeError, match=r"^leaf 8 is outside a log of 8 leaves$"):
        inclusion_proof(8, 8, store=PUBLISHED)
    with pytest.raises(LogTreeError, match=r"^leaf -1 is outside a log of 8 leaves$"):
        inclusion_proof(-1, 8, store=PUBLISHED)
    with pytest.raises(LogTreeError, match=r"^no consistency proof from a log of 5 to one of 4 leaves$"):
        consistency_proof(5, 4, store=PUBLISHED)
    with pytest.raises(LogTreeError, match=r"^no consistency proof from a log of -1 to one of 4 leaves$"):
        consistency_proof(-1, 4, store=PUBLISHED)
    with pytest.raises(LogTreeError, match=r"^a log holds a non-negative number of leaves, got -1$"):
        log_root(-1, PUBLISHED)
    with pytest.raises(LogTreeError, match=r"^a leaf hash is 32 bytes, got 3$"):
        MemorySubtreeStore().append(b"abc")
    with pytest.raises(LogTreeError, match=r"^a log holds a non-negative number of leaves, got -2$"):
        completed_subtrees(-2, EMPTY_LOG_ROOT, get=lambda level, index: b"")


def test_asking_beyond_the_stored_log_names_the_missing_subtree() -> None:
    message = (
        "the store has no subtree (level 0, index 8), leaves [8, 9): the log is shorter than asked, "
        "or was not stored whole (1 of 2 subtrees missing)"
    )
    with pytest.raises(LogTreeError, match=f"^{re.escape(message)}$"):
        log_root(9, PUBLISHED)
    with pytest.raises(LogTreeError, match=re.escape("(level 1, index 4), leaves [8, 10)")):
        inclusion_proof(0, 10, store=PUBLISHED)
    with pytest.raises(LogTreeError, match=re.escape("(level 2, index 2), leaves [8, 12)")):
        consistency_proof(3, 12, store=PUBLISHED)


# --- Costs -------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [2, 3, 8, 13, 64, 127, 255, MAX_SIZE])
def test_every_operation_fetches_its_subtrees_in_one_call(size: int) -> None:
    bound = 2 * size.bit_length()

    def fetched(operation: str, index: int) -> list[tuple[int, int]]:
        store = CountingStore(FULL)
        if operation == "root":
            log_root(size, store)
        elif operation == "inclusion":
            inclusion_proof(index, size, store=store)
        else:
            consistency_proof(index, size, store=store)
        assert len(store.calls) == 1
        (keys,) = store.calls
        assert len(keys) == len(set(keys)) <= bound
        return keys

    assert len(fetched("root", 0)) == size.bit_count()
    for index in sorted({0, 1, size // 2, size - 2, size - 1}):
        fetched("inclusion", index)
        if index:
            fetched("consistency", index)
    empty = CountingStore(FULL)
    assert log_root(0, empty) == EMPTY_LOG_ROOT
    assert inclusion_proof(0, 1, store=empty) == []
    assert consistency_proof(0, size, store=empty) == consistency_proof(size, size, store=empty) == []
    assert empty.calls == []  # nothing to fetch, nothing asked


def test_appending_asks_only_for_stored_left_siblings() -> None:
    rows: dict[tuple[int, int], bytes] = {}
    asked: list[tuple[int, int]] = []

    def get(level: int, index: int) -> bytes:
        asked.append((level, index))
        return rows[level, index]  # a KeyError here would mean a sibling not yet stored

    for size_before, entry in enumerate(ENTRIES):
        asked.clear()
        new = completed_subtrees(size_before, log_leaf_hash(entry), get=get)
        trailing_ones = (size_before ^ (size_before + 1)).bit_length() - 1
        assert len(asked) == trailing_ones and len(new) == trailing_ones + 1
        assert asked == [(level, (size_before >> level) - 1) for level in range(trailing_ones)]
        rows.update({(level, index): node for level, index, node in new})
    assert rows == FULL.nodes(list(rows)) and len(rows) == 2 * len(ENTRIES) - len(ENTRIES).bit_count()


def test_a_hundred_thousand_leaves_append_and_prove_quickly() -> None:
    size = 100_000
    store = MemorySubtreeStore()
    for i in range(size):
        store.append(log_leaf_hash(i.to_bytes(4, "big")))
    assert store.size == size
    root = log_root(size, store)
    index = 77_777
    proof = inclusion_proof(index, size, store=store)
    assert len(proof) == 17
    assert verify_inclusion(log_leaf_hash(index.to_bytes(4, "big")), index, size=size, proof=proof, root=root)
    old_root = log_root(65_537, store)
    consistency = consistency_proof(65_537, size, store=store)
    assert verify_consistency(65_537, size, old_root=old_root, new_root=root, proof=consistency)
