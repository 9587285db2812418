"""Audit's tests run against the wallet service's worlds: the log is written by grants and
redemptions, and the reconciliation reads the database the service keeps."""

from __future__ import annotations

from tests.wallet_api.conftest import wallet, wallet_on

__all__ = ["wallet", "wallet_on"]
