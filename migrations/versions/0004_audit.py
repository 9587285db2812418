"""Audit: the stored result of every reconciliation of the database with the chain.

Revision ID: 0004_audit
Revises: 0003_wallet
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ledger import UTCDateTime

revision = "0004_audit"
down_revision = "0003_wallet"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reconciliations",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=False),
        sa.Column("repair", sa.Boolean(), nullable=False),
        sa.Column("indexed_to", sa.BigInteger(), nullable=False),
        sa.Column("batches_checked", sa.BigInteger(), nullable=False),
        sa.Column("certificates_checked", sa.BigInteger(), nullable=False),
        sa.Column("log_entries_checked", sa.BigInteger(), nullable=False),
        sa.Column("differences", sa.BigInteger(), nullable=False),
        sa.Column("repaired", sa.BigInteger(), nullable=False),
        sa.Column("counts", sa.Text(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
    )
    op.create_index("ix_reconciliations_started_at", "reconciliations", ["started_at"])


def downgrade() -> None:
    op.drop_index("ix_reconciliations_started_at", table_name="reconciliations")
    op.drop_table("reconciliations")
