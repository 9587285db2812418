"""What verification returns: a verdict, and every check in order with its reason and values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Verdict(StrEnum):
    """The answer a unit acts on."""

    VALID = "VALID"
    INVALID = "INVALID"
    INDETERMINATE = "INDETERMINATE"


class CheckStatus(StrEnum):
    """The outcome of one check."""

    PASSED = "passed"
    FAILED = "failed"
    UNKNOWN = "unknown"  # could not be decided: the chain was unreachable or answered nonsense
    SKIPPED = "skipped"  # not attempted because an earlier check did not pass


CHECKS = ("format", "fields", "inclusion", "anchor", "issuer", "status", "validity")
CHECK_TITLES = {
    "format": "Document format",
    "fields": "Disclosed fields",
    "inclusion": "Place in its batch",
    "anchor": "Anchored on the ledger",
    "issuer": "Issuing office and key",
    "status": "Not revoked or suspended",
    "validity": "Within its validity period",
}


@dataclass(frozen=True, slots=True)
class Check:
    """One check: its name, outcome, a one-line reason, and the values behind it."""

    name: str
    status: CheckStatus
    reason: str
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The check as JSON."""
        return {
            "name": self.name,
            "status": str(self.status),
            "reason": self.reason,
            "details": dict(self.details),
        }


@dataclass(frozen=True, slots=True)
class Verification:
    """The verdict on one document and how it was reached."""

    verdict: Verdict
    checks: tuple[Check, ...]
    kind: str
    disclosed: Mapping[str, Any]
    office_name: str | None = None
    type_name: str | None = None

    @property
    def failed(self) -> Check | None:
        """The first failed check, if any."""
        return next((check for check in self.checks if check.status is CheckStatus.FAILED), None)

    @property
    def reason(self) -> str:
        """The one line that explains the verdict."""
        decisive = self.failed or next(
            (check for check in self.checks if check.status is CheckStatus.UNKNOWN), None
        )
        return decisive.reason if decisive else "every check passed"

    def check(self, name: str) -> Check:
        """The check called `name`."""
        return next(check for check in self.checks if check.name == name)

    def to_json(self) -> dict[str, Any]:
        """The full result as JSON."""
        return {
            "verdict": str(self.verdict),
            "reason": self.reason,
            "kind": self.kind,
            "type": self.type_name,
            "office": self.office_name,
            "disclosed": dict(self.disclosed),
            "checks": [check.to_json() for check in self.checks],
        }


def verdict_of(checks: tuple[Check, ...]) -> Verdict:
    """INVALID when a check failed, INDETERMINATE when one could not be decided, else VALID."""
    statuses = {check.status for check in checks}
    if CheckStatus.FAILED in statuses:
        return Verdict.INVALID
    if CheckStatus.UNKNOWN in statuses or CheckStatus.SKIPPED in statuses:
        return Verdict.INDETERMINATE
    return Verdict.VALID
