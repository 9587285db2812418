// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {BatchMerkle} from "../libraries/BatchMerkle.sol";

/// @title Batch Merkle harness
/// @notice Exposes `BatchMerkle` to the Python tests so that both implementations can be compared
/// on any input through `eth_call`. Never deployed outside tests.
contract BatchMerkleHarness {
    /// @notice `BatchMerkle.leafHash`.
    /// @param documentRoot the certificate's document root
    /// @param index position of the certificate in its batch
    /// @return the leaf
    function leafHash(bytes32 documentRoot, uint32 index) external pure returns (bytes32) {
        return BatchMerkle.leafHash(documentRoot, index);
    }

    /// @notice `BatchMerkle.nodeHash`.
    /// @param left the left child
    /// @param right the right child
    /// @return the inner node
    function nodeHash(bytes32 left, bytes32 right) external pure returns (bytes32) {
        return BatchMerkle.nodeHash(left, right);
    }

    /// @notice `BatchMerkle.rootFromProof` from the leaf of `documentRoot` at `index`.
    /// @param documentRoot the certificate's document root
    /// @param index position of the certificate in its batch
    /// @param proof sibling nodes from the leaf's level up
    /// @return the root the path reaches
    function rootFromProof(bytes32 documentRoot, uint32 index, bytes32[] calldata proof)
        external
        pure
        returns (bytes32)
    {
        return BatchMerkle.rootFromProof(BatchMerkle.leafHash(documentRoot, index), index, proof);
    }

    /// @notice `BatchMerkle.depthOf`.
    /// @param count number of leaves
    /// @return the tree's depth
    function depthOf(uint32 count) external pure returns (uint256) {
        return BatchMerkle.depthOf(count);
    }
}
