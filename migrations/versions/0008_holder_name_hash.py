"""A keyed hash of the holder's name on each certificate, so that an office can find a person's
certificates by name without the name being stored in the clear.

The hash is HMAC-SHA-256 under the bureau's lookup key of the name with its spaces removed (see
`issuer.LookupHasher.name`). Revisions issued before this migration have none until
`certledger office index-names` fills it from their sealed bodies.

Revision ID: 0008_holder_name_hash
Revises: 0007_lease_generation
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_holder_name_hash"
down_revision = "0007_lease_generation"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("certificates") as table:
        table.add_column(sa.Column("holder_name_hash", sa.LargeBinary(32), nullable=True))
        table.create_index("ix_certificates_office_name", ["office_id", "holder_name_hash"])


def downgrade() -> None:
    with op.batch_alter_table("certificates") as table:
        table.drop_index("ix_certificates_office_name")
        table.drop_column("holder_name_hash")
