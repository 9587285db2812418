"""Alembic environment: runs migrations on the connection `ledger.migrate` hands over.

For `alembic revision --autogenerate` during development it compares against the models of
every layer that owns tables.
"""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import audit._models  # noqa: F401  — registers audit's tables on SQLModel.metadata
import issuer._models  # noqa: F401  — the issuer's
import wallet_api._models  # noqa: F401  — and the wallet service's

target_metadata = SQLModel.metadata


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through ledger.migrate(engine)")
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
