"""The issuer's tables. Personal data lives only inside `CertificateRecord.body`, encrypted.

Identity numbers are stored nowhere in the clear: citizens are found by a keyed hash of theirs.
Ids that leave the service are random (UUID4 hex), never sequential.
"""

from __future__ import annotations

import os
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from issuer._states import BatchState, CertificateState
from ledger import UTCDateTime


def new_id() -> str:
    """A random, unguessable id: 128 bits as 32 hex digits."""
    return os.urandom(16).hex()


def time_field(nullable: bool = False, *, index: bool = False) -> Any:
    """A timezone-aware timestamp column (UTC), for SQLModel tables."""
    return Field(default=None, sa_column=sa.Column(UTCDateTime(), nullable=nullable, index=index))


def bytes_field(length: int | None = None, *, nullable: bool = False, unique: bool = False) -> Any:
    """A binary column, for SQLModel tables."""
    return Field(default=None, sa_column=sa.Column(sa.LargeBinary(length), nullable=nullable, unique=unique))


class CitizenRecord(SQLModel, table=True):
    """A certificate holder, known by a keyed hash of their identity number."""

    __tablename__ = "citizens"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    lookup_hash: bytes = bytes_field(32, unique=True)
    wallet_address: str | None = Field(default=None, max_length=42)
    created_at: datetime = time_field()


class DataKeyRecord(SQLModel, table=True):
    """A citizen's data key, wrapped by a master key; erasing it makes their documents unreadable."""

    __tablename__ = "data_keys"

    citizen_id: str = Field(primary_key=True, foreign_key="citizens.id", max_length=32)
    wrapped_key: bytes | None = bytes_field(nullable=True)
    master_key_id: str | None = Field(default=None, max_length=16, index=True)
    created_at: datetime = time_field()
    erased_at: datetime | None = time_field(nullable=True)


class BatchRecord(SQLModel, table=True):
    """A batch of certificates: `sending` until its root is anchored, then `anchored`."""

    __tablename__ = "batches"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    root: bytes = bytes_field(32, unique=True)
    type_id: int
    office_id: int
    count: int
    # Typed `str`: SQLModel would make a `BatchState` column an SQL ENUM of the names.
    state: str = Field(default=BatchState.SENDING, max_length=16, index=True)
    chain_batch_id: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, nullable=True))
    transaction_hash: bytes | None = bytes_field(32, nullable=True)
    block_number: int | None = Field(default=None, sa_column=sa.Column(sa.BigInteger, nullable=True))
    anchored_at: datetime | None = time_field(nullable=True)
    confirmed_until: datetime | None = time_field(nullable=True)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    created_at: datetime = time_field()


class CertificateRecord(SQLModel, table=True):
    """One revision of an issued certificate: its encrypted body, its document root, and where it
    is anchored. A number's latest revision is its current one; earlier ones are `superseded`."""

    __tablename__ = "certificates"
    __table_args__ = (
        sa.UniqueConstraint("certificate_no", "revision", name="uq_certificates_number_revision"),
        # The worker's question each pass: superseded revisions still to revoke (migration 0005).
        sa.Index("ix_certificates_status_office", "status", "office_id"),
        sa.Index("ix_certificates_office_name", "office_id", "holder_name_hash"),
    )

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    certificate_no: str = Field(max_length=40)
    revision: int = 1
    type_id: int
    schema_version: int
    office_id: int
    citizen_id: str = Field(foreign_key="citizens.id", index=True, max_length=32)
    # A keyed hash of the holder's name, for the office's search by name (migration 0008).
    holder_name_hash: bytes | None = bytes_field(32, nullable=True)
    input_digest: bytes = bytes_field(32)
    document_root: bytes = bytes_field(32)
    body: bytes = bytes_field()
    body_version: int = 1
    issued_on: date
    valid_until: date | None = None
    batch_id: str | None = Field(default=None, foreign_key="batches.id", index=True, max_length=32)
    leaf_index: int | None = None
    proof: bytes | None = bytes_field(nullable=True)
    status: str = Field(default=CertificateState.VALID, max_length=16)  # `str`: see `BatchRecord.state`
    status_reason: int | None = None
    status_changed_at: datetime | None = time_field(nullable=True)
    created_at: datetime = time_field()


class OutboxEntry(SQLModel, table=True):
    """A certificate waiting to be anchored; written in the same transaction as the certificate."""

    __tablename__ = "anchor_outbox"

    seq: int | None = Field(
        default=None,
        sa_column=sa.Column(
            sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True
        ),
    )
    certificate_id: str = Field(foreign_key="certificates.id", unique=True, max_length=32)
    type_id: int
    office_id: int
    created_at: datetime = time_field()


class StatusChangeRecord(SQLModel, table=True):
    """One revocation, suspension or reinstatement, as sent to the ledger."""

    __tablename__ = "status_changes"

    id: str = Field(default_factory=new_id, primary_key=True, max_length=32)
    certificate_id: str = Field(foreign_key="certificates.id", index=True, max_length=32)
    action: str = Field(max_length=16)
    reason: int
    transaction_hash: bytes | None = bytes_field(32, nullable=True)
    created_at: datetime = time_field()


class WorkerLease(SQLModel, table=True):
    """Who runs a singleton worker (one anchoring worker per key), until when, and in which
    generation: the fencing token every write of the holder checks (`issuer._lease`)."""

    __tablename__ = "worker_leases"

    name: str = Field(primary_key=True, max_length=100)
    holder: str = Field(max_length=100)
    expires_at: datetime = time_field()
    # A default on both sides: rows written without one (the wallet's job leases) start at 0.
    generation: int = Field(
        default=0, sa_column=sa.Column(sa.BigInteger, nullable=False, default=0, server_default="0")
    )


__all__ = [
    "BatchRecord",
    "CertificateRecord",
    "CitizenRecord",
    "DataKeyRecord",
    "OutboxEntry",
    "StatusChangeRecord",
    "WorkerLease",
    "new_id",
]


# Typed handles on the tables for Core queries (SQLModel's class attributes read as plain Python
# values to a type checker; a Table's columns are typed SQL expressions).
citizens: sa.Table = CitizenRecord.__table__  # type: ignore[attr-defined]
data_keys: sa.Table = DataKeyRecord.__table__  # type: ignore[attr-defined]
batches: sa.Table = BatchRecord.__table__  # type: ignore[attr-defined]
certificates: sa.Table = CertificateRecord.__table__  # type: ignore[attr-defined]
anchor_outbox: sa.Table = OutboxEntry.__table__  # type: ignore[attr-defined]
status_changes: sa.Table = StatusChangeRecord.__table__  # type: ignore[attr-defined]
worker_leases: sa.Table = WorkerLease.__table__  # type: ignore[attr-defined]
