"""The verifier's settings: which ledger to trust, on which chain, and how long to wait for it."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator

from ledger import LedgerSettings


class VerifierSettings(LedgerSettings):
    """Settings read from ``CERTLEDGER_*`` environment variables.

    The trusted ledger comes from ``CERTLEDGER_LEDGER_ADDRESS`` (with ``CERTLEDGER_CHAIN_ID``),
    else from a deployment manifest: ``CERTLEDGER_DEPLOYMENT``, else the data folder's manifest
    for the configured chain id. Never from the document being verified.

    A unit redeems grant links with its API key at its wallet, ``CERTLEDGER_UNIT_KEY``. With
    ``CERTLEDGER_WALLET_URL`` the key is sent to that wallet only, never to another one a link names.
    """

    ledger_address: str | None = None
    deployment: Path | None = None
    verify_timeout: float = Field(default=5.0, gt=0, description="seconds a chain read may take")
    head_ttl: float = Field(default=0.0, ge=0, description="seconds the latest block number may be reused")
    unit_key: SecretStr | None = Field(default=None, description="the unit's API key, to redeem grant links")
    wallet_url: str | None = Field(
        default=None, description="the wallet the unit's key belongs to, e.g. https://wallet.example"
    )

    @field_validator("wallet_url")
    @classmethod
    def _wallet_http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("CERTLEDGER_WALLET_URL must be an http:// or https:// address")
        return value
