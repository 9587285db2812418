"""Where errors become HTTP answers: the one table from each error a route may meet to its status.

The services raise `WalletError`s that carry a stable code and a detail but no status; a refused
redemption carries its `GrantRefusal`. `PROBLEMS` and `REFUSAL_STATUSES` give their statuses and
titles, and `ISSUER_PROBLEMS` the whole answer to the issuer's errors that reach a route (no such
certificate, its content erased). `_http.install_error_handlers` sends them as problem+json in the
caller's language (`_problem_text`), beside the answers to a failing part the service stands on
(the chain, the database, the safe's integrity), each of which logs a line of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from issuer import CertificateNotFoundError, ErasedError
from wallet_api._errors import (
    AuthenticationError,
    ConflictError,
    GrantRefusal,
    GrantRefusedError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitedError,
    ServiceUnavailableError,
    WalletError,
)
from wallet_api._print_font import FontMissingError


@dataclass(frozen=True, slots=True)
class ProblemKind:
    """How one class of error leaves: its HTTP status and the problem's title, in English and in
    Chinese (`_http` picks one by the caller's `Accept-Language`)."""

    status: int
    title: str
    title_zh: str


PROBLEMS: Final[Mapping[type[WalletError], ProblemKind]] = {
    WalletError: ProblemKind(400, "The request cannot be served", "请求无法处理"),
    InvalidRequestError: ProblemKind(422, "The request is not valid", "请求的内容不符合要求"),
    AuthenticationError: ProblemKind(401, "Authentication is required", "需要登录"),
    PermissionDeniedError: ProblemKind(403, "Not allowed", "不允许这样做"),
    NotFoundError: ProblemKind(404, "Not found", "没有找到"),
    ConflictError: ProblemKind(409, "Conflict", "与现有状态冲突"),
    GrantRefusedError: ProblemKind(403, "The grant cannot be redeemed", "这项授权无法使用"),
    RateLimitedError: ProblemKind(429, "Too many requests", "请求太频繁"),
    ServiceUnavailableError: ProblemKind(503, "Temporarily unavailable", "服务暂时不可用"),
    FontMissingError: ProblemKind(503, "Temporarily unavailable", "服务暂时不可用"),
}

# A grant that is gone for good is 410; one that this unit or this key may not open is 403.
REFUSAL_STATUSES: Final[Mapping[GrantRefusal, int]] = {
    GrantRefusal.REVOKED: 410,
    GrantRefusal.EXPIRED: 410,
    GrantRefusal.USED_UP: 410,
    GrantRefusal.WRONG_UNIT: 403,
    GrantRefusal.BAD_KEY: 403,
}


@dataclass(frozen=True, slots=True)
class FixedProblem:
    """The whole answer to an error of a lower layer, which carries no code of its own."""

    status: int
    code: str
    title: str
    title_zh: str
    detail: str


ISSUER_PROBLEMS: Final[Mapping[type[Exception], FixedProblem]] = {
    CertificateNotFoundError: FixedProblem(
        404, "certificate.not_found", "Not found", "没有找到", "no such certificate"
    ),
    ErasedError: FixedProblem(
        410, "certificate.erased", "Gone", "已不存在", "the certificate's content was erased"
    ),
}


def problem_kind(error: WalletError) -> ProblemKind:
    """The status and title `error` leaves with: its class's, or its nearest ancestor's."""
    kind = next(PROBLEMS[cls] for cls in type(error).__mro__ if cls in PROBLEMS)
    if isinstance(error, GrantRefusedError):
        return ProblemKind(REFUSAL_STATUSES[error.reason], kind.title, kind.title_zh)
    return kind
