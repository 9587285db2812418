"""Certificates by status: the anchoring worker asks each pass for superseded revisions still to
revoke, which without an index read the whole table.

Revision ID: 0005_status_index
Revises: 0004_audit
Create Date: 2026-11-29
"""

from __future__ import annotations

from alembic import op

revision = "0005_status_index"
down_revision = "0004_audit"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_certificates_status_office", "certificates", ["status", "office_id"])


def downgrade() -> None:
    op.drop_index("ix_certificates_status_office", table_name="certificates")
