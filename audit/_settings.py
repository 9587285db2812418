"""Audit's settings: the issuer's (node, deployment, operators' database), plus the chain index's
own database."""

from __future__ import annotations

from pydantic import Field

from issuer import IssuerSettings


class AuditSettings(IssuerSettings):
    """Settings read from ``CERTLEDGER_*`` environment variables.

    The chain index lives in ``CERTLEDGER_INDEX_DATABASE_URL``, else in
    ``<data>/chain-index-<chain id>.db``: a cache of the chain, never the operators' database.
    """

    index_database_url: str | None = Field(
        default=None, description="the chain index's database; <data>/chain-index-<chain id>.db by default"
    )
