// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title Issuer registry
/// @notice Records which issuing offices may issue which certificate types, with which signing
/// keys, and when. A provincial governor registers offices and their keys; the certificate
/// ledger asks this registry before it accepts an anchor or a status change.
/// @dev Every permission is a half-open time window `[from, until)` in seconds since the epoch;
/// an open window ends at `type(uint64).max`. Trust questions are asked "at time t", so closing
/// a window later (retiring a key, withdrawing a certificate type) never invalidates what was
/// issued inside it. Suspending an office is the deliberate exception: it states the time from
/// which the office must no longer be trusted (for instance the moment its keys were
/// compromised), and that time may lie in the past.
///
/// Nothing here is personal data: offices are public bodies, keys are addresses.
interface IIssuerRegistry {
    /// @notice A signing key of an issuing office.
    /// @param officeId the office the key signs for; 0 when the key was never registered
    /// @param keyId serial number of the key, counted from 1 across all offices
    /// @param validFrom first second at which the key may sign
    /// @param validUntil first second at which the key may no longer sign
    struct Key {
        uint32 officeId;
        uint32 keyId;
        uint64 validFrom;
        uint64 validUntil;
    }

    /// @notice An issuing office.
    /// @param regionCode administrative division code of the office (GB/T 2260), e.g. 371000
    /// @param registeredAt when the governor registered the office
    /// @param suspendedFrom the time from which the office is not trusted; 0 when not suspended
    /// @param displayName the office's public name, shown by verifiers instead of any name a
    /// document claims for itself
    struct Office {
        uint32 regionCode;
        uint64 registeredAt;
        uint64 suspendedFrom;
        string displayName;
    }

    /// @notice A half-open time window `[from, until)`.
    struct Window {
        uint64 from;
        uint64 until;
    }

    /// @notice The governor started handing the role to `pendingGovernor`.
    event GovernanceTransferStarted(address indexed governor, address indexed pendingGovernor);

    /// @notice `newGovernor` accepted the governor role from `previousGovernor`.
    event GovernanceTransferred(address indexed previousGovernor, address indexed newGovernor);

    /// @notice An issuing office was registered.
    event OfficeRegistered(uint32 indexed officeId, uint32 regionCode, string displayName);

    /// @notice An office is no longer trusted from `since` on.
    event OfficeSuspended(uint32 indexed officeId, uint64 since);

    /// @notice An office may issue a certificate type from `from` on.
    event CertificateTypeAllowed(uint32 indexed officeId, uint32 indexed typeId, uint64 from);

    /// @notice An office may no longer issue a certificate type from `until` on.
    event CertificateTypeWithdrawn(uint32 indexed officeId, uint32 indexed typeId, uint64 until);

    /// @notice A signing key was added to an office.
    event KeyAdded(
        uint32 indexed officeId, address indexed key, uint32 keyId, uint64 validFrom, uint64 validUntil
    );

    /// @notice A signing key stops being valid at `validUntil`.
    event KeyRetired(uint32 indexed officeId, address indexed key, uint64 validUntil);

    /// @notice The caller is not the governor.
    error IssuerRegistryUnauthorized(address caller);

    /// @notice The caller is not the pending governor.
    error IssuerRegistryNotPendingGovernor(address caller);

    /// @notice The zero address cannot be a governor or a key.
    error IssuerRegistryZeroAddress();

    /// @notice Office id 0 is reserved to mean "no office".
    error IssuerRegistryInvalidOfficeId();

    /// @notice A region code is a six-digit GB/T 2260 administrative division code.
    error IssuerRegistryInvalidRegionCode(uint32 regionCode);

    /// @notice A display name must be 1 to 128 bytes of UTF-8.
    error IssuerRegistryInvalidDisplayName(uint256 length);

    /// @notice No office is registered under `officeId`.
    error IssuerRegistryUnknownOffice(uint32 officeId);

    /// @notice An office is already registered under `officeId`.
    error IssuerRegistryOfficeExists(uint32 officeId);

    /// @notice The office is suspended from `since` on.
    error IssuerRegistryOfficeSuspended(uint32 officeId, uint64 since);

    /// @notice A suspension may start no earlier than the office's registration, and an existing
    /// suspension can only be moved earlier.
    error IssuerRegistryInvalidSuspension(uint32 officeId, uint64 since);

    /// @notice The office may already issue this certificate type.
    error IssuerRegistryTypeAlreadyAllowed(uint32 officeId, uint32 typeId);

