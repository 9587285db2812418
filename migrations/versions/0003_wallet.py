"""The wallet service: accounts, sessions, enrolment codes, units, grants and the access log.

Revision ID: 0003_wallet
Revises: 0002_revisions
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ledger import UTCDateTime

revision = "0003_wallet"
down_revision = "0002_revisions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "citizen_accounts",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("citizen_id", sa.String(32), sa.ForeignKey("citizens.id"), nullable=False, unique=True),
        sa.Column("phone_hash", sa.LargeBinary(32), nullable=False, unique=True),
        sa.Column("phone_box", sa.LargeBinary(), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("wallet_address", sa.String(42), nullable=False),
        sa.Column("key_backup", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("disabled_at", UTCDateTime(), nullable=True),
    )
    op.create_table(
        "staff_accounts",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("disabled_at", UTCDateTime(), nullable=True),
    )
    op.create_table(
        "sessions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("subject", sa.String(32), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_sessions_subject", "sessions", ["subject"])
    op.create_table(
        "enrolment_codes",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("lookup_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("code_hash", sa.LargeBinary(32), nullable=False, unique=True),
        sa.Column("created_by", sa.String(32), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
    )
    op.create_table(
        "units",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("credit_code", sa.String(18), nullable=False, unique=True),
        sa.Column("key_id", sa.String(16), nullable=False, unique=True),
        sa.Column("key_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("created_by", sa.String(32), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("disabled_at", UTCDateTime(), nullable=True),
    )
    op.create_table(
        "grants",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("reference", sa.String(32), nullable=False, unique=True),
        sa.Column("account_id", sa.String(32), sa.ForeignKey("citizen_accounts.id"), nullable=False),
        sa.Column("certificate_id", sa.String(32), sa.ForeignKey("certificates.id"), nullable=False),
        sa.Column("document_root", sa.LargeBinary(32), nullable=False),
        sa.Column("unit_id", sa.String(32), sa.ForeignKey("units.id"), nullable=False),
        sa.Column("fields", sa.String(4000), nullable=False),
        sa.Column("purpose", sa.String(200), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("uses_total", sa.Integer(), nullable=False),
        sa.Column("uses_left", sa.Integer(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("ledger", sa.String(42), nullable=False),
        sa.Column("signature", sa.LargeBinary(65), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_grants_account_id", "grants", ["account_id"])
    op.create_index("ix_grants_certificate_id", "grants", ["certificate_id"])
    op.create_index("ix_grants_unit_id", "grants", ["unit_id"])
    op.create_table(
        "access_log",
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("entry", sa.LargeBinary(), nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("subject", sa.String(32), nullable=False),
        sa.Column("grant_id", sa.String(32), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_access_log_subject", "access_log", ["subject"])
    op.create_index("ix_access_log_grant_id", "access_log", ["grant_id"])
    op.create_table(
        "access_log_nodes",
        sa.Column("level", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("idx", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("hash", sa.LargeBinary(32), nullable=False),
    )
    op.create_table(
        "log_anchors",
        sa.Column("size", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("root", sa.LargeBinary(32), nullable=False),
        sa.Column("transaction_hash", sa.LargeBinary(32), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("anchored_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "log_anchors",
        "access_log_nodes",
        "access_log",
        "grants",
        "units",
        "enrolment_codes",
        "sessions",
        "staff_accounts",
        "citizen_accounts",
    ):
        op.drop_table(table)
