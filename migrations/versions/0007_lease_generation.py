"""A generation on worker leases: the fencing token that keeps a deposed leader from writing.

Revision ID: 0007_lease_generation
Revises: 0006_rate_budgets
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_lease_generation"
down_revision = "0006_rate_budgets"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A lease row from before starts at generation 0; the next holder to take it makes it 1.
    with op.batch_alter_table("worker_leases") as table:
        table.add_column(sa.Column("generation", sa.BigInteger(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("worker_leases") as table:
        table.drop_column("generation")
