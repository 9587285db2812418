"""The verifier's exceptions; the hierarchy is drawn in the package docstring."""

from __future__ import annotations

from verifier._links import GrantLink


class VerifierError(Exception):
    """Base of every error raised by the verifier."""


class VerifierConfigError(VerifierError, ValueError):
    """The verifier does not know which ledger to trust, or cannot reach it as configured."""


class ChainReadError(VerifierError):
    """The chain could not answer a question: unreachable, too slow, another chain, or nonsense.

    The pipeline never raises it: it becomes an INDETERMINATE check with this reason.
    """


class UnreadableDocumentError(VerifierError, ValueError):
    """A file, link or QR code does not hold a document the verifier can read."""


class GrantLinkError(UnreadableDocumentError):
    """A wallet's grant link: its presentation goes only to the unit the grant names, which
    redeems the link at the wallet with its own API key (`redeem_grant_link`)."""

    def __init__(self, message: str, *, link: GrantLink) -> None:
        super().__init__(message)
        self.link = link


class RedemptionRefusedError(UnreadableDocumentError):
    """The wallet refused to redeem a grant link: the unit's key is wrong, the grant is used up,
    revoked, expired or another unit's, or the unit asks too often. `code` is the wallet's."""

    def __init__(self, message: str, *, status: int, code: str | None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
