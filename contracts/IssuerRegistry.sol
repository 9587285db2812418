// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IIssuerRegistry} from "./interfaces/IIssuerRegistry.sol";

/// @title Issuer registry
/// @notice See `IIssuerRegistry`.
/// @dev Deployed as part of `CertificateLedger`, which inherits it so that an anchor checks its
/// key by an internal call: an external call to a separate registry costs about 3,300 gas per
/// anchor (cold account access and ABI round trip) and would push anchoring past its budget.
/// It remains a complete contract that can be deployed and tested on its own.
contract IssuerRegistry is IIssuerRegistry {
    uint64 private constant _OPEN = type(uint64).max;
    uint256 private constant _MAX_DISPLAY_NAME_BYTES = 128;
    /// GB/T 2260 administrative division codes have six digits.
    uint32 private constant _MIN_REGION_CODE = 100_000;
    uint32 private constant _MAX_REGION_CODE = 999_999;

    /// An office without its display name, so that the anchoring path reads one slot.
    struct OfficeRecord {
        uint32 regionCode;
        uint64 registeredAt;
        uint64 suspendedFrom;
    }

    address private _governor;
    address private _pendingGovernor;
    uint32 private _keyCount;

    mapping(uint32 officeId => OfficeRecord) private _offices;
    mapping(uint32 officeId => string) private _displayNames;
    mapping(uint32 officeId => address[]) private _officeKeys;
    mapping(address key => Key) private _keys;
    mapping(uint32 keyId => address) private _keyById;
    /// The latest window per (office, type); open while `until == _OPEN`.
    mapping(uint32 officeId => mapping(uint32 typeId => Window)) private _typeWindow;
    /// Earlier, closed windows per (office, type), oldest first.
    mapping(uint32 officeId => mapping(uint32 typeId => Window[])) private _closedTypeWindows;
    /// Every type ever allowed to an office, in the order first allowed.
    mapping(uint32 officeId => uint32[]) private _officeTypes;
    /// What `key` may issue of `typeId` from now on, materialized from the key's window, the
    /// office's latest window for the type and its suspension, so that an anchor reads a single
    /// slot. Recomputed by `_refreshIssuance` on every change to any of the three.
    mapping(address key => mapping(uint32 typeId => Key)) private _issuance;

    modifier onlyGovernor() {
        _checkGovernor(msg.sender);
        _;
    }

    /// @notice Deploys the registry.
    /// @param governor_ the first governor; not the zero address
    constructor(address governor_) {
        if (governor_ == address(0)) revert IssuerRegistryZeroAddress();
        _governor = governor_;
        emit GovernanceTransferred(address(0), governor_);
    }

    // ---------------------------------------------------------------- governance

    /// @inheritdoc IIssuerRegistry
    function governor() external view returns (address) {
        return _governor;
    }

    /// @inheritdoc IIssuerRegistry
    function pendingGovernor() external view returns (address) {
        return _pendingGovernor;
    }

    /// @inheritdoc IIssuerRegistry
    function transferGovernance(address newGovernor) external onlyGovernor {
        if (newGovernor == address(0)) revert IssuerRegistryZeroAddress();
        _pendingGovernor = newGovernor;
        emit GovernanceTransferStarted(msg.sender, newGovernor);
    }

    /// @inheritdoc IIssuerRegistry
    function acceptGovernance() external {
        if (msg.sender != _pendingGovernor) revert IssuerRegistryNotPendingGovernor(msg.sender);
        address previous = _governor;
        _governor = msg.sender;
        delete _pendingGovernor;
        emit GovernanceTransferred(previous, msg.sender);
    }

    // ---------------------------------------------------------------- offices and types

    /// @inheritdoc IIssuerRegistry
    function registerOffice(
        uint32 officeId,
        uint32 regionCode,
        string calldata displayName,
        uint32[] calldata typeIds
    ) external onlyGovernor {
        if (officeId == 0) revert IssuerRegistryInvalidOfficeId();
        if (_offices[officeId].registeredAt != 0) revert IssuerRegistryOfficeExists(officeId);
        if (regionCode < _MIN_REGION_CODE || regionCode > _MAX_REGION_CODE) {
            revert IssuerRegistryInvalidRegionCode(regionCode);
        }
        uint256 nameLength = bytes(displayName).length;
        if (nameLength == 0 || nameLength > _MAX_DISPLAY_NAME_BYTES) {
            revert IssuerRegistryInvalidDisplayName(nameLength);
        }
        _offices[officeId] = OfficeRecord(regionCode, _now(), 0);
        _displayNames[officeId] = displayName;
        emit OfficeRegistered(officeId, regionCode, displayName);
        // Bounded by the governor's own input.
        for (uint256 i; i < typeIds.length; ++i) {
            _allowType(officeId, typeIds[i]);
        }
    }

    /// @inheritdoc IIssuerRegistry
    function allowCertificateType(uint32 officeId, uint32 typeId) external onlyGovernor {
        _checkOfficeOpen(officeId);
        _allowType(officeId, typeId);
    }

    /// @inheritdoc IIssuerRegistry
    function withdrawCertificateType(uint32 officeId, uint32 typeId) external onlyGovernor {
        _checkOfficeExists(officeId);
        Window storage window = _typeWindow[officeId][typeId];
        if (window.until != _OPEN) revert IssuerRegistryTypeNotAllowed(officeId, typeId, _now());
        window.until = _now();
        _refreshType(officeId, typeId);
        emit CertificateTypeWithdrawn(officeId, typeId, window.until);
    }

    /// @inheritdoc IIssuerRegistry
    function suspendOffice(uint32 officeId, uint64 since) external onlyGovernor {
        OfficeRecord storage record = _offices[officeId];
        if (record.registeredAt == 0) revert IssuerRegistryUnknownOffice(officeId);
        if (since < record.registeredAt) revert IssuerRegistryInvalidSuspension(officeId, since);
        if (record.suspendedFrom != 0 && since >= record.suspendedFrom) {
            revert IssuerRegistryInvalidSuspension(officeId, since);
        }
        record.suspendedFrom = since;
        _refreshOffice(officeId);
        emit OfficeSuspended(officeId, since);
    }

    // ---------------------------------------------------------------- keys

    /// @inheritdoc IIssuerRegistry
    function addKey(uint32 officeId, address key, uint64 validFrom, uint64 validUntil) external onlyGovernor {
        _checkOfficeOpen(officeId);
        _addKey(officeId, key, validFrom, validUntil);
    }

    /// @inheritdoc IIssuerRegistry
    function retireKey(address key, uint64 at) external onlyGovernor {
        Key storage record = _keys[key];
        if (record.officeId == 0) revert IssuerRegistryUnknownKey(key);
        _retireKey(record, key, at);
    }

    /// @inheritdoc IIssuerRegistry
    function rotateKey(address oldKey, address newKey, uint64 newValidUntil) external onlyGovernor {
        Key storage old = _keys[oldKey];
        if (old.officeId == 0) revert IssuerRegistryUnknownKey(oldKey);
        uint64 now_ = _now();
        if (now_ < old.validFrom || now_ >= old.validUntil) {
            revert IssuerRegistryKeyNotValid(oldKey, now_, old.validFrom, old.validUntil);
        }
        _checkOfficeOpen(old.officeId);
        _addKey(old.officeId, newKey, now_, newValidUntil);
        _retireKey(old, oldKey, now_);
    }

    // ---------------------------------------------------------------- views

    /// @inheritdoc IIssuerRegistry
    function office(uint32 officeId) external view returns (Office memory) {
        OfficeRecord memory record = _offices[officeId];
        return Office(record.regionCode, record.registeredAt, record.suspendedFrom, _displayNames[officeId]);
    }

    /// @inheritdoc IIssuerRegistry
    function officeKeys(uint32 officeId) external view returns (address[] memory) {
        return _officeKeys[officeId];
    }

    /// @inheritdoc IIssuerRegistry
    function officeTypes(uint32 officeId) external view returns (uint32[] memory) {
        return _officeTypes[officeId];
    }

    /// @inheritdoc IIssuerRegistry
    function keyInfo(address key) external view returns (Key memory) {
        return _keys[key];
    }

    /// @inheritdoc IIssuerRegistry
    function keyById(uint32 keyId) external view returns (address) {
        return _keyById[keyId];
    }

    /// @inheritdoc IIssuerRegistry
    function typeWindows(uint32 officeId, uint32 typeId) external view returns (Window[] memory windows) {
        Window[] storage closed = _closedTypeWindows[officeId][typeId];
        Window memory latest = _typeWindow[officeId][typeId];
        uint256 count = closed.length;
        bool hasLatest = latest.until != 0;
        windows = new Window[](hasLatest ? count + 1 : count);
        for (uint256 i; i < count; ++i) {
            windows[i] = closed[i];
        }
        if (hasLatest) windows[count] = latest;
    }

    /// @inheritdoc IIssuerRegistry
    function isAuthorized(address key, uint32 officeId, uint32 typeId, uint64 at) external view returns (bool) {
        Key memory record = _keys[key];
        if (officeId == 0 || record.officeId != officeId) return false;
        if (!_contains(record.validFrom, record.validUntil, at)) return false;
        if (_suspendedAt(_offices[officeId], at)) return false;
        return _typeAllowedAt(officeId, typeId, at);
    }

    /// @inheritdoc IIssuerRegistry
    function authorizeIssuance(address key, uint32 typeId) external view returns (uint32 officeId, uint32 keyId) {
        return _authorizeIssuance(key, typeId);
    }

    /// @inheritdoc IIssuerRegistry
    function authorizeStatusChange(address caller, uint32 officeId) external view {
        _authorizeStatusChange(caller, officeId);
    }

    // ---------------------------------------------------------------- checks for the ledger

    /// One storage read on success; on refusal, the canonical records say why.
    function _authorizeIssuance(address key, uint32 typeId) internal view returns (uint32 officeId, uint32 keyId) {
        Key memory grant = _issuance[key][typeId];
        uint64 now_ = _now();
        if (grant.officeId != 0 && _contains(grant.validFrom, grant.validUntil, now_)) {
            return (grant.officeId, grant.keyId);
        }
        Key memory record = _checkValidKey(key);
        revert IssuerRegistryTypeNotAllowed(record.officeId, typeId, now_);
    }

    function _authorizeStatusChange(address caller, uint32 officeId) internal view {
        if (caller == _governor) return;
        Key memory record = _checkValidKey(caller);
        if (record.officeId != officeId) revert IssuerRegistryWrongOffice(caller, record.officeId, officeId);
    }

    // ---------------------------------------------------------------- internal checks

    function _checkGovernor(address caller) internal view {
        if (caller != _governor) revert IssuerRegistryUnauthorized(caller);
    }

    function _checkOfficeExists(uint32 officeId) internal view {
        // 0 is the sentinel of a record never written, not a time: the equality is exact by design.
        // slither-disable-next-line incorrect-equality
        if (_offices[officeId].registeredAt == 0) revert IssuerRegistryUnknownOffice(officeId);
    }

    /// An office that may still gain keys and types: registered and never suspended.
    function _checkOfficeOpen(uint32 officeId) internal view {
        OfficeRecord memory record = _offices[officeId];
        // 0 is the sentinel of a record never written, not a time: the equality is exact by design.
        // slither-disable-next-line incorrect-equality
        if (record.registeredAt == 0) revert IssuerRegistryUnknownOffice(officeId);
        if (record.suspendedFrom != 0) revert IssuerRegistryOfficeSuspended(officeId, record.suspendedFrom);
    }

    /// A key that may sign now: registered, inside its window, its office not suspended.
    function _checkValidKey(address key) internal view returns (Key memory record) {
        record = _keys[key];
        // 0 is the sentinel of a record never written, not a time: the equality is exact by design.
        // slither-disable-next-line incorrect-equality
        if (record.officeId == 0) revert IssuerRegistryUnknownKey(key);
        uint64 now_ = _now();
        if (!_contains(record.validFrom, record.validUntil, now_)) {
            revert IssuerRegistryKeyNotValid(key, now_, record.validFrom, record.validUntil);
        }
        OfficeRecord memory officeRecord = _offices[record.officeId];
        if (_suspendedAt(officeRecord, now_)) {
            revert IssuerRegistryOfficeSuspended(record.officeId, officeRecord.suspendedFrom);
        }
    }

    function _typeAllowedAt(uint32 officeId, uint32 typeId, uint64 at) internal view returns (bool) {
        Window memory latest = _typeWindow[officeId][typeId];
        if (_contains(latest.from, latest.until, at)) return true;
        Window[] storage closed = _closedTypeWindows[officeId][typeId];
        // Bounded by the number of times the governor re-allowed this type to this office.
        for (uint256 i; i < closed.length; ++i) {
            if (_contains(closed[i].from, closed[i].until, at)) return true;
        }
        return false;
    }

    function _suspendedAt(OfficeRecord memory record, uint64 at) internal pure returns (bool) {
        return record.suspendedFrom != 0 && at >= record.suspendedFrom;
    }

    function _contains(uint64 from, uint64 until, uint64 at) internal pure returns (bool) {
        return from <= at && at < until;
    }

    function _now() internal view returns (uint64) {
        return uint64(block.timestamp);
    }

    // ---------------------------------------------------------------- internal changes

    function _allowType(uint32 officeId, uint32 typeId) internal {
        Window storage window = _typeWindow[officeId][typeId];
        if (window.until == _OPEN) revert IssuerRegistryTypeAlreadyAllowed(officeId, typeId);
        if (window.until != 0) _closedTypeWindows[officeId][typeId].push(window);
        else _officeTypes[officeId].push(typeId);
        uint64 from = _now();
        window.from = from;
        window.until = _OPEN;
        _refreshType(officeId, typeId);
        emit CertificateTypeAllowed(officeId, typeId, from);
    }

    function _addKey(uint32 officeId, address key, uint64 validFrom, uint64 validUntil) internal {
        if (key == address(0)) revert IssuerRegistryZeroAddress();
        if (_keys[key].officeId != 0) revert IssuerRegistryKeyExists(key);
        uint64 now_ = _now();
        uint64 from = validFrom < now_ ? now_ : validFrom;
        if (from >= validUntil) revert IssuerRegistryInvalidWindow(from, validUntil);
        uint32 keyId = ++_keyCount;
        _keys[key] = Key(officeId, keyId, from, validUntil);
        _keyById[keyId] = key;
        _officeKeys[officeId].push(key);
        _refreshKey(officeId, key);
        emit KeyAdded(officeId, key, keyId, from, validUntil);
    }

    function _retireKey(Key storage record, address key, uint64 at) internal {
        // A window only ever shrinks, and never below its start.
        if (at < record.validFrom || at >= record.validUntil) revert IssuerRegistryInvalidWindow(record.validFrom, at);
        record.validUntil = at;
        _refreshKey(record.officeId, key);
        emit KeyRetired(record.officeId, key, at);
    }

    // ---------------------------------------------------------------- materialized issuance grants

    /// Recomputes the grants of every key of an office, for every type it was ever allowed.
    /// @dev Bounded by keys × types of one office, both added one by one by the governor.
    function _refreshOffice(uint32 officeId) internal {
        address[] storage keys = _officeKeys[officeId];
        for (uint256 i; i < keys.length; ++i) {
            _refreshKey(officeId, keys[i]);
        }
    }

    /// Recomputes the grants of one key for every type its office was ever allowed.
    function _refreshKey(uint32 officeId, address key) internal {
        uint32[] storage types = _officeTypes[officeId];
        for (uint256 i; i < types.length; ++i) {
            _refreshIssuance(officeId, key, types[i]);
        }
    }

    /// Recomputes the grants of every key of an office for one type.
    function _refreshType(uint32 officeId, uint32 typeId) internal {
        address[] storage keys = _officeKeys[officeId];
        for (uint256 i; i < keys.length; ++i) {
            _refreshIssuance(officeId, keys[i], typeId);
        }
    }

    /// The grant is the intersection of the key's window, the type's latest window and the time
    /// before the office's suspension; it is cleared when that intersection is empty.
    function _refreshIssuance(uint32 officeId, address key, uint32 typeId) internal {
        Key memory record = _keys[key];
        Window memory window = _typeWindow[officeId][typeId];
        uint64 suspendedFrom = _offices[officeId].suspendedFrom;
        uint64 from = record.validFrom > window.from ? record.validFrom : window.from;
        uint64 until = record.validUntil < window.until ? record.validUntil : window.until;
        if (suspendedFrom != 0 && suspendedFrom < until) until = suspendedFrom;
        if (from < until) _issuance[key][typeId] = Key(officeId, record.keyId, from, until);
        else delete _issuance[key][typeId];
    }
}
