"""The certificate batch tree, bit for bit the tree `contracts/libraries/BatchMerkle.sol` checks.

A leaf is ``keccak256(0x00 ‖ document_root ‖ uint32be(index))`` and an inner node is
``keccak256(0x01 ‖ left ‖ right)``. The leaves are padded with zero nodes up to a power of two;
a node whose children are both padding is padding itself and is never hashed. A proof is the
list of siblings from the leaf up, and at level ``i`` the leaf's side is bit ``i`` of its index,
so the index is committed twice: inside the leaf and by the path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ledger._errors import MerkleError
from ledger._hashing import LEAF_PREFIX, NODE_PREFIX, keccak256, keccak_256

EMPTY_NODE = bytes(32)
MAX_LEAVES = 2**32 - 1


def batch_leaf_hash(document_root: bytes, index: int) -> bytes:
    """The batch-tree leaf of certificate `index` whose document root is `document_root`."""
    if len(document_root) != 32:
        raise MerkleError(f"a document root is 32 bytes, got {len(document_root)}")
    if not 0 <= index <= MAX_LEAVES:
        raise MerkleError(f"a leaf index is a uint32, got {index}")
    return keccak256(LEAF_PREFIX + document_root + index.to_bytes(4, "big"))


def node_hash(left: bytes, right: bytes) -> bytes:
    """The inner node over `left` and `right`."""
    return keccak256(NODE_PREFIX + left + right)


def batch_depth(count: int) -> int:
    """The depth of a batch tree over `count` leaves: the least ``d`` with ``2**d >= count``."""
    if not 1 <= count <= MAX_LEAVES:
        raise MerkleError(f"a batch holds 1 to {MAX_LEAVES} certificates, got {count}")
    return (count - 1).bit_length()


@dataclass(frozen=True, slots=True)
class BatchTree:
    """A built batch tree: every level from the leaves (level 0) up to the root."""

    levels: tuple[tuple[bytes, ...], ...]

    @classmethod
    def build(cls, document_roots: Sequence[bytes]) -> BatchTree:
        """Builds the tree over `document_roots`, certificate ``i`` being leaf ``i``."""
        count = len(document_roots)
        batch_depth(count)  # refuses an empty or oversized batch
        level = [batch_leaf_hash(root, index) for index, root in enumerate(document_roots)]
        levels = [tuple(level)]
        hash_ = keccak256
        while len(level) > 1:
            if len(level) % 2:
                level.append(EMPTY_NODE)
            level = [hash_(NODE_PREFIX + level[i] + level[i + 1]) for i in range(0, len(level), 2)]
            levels.append(tuple(level))
        return cls(tuple(levels))

    @property
    def root(self) -> bytes:
        """The batch root, the value anchored on the ledger."""
        return self.levels[-1][0]

    @property
    def count(self) -> int:
        """The number of certificates (leaves)."""
        return len(self.levels[0])

    @property
    def depth(self) -> int:
        """The number of siblings in every proof."""
        return len(self.levels) - 1

    def proof(self, index: int) -> tuple[bytes, ...]:
        """The siblings of leaf `index` from the bottom level up."""
        if not 0 <= index < self.count:
            raise MerkleError(f"leaf {index} is outside a batch of {self.count}")
        siblings = []
        for level in self.levels[:-1]:
            sibling = index ^ 1
            siblings.append(level[sibling] if sibling < len(level) else EMPTY_NODE)
            index >>= 1
        return tuple(siblings)

    def proofs(self) -> list[tuple[bytes, ...]]:
        """The proof of every leaf, in index order."""
        return [self.proof(index) for index in range(self.count)]


def batch_root_from_proof(document_root: bytes, index: int, proof: Sequence[bytes]) -> bytes:
    """The root reached from certificate `index` by `proof`, whatever tree it claims."""
    node = batch_leaf_hash(document_root, index)
    if set(map(len, proof)) - {32}:
        level, sibling = next((level, sibling) for level, sibling in enumerate(proof) if len(sibling) != 32)
        raise MerkleError(f"proof element {level} is {len(sibling)} bytes, not 32")
    for level, sibling in enumerate(proof):
        node = keccak_256(
            NODE_PREFIX + node + sibling if (index >> level) & 1 == 0 else NODE_PREFIX + sibling + node
        ).digest()
    return node


def verify_batch_proof(
    document_root: bytes, index: int, proof: Sequence[bytes], *, root: bytes, count: int
) -> bool:
    """Whether `document_root` is certificate `index` of the batch (`root`, `count`).

    The same checks as ``CertificateLedger.verifyInclusion``: the index is in range, the proof has
    the batch's depth, and the leaf and proof hash to the root.
    """
    if not 1 <= count <= MAX_LEAVES or not 0 <= index < count:
        return False
    if len(proof) != batch_depth(count) or len(document_root) != 32:
        return False
    if any(len(sibling) != 32 for sibling in proof):
        return False
    return batch_root_from_proof(document_root, index, proof) == root
