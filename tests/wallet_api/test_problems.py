"""The one table from the services' errors to HTTP statuses: complete, and as docs/wallet.md says."""

from __future__ import annotations

import pytest

from wallet_api import GrantRefusal, GrantRefusedError, NotFoundError, WalletError
from wallet_api._problems import PROBLEMS, REFUSAL_STATUSES, ProblemKind, problem_kind


def _subclasses(cls: type[WalletError]) -> set[type[WalletError]]:
    return {cls} | {sub for child in cls.__subclasses__() for sub in _subclasses(child)}


def test_every_error_class_has_its_own_status() -> None:
    assert _subclasses(WalletError) <= set(PROBLEMS)


def test_every_refusal_has_a_status() -> None:
    assert set(REFUSAL_STATUSES) == set(GrantRefusal)


@pytest.mark.parametrize(
    ("reason", "status", "detail"),
    [
        (GrantRefusal.WRONG_UNIT, 403, "the grant is addressed to another unit"),
        (GrantRefusal.REVOKED, 410, "the citizen revoked this grant"),
        (GrantRefusal.EXPIRED, 410, "the grant has expired"),
        (GrantRefusal.USED_UP, 410, "the grant has no uses left"),
        (GrantRefusal.BAD_KEY, 403, "the key does not open this grant: scan the QR code again"),
    ],
)
def test_a_refusal_leaves_with_its_status_and_code(reason: GrantRefusal, status: int, detail: str) -> None:
    error = GrantRefusedError(reason)
    assert (error.error_code, error.detail, error.reason) == (reason.value, detail, reason)
    assert problem_kind(error) == ProblemKind(status, "The grant cannot be redeemed", "这项授权无法使用")


def test_a_finer_code_keeps_its_class_status() -> None:
    error = NotFoundError("no such grant", code="grant.not_found")
    assert error.error_code == "grant.not_found"
    assert problem_kind(error) == ProblemKind(404, "Not found", "没有找到")
