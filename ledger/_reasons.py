"""The reasons a status change carries on chain, mirroring `contracts/libraries/StatusReasons.sol`.

The ledger refuses any code outside this table (`CertificateLedgerUnknownReason`); a test holds
the names and values here and in Solidity together.
"""

from __future__ import annotations

from enum import IntEnum


class Reason(IntEnum):
    """Reason codes carried on chain with every revocation, suspension and reinstatement."""

    ISSUED_IN_ERROR = 1
    DATA_CORRECTED = 2
    SUPERSEDED = 3
    FRAUD = 4
    HOLDER_DECEASED = 5
    KEY_COMPROMISE = 6
    UNDER_REVIEW = 10
    DISPUTED = 11
    COURT_ORDER = 12
    REVIEW_CLEARED = 20
    OTHER = 99

    @property
    def label(self) -> str:
        """The reason as written on the command line: ``issued-in-error``."""
        return self.name.lower().replace("_", "-")

    @classmethod
    def parse(cls, text: str) -> Reason:
        """A reason from its number or its label."""
        if text.isdigit():
            return cls(int(text))
        return cls[text.upper().replace("-", "_")]
