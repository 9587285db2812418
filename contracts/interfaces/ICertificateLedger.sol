// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title Certificate ledger
/// @notice The contract implementing this interface also implements `IIssuerRegistry`.
/// Anchors batches of certificates by the root of their batch Merkle tree and keeps
/// the status (valid, suspended, revoked) of every certificate in them.
/// @dev A batch is addressed by its root, the value a holder can recompute from a certificate
/// and its proof; the sequential batch id is its serial number for people and indexes. Only
/// roots, counts, type ids, office ids, indexes and times pass through this contract — never
/// personal data.
///
/// The batch tree (see `BatchMerkle`) has leaves `keccak256(0x00 ‖ documentRoot ‖ uint32 index)`
/// and inner nodes `keccak256(0x01 ‖ left ‖ right)`, padded with zero nodes to a power of two,
/// so a proof's path is fixed by the index alone and an inner node can never pass as a leaf.
interface ICertificateLedger {
    /// @notice What the ledger knows of an anchored batch.
    /// @param id sequential batch id, from 1; 0 when the root was never anchored
    /// @param anchoredAt timestamp of the anchoring block
    /// @param anchoredBlock number of the anchoring block
    /// @param count number of certificates (leaves) in the batch
    /// @param typeId certificate type of every certificate in the batch
    /// @param officeId issuing office
    /// @param keyId serial number of the registry key that anchored the batch
    struct Batch {
        uint48 id;
        uint40 anchoredAt;
        uint40 anchoredBlock;
        uint32 count;
        uint32 typeId;
        uint32 officeId;
        uint32 keyId;
    }

    /// @notice Status of one certificate.
    enum Status {
        Valid,
        Suspended,
        Revoked
    }

    /// @notice A batch was anchored. `key` is the registry key that signed the transaction and
    /// `metadataHash` commits to off-chain batch metadata (never personal data).
    /// @param root root of the batch Merkle tree, the batch's address
    /// @param officeId id of the issuing office
    /// @param batchId sequential id of the new batch, from 1
    /// @param typeId certificate type of every certificate in the batch
    /// @param count number of certificates (leaves) in the batch, at least 1
    /// @param metadataHash the hash given to `anchor`; logged here only, not stored
    /// @param key registry key that sent the anchoring transaction
    event BatchAnchored(
        bytes32 indexed root,
        uint32 indexed officeId,
        uint48 batchId,
        uint32 typeId,
        uint32 count,
        bytes32 metadataHash,
        address key
    );

    /// @notice Certificates were revoked, permanently. In the three status events `indexes` packs
    /// the ascending certificate indexes as 4-byte big-endian words (a quarter of the log data of
    /// a `uint32[]`), and `by` is the key or governor that made the change.
    /// @param root root of the batch
    /// @param reason code of the `StatusReasons` table
    /// @param batchId sequential id of the batch
    /// @param indexes the changed certificate indexes, ascending, as 4-byte big-endian words
    /// @param by key or governor that made the change
    event CertificatesRevoked(
        bytes32 indexed root, uint16 indexed reason, uint48 batchId, bytes indexes, address by
    );

    /// @notice Certificates were suspended until reinstated.
    /// @param root root of the batch
    /// @param reason code of the `StatusReasons` table
    /// @param batchId sequential id of the batch
    /// @param indexes the changed certificate indexes, ascending, as 4-byte big-endian words
    /// @param by key or governor that made the change
    event CertificatesSuspended(
        bytes32 indexed root, uint16 indexed reason, uint48 batchId, bytes indexes, address by
    );

    /// @notice Suspended certificates were reinstated.
    /// @param root root of the batch
    /// @param reason code of the `StatusReasons` table
    /// @param batchId sequential id of the batch
    /// @param indexes the changed certificate indexes, ascending, as 4-byte big-endian words
    /// @param by key or governor that made the change
    event CertificatesReinstated(
        bytes32 indexed root, uint16 indexed reason, uint48 batchId, bytes indexes, address by
    );

    /// @notice The zero root cannot be anchored.
    error CertificateLedgerZeroRoot();

    /// @notice A batch holds at least one certificate.
    error CertificateLedgerEmptyBatch();

    /// @notice `root` is already anchored as batch `batchId`.
    /// @param root the root given to `anchor`
    /// @param batchId id of the batch already anchored under `root`
    error CertificateLedgerDuplicateRoot(bytes32 root, uint48 batchId);

    /// @notice No batch is anchored under `root`.
    /// @param root the root that names no batch
    error CertificateLedgerUnknownBatch(bytes32 root);

    /// @notice `index` is not below the batch's certificate count.
    /// @param root root of the batch
    /// @param index the index given, from 0
    /// @param count number of certificates in the batch
    error CertificateLedgerIndexOutOfRange(bytes32 root, uint32 index, uint32 count);

    /// @notice A status change names no certificate.
    error CertificateLedgerNoIndexes();

    /// @notice Indexes of a status change must strictly ascend; `index` follows `previous`.
    /// @param previous the index before `index` in the list
    /// @param index the first index not greater than `previous`
    error CertificateLedgerIndexesNotAscending(uint32 previous, uint32 index);

