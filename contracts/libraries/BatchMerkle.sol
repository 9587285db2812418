// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title Batch Merkle tree
/// @notice The hashing of the certificate batch tree, mirrored bit for bit by `ledger.merkle`
/// in Python (a test keeps the two in agreement).
/// @dev Domain separation: a leaf is `keccak256(0x00 ‖ documentRoot ‖ uint32be(index))`
/// (37 bytes) and an inner node is `keccak256(0x01 ‖ left ‖ right)` (65 bytes), so an inner node
/// can never be presented as a leaf, and a leaf commits to its own index. The tree is padded
/// with zero nodes to a power of two; a node whose children are both padding is padding itself
/// and is never hashed. A leaf's path is therefore fixed by its index: at level `i` the leaf's
/// side is bit `i` of the index.
library BatchMerkle {
    /// @notice The deepest tree a batch can have: counts are `uint32`.
    uint256 internal constant MAX_DEPTH = 32;

    /// @notice The leaf of certificate `index` whose document root is `documentRoot`.
    /// @param documentRoot the certificate's document root
    /// @param index position of the certificate in its batch, from 0
    /// @return hash the leaf, `keccak256(0x00 ‖ documentRoot ‖ uint32be(index))`
    function leafHash(bytes32 documentRoot, uint32 index) internal pure returns (bytes32 hash) {
        // Assembly: hashes 37 bytes in scratch memory, no allocation per leaf.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            // Scratch space past the free memory pointer; nothing is allocated.
            let ptr := mload(0x40)
            mstore8(ptr, 0x00)
            mstore(add(ptr, 1), documentRoot)
            mstore(add(ptr, 33), shl(224, index))
            hash := keccak256(ptr, 37)
        }
    }

    /// @notice The inner node over `left` and `right`.
    /// @param left the left child
    /// @param right the right child; the zero node when it is padding
    /// @return hash the node, `keccak256(0x01 ‖ left ‖ right)`
    function nodeHash(bytes32 left, bytes32 right) internal pure returns (bytes32 hash) {
        // Assembly: hashes 65 bytes in scratch memory, no allocation per node.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            mstore8(ptr, 0x01)
            mstore(add(ptr, 1), left)
            mstore(add(ptr, 33), right)
            hash := keccak256(ptr, 65)
        }
    }

    /// @notice The root reached from `leaf` at position `index` by the sibling path `proof`.
    /// @dev The loop runs once per proof element; callers bound the proof by `MAX_DEPTH` or by
    /// the batch's depth before trusting the result.
    /// @param leaf the leaf, as `leafHash` computes it
    /// @param index position of the leaf, from 0; at level `i` the path is on the right when bit `i` is set
    /// @param proof sibling nodes from the leaf's level up, the zero node for padding
    /// @return node the root the path reaches; `leaf` itself when `proof` is empty
    function rootFromProof(bytes32 leaf, uint256 index, bytes32[] calldata proof)
        internal
        pure
        returns (bytes32 node)
    {
        node = leaf;
        uint256 levels = proof.length;
        for (uint256 level; level < levels; ++level) {
            node = (index >> level) & 1 == 0 ? nodeHash(node, proof[level]) : nodeHash(proof[level], node);
        }
    }

    /// @notice The depth of a tree over `count` leaves: the least `d` with `2**d >= count`.
    /// @dev At most 32 iterations for a `uint32` count.
    /// @param count number of leaves
    /// @return d the depth, which is also the length of every proof in the tree; 0 for 0 or 1 leaf
    function depthOf(uint32 count) internal pure returns (uint256 d) {
        while ((uint256(1) << d) < count) {
            ++d;
        }
    }
}
