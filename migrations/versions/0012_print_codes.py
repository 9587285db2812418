"""Print grants: the citizen's consent that whoever holds a printed certificate may check it by the
验证码 printed on it.

The code itself is not stored: a row's id is the grant id, derived from the code by SHA-256, and
the presentation is sealed under a key derived from the code. Nothing personal in clear.

Revision ID: 0012_print_codes
Revises: 0011_unit_verifications
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ledger import UTCDateTime

revision = "0012_print_codes"
down_revision = "0011_unit_verifications"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "print_codes",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("account_id", sa.String(32), sa.ForeignKey("citizen_accounts.id"), nullable=False),
        sa.Column("certificate_id", sa.String(32), sa.ForeignKey("certificates.id"), nullable=False),
        sa.Column("document_root", sa.LargeBinary(32), nullable=False),
        sa.Column("fields", sa.String(4000), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("uses_left", sa.Integer(), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("ledger", sa.String(42), nullable=False),
        sa.Column("signature", sa.LargeBinary(65), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("last_used_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_print_codes_account_id", "print_codes", ["account_id"])
    op.create_index("ix_print_codes_certificate_id", "print_codes", ["certificate_id"])


def downgrade() -> None:
    op.drop_index("ix_print_codes_certificate_id", table_name="print_codes")
    op.drop_index("ix_print_codes_account_id", table_name="print_codes")
    op.drop_table("print_codes")