    /// @notice The office may not issue this certificate type at time `at`.
    error IssuerRegistryTypeNotAllowed(uint32 officeId, uint32 typeId, uint64 at);

    /// @notice The key has already been registered; keys are never reused.
    error IssuerRegistryKeyExists(address key);

    /// @notice The key is not registered.
    error IssuerRegistryUnknownKey(address key);

    /// @notice The key's window `[validFrom, validUntil)` does not contain `at`.
    error IssuerRegistryKeyNotValid(address key, uint64 at, uint64 validFrom, uint64 validUntil);

    /// @notice The window would be empty or would reopen a closed key.
    error IssuerRegistryInvalidWindow(uint64 from, uint64 until);

    /// @notice The key signs for `keyOfficeId`, not for `officeId`.
    error IssuerRegistryWrongOffice(address key, uint32 keyOfficeId, uint32 officeId);

    /// @notice The governor: the only account that may change the registry.
    function governor() external view returns (address);

    /// @notice The account offered the governor role, or the zero address.
    function pendingGovernor() external view returns (address);

    /// @notice Offers the governor role to `newGovernor`, who must accept it.
    function transferGovernance(address newGovernor) external;

    /// @notice Accepts the governor role offered by `transferGovernance`.
    function acceptGovernance() external;

    /// @notice Registers an issuing office, allowed to issue `typeIds` from now on.
    function registerOffice(
        uint32 officeId,
        uint32 regionCode,
        string calldata displayName,
        uint32[] calldata typeIds
    ) external;

    /// @notice Allows an office to issue a certificate type from now on.
    function allowCertificateType(uint32 officeId, uint32 typeId) external;

    /// @notice Withdraws a certificate type from an office from now on; what was issued before
    /// stays trusted.
    function withdrawCertificateType(uint32 officeId, uint32 typeId) external;

    /// @notice Adds a signing key to an office, valid in `[validFrom, validUntil)`.
    /// @dev A `validFrom` earlier than the current block is raised to it: a key cannot be made
    /// valid retroactively. Pass `type(uint64).max` as `validUntil` for a key without an end.
    function addKey(uint32 officeId, address key, uint64 validFrom, uint64 validUntil) external;

    /// @notice Ends a key's validity at `at`.
    /// @dev `at` may lie in the past, to distrust what a compromised key signed from then on;
    /// a window can only be shortened, never extended.
    function retireKey(address key, uint64 at) external;

    /// @notice Replaces `oldKey` by `newKey` in one step: the new key is valid from now until
    /// `newValidUntil`, the old one stops now.
    function rotateKey(address oldKey, address newKey, uint64 newValidUntil) external;

    /// @notice Distrusts an office from `since` on: its keys can no longer anchor or change
    /// status, and whatever was anchored at or after `since` no longer verifies.
    /// @dev `since` may lie in the past (the time of a compromise) or in the future (a planned
    /// closure). A suspension cannot be lifted; it can only be moved earlier.
    function suspendOffice(uint32 officeId, uint64 since) external;

    /// @notice The office registered under `officeId`; `registeredAt` is 0 when there is none.
    function office(uint32 officeId) external view returns (Office memory);

    /// @notice The signing keys ever added to an office, in the order they were added.
    function officeKeys(uint32 officeId) external view returns (address[] memory);

    /// @notice Every certificate type ever allowed to an office, in the order first allowed.
    function officeTypes(uint32 officeId) external view returns (uint32[] memory);

    /// @notice The record of `key`; `officeId` is 0 when the key was never registered.
    function keyInfo(address key) external view returns (Key memory);

    /// @notice The key with serial number `keyId`, or the zero address.
    function keyById(uint32 keyId) external view returns (address);

    /// @notice Every window in which an office was allowed a certificate type, oldest first.
    function typeWindows(uint32 officeId, uint32 typeId) external view returns (Window[] memory);

    /// @notice Whether `key` was allowed to issue `typeId` for `officeId` at time `at`.
    function isAuthorized(address key, uint32 officeId, uint32 typeId, uint64 at)
        external
        view
        returns (bool);

    /// @notice Checks that `key` may issue `typeId` now and returns its office and serial number.
    /// @dev Reverts with the registry error that explains the refusal.
    function authorizeIssuance(address key, uint32 typeId)
        external
        view
        returns (uint32 officeId, uint32 keyId);

    /// @notice Checks that `caller` may change the status of certificates issued by `officeId`
    /// now: the governor, or a currently valid key of that office while it is not suspended.
    /// @dev Reverts with the registry error that explains the refusal.
    function authorizeStatusChange(address caller, uint32 officeId) external view;
}
