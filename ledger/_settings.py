"""The ledger's settings: where the data folder and the chain are, and how to talk to the chain."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_CHAIN_ID = 31337


class LedgerSettings(BaseSettings):
    """Settings read from ``CERTLEDGER_*`` environment variables.

    With no ``CERTLEDGER_RPC_URL`` everything uses the managed local anvil node, whose state
    lives in ``<data_dir>/chain``. Keys given here override the key files in ``<data_dir>/keys``.
    """

    model_config = SettingsConfigDict(env_prefix="CERTLEDGER_", extra="ignore", frozen=True)

    data_dir: Path = Path("data")
    rpc_url: str | None = Field(default=None, description="JSON-RPC endpoint of any EVM node")
    chain_host: str = "127.0.0.1"
    chain_port: int = Field(default=8545, ge=1, le=65535)
    chain_id: int = Field(default=DEFAULT_CHAIN_ID, ge=1)
    confirmations: int = Field(default=1, ge=1, le=128)
    rpc_timeout: float = Field(default=10.0, gt=0)
    transaction_timeout: float = Field(default=120.0, gt=0)
    governor_key: SecretStr | None = None
    issuer_key: SecretStr | None = None
    operator_key: SecretStr | None = None

    @field_validator("rpc_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("CERTLEDGER_RPC_URL must be an http:// or https:// JSON-RPC endpoint")
        return value

    @property
    def managed(self) -> bool:
        """Whether certledger runs the chain itself (no external RPC URL is configured)."""
        return self.rpc_url is None

    @property
    def endpoint(self) -> str:
        """The JSON-RPC URL everything talks to."""
        return self.rpc_url or f"http://{self.chain_host}:{self.chain_port}"
