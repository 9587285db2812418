"""The verifier's settings: which ledger to trust, on which chain, and how long to wait for it."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from ledger import LedgerSettings


class VerifierSettings(LedgerSettings):
    """Settings read from ``CERTLEDGER_*`` environment variables.

    The trusted ledger comes from ``CERTLEDGER_LEDGER_ADDRESS`` (with ``CERTLEDGER_CHAIN_ID``),
    else from a deployment manifest: ``CERTLEDGER_DEPLOYMENT``, else the data folder's manifest
    for the configured chain id. Never from the document being verified.
    """

    ledger_address: str | None = None
    deployment: Path | None = None
    verify_timeout: float = Field(default=5.0, gt=0, description="seconds a chain read may take")
    head_ttl: float = Field(default=0.0, ge=0, description="seconds the latest block number may be reused")
    index_database_url: str | None = Field(
        default=None, description="the chain index's database; <data>/chain-index-<chain id>.db by default"
    )
