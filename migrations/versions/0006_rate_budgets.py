"""Rate budgets in the database, so that every API process spends from the same ones.

On PostgreSQL the table is UNLOGGED: a budget is worth nothing after a crash (a lost one
refills), and a commit that writes no WAL waits for no disk flush.

Revision ID: 0006_rate_budgets
Revises: 0005_status_index
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_rate_budgets"
down_revision = "0005_status_index"
branch_labels = None
depends_on = None


def upgrade() -> None:
    unlogged = ["UNLOGGED"] if op.get_bind().dialect.name == "postgresql" else []
    op.create_table(
        "rate_budgets",
        sa.Column("action", sa.String(16), primary_key=True),
        sa.Column("client", sa.String(32), primary_key=True),  # a keyed hash: no address stored
        sa.Column("tokens", sa.Float(), nullable=False),
        sa.Column("updated", sa.Float(), nullable=False),
        prefixes=unlogged,
    )


def downgrade() -> None:
    op.drop_table("rate_budgets")
