// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IAccessLogAnchor} from "./interfaces/IAccessLogAnchor.sol";
import {IIssuerRegistry} from "./interfaces/IIssuerRegistry.sol";

/// @title Access log anchor
/// @notice See `IAccessLogAnchor`.
contract AccessLogAnchor is IAccessLogAnchor {
    IIssuerRegistry private immutable _registry;

    mapping(bytes32 logId => mapping(address operator => bool)) private _operators;
    mapping(bytes32 logId => Head) private _heads;
    mapping(bytes32 logId => mapping(uint64 size => bytes32 root)) private _roots;

    modifier onlyGovernor() {
        if (msg.sender != _registry.governor()) revert AccessLogAnchorUnauthorized(msg.sender);
        _;
    }

    /// @notice Deploys the anchor.
    /// @param registry_ the issuer registry whose governor manages operators; not the zero address
    constructor(IIssuerRegistry registry_) {
        if (address(registry_) == address(0)) revert AccessLogAnchorZeroRegistry();
        _registry = registry_;
    }

    /// @inheritdoc IAccessLogAnchor
    function registry() external view returns (IIssuerRegistry) {
        return _registry;
    }

    /// @inheritdoc IAccessLogAnchor
    function authorizeOperator(bytes32 logId, address operator) external onlyGovernor {
        if (operator == address(0)) revert AccessLogAnchorZeroAddress();
        if (_operators[logId][operator]) revert AccessLogAnchorAlreadyOperator(logId, operator);
        _operators[logId][operator] = true;
        emit OperatorAuthorized(logId, operator);
    }

    /// @inheritdoc IAccessLogAnchor
    function revokeOperator(bytes32 logId, address operator) external onlyGovernor {
        if (!_operators[logId][operator]) revert AccessLogAnchorNotOperator(logId, operator);
        delete _operators[logId][operator];
        emit OperatorRevoked(logId, operator);
    }

    /// @inheritdoc IAccessLogAnchor
    function isOperator(bytes32 logId, address operator) external view returns (bool) {
        return _operators[logId][operator];
    }

    /// @inheritdoc IAccessLogAnchor
    function append(bytes32 logId, bytes32 root, uint64 size) external {
        if (!_operators[logId][msg.sender]) revert AccessLogAnchorNotOperator(logId, msg.sender);
        if (root == bytes32(0)) revert AccessLogAnchorZeroRoot();
        Head storage current = _heads[logId];
        if (size <= current.size) revert AccessLogAnchorSizeNotIncreasing(logId, size, current.size);
        uint64 sequence = current.checkpoints + 1;
        _heads[logId] = Head({size: size, checkpoints: sequence, anchoredAt: uint64(block.timestamp), root: root});
        _roots[logId][size] = root;
        emit LogRootAppended(logId, size, root, sequence, msg.sender);
    }

    /// @inheritdoc IAccessLogAnchor
    function head(bytes32 logId) external view returns (Head memory) {
        return _heads[logId];
    }

    /// @inheritdoc IAccessLogAnchor
    function rootAt(bytes32 logId, uint64 size) external view returns (bytes32) {
        return _roots[logId][size];
    }
}
