"""The issuer service's settings: the ledger's, plus database, keys and batching."""

from __future__ import annotations

from pydantic import Field, SecretStr

from ledger import LedgerSettings


class IssuerSettings(LedgerSettings):
    """Settings read from ``CERTLEDGER_*`` environment variables.

    Without ``CERTLEDGER_DATABASE_URL`` the database is ``<data_dir>/certledger.db``. Without
    ``CERTLEDGER_MASTER_KEY`` the master keys live in ``<data_dir>/keys/master/``, and without
    ``CERTLEDGER_LOOKUP_KEY`` the lookup key in ``<data_dir>/keys/lookup.key``, both created
    owner-only on first use.
    """

    database_url: str | None = None
    master_key: SecretStr | None = None
    previous_master_keys: SecretStr | None = None
    lookup_key: SecretStr | None = None
    batch_size: int = Field(default=1000, ge=1, le=100_000)
    batch_wait: float = Field(default=2.0, ge=0)
    finality_window: float = Field(default=120.0, ge=0)
    worker_poll: float = Field(default=0.5, gt=0)
    worker_lease: float = Field(default=30.0, gt=0, description="seconds a silent worker keeps the lead")
