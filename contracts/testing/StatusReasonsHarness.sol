// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {StatusReasons} from "../libraries/StatusReasons.sol";

/// @title Status reasons harness
/// @notice Exposes `StatusReasons` to the Python tests through `eth_call`. Never deployed outside
/// tests.
contract StatusReasonsHarness {
    /// @notice `StatusReasons.KNOWN`.
    /// @return the bitmap of known reason codes
    function known() external pure returns (uint256) {
        return StatusReasons.KNOWN;
    }

    /// @notice `StatusReasons.isKnown`.
    /// @param reason the reason code
    /// @return whether `reason` is a known code
    function isKnown(uint16 reason) external pure returns (bool) {
        return StatusReasons.isKnown(reason);
    }
}
