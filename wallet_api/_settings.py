"""The wallet service's settings: audit's (and so the issuer's), plus where it listens, its secrets
and its limits."""

from __future__ import annotations

import os
from typing import Annotated, Any, Literal

from pydantic import Field, IPvAnyNetwork, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode

from audit import AuditSettings

RENAMED_VARIABLES = {"CERTLEDGER_WORKERS": "CERTLEDGER_PROCESSES"}
"""Variables the service once read, and the names that replaced them."""


class WalletSettings(AuditSettings):
    """Settings read from ``CERTLEDGER_*`` environment variables.

    Without ``CERTLEDGER_TOKEN_SECRET`` the token-signing key lives in ``<data>/keys/token.key``
    (created owner-only); in production (``CERTLEDGER_ENVIRONMENT=production``) it must be set,
    and a placeholder is refused.
    """

    environment: Literal["development", "production"] = "development"
    host: str = "127.0.0.1"
    processes: int = Field(
        default=1, ge=1, le=64, description="API processes, each with the background loops beside it"
    )
    port: int = Field(default=8000, ge=0, le=65535)
    public_url: str | None = Field(
        default=None, description="base of grant links, e.g. https://wallet.example"
    )
    token_secret: SecretStr | None = None
    token_minutes: int = Field(default=15, ge=1, le=24 * 60)
    head_ttl: float = Field(default=0.25, ge=0, description="seconds a verification may reuse the head")
    verify_timeout: float = Field(default=5.0, gt=0)
    rate_login: int = Field(default=10, ge=1, description="login attempts per client per minute")
    rate_grants: int = Field(default=60, ge=1, description="grants created per citizen per minute")
    rate_redeem: int = Field(default=600, ge=1, description="redemptions per unit per minute")
    rate_public: int = Field(default=120, ge=1, description="anonymous requests per address per minute")
    trusted_proxies: Annotated[tuple[IPvAnyNetwork, ...], NoDecode] = Field(
        default=(),
        description="proxies whose X-Forwarded-For names the client: addresses or networks, comma-separated",
    )
    max_body_bytes: int = Field(default=1 << 20, ge=1024)
    max_upload_bytes: int = Field(
        default=8 << 30, ge=1024, description="the largest records file the console may send, in bytes"
    )
    max_piece_bytes: int = Field(
        default=16 << 20, ge=1024, description="the largest piece of a resumable upload, in bytes"
    )
    log_anchor_interval: float = Field(default=10.0, gt=0, description="seconds between log anchors")
    reconcile_interval: float = Field(
        default=3600.0, ge=0, description="seconds between reconciliations with the chain; 0: never"
    )
    loop_backoff_cap: float = Field(
        default=30.0,
        gt=0,
        description="the longest pause, in seconds, before a failing background loop retries",
    )
    unit_key_seconds: float = Field(default=5.0, ge=0, description="seconds a unit's key record is reused")
    grant_days: int = Field(default=30, ge=1, le=30, description="the longest a grant may last")

    @model_validator(mode="before")
    @classmethod
    def _refuse_renamed(cls, data: Any) -> Any:
        """A variable that was renamed is refused, not ignored: the service would run otherwise
        than its operator asked."""
        for old, new in RENAMED_VARIABLES.items():
            if old in os.environ:
                raise ValueError(f"{old} is no longer read: set {new} instead")
        return data

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @property
    def base_url(self) -> str:
        """Where the service is reached, for the links it hands out."""
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")
