"""Issuance: citizens, data keys, certificates, the anchoring outbox, batches, status changes.

Revision ID: 0001_issuance
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ledger import UTCDateTime

revision = "0001_issuance"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "citizens",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("lookup_hash", sa.LargeBinary(32), nullable=False, unique=True),
        sa.Column("wallet_address", sa.String(42), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "data_keys",
        sa.Column("citizen_id", sa.String(32), sa.ForeignKey("citizens.id"), primary_key=True),
        sa.Column("wrapped_key", sa.LargeBinary(), nullable=True),
        sa.Column("master_key_id", sa.String(16), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("erased_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_data_keys_master_key_id", "data_keys", ["master_key_id"])
    op.create_table(
        "batches",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("root", sa.LargeBinary(32), nullable=False, unique=True),
        sa.Column("type_id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("chain_batch_id", sa.BigInteger(), nullable=True),
        sa.Column("transaction_hash", sa.LargeBinary(32), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("anchored_at", UTCDateTime(), nullable=True),
        sa.Column("confirmed_until", UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(500), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_batches_state", "batches", ["state"])
    op.create_table(
        "certificates",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("certificate_no", sa.String(40), nullable=False, unique=True),
        sa.Column("type_id", sa.Integer(), nullable=False),
        sa.Column("schema_version", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("citizen_id", sa.String(32), sa.ForeignKey("citizens.id"), nullable=False),
        sa.Column("input_digest", sa.LargeBinary(32), nullable=False),
        sa.Column("document_root", sa.LargeBinary(32), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("body_version", sa.Integer(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("batch_id", sa.String(32), sa.ForeignKey("batches.id"), nullable=True),
        sa.Column("leaf_index", sa.Integer(), nullable=True),
        sa.Column("proof", sa.LargeBinary(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("status_reason", sa.Integer(), nullable=True),
        sa.Column("status_changed_at", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        # Ciphertext does not compress: spare PostgreSQL the attempt on every row it stores.
        op.execute("ALTER TABLE certificates ALTER COLUMN body SET STORAGE EXTERNAL")
    op.create_index("ix_certificates_citizen_id", "certificates", ["citizen_id"])
    op.create_index("ix_certificates_batch_id", "certificates", ["batch_id"])
    op.create_table(
        "anchor_outbox",
        sa.Column(
            "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
        sa.Column(
            "certificate_id", sa.String(32), sa.ForeignKey("certificates.id"), nullable=False, unique=True
        ),
        sa.Column("type_id", sa.Integer(), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "status_changes",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("certificate_id", sa.String(32), sa.ForeignKey("certificates.id"), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("reason", sa.Integer(), nullable=False),
        sa.Column("transaction_hash", sa.LargeBinary(32), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_status_changes_certificate_id", "status_changes", ["certificate_id"])
    op.create_table(
        "worker_leases",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("holder", sa.String(100), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "worker_leases",
        "status_changes",
        "anchor_outbox",
        "certificates",
        "batches",
        "data_keys",
        "citizens",
    ):
        op.drop_table(table)
