"""The storage engine: SQLite in the data folder by default, PostgreSQL by URL, migrated by Alembic.

SQLite runs in WAL mode with ``synchronous=FULL`` (a committed issuance survives a power cut),
foreign keys on, and every transaction started with ``BEGIN IMMEDIATE`` so that two writers
queue for the lock instead of failing half-way when one of them upgrades a read to a write.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Dialect, Engine

from ledger._errors import LedgerConfigError
from ledger._paths import PROJECT_ROOT

MIGRATIONS_DIR = PROJECT_ROOT / "migrations"


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """A timestamp stored as UTC; read back timezone-aware whatever the engine."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def default_database_url(data_dir: Path) -> str:
    """The embedded database: ``<data>/certledger.db``."""
    return f"sqlite:///{data_dir / 'certledger.db'}"


def create_database_engine(url: str, *, reader: bool = False) -> Engine:
    """An engine for `url` (``sqlite:///path`` or ``postgresql://…``) with certledger's settings.

    A `reader` engine is for queries only: on SQLite its transactions begin DEFERRED and the
    connection refuses writes, so many readers run beside the one writer (WAL).
    """
    if url.startswith("sqlite"):
        return _sqlite(url, reader=reader)
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    if not url.startswith("postgresql+psycopg://"):
        raise LedgerConfigError("CERTLEDGER_DATABASE_URL is sqlite:///PATH or postgresql://USER@HOST:PORT/DB")
    if reader:
        # Reads need no transaction: without one there is no BEGIN and no ROLLBACK to wait for;
        # and no ping before each checkout: a read that finds the server restarted fails once,
        # and the pool then replaces every connection it holds.
        return sa.create_engine(url, pool_size=10, max_overflow=10, isolation_level="AUTOCOMMIT")
    return sa.create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


_writers = threading.local()  # whether this thread holds a write lock through some connection


class _WriterConnection(sqlite3.Connection):
    """A SQLite connection whose write transactions queue on a lock file before BEGIN IMMEDIATE.

    SQLite lets a writer that finds the database locked retry after growing sleeps (up to 100 ms
    each), so writers of several processes would wait far longer than the transactions they wait
    for. An exclusive `flock` on ``<database>.lock`` instead wakes the next writer the moment the
    last one commits. Readers (WAL) take no lock.
    """

    lock_path: str | None = None
    _lock_descriptor: int | None = None
    _locked = False

    def lock_writes(self) -> None:
        """Waits for the database's write lock (released by the next commit or rollback)."""
        if self.lock_path is None:
            return
        if getattr(_writers, "holding", 0):
            # This thread writes through another connection already: waiting would never end.
            raise LedgerConfigError("a thread opened a second write transaction on the same SQLite database")
        if self._lock_descriptor is None:
            self._lock_descriptor = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(self._lock_descriptor, fcntl.LOCK_EX)
        self._locked = True
        _writers.holding = 1

    def _unlock_writes(self) -> None:
        if self._locked and self._lock_descriptor is not None:
            self._locked = False
            _writers.holding = 0
            fcntl.flock(self._lock_descriptor, fcntl.LOCK_UN)

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._unlock_writes()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._unlock_writes()

    def close(self) -> None:
        try:
            super().close()
        finally:
            if self._lock_descriptor is not None:
                self._unlock_writes()
                os.close(self._lock_descriptor)
                self._lock_descriptor = None


