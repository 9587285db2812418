"""The scan stand (扫码墩): a unit asks for fields, a citizen consents by signing a grant.

A request is bound to the unit that made it, carries a random nonce, lives a few minutes and
is answered once. The answer (the grant's redemption token) is kept sealed to the
request's X25519 public key (`collect_public`), whose private half only the unit's screen holds,
until the unit collects it; nothing personal is stored here.

Revision ID: 0010_presentation_requests
Revises: 0009_staff_actions
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ledger import UTCDateTime

revision = "0010_presentation_requests"
down_revision = "0009_staff_actions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "presentation_requests",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("unit_id", sa.String(32), sa.ForeignKey("units.id"), nullable=False),
        sa.Column("nonce", sa.String(64), nullable=False, unique=True),
        sa.Column("type_id", sa.Integer(), nullable=True),
        sa.Column("fields", sa.String(4000), nullable=False),
        sa.Column("purpose", sa.String(200), nullable=False),
        sa.Column("grant_seconds", sa.Integer(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("collect_public", sa.LargeBinary(32), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        sa.Column("grant_id", sa.String(32), sa.ForeignKey("grants.id"), nullable=True),
        sa.Column("answer", sa.LargeBinary(), nullable=True),
        sa.Column("collected_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_presentation_requests_unit_id", "presentation_requests", ["unit_id"])
    op.create_index("ix_presentation_requests_expires_at", "presentation_requests", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_presentation_requests_expires_at", table_name="presentation_requests")
    op.drop_index("ix_presentation_requests_unit_id", table_name="presentation_requests")
    op.drop_table("presentation_requests")
