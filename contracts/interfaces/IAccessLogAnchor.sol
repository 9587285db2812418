// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IIssuerRegistry} from "./IIssuerRegistry.sol";

/// @title Access log anchor
/// @notice Anchors the roots of append-only Merkle logs (RFC 9162 trees over keccak256) in which
/// the wallet service records every grant, redemption and revocation. Each anchored
/// `(size, root)` is a checkpoint an auditor can prove entries against and prove later roots
/// consistent with.
/// @dev A log is named by a 32-byte id. The governor of the issuer registry authorizes the
/// operator keys that may append to a log. Sizes strictly increase, so a checkpoint can never
/// be rewritten or rolled back.
interface IAccessLogAnchor {
    /// @notice The latest checkpoint of a log.
    /// @dev The three counters share one storage slot and the root takes the second.
    /// @param size number of entries covered by `root`; 0 before the first checkpoint
    /// @param checkpoints number of checkpoints anchored so far
    /// @param anchoredAt timestamp of the block of the latest checkpoint
    /// @param root RFC 9162 tree head over the first `size` entries
    struct Head {
        uint64 size;
        uint64 checkpoints;
        uint64 anchoredAt;
        bytes32 root;
    }

    /// @notice `operator` may append to `logId`.
    /// @param logId the log's 32-byte id
    /// @param operator the account authorized
    event OperatorAuthorized(bytes32 indexed logId, address indexed operator);

    /// @notice `operator` may no longer append to `logId`.
    /// @param logId the log's 32-byte id
    /// @param operator the account no longer authorized
    event OperatorRevoked(bytes32 indexed logId, address indexed operator);

    /// @notice A checkpoint `(size, root)` was appended to `logId`.
    /// @param logId the log's 32-byte id
    /// @param size number of entries the checkpoint covers
    /// @param root RFC 9162 tree head over the first `size` entries
    /// @param sequence number of the checkpoint in the log, from 1
    /// @param operator the operator that appended it
    event LogRootAppended(
        bytes32 indexed logId, uint64 indexed size, bytes32 root, uint64 sequence, address operator
    );

    /// @notice The caller is not the registry's governor.
    /// @param caller the account that called
    error AccessLogAnchorUnauthorized(address caller);

    /// @notice The caller is not an operator of `logId`.
    /// @param logId the log's 32-byte id
    /// @param caller the caller of `append`, or the account named to `revokeOperator`
    error AccessLogAnchorNotOperator(bytes32 logId, address caller);

    /// @notice The zero address cannot be an operator.
    error AccessLogAnchorZeroAddress();

    /// @notice `operator` is already authorized for `logId`.
    /// @param logId the log's 32-byte id
    /// @param operator the account named
    error AccessLogAnchorAlreadyOperator(bytes32 logId, address operator);

    /// @notice The zero root is not a tree head.
    error AccessLogAnchorZeroRoot();

    /// @notice Sizes must strictly increase: `size` does not exceed the current `currentSize`.
    /// @param logId the log's 32-byte id
    /// @param size the size given
    /// @param currentSize size of the log's latest checkpoint; 0 before the first
    error AccessLogAnchorSizeNotIncreasing(bytes32 logId, uint64 size, uint64 currentSize);

    /// @notice The registry is the zero address.
    error AccessLogAnchorZeroRegistry();

    /// @notice The registry whose governor manages operators.
    /// @return the issuer registry, fixed at deployment
    function registry() external view returns (IIssuerRegistry);

    /// @notice Lets `operator` append checkpoints to `logId`. Governor only.
    /// @param logId the log's 32-byte id
    /// @param operator the account to authorize; not zero and not already an operator of `logId`
    function authorizeOperator(bytes32 logId, address operator) external;

    /// @notice Stops `operator` appending to `logId`. Governor only.
    /// @param logId the log's 32-byte id
    /// @param operator a current operator of `logId`
    function revokeOperator(bytes32 logId, address operator) external;

    /// @notice Whether `operator` may append to `logId`.
    /// @param logId the log's 32-byte id
    /// @param operator the account asked about
    /// @return true when `operator` is authorized for `logId`
    function isOperator(bytes32 logId, address operator) external view returns (bool);

    /// @notice Anchors the checkpoint `(size, root)` of `logId`; `size` must exceed the last one.
    /// @param logId the log's 32-byte id; the caller must be one of its operators
    /// @param root RFC 9162 tree head over the first `size` entries; not zero
    /// @param size number of entries in the log; greater than the latest checkpoint's size
    function append(bytes32 logId, bytes32 root, uint64 size) external;

    /// @notice The latest checkpoint of `logId`.
    /// @param logId the log's 32-byte id
    /// @return the latest checkpoint; every field 0 before the first
    function head(bytes32 logId) external view returns (Head memory);

    /// @notice The root anchored for `logId` at exactly `size` entries, or zero.
    /// @param logId the log's 32-byte id
    /// @param size number of entries of the checkpoint asked for
    /// @return the root anchored at exactly `size` entries; zero when no checkpoint has that size
    function rootAt(bytes32 logId, uint64 size) external view returns (bytes32);
}
