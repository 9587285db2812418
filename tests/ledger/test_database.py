"""The storage engine: migrations match the models, and the bulk paths store what typed reads expect."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import audit._models  # noqa: F401 — the tables the migrations must produce
import issuer._models  # noqa: F401
import wallet_api._models  # noqa: F401
from issuer import certificates, citizens, data_keys
from ledger import (
    LedgerConfigError,
    bulk_insert,
    bulk_update,
    create_database_engine,
    migrate,
    schema_revision,
)
from ledger._paths import PROJECT_ROOT
from tests.conftest import NOW
from tests.databases import POSTGRES_URL, SKIP_POSTGRES


def _head() -> str:
    config = Config()
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def test_the_migrations_build_exactly_the_models(engine: Engine) -> None:
    assert schema_revision(engine) == _head()
    with engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), SQLModel.metadata) == []


def test_sqlite_runs_wal_with_full_sync(tmp_path: object) -> None:
    engine = create_database_engine(f"sqlite:///{tmp_path}/x.db")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_an_unknown_database_url_is_refused() -> None:
    with pytest.raises(LedgerConfigError, match="sqlite:///PATH or postgresql://"):
        create_database_engine("mysql://root@localhost/db")


def test_bulk_rows_read_back_through_the_typed_columns(engine: Engine) -> None:
    moment = datetime(2026, 11, 29, 8, 30, 15, 123456, tzinfo=timezone(timedelta(hours=8)))
    with engine.begin() as connection:
        bulk_insert(connection, citizens, [{"id": "c1", "lookup_hash": b"\x01" * 32, "created_at": moment}])
        bulk_insert(
            connection,
            data_keys,
            [{"citizen_id": "c1", "wrapped_key": b"\x02" * 60, "master_key_id": "k1", "created_at": moment}],
        )
        bulk_insert(
            connection,
            certificates,
            [
                {
                    "id": f"x{i}",
                    "certificate_no": f"N{i}",
                    "type_id": 1,
                    "schema_version": 1,
                    "office_id": 1,
                    "citizen_id": "c1",
                    "input_digest": bytes([i]) * 32,
                    "document_root": bytes([i]) * 32,
                    "body": b"\x00\xff" * 700,
                    "body_version": 1,
                    "issued_on": date(2026, 11, 29),
                    "valid_until": None if i else date(2027, 2, 27),
                    "status": "valid",
                    "created_at": moment,
                }
                for i in range(3)
            ],
        )
        bulk_update(
            connection, certificates, key="id", rows=[{"id": "x1", "leaf_index": 7, "proof": b"\x09" * 64}]
        )
    with engine.connect() as connection:
        rows = connection.execute(
            sa.select(
                certificates.c.id, certificates.c.created_at, certificates.c.issued_on, certificates.c.valid_until,
                certificates.c.leaf_index, certificates.c.proof, certificates.c.body,
            ).order_by(certificates.c.id)
        ).all()  # fmt: skip
        created = connection.execute(sa.select(citizens.c.created_at)).scalar_one()
    assert created == moment.astimezone(UTC)
    assert [row[0] for row in rows] == ["x0", "x1", "x2"]
    assert all(row[1] == moment for row in rows)
    assert [row[2] for row in rows] == [date(2026, 11, 29)] * 3
    assert [row[3] for row in rows] == [date(2027, 2, 27), None, None]
    assert [(row[4], row[5]) for row in rows] == [(None, None), (7, b"\x09" * 64), (None, None)]
    assert rows[0][6] == b"\x00\xff" * 700


def test_naive_timestamps_are_refused(engine: Engine) -> None:
    with engine.begin() as connection, pytest.raises(ValueError, match="timezone-aware"):
        bulk_insert(
            connection,
            citizens,
            [{"id": "c", "lookup_hash": b"\x01" * 32, "created_at": datetime(2026, 1, 1)}],
        )


def test_revisions_migrate_a_database_that_holds_certificates(database_url: str) -> None:
    """0002 rebuilds the certificates table (on SQLite) while the outbox still points into it."""
    engine = create_database_engine(database_url)
    try:
        migrate(engine, "0001_issuance")
        now = NOW
        with engine.begin() as connection:
            connection.execute(
                sa.text("INSERT INTO citizens (id, lookup_hash, created_at) VALUES ('c1', :h, :t)"),
                {"h": b"h" * 32, "t": now},
            )
            connection.execute(
                sa.text(
                    "INSERT INTO certificates (id, certificate_no, type_id, schema_version, office_id, citizen_id,"
                    " input_digest, document_root, body, body_version, issued_on, status, created_at)"
                    " VALUES ('r1', 'JF1', 1, 1, 1, 'c1', :d, :d, :d, 1, :day, 'valid', :t)"
                ),
                {"d": b"d" * 32, "day": now.date(), "t": now},
            )
            connection.execute(
                sa.text(
                    "INSERT INTO anchor_outbox (certificate_id, type_id, office_id, created_at)"
                    " VALUES ('r1', 1, 1, :t)"
                ),
                {"t": now},
            )
        migrate(engine)
        assert schema_revision(engine) == _head()
        with engine.begin() as connection:
            assert connection.execute(sa.text("SELECT certificate_no, revision FROM certificates")).all() == [
                ("JF1", 1)
            ]
            assert (
                connection.execute(sa.text("SELECT certificate_id FROM anchor_outbox")).scalar_one() == "r1"
            )
            connection.execute(
                sa.text(
                    "INSERT INTO certificates (id, certificate_no, revision, type_id, schema_version, office_id,"
                    " citizen_id, input_digest, document_root, body, body_version, issued_on, status, created_at)"
                    " VALUES ('r2', 'JF1', 2, 1, 1, 1, 'c1', :d, :d, :d, 1, :day, 'valid', :t)"
                ),
                {"d": b"d" * 32, "day": now.date(), "t": now},
            )
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
            connection.execute(sa.text("UPDATE certificates SET revision = 1 WHERE id = 'r2'"))
        if engine.dialect.name == "sqlite":
            with engine.connect() as connection:
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


def test_engines_reconnect_after_postgresql_terminates_their_connections() -> None:
    """What an outage leaves behind (`pg_terminate_backend`, a server restart): the writers' pool
    pings before lending and reconnects at once; the readers' pool, which does not ping, fails one
    read and then replaces every connection it held."""
    if POSTGRES_URL is None:
        pytest.skip(SKIP_POSTGRES)
    marker = f"certledger-pool-{uuid.uuid4().hex[:12]}"
    url = f"{POSTGRES_URL}?application_name={marker}"
    writer, reader = create_database_engine(url), create_database_engine(url, reader=True)
    admin = sa.create_engine(
        POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    one = sa.text("SELECT 1")
    try:
        for engine in (writer, reader):
            held = [engine.connect() for _ in range(3)]
            for connection in held:
                connection.execute(one)
            for connection in held:
                connection.close()
        with admin.connect() as connection:
            terminated = connection.execute(
                sa.text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = :m"
                ),
                {"m": marker},
            ).scalar_one()
        assert terminated == 6
        with writer.begin() as connection:
            assert connection.execute(one).scalar_one() == 1
        with (
            pytest.raises(sa.exc.OperationalError, match="terminating connection"),
            reader.connect() as connection,
        ):
            connection.execute(one)
        for _ in range(3):
            with reader.connect() as connection:
                assert connection.execute(one).scalar_one() == 1
    finally:
        writer.dispose()
        reader.dispose()
        admin.dispose()
