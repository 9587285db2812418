// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {BatchMerkle} from "../libraries/BatchMerkle.sol";

/// @title Batch Merkle harness
/// @notice Exposes `BatchMerkle` to the Python tests so that both implementations can be compared
/// on any input through `eth_call`. Never deployed outside tests.
contract BatchMerkleHarness {
    function leafHash(bytes32 documentRoot, uint32 index) external pure returns (bytes32) {
        return BatchMerkle.leafHash(documentRoot, index);
    }

    function nodeHash(bytes32 left, bytes32 right) external pure returns (bytes32) {
        return BatchMerkle.nodeHash(left, right);
    }

    function rootFromProof(bytes32 documentRoot, uint32 index, bytes32[] calldata proof)
        external
        pure
        returns (bytes32)
    {
        return BatchMerkle.rootFromProof(BatchMerkle.leafHash(documentRoot, index), index, proof);
    }

    function depthOf(uint32 count) external pure returns (uint256) {
        return BatchMerkle.depthOf(count);
    }
}
