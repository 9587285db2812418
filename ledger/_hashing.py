"""Keccak-256, the hash the EVM computes natively, and the domain prefixes built on it."""

from __future__ import annotations

import sha3

# One prefix byte per kind of hashed object, so that no value of one kind can pass as another.
# The Solidity side (contracts/libraries/BatchMerkle.sol) uses the same two tree prefixes.
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"

# The hash object's constructor, for the few loops that run per verification: ``keccak_256(b).digest()``
# without the wrapper's call (a proof step is one hash, and a certificate has a dozen of them).
keccak_256 = sha3.keccak_256


def keccak256(data: bytes) -> bytes:
    """The 32-byte Keccak-256 digest of `data`, as the EVM's KECCAK256 opcode computes it."""
    return keccak_256(data).digest()  # type: ignore[no-any-return]
