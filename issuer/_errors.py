"""The issuer's exceptions; the hierarchy is drawn in the package docstring."""

from __future__ import annotations


class IssuerError(Exception):
    """Base of every error raised by the issuer."""


class IssuerConfigError(IssuerError, ValueError):
    """A setting or key is missing or unusable."""


class IntakeError(IssuerError, ValueError):
    """An input file cannot be read at all (as opposed to single bad rows, which are reported)."""


class SafeError(IssuerError):
    """A body or data key does not decrypt: altered, moved between records, or erased."""


class CertificateNotFoundError(IssuerError, LookupError):
    """No certificate has that number or id."""


class CitizenNotFoundError(IssuerError, LookupError):
    """No citizen has that id or identity number."""
