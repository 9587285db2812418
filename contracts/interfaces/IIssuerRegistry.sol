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
    /// @param from first second of the window
    /// @param until first second after the window; `type(uint64).max` while it is open
    struct Window {
        uint64 from;
        uint64 until;
    }

    /// @notice The governor started handing the role to `pendingGovernor`.
    /// @param governor the current governor, who made the offer
    /// @param pendingGovernor the account offered the role
    event GovernanceTransferStarted(address indexed governor, address indexed pendingGovernor);

    /// @notice `newGovernor` accepted the governor role from `previousGovernor`.
    /// @param previousGovernor the former governor; the zero address at deployment
    /// @param newGovernor the governor from now on
    event GovernanceTransferred(address indexed previousGovernor, address indexed newGovernor);

    /// @notice An issuing office was registered.
    /// @param officeId id of the new office, never 0
    /// @param regionCode six-digit GB/T 2260 administrative division code of the office
    /// @param displayName the office's public name, 1 to 128 bytes
    event OfficeRegistered(uint32 indexed officeId, uint32 regionCode, string displayName);

    /// @notice An office is no longer trusted from `since` on.
    /// @param officeId the suspended office
    /// @param since first second at which the office is not trusted; may lie in the past or the future
    event OfficeSuspended(uint32 indexed officeId, uint64 since);

    /// @notice An office may issue a certificate type from `from` on.
    /// @param officeId the office
    /// @param typeId the certificate type
    /// @param from first second of the new window: the block's timestamp
    event CertificateTypeAllowed(uint32 indexed officeId, uint32 indexed typeId, uint64 from);

    /// @notice An office may no longer issue a certificate type from `until` on.
    /// @param officeId the office
    /// @param typeId the certificate type
    /// @param until first second after the window: the block's timestamp
    event CertificateTypeWithdrawn(uint32 indexed officeId, uint32 indexed typeId, uint64 until);

    /// @notice A signing key was added to an office.
    /// @param officeId the office the key signs for
    /// @param key the key's address
    /// @param keyId serial number of the key, counted from 1 across all offices
    /// @param validFrom first second at which the key may sign; never before the block's timestamp
    /// @param validUntil first second at which the key may no longer sign; `type(uint64).max` for no end
    event KeyAdded(
        uint32 indexed officeId, address indexed key, uint32 keyId, uint64 validFrom, uint64 validUntil
    );

    /// @notice A signing key stops being valid at `validUntil`.
    /// @param officeId the office the key signs for
    /// @param key the key's address
    /// @param validUntil the key's new end: first second at which it may no longer sign; may lie in the past
    event KeyRetired(uint32 indexed officeId, address indexed key, uint64 validUntil);

    /// @notice The caller is not the governor.
    /// @param caller the account that called
    error IssuerRegistryUnauthorized(address caller);

    /// @notice The caller is not the pending governor.
    /// @param caller the account that called
    error IssuerRegistryNotPendingGovernor(address caller);

    /// @notice The zero address cannot be a governor or a key.
    error IssuerRegistryZeroAddress();

    /// @notice Office id 0 is reserved to mean "no office".
    error IssuerRegistryInvalidOfficeId();

    /// @notice A region code is a six-digit GB/T 2260 administrative division code.
    /// @param regionCode the code given
    error IssuerRegistryInvalidRegionCode(uint32 regionCode);

    /// @notice A display name must be 1 to 128 bytes of UTF-8.
    /// @param length length of the name given, in bytes
    error IssuerRegistryInvalidDisplayName(uint256 length);

    /// @notice No office is registered under `officeId`.
    /// @param officeId the office id given
    error IssuerRegistryUnknownOffice(uint32 officeId);

    /// @notice An office is already registered under `officeId`.
    /// @param officeId the office id given
    error IssuerRegistryOfficeExists(uint32 officeId);

    /// @notice The office is suspended from `since` on.
    /// @param officeId the suspended office
    /// @param since first second of its suspension
    error IssuerRegistryOfficeSuspended(uint32 officeId, uint64 since);

    /// @notice A suspension may start no earlier than the office's registration, and an existing
    /// suspension can only be moved earlier.
    /// @param officeId the office
    /// @param since the start of suspension asked for
    error IssuerRegistryInvalidSuspension(uint32 officeId, uint64 since);

    /// @notice The office may already issue this certificate type.
    /// @param officeId the office
    /// @param typeId the certificate type
    error IssuerRegistryTypeAlreadyAllowed(uint32 officeId, uint32 typeId);

    /// @notice The office may not issue this certificate type at time `at`.
    /// @param officeId the office
    /// @param typeId the certificate type
    /// @param at the time asked about, in seconds since the epoch: the block's timestamp
    error IssuerRegistryTypeNotAllowed(uint32 officeId, uint32 typeId, uint64 at);

    /// @notice The key has already been registered; keys are never reused.
    /// @param key the key's address
    error IssuerRegistryKeyExists(address key);

    /// @notice The key is not registered.
    /// @param key the address given
    error IssuerRegistryUnknownKey(address key);

    /// @notice The key's window `[validFrom, validUntil)` does not contain `at`.
    /// @param key the key's address
    /// @param at the time asked about: the block's timestamp
    /// @param validFrom first second at which the key may sign
    /// @param validUntil first second at which the key may no longer sign
    error IssuerRegistryKeyNotValid(address key, uint64 at, uint64 validFrom, uint64 validUntil);

    /// @notice The window would be empty or would reopen a closed key.
    /// @param from first second of the window that would result
    /// @param until first second after it
    error IssuerRegistryInvalidWindow(uint64 from, uint64 until);

    /// @notice The key signs for `keyOfficeId`, not for `officeId`.
    /// @param key the key's address
    /// @param keyOfficeId the office the key signs for
    /// @param officeId the office that issued the certificates
    error IssuerRegistryWrongOffice(address key, uint32 keyOfficeId, uint32 officeId);

    /// @notice The governor: the only account that may change the registry.
    /// @return the governor's address
    function governor() external view returns (address);

    /// @notice The account offered the governor role, or the zero address.
    /// @return the pending governor; the zero address when no transfer is under way
    function pendingGovernor() external view returns (address);

    /// @notice Offers the governor role to `newGovernor`, who must accept it.
    /// @param newGovernor the account offered the role; not zero. Replaces any earlier offer
    function transferGovernance(address newGovernor) external;

    /// @notice Accepts the governor role offered by `transferGovernance`.
    function acceptGovernance() external;

    /// @notice Registers an issuing office, allowed to issue `typeIds` from now on.
    /// @param officeId id of the new office, chosen by the governor; not 0 and not registered before
    /// @param regionCode six-digit GB/T 2260 administrative division code, 100000 to 999999
    /// @param displayName the office's public name, 1 to 128 bytes of UTF-8
    /// @param typeIds certificate types the office may issue, each once; may be empty
    function registerOffice(
        uint32 officeId,
        uint32 regionCode,
        string calldata displayName,
        uint32[] calldata typeIds
    ) external;

    /// @notice Allows an office to issue a certificate type from now on.
    /// @param officeId a registered office never suspended (a suspension set for later counts)
    /// @param typeId a certificate type the office may not issue now
    function allowCertificateType(uint32 officeId, uint32 typeId) external;

    /// @notice Withdraws a certificate type from an office from now on; what was issued before
    /// stays trusted.
    /// @param officeId a registered office
    /// @param typeId a certificate type the office may issue now
    function withdrawCertificateType(uint32 officeId, uint32 typeId) external;

    /// @notice Adds a signing key to an office, valid in `[validFrom, validUntil)`.
    /// @dev A `validFrom` earlier than the current block is raised to it: a key cannot be made
    /// valid retroactively. Pass `type(uint64).max` as `validUntil` for a key without an end.
    /// @param officeId a registered office never suspended (a suspension set for later counts)
    /// @param key the new key's address; not zero and never registered before
    /// @param validFrom first second at which the key may sign; 0 or any past time means now
    /// @param validUntil first second at which the key may no longer sign; after `validFrom` and now
    function addKey(uint32 officeId, address key, uint64 validFrom, uint64 validUntil) external;

    /// @notice Ends a key's validity at `at`.
    /// @dev `at` may lie in the past, to distrust what a compromised key signed from then on;
    /// a window can only be shortened, never extended.
    /// @param key a registered key
    /// @param at new end of the key's window, in seconds since the epoch; `validFrom <= at < validUntil`
    function retireKey(address key, uint64 at) external;

    /// @notice Replaces `oldKey` by `newKey` in one step: the new key is valid from now until
    /// `newValidUntil`, the old one stops now.
    /// @param oldKey a key valid now, of an office never suspended (a suspension set for later counts)
    /// @param newKey the new key's address; not zero and never registered before
    /// @param newValidUntil first second the new key may not sign; after now; `type(uint64).max` for no end
    function rotateKey(address oldKey, address newKey, uint64 newValidUntil) external;

    /// @notice Distrusts an office from `since` on: its keys can no longer anchor or change
    /// status, and whatever was anchored at or after `since` no longer verifies.
    /// @dev `since` may lie in the past (the time of a compromise) or in the future (a planned
    /// closure). A suspension cannot be lifted; it can only be moved earlier.
    /// @param officeId a registered office
    /// @param since first second of distrust; not before registration; earlier than any existing suspension
    function suspendOffice(uint32 officeId, uint64 since) external;

    /// @notice The office registered under `officeId`; `registeredAt` is 0 when there is none.
    /// @param officeId the office
    /// @return the office's record; all fields 0 or empty when there is none
    function office(uint32 officeId) external view returns (Office memory);

    /// @notice The signing keys ever added to an office, in the order they were added.
    /// @param officeId the office
    /// @return the keys' addresses, retired keys included; empty for an unknown office
    function officeKeys(uint32 officeId) external view returns (address[] memory);

    /// @notice Every certificate type ever allowed to an office, in the order first allowed.
    /// @param officeId the office
    /// @return the certificate types, withdrawn ones included; empty for an unknown office
    function officeTypes(uint32 officeId) external view returns (uint32[] memory);

    /// @notice The record of `key`; `officeId` is 0 when the key was never registered.
    /// @param key the key's address
    /// @return the key's record
    function keyInfo(address key) external view returns (Key memory);

    /// @notice The key with serial number `keyId`, or the zero address.
    /// @param keyId serial number of the key, from 1
    /// @return the key's address
    function keyById(uint32 keyId) external view returns (address);

    /// @notice Every window in which an office was allowed a certificate type, oldest first.
    /// @param officeId the office
    /// @param typeId the certificate type
    /// @return the windows, none if the type was never allowed; the last is open while the type is allowed
    function typeWindows(uint32 officeId, uint32 typeId) external view returns (Window[] memory);

    /// @notice Whether `key` was allowed to issue `typeId` for `officeId` at time `at`.
    /// @param key the key's address
    /// @param officeId the office the key would sign for; 0 always answers false
    /// @param typeId the certificate type
    /// @param at the time asked about, in seconds since the epoch (for instance a batch's `anchoredAt`)
    /// @return true when at `at` the key was the office's and valid, the office unsuspended, the type allowed
    function isAuthorized(address key, uint32 officeId, uint32 typeId, uint64 at)
        external
        view
        returns (bool);

    /// @notice Checks that `key` may issue `typeId` now and returns its office and serial number.
    /// @dev Reverts with the registry error that explains the refusal.
    /// @param key the account that would anchor
    /// @param typeId the certificate type of the batch
    /// @return officeId the office the key signs for
    /// @return keyId serial number of the key
    function authorizeIssuance(address key, uint32 typeId)
        external
        view
        returns (uint32 officeId, uint32 keyId);

    /// @notice Checks that `caller` may change the status of certificates issued by `officeId`
    /// now: the governor, or a currently valid key of that office while it is not suspended.
    /// @dev Reverts with the registry error that explains the refusal.
    /// @param caller the account that would change the status
    /// @param officeId the office that issued the certificates (their batch's `officeId`)
    function authorizeStatusChange(address caller, uint32 officeId) external view;
}
