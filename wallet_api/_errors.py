"""The wallet service's errors: each has a stable code and an HTTP status, and reaches clients as
RFC 9457 problem details. The hierarchy is drawn in the package docstring."""

from __future__ import annotations

from typing import ClassVar


class WalletError(Exception):
    """Base of every error the wallet service reports to a client."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "wallet.error"
    title: ClassVar[str] = "The request cannot be served"

    def __init__(self, detail: str, *, code: str | None = None, status: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        # A finer code (and status) for one instance: "grant.expired" is a 410 of GrantRefusedError.
        self.error_code = code or type(self).code
        self.http_status = status or type(self).status


class InvalidRequestError(WalletError, ValueError):
    """The request is well-formed JSON but asks for something impossible."""

    status = 422
    code = "request.invalid"
    title = "The request is not valid"


class AuthenticationError(WalletError):
    """No credentials, or credentials that are wrong, expired or revoked."""

    status = 401
    code = "auth.required"
    title = "Authentication is required"

    def __init__(self, detail: str, *, code: str | None = None, scheme: str = "Bearer") -> None:
        super().__init__(detail, code=code)
        self.scheme = scheme  # the WWW-Authenticate challenge: Bearer, or ApiKey for units


class PermissionDeniedError(WalletError):
    """Authenticated, but this role may not do this."""

    status = 403
    code = "auth.forbidden"
    title = "Not allowed"


class NotFoundError(WalletError, LookupError):
    """No such object — or one that belongs to somebody else, which is not told apart."""

    status = 404
    code = "not_found"
    title = "Not found"


class ConflictError(WalletError):
    """The object exists already or is in a state that does not allow this."""

    status = 409
    code = "conflict"
    title = "Conflict"


class GrantRefusedError(WalletError):
    """A redemption refused: the grant is revoked, expired, used up or for another unit."""

    status = 403
    code = "grant.refused"
    title = "The grant cannot be redeemed"


class RateLimitedError(WalletError):
    """Too many requests from this client; `retry_after` says when to try again."""

    status = 429
    code = "rate_limited"
    title = "Too many requests"

    def __init__(self, detail: str, *, retry_after: float) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class ServiceUnavailableError(WalletError):
    """A part the service needs (the chain) cannot be reached now."""

    status = 503
    code = "service.unavailable"
    title = "Temporarily unavailable"
