"""The staff audit trail: who did what at the counter and the console, and when.

Nothing personal: a citizen is named by their random id, a unit by its id and credit code (a
company's public registration), a certificate by its number.

Revision ID: 0009_staff_actions
Revises: 0008_holder_name_hash
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ledger import UTCDateTime

revision = "0009_staff_actions"
down_revision = "0008_holder_name_hash"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_actions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("staff_id", sa.String(32), sa.ForeignKey("staff_accounts.id"), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("subject", sa.String(64), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
    )
    op.create_index("ix_staff_actions_at", "staff_actions", ["at"])
    op.create_index("ix_staff_actions_staff_id", "staff_actions", ["staff_id"])


def downgrade() -> None:
    op.drop_index("ix_staff_actions_staff_id", table_name="staff_actions")
    op.drop_index("ix_staff_actions_at", table_name="staff_actions")
    op.drop_table("staff_actions")
