"""Certificate revisions: a certificate number may have several revisions, the latest current.

A certificate is re-sealed as a new revision when its holder binds a wallet key after it was
issued; the earlier revision is then revoked on chain as superseded.

Revision ID: 0002_revisions
Revises: 0001_issuance
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_revisions"
down_revision = "0001_issuance"
branch_labels = None
depends_on = None

# SQLite's unnamed UNIQUE(certificate_no) gets this name when the table is reflected for the
# batch rebuild, so that it can be dropped (PostgreSQL named it certificates_certificate_no_key).
_NAMES = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("certificates", naming_convention=_NAMES) as batch:
        batch.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
        batch.drop_constraint(
            "uq_certificates_certificate_no" if sqlite else "certificates_certificate_no_key", type_="unique"
        )
        batch.create_unique_constraint("uq_certificates_number_revision", ["certificate_no", "revision"])


def downgrade() -> None:
    with op.batch_alter_table("certificates", naming_convention=_NAMES) as batch:
        batch.drop_constraint("uq_certificates_number_revision", type_="unique")
        batch.create_unique_constraint("uq_certificates_certificate_no", ["certificate_no"])
        batch.drop_column("revision")