def _sqlite(url: str, *, reader: bool = False) -> Engine:
    path = url.split(":///", 1)[1] if ":///" in url else ""
    file_backed = bool(path) and path != ":memory:"
    if file_backed:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    connection_class = type(
        "_Writer", (_WriterConnection,), {"lock_path": f"{path}.lock" if file_backed else None}
    )
    engine = sa.create_engine(
        url,
        connect_args={
            "timeout": 60,
            "check_same_thread": False,
            "isolation_level": None,
            "factory": sqlite3.Connection if reader else connection_class,
        },
        pool_size=8,
        max_overflow=8,
    )

    @sa.event.listens_for(engine, "connect")
    def _configure(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        # Random ids spread inserts over the whole index: keep 64 MiB of pages in memory.
        cursor.execute("PRAGMA cache_size=-65536")
        if reader:
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        if reader:
            connection.exec_driver_sql("BEGIN")
            return
        connection.connection.driver_connection.lock_writes()
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            connection.connection.driver_connection.rollback()  # releases the lock again
            raise

    return engine


def migrate(engine: Engine, revision: str = "head") -> None:
    """Brings the database schema up to date (Alembic ``upgrade head``), or to `revision`."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as connection:
        # SQLite changes a table's constraints by rebuilding it, which foreign keys would refuse
        # while other rows point at it; they can only be switched off outside a transaction, and
        # are checked as a whole before the migration commits.
        driver = connection.connection.driver_connection if sqlite else None
        if driver is not None:
            driver.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                config.attributes["connection"] = connection
                command.upgrade(config, revision)
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise LedgerConfigError(f"the migration left broken foreign keys: {broken[:5]}")
        finally:
            if driver is not None:
                driver.execute("PRAGMA foreign_keys=ON")


def schema_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at, or None before the first migration."""
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one_or_none()


def bulk_insert(connection: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> None:
    """Inserts many rows the fastest way each engine offers, without per-value processing.

    Table and column names come from our own `Table` objects; every value is bound.

    For the hot paths (thousands of certificates a second) the SQL layer's type processing costs
    more than the database: SQLite gets one prepared statement run over all rows, PostgreSQL a
    COPY. Timestamps are stored as the typed columns read them back: naive UTC text on SQLite
    (SQLAlchemy's own format), timezone-aware on PostgreSQL.
    """
    if not rows:
        return
    columns = list(rows[0])
    if connection.dialect.name == "sqlite":
        placeholders = ", ".join("?" * len(columns))
        statement = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({placeholders})"  # noqa: S608
        values = [tuple(_sqlite_value(row[column]) for column in columns) for row in rows]
        connection.exec_driver_sql(statement, values)
        return
    driver = connection.connection.driver_connection
    copy_statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    with driver.cursor() as cursor, cursor.copy(copy_statement) as copy:  # type: ignore[union-attr]
        for row in rows:
            copy.write_row([_postgres_value(row[column]) for column in columns])


def bulk_update(connection: sa.Connection, table: sa.Table, *, key: str, rows: list[dict[str, Any]]) -> None:
    """Updates many rows, each found by its `key` column, setting the other columns given.

    SQLite runs one prepared statement over all rows; PostgreSQL one ``UPDATE … FROM unnest``
    over arrays of all the values.
    """
    if not rows:
        return
    columns = [column for column in rows[0] if column != key]
    if connection.dialect.name == "sqlite":
        assignments = ", ".join(f"{column} = ?" for column in columns)
        statement = f"UPDATE {table.name} SET {assignments} WHERE {key} = ?"  # noqa: S608
        updates = [tuple(_sqlite_value(row[c]) for c in [*columns, key]) for row in rows]
        connection.exec_driver_sql(statement, updates)
        return
    names = [key, *columns]
    types = [table.c[name].type.compile(dialect=connection.dialect) for name in names]
    arrays = ", ".join(f"%s::{kind}[]" for kind in types)
    assignments = ", ".join(f"{column} = data.{column}" for column in columns)
    source = f"unnest({arrays}) AS data({', '.join(names)})"
    statement = f"UPDATE {table.name} SET {assignments} FROM {source} WHERE {table.name}.{key} = data.{key}"  # noqa: S608
    arrays_of_values = tuple([_postgres_value(row[name]) for row in rows] for name in names)
    connection.exec_driver_sql(statement, arrays_of_values)


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _postgres_value(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return value
