"""Audit's tables in the operators' database: the access log, its stored subtrees, its anchors on
chain, and the reconciliations. They live on `SQLModel.metadata` beside the issuer's and the
wallet's, so the one Alembic history creates them all (migrations/env.py imports this module).

The chain index is not here: it keeps its own tables in a database of its own (`_indexer.py`).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from issuer import bytes_field, new_id, time_field


class AccessLogEntry(SQLModel, table=True):
    """One entry of the append-only access log (RFC 9162 leaves); `seq` counts from 0."""

    __tablename__ = "access_log"

    seq: int = Field(sa_column=sa.Column(sa.BigInteger, primary_key=True, autoincrement=False))
    entry: bytes = bytes_field()
    leaf_hash: bytes = bytes_field(32)
    subject: str = Field(max_length=32, index=True)
    grant_id: str | None = Field(default=None, max_length=32, index=True)
    created_at: datetime = time_field()


class AccessLogNode(SQLModel, table=True):
    """The hash of a perfect subtree of the access log: level 0 are leaves."""

    __tablename__ = "access_log_nodes"

    level: int = Field(primary_key=True)
    idx: int = Field(sa_column=sa.Column(sa.BigInteger, primary_key=True, autoincrement=False))
    hash: bytes = bytes_field(32)


class LogAnchorRecord(SQLModel, table=True):
    """A size and root of the access log anchored on chain."""

    __tablename__ = "log_anchors"

    size: int = Field(sa_column=sa.Column(sa.BigInteger, primary_key=True, autoincrement=False))
    root: bytes = bytes_field(32)
    transaction_hash: bytes = bytes_field(32)
    block_number: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    anchored_at: datetime = time_field()


class ReconciliationRecord(SQLModel, table=True):
    """The result of one reconciliation of the database with the chain (`certledger audit reconcile`).

    `counts` is a JSON object of differences per kind; `details` a JSON list of the first
    differences (kind, subject, detail, repaired), which name batches by root, certificates by id
    and log problems by size — nothing personal.
    """

    __tablename__ = "reconciliations"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    started_at: datetime = time_field(index=True)
    finished_at: datetime = time_field()
    repair: bool
    indexed_to: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    batches_checked: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    certificates_checked: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    log_entries_checked: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    differences: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    repaired: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    counts: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))
    details: str = Field(sa_column=sa.Column(sa.Text(), nullable=False))


access_log: sa.Table = AccessLogEntry.__table__  # type: ignore[attr-defined]
access_log_nodes: sa.Table = AccessLogNode.__table__  # type: ignore[attr-defined]
log_anchors: sa.Table = LogAnchorRecord.__table__  # type: ignore[attr-defined]
reconciliations: sa.Table = ReconciliationRecord.__table__  # type: ignore[attr-defined]
