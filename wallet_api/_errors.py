"""The wallet services' errors: each has a stable code and a detail for the caller (in English, and
optionally in Chinese), and nothing of HTTP — `wallet_api._problems` maps them to status codes and
problem+json. The hierarchy is drawn in the package docstring."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar


class WalletError(Exception):
    """Base of every error the wallet services report to a caller."""

    code: ClassVar[str] = "wallet.error"

    def __init__(self, detail: str, *, code: str | None = None, detail_zh: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        # A finer code for one instance: "grant.fields" is an InvalidRequestError.
        self.error_code = code or type(self).code
        # The detail in Chinese, naming what `detail` names; without it a Chinese answer says the
        # code's sentence (`wallet_api._problem_text.PROBLEM_TEXT`).
        self.detail_zh = detail_zh


class InvalidRequestError(WalletError, ValueError):
    """The request is well-formed JSON but asks for something impossible."""

    code = "request.invalid"


class AuthenticationError(WalletError):
    """No credentials, or credentials that are wrong, expired or revoked."""

    code = "auth.required"

    def __init__(
        self, detail: str, *, code: str | None = None, detail_zh: str | None = None, scheme: str = "Bearer"
    ) -> None:
        super().__init__(detail, code=code, detail_zh=detail_zh)
        self.scheme = scheme  # the credential asked for: a Bearer token, or an ApiKey for units


class PermissionDeniedError(WalletError):
    """Authenticated, but this role may not do this."""

    code = "auth.forbidden"


class NotFoundError(WalletError, LookupError):
    """No such object — or one that belongs to somebody else, which is not told apart."""

    code = "not_found"


class ConflictError(WalletError):
    """The object exists already or is in a state that does not allow this."""

    code = "conflict"


class GrantRefusal(StrEnum):
    """Why a unit's redemption of a grant is refused; the value is the stable error code."""

    REVOKED = "grant.revoked"
    EXPIRED = "grant.expired"
    USED_UP = "grant.used_up"
    WRONG_UNIT = "grant.wrong_unit"
    BAD_KEY = "grant.bad_key"

    @property
    def detail(self) -> str:
        """The refusal as the unit reads it."""
        return _REFUSAL_DETAILS[self]


_REFUSAL_DETAILS = {
    GrantRefusal.REVOKED: "the citizen revoked this grant",
    GrantRefusal.EXPIRED: "the grant has expired",
    GrantRefusal.USED_UP: "the grant has no uses left",
    GrantRefusal.WRONG_UNIT: "the grant is addressed to another unit",
    GrantRefusal.BAD_KEY: "the key does not open this grant: scan the QR code again",
}


class GrantRefusedError(WalletError):
    """A redemption refused: the grant is revoked, expired, used up, another unit's, or the key
    does not open it; `reason` says which."""

    code = "grant.refused"

    def __init__(self, reason: GrantRefusal) -> None:
        super().__init__(reason.detail, code=reason.value)
        self.reason = reason


class RateLimitedError(WalletError):
    """Too many requests from this client; `retry_after` says when to try again."""

    code = "rate_limited"

    def __init__(self, detail: str, *, retry_after: float) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class ServiceUnavailableError(WalletError):
    """A part the service needs (the chain) cannot be reached now."""

    code = "service.unavailable"
