// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IssuerRegistry} from "./IssuerRegistry.sol";
import {ICertificateLedger} from "./interfaces/ICertificateLedger.sol";
import {BatchMerkle} from "./libraries/BatchMerkle.sol";
import {StatusReasons} from "./libraries/StatusReasons.sol";

/// @title Certificate ledger
/// @notice See `ICertificateLedger`. The ledger is also the issuer registry (it inherits
/// `IssuerRegistry`), so one published address answers both "is this root anchored" and "who
/// may anchor".
/// @dev Gas shape: anchoring writes exactly one new storage slot (the packed `Batch`) plus the
/// batch counter, whatever the batch size. Statuses are two bitmaps per batch, 256 certificates a
/// word, so revoking many certificates of one batch costs one slot write per word touched.
contract CertificateLedger is IssuerRegistry, ICertificateLedger {
    enum StatusChange {
        Revoke,
        Suspend,
        Reinstate
    }

    uint256 private constant _NO_WORD = type(uint256).max;

    uint48 private _batchCount;
    mapping(bytes32 root => Batch) private _batches;
    mapping(bytes32 root => mapping(uint256 word => uint256 bits)) private _revoked;
    mapping(bytes32 root => mapping(uint256 word => uint256 bits)) private _suspended;

    /// @notice Deploys the ledger and its registry.
    /// @param governor_ the registry's first governor; not the zero address
    constructor(address governor_) IssuerRegistry(governor_) {}

    /// @inheritdoc ICertificateLedger
    function batchCount() external view returns (uint48) {
        return _batchCount;
    }

    // ---------------------------------------------------------------- anchoring

    /// @inheritdoc ICertificateLedger
    function anchor(bytes32 root, uint32 count, uint32 typeId, bytes32 metadataHash)
        external
        returns (uint48 batchId)
    {
        if (root == bytes32(0)) revert CertificateLedgerZeroRoot();
        if (count == 0) revert CertificateLedgerEmptyBatch();
        // Checked before authorization so that a resent anchor is recognised as a duplicate even
        // when the key that sent the original has since been retired.
        uint48 existing = _batches[root].id;
        if (existing != 0) revert CertificateLedgerDuplicateRoot(root, existing);
        (uint32 officeId, uint32 keyId) = _authorizeIssuance(msg.sender, typeId);
        batchId = ++_batchCount;
        _batches[root] = Batch({
            id: batchId,
            anchoredAt: uint40(block.timestamp),
            anchoredBlock: uint40(block.number),
            count: count,
            typeId: typeId,
            officeId: officeId,
            keyId: keyId
        });
        emit BatchAnchored(root, officeId, batchId, typeId, count, metadataHash, msg.sender);
    }

    // ---------------------------------------------------------------- status changes

    /// @inheritdoc ICertificateLedger
    function revoke(bytes32 root, uint32[] calldata indexes, uint16 reason) external {
        (uint48 batchId, bytes memory packed) = _changeStatus(root, indexes, reason, StatusChange.Revoke);
        emit CertificatesRevoked(root, reason, batchId, packed, msg.sender);
    }

    /// @inheritdoc ICertificateLedger
    function suspend(bytes32 root, uint32[] calldata indexes, uint16 reason) external {
        (uint48 batchId, bytes memory packed) = _changeStatus(root, indexes, reason, StatusChange.Suspend);
        emit CertificatesSuspended(root, reason, batchId, packed, msg.sender);
    }

    /// @inheritdoc ICertificateLedger
    function reinstate(bytes32 root, uint32[] calldata indexes, uint16 reason) external {
        (uint48 batchId, bytes memory packed) = _changeStatus(root, indexes, reason, StatusChange.Reinstate);
        emit CertificatesReinstated(root, reason, batchId, packed, msg.sender);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc ICertificateLedger
    function batch(bytes32 root) external view returns (Batch memory) {
        return _batches[root];
    }

    /// @inheritdoc ICertificateLedger
    function statusOf(bytes32 root, uint32 index) public view returns (Status) {
        Batch memory record = _anchoredBatch(root);
        _checkIndex(root, index, record.count);
        (uint256 word, uint256 mask) = _position(index);
        if (_revoked[root][word] & mask != 0) return Status.Revoked;
        if (_suspended[root][word] & mask != 0) return Status.Suspended;
        return Status.Valid;
    }

    /// @inheritdoc ICertificateLedger
    function statusesOf(bytes32[] calldata roots, uint32[] calldata indexes)
        external
        view
        returns (Status[] memory statuses)
    {
        if (roots.length != indexes.length) revert CertificateLedgerLengthMismatch(roots.length, indexes.length);
        statuses = new Status[](roots.length);
        // Bounded by the caller's own input; a view, so the caller pays only in node time.
        for (uint256 i; i < roots.length; ++i) {
            statuses[i] = statusOf(roots[i], indexes[i]);
        }
    }

    /// @inheritdoc ICertificateLedger
    function verifyInclusion(bytes32 documentRoot, uint32 index, bytes32[] calldata proof, uint48 batchId)
        external
        view
        returns (bool)
    {
        if (proof.length > BatchMerkle.MAX_DEPTH) return false;
        bytes32 root = BatchMerkle.rootFromProof(BatchMerkle.leafHash(documentRoot, index), index, proof);
        Batch memory record = _batches[root];
        // Batch ids are serial numbers, not times: the equalities are exact by design.
        // slither-disable-next-line incorrect-equality
        return record.id != 0 && record.id == batchId && index < record.count
            && proof.length == BatchMerkle.depthOf(record.count);
    }

    // ---------------------------------------------------------------- internal

    /// @notice Applies one kind of status change, for a known `reason`, to strictly ascending `indexes` of
    /// the batch `root`.
    /// @dev Bitmap words are read and written once per word touched, not once per index: the
    /// ascending order means all indexes of a word arrive together. The loop is bounded by the
    /// caller's own input.
    /// @param root root of the batch; an unknown root reverts
    /// @param indexes certificate indexes in the batch, from 0, strictly ascending, each below its count
    /// @param reason code of the `StatusReasons` table; any other code reverts
    /// @param change the change to apply: revoke, suspend or reinstate
    /// @return batchId the batch's sequential id
    /// @return packed the indexes as 4-byte big-endian words, for the event
    function _changeStatus(bytes32 root, uint32[] calldata indexes, uint16 reason, StatusChange change)
        internal
        returns (uint48 batchId, bytes memory packed)
    {
        uint256 length = indexes.length;
        if (length == 0) revert CertificateLedgerNoIndexes();
        if (!StatusReasons.isKnown(reason)) revert CertificateLedgerUnknownReason(reason);
        Batch memory record = _anchoredBatch(root);
        _authorizeStatusChange(msg.sender, record.officeId);
        // Strictly ascending indexes are all in range when the last one is.
        _checkIndex(root, indexes[length - 1], record.count);

        mapping(uint256 => uint256) storage revoked = _revoked[root];
        mapping(uint256 => uint256) storage suspended = _suspended[root];
        packed = new bytes(length * 4);
        uint256 word = _NO_WORD;
        uint256 revokedBits;
        uint256 suspendedBits;
        uint32 previous;
        for (uint256 i; i < length; ++i) {
            uint32 index = indexes[i];
            if (i != 0 && index <= previous) revert CertificateLedgerIndexesNotAscending(previous, index);
            previous = index;
            // Assembly: one word store per index instead of abi.encodePacked of the whole array.
            // solhint-disable-next-line no-inline-assembly
            assembly ("memory-safe") {
                // Writes 32 bytes of which the last 28 are zero: the next index overwrites them,
                // and past the last one they fall after the free memory pointer.
                mstore(add(add(packed, 32), shl(2, i)), shl(224, index))
            }
            (uint256 indexWord, uint256 mask) = _position(index);
            if (indexWord != word) {
                if (word != _NO_WORD) _storeWord(revoked, suspended, word, revokedBits, suspendedBits, change);
                word = indexWord;
                revokedBits = revoked[word];
                if (change != StatusChange.Revoke) suspendedBits = suspended[word];
            }
            if (revokedBits & mask != 0) revert CertificateLedgerRevoked(root, index);
            if (change == StatusChange.Revoke) {
                revokedBits |= mask;
            } else if (change == StatusChange.Suspend) {
                if (suspendedBits & mask != 0) revert CertificateLedgerAlreadySuspended(root, index);
                suspendedBits |= mask;
            } else {
                if (suspendedBits & mask == 0) revert CertificateLedgerNotSuspended(root, index);
                suspendedBits &= ~mask;
            }
        }
        _storeWord(revoked, suspended, word, revokedBits, suspendedBits, change);
        batchId = record.id;
    }

    /// Writes back the one bitmap a change of kind `change` modifies.
    function _storeWord(
        mapping(uint256 => uint256) storage revoked,
        mapping(uint256 => uint256) storage suspended,
        uint256 word,
        uint256 revokedBits,
        uint256 suspendedBits,
        StatusChange change
    ) internal {
        if (change == StatusChange.Revoke) revoked[word] = revokedBits;
        else suspended[word] = suspendedBits;
    }

    /// @notice The batch anchored under `root`; reverts when there is none.
    /// @param root the batch root
    /// @return record the batch's record
    function _anchoredBatch(bytes32 root) internal view returns (Batch memory record) {
        record = _batches[root];
        // 0 is the sentinel of a record never written, not a time: the equality is exact by design.
        // slither-disable-next-line incorrect-equality
        if (record.id == 0) revert CertificateLedgerUnknownBatch(root);
    }

    function _checkIndex(bytes32 root, uint32 index, uint32 count) internal pure {
        if (index >= count) revert CertificateLedgerIndexOutOfRange(root, index, count);
    }

    function _position(uint32 index) internal pure returns (uint256 word, uint256 mask) {
        word = index >> 8;
        mask = uint256(1) << (index & 0xff);
    }
}
