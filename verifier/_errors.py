"""The verifier's exceptions; the hierarchy is drawn in the package docstring."""

from __future__ import annotations


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


class AuditError(VerifierError):
    """The chain index or an audit report cannot answer as asked."""


class AuditQueryError(AuditError, ValueError):
    """An audit question that cannot be answered: a block beyond the head or the index, a period
    that ends before it starts, an unknown grouping."""
