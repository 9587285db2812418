"""The unit's history: each redemption a unit made, for its own records and receipts.

A row holds what the unit may keep of a verification without holding personal data: when, the
certificate's type, its document root (as on chain and in the access log) and its number when
the holder disclosed it, the issuing office, the verdict (and the check that decided it), the
names of the disclosed fields — never their values — and the sequence number of the access-log
entry that records the same redemption, so an auditor can find it. It is written in
the transaction that spends the grant's use and appends that log entry.

Revision ID: 0011_unit_verifications
Revises: 0010_presentation_requests
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ledger import UTCDateTime

revision = "0011_unit_verifications"
down_revision = "0010_presentation_requests"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unit_verifications",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("unit_id", sa.String(32), sa.ForeignKey("units.id"), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("grant_id", sa.String(32), sa.ForeignKey("grants.id"), nullable=False),
        sa.Column("document_root", sa.LargeBinary(32), nullable=False),
        sa.Column("certificate_no", sa.String(40), nullable=True),
        sa.Column("type_key", sa.String(80), nullable=False),
        sa.Column("office_id", sa.Integer(), nullable=False),
        sa.Column("office_name", sa.String(200), nullable=True),
        sa.Column("verdict", sa.String(16), nullable=False),
        sa.Column("decisive", sa.String(16), nullable=True),
        sa.Column("fields", sa.String(4000), nullable=False),
        sa.Column("log_seq", sa.BigInteger(), nullable=False, unique=True),
    )
    op.create_index("ix_unit_verifications_unit_seq", "unit_verifications", ["unit_id", "log_seq"])


def downgrade() -> None:
    op.drop_index("ix_unit_verifications_unit_seq", table_name="unit_verifications")
    op.drop_table("unit_verifications")
