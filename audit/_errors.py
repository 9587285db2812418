"""Audit's exceptions; the hierarchy is drawn in the package docstring."""

from __future__ import annotations

from verifier import ChainReadError, VerifierConfigError, VerifierError


class AuditError(VerifierError):
    """Base of every error raised by audit.

    A `VerifierError` too: audit reads the same chain as the verifier, and whoever reports the
    verifier's errors (the command, the service's health) reports these the same way.
    """


class AuditConfigError(AuditError, VerifierConfigError):
    """The chain index is set up wrongly: a URL and an engine, a page size below one block, or an
    index database built for another deployment."""


class IndexReadError(AuditError, ChainReadError):
    """The chain could not answer the indexer: unreachable, reorganizing, or nonsense."""


class AuditQueryError(AuditError, ValueError):
    """An audit question that cannot be answered: a block beyond the head or the index, a period
    that ends before it starts, an unknown grouping, a log size the log does not have."""


class LogEntryNotFoundError(AuditError, LookupError):
    """The operators' access log has no entry with this number."""

    def __init__(self, seq: int) -> None:
        super().__init__(f"the log has no entry {seq}")
        self.seq = seq


class LogNotAnchoredError(AuditError, LookupError):
    """The operators' access log has no anchor on chain yet, so no proof has a root to reach."""

    def __init__(self) -> None:
        super().__init__("the log has not been anchored yet")
