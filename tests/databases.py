"""Database fixtures: every storage test runs on SQLite, and on PostgreSQL when it is configured.

PostgreSQL tests need ``CERTLEDGER_TEST_DATABASE_URL`` (``.ci/run`` sets it to the local
server); each test gets a database of its own, created and dropped around it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from ledger import create_database_engine, migrate

POSTGRES_URL = os.environ.get("CERTLEDGER_TEST_DATABASE_URL")
SKIP_POSTGRES = (
    "PostgreSQL tests need CERTLEDGER_TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/test)"
)


def _postgres_admin() -> Engine:
    assert POSTGRES_URL is not None
    url = POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    return sa.create_engine(url, isolation_level="AUTOCOMMIT")


def fresh_database_url(kind: str, folder: Path) -> Iterator[str]:
    """A URL of an empty database of `kind` that is removed afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'certledger.db'}"
        return
    if POSTGRES_URL is None:
        pytest.skip(SKIP_POSTGRES)
    name = f"certledger_test_{uuid.uuid4().hex[:12]}"
    admin = _postgres_admin()
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    base = POSTGRES_URL.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database, once on SQLite and once on PostgreSQL."""
    yield from fresh_database_url(str(request.param), tmp_path)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated database of each kind."""
    engine = create_database_engine(database_url)
    migrate(engine)
    yield engine
    engine.dispose()
