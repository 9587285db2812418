"""The issuer's exceptions; the hierarchy is drawn in the package docstring."""

from __future__ import annotations


class IssuerError(Exception):
    """Base of every error raised by the issuer."""


class IssuerConfigError(IssuerError, ValueError):
    """A setting or key is missing or unusable."""


class IntakeError(IssuerError, ValueError):
    """An input file cannot be read at all, or holds no records (as opposed to single bad rows,
    which are reported)."""


class SafeError(IssuerError):
    """The safe cannot give a certificate's content: it was erased, or it fails its integrity check."""


class ErasedError(SafeError):
    """The citizen's data key was destroyed: the content is gone for good, as the citizen asked."""


class SafeIntegrityError(SafeError):
    """A body or data key does not decrypt: altered, moved between records, or under another key.

    `record` names the stored record ("certificate <id>" or "data key of citizen <id>"), for the
    security log; never its content."""

    def __init__(self, message: str, *, record: str) -> None:
        super().__init__(message)
        self.record = record


class LeaseLostError(IssuerError):
    """A worker no longer holds the lease it acted under (it expired, or another holder took it):
    the write it guarded was rolled back, and the worker's step ends there."""


class CertificateNotFoundError(IssuerError, LookupError):
    """No certificate has that number or id."""


class CitizenNotFoundError(IssuerError, LookupError):
    """No citizen has that id or identity number."""
