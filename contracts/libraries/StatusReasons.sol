// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title Status-change reasons
/// @notice The one table of reason codes a revocation, suspension or reinstatement carries on
/// chain, mirrored by `ledger.Reason` in Python (a test holds the names and values of the two
/// together). The ledger refuses any other code, so every status change an auditor reads has a
/// published meaning.
/// @dev Codes stay below 256 so that the whole table is one bitmap word.
library StatusReasons {
    /// @notice The certificate should never have been issued.
    uint16 internal constant ISSUED_IN_ERROR = 1;
    /// @notice The data was wrong and a corrected certificate replaces it.
    uint16 internal constant DATA_CORRECTED = 2;
    /// @notice A newer certificate supersedes it (a re-issue of the same number).
    uint16 internal constant SUPERSEDED = 3;
    /// @notice It was obtained by fraud.
    uint16 internal constant FRAUD = 4;
    /// @notice Its holder has died.
    uint16 internal constant HOLDER_DECEASED = 5;
    /// @notice The key that anchored it was compromised.
    uint16 internal constant KEY_COMPROMISE = 6;
    /// @notice It is being reviewed (a suspension).
    uint16 internal constant UNDER_REVIEW = 10;
    /// @notice Its content is disputed (a suspension).
    uint16 internal constant DISPUTED = 11;
    /// @notice A court ordered the change.
    uint16 internal constant COURT_ORDER = 12;
    /// @notice A review found it sound (a reinstatement).
    uint16 internal constant REVIEW_CLEARED = 20;
    /// @notice Another reason, recorded off chain.
    uint16 internal constant OTHER = 99;

    /// @notice Bit `code` is set for every code of the table.
    uint256 internal constant KNOWN = (1 << ISSUED_IN_ERROR) | (1 << DATA_CORRECTED) | (1 << SUPERSEDED)
        | (1 << FRAUD) | (1 << HOLDER_DECEASED) | (1 << KEY_COMPROMISE) | (1 << UNDER_REVIEW) | (1 << DISPUTED)
        | (1 << COURT_ORDER) | (1 << REVIEW_CLEARED) | (1 << OTHER);

    /// @notice Whether `reason` is a code of the table.
    /// @param reason the reason code
    /// @return true when `reason` is one of the codes above
    function isKnown(uint16 reason) internal pure returns (bool) {
        return reason < 256 && (KNOWN >> reason) & 1 == 1;
    }
}
