"""The states the issuer's tables store: a batch's `state`, a certificate revision's `status`.

They are `StrEnum`s, not plain `Enum`s: the drivers store a `str` subclass as its value
(``"anchored"``), where psycopg would store a plain `Enum` by its name (``"ANCHORED"``).
They are what the database holds, distinct from `ledger.CertificateStatus`, what the chain holds;
`CHAIN_STATUS` says which of the one each of the other stands for.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from ledger import CertificateStatus


class BatchState(StrEnum):
    """Where a batch is: written and being sent until the chain has its root, then anchored."""

    SENDING = "sending"
    ANCHORED = "anchored"


class CertificateState(StrEnum):
    """What the operators' database holds of a certificate revision."""

    VALID = "valid"
    REVOKED = "revoked"
    SUSPENDED = "suspended"
    SUPERSEDED = "superseded"  # a later revision replaced it; the worker revokes it on chain


CHAIN_STATUS: Mapping[CertificateState, CertificateStatus] = MappingProxyType(
    {
        CertificateState.VALID: CertificateStatus.VALID,
        CertificateState.REVOKED: CertificateStatus.REVOKED,
        CertificateState.SUSPENDED: CertificateStatus.SUSPENDED,
        # Once the anchoring worker has sent its revocation (reason SUPERSEDED).
        CertificateState.SUPERSEDED: CertificateStatus.REVOKED,
    }
)
"""The status on chain that each state stands for, once the chain has caught up with it."""