    /// @notice The certificate is revoked; revocation is permanent.
    /// @param root root of the batch
    /// @param index index of the revoked certificate in the batch
    error CertificateLedgerRevoked(bytes32 root, uint32 index);

    /// @notice The certificate is already suspended.
    /// @param root root of the batch
    /// @param index index of the already suspended certificate in the batch
    error CertificateLedgerAlreadySuspended(bytes32 root, uint32 index);

    /// @notice The certificate is not suspended, so it cannot be reinstated.
    /// @param root root of the batch
    /// @param index index of the certificate, not suspended, in the batch
    error CertificateLedgerNotSuspended(bytes32 root, uint32 index);

    /// @notice `reason` is not a code of the `StatusReasons` table.
    /// @param reason the code given
    error CertificateLedgerUnknownReason(uint16 reason);

    /// @notice `statusesOf` was given `roots` and `indexes` of different lengths.
    /// @param roots length of `roots`
    /// @param indexes length of `indexes`
    error CertificateLedgerLengthMismatch(uint256 roots, uint256 indexes);

    /// @notice Number of batches anchored so far; also the id of the latest one.
    /// @return number of batches anchored so far; 0 before the first
    function batchCount() external view returns (uint48);

    /// @notice Anchors a batch of `count` certificates of `typeId` under its Merkle `root`.
    /// @dev The caller must be a currently valid key of an office allowed `typeId`; an
    /// `IssuerRegistry*` error explains a refusal.
    /// @param root root of the batch Merkle tree; not zero and not anchored before
    /// @param count number of certificates (leaves) in the batch, at least 1
    /// @param typeId certificate type of every certificate in the batch
    /// @param metadataHash commitment to off-chain batch metadata (no personal data); only logged; may be 0
    /// @return batchId the sequential id of the new batch
    function anchor(bytes32 root, uint32 count, uint32 typeId, bytes32 metadataHash)
        external
        returns (uint48 batchId);

    /// @notice Revokes certificates of one batch, permanently, with a reason code of the
    /// `StatusReasons` table (as do `suspend` and `reinstate`).
    /// @dev `indexes` strictly ascend. Only the batch's office (a valid key, office not suspended) or the governor.
    /// @param root root of an anchored batch
    /// @param indexes indexes of certificates in the batch, from 0, strictly ascending, each below its count
    /// @param reason code of the `StatusReasons` table; any other code reverts
    function revoke(bytes32 root, uint32[] calldata indexes, uint16 reason) external;

    /// @notice Suspends certificates of one batch until they are reinstated; `indexes` strictly
    /// ascend, and none may be revoked or already suspended.
    /// @param root root of an anchored batch
    /// @param indexes indexes of certificates in the batch, from 0, strictly ascending, each below its count
    /// @param reason code of the `StatusReasons` table; any other code reverts
    function suspend(bytes32 root, uint32[] calldata indexes, uint16 reason) external;

    /// @notice Reinstates suspended certificates of one batch; `indexes` strictly ascend, and
    /// each must be suspended and not revoked.
    /// @param root root of an anchored batch
    /// @param indexes indexes of certificates in the batch, from 0, strictly ascending, each below its count
    /// @param reason code of the `StatusReasons` table; any other code reverts
    function reinstate(bytes32 root, uint32[] calldata indexes, uint16 reason) external;

    /// @notice The batch anchored under `root`; `id` is 0 when there is none.
    /// @param root root of the batch
    /// @return the batch's record; every field is 0 when `root` was never anchored
    function batch(bytes32 root) external view returns (Batch memory);

    /// @notice The status of certificate `index` of the batch anchored under `root`.
    /// @param root root of an anchored batch; an unknown root reverts
    /// @param index index of the certificate in the batch, from 0, below its count
    /// @return the certificate's status; `Revoked` when it is revoked, whether suspended or not
    function statusOf(bytes32 root, uint32 index) external view returns (Status);

    /// @notice Statuses of many certificates at once: `roots[i]`, `indexes[i]`.
    /// @param roots the batch root of each certificate asked about
    /// @param indexes the index of each certificate in its batch `roots[i]`; as many as `roots`
    /// @return the status of each certificate, in the order asked; reverts as `statusOf` does
    function statusesOf(bytes32[] calldata roots, uint32[] calldata indexes)
        external
        view
        returns (Status[] memory);

    /// @notice Whether `documentRoot` is certificate `index` of batch `batchId` by `proof`.
    /// @dev Recomputes the batch root from the leaf and the proof, then requires that root to be
    /// anchored as `batchId`, the index to be in range and the proof to have the batch's depth.
    /// @param documentRoot the certificate's document root, the value its leaf commits to
    /// @param index index of the certificate in the batch, from 0
    /// @param proof sibling nodes from the leaf's level up, zero for padding; at most `BatchMerkle.MAX_DEPTH`
    /// @param batchId sequential id the batch is expected to have
    /// @return whether all of the above hold (false rather than a revert); the status is not checked
    function verifyInclusion(
        bytes32 documentRoot,
        uint32 index,
        bytes32[] calldata proof,
        uint48 batchId
    ) external view returns (bool);
}
