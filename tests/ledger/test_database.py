"""The storage engine: migrations match the models, and the bulk paths store what typed reads expect."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import issuer._models  # noqa: F401 — the tables the migrations must produce
from issuer import certificates, citizens, data_keys
from ledger import LedgerConfigError, bulk_insert, bulk_update, create_database_engine, schema_revision


def test_the_migrations_build_exactly_the_models(engine: Engine) -> None:
    assert schema_revision(engine) == "0001_issuance"
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
