"""Per-client request budgets: a token bucket per (action, client), shared through the database.

Each bucket holds up to `per_minute` requests and refills continuously. Buckets are rows of
``rate_budgets``, spent by one atomic upsert, so every API process of ``certledger serve
--processes N`` draws on the same budget: a client gets `per_minute` in all, whichever process
the kernel hands its connections to. (Budgets kept in each process's memory would give it N
times the limit; dividing the limit by N would give a client on one keep-alive connection a
fraction of it.)

Clients are stored as keyed hashes: no address reaches the database.

A spent budget needs no durability: a budget forgotten in a crash is a full one. So on SQLite
the limiter's connections commit without flushing to disk (``synchronous=NORMAL`` under WAL:
durable at the next flush of anyone's commit), and on PostgreSQL the table is UNLOGGED and
each take is a single statement in autocommit.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from ledger import create_database_engine
from wallet_api._errors import RateLimitedError
from wallet_api._models import RateBudget

_budgets: sa.Table = RateBudget.__table__  # type: ignore[attr-defined]
_REFILL_SECONDS = 60.0  # a bucket idle this long is full again, whatever its size
# Rows are forgotten later than that: a refused take reads its row back (for Retry-After), and a
# refused row was last spent less than a minute ago, so no pruning can take it away in between.
_FORGET_SECONDS = 2 * _REFILL_SECONDS


def budget_engine(engine: Engine) -> Engine:
    """An engine for the budgets on `engine`'s database, committing without a flush; disposed
    with `engine`."""
    if engine.dialect.name == "postgresql":
        # The upsert is atomic on its own: in autocommit, and without a ping before each
        # checkout, a take is one round trip instead of four (ping, BEGIN, upsert, COMMIT).
        budgets = sa.create_engine(engine.url, isolation_level="AUTOCOMMIT", pool_size=10, max_overflow=10)
    else:
        budgets = create_database_engine(engine.url.render_as_string(hide_password=False))

        @sa.event.listens_for(budgets, "connect")
        def _no_flush(connection: Any, _record: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

    sa.event.listen(engine, "engine_disposed", lambda _engine: budgets.dispose())
    return budgets


class RateLimiter:
    """Token buckets in the database, refused with `RateLimitedError` when empty."""

    def __init__(self, engine: Engine, *, key: bytes, clock: Callable[[], float] = time.time) -> None:
        # Wall-clock seconds: the processes sharing a bucket must share its clock.
        self.engine = engine
        self.clock = clock
        self._key = key
        self._spend = _spend_statement(engine.dialect.name)
        self._pruned = 0.0

    def take(self, action: str, client: str, *, per_minute: int) -> None:
        """Spends one request of `client`'s budget for `action`, or refuses it."""
        now = self.clock()
        rate = per_minute / _REFILL_SECONDS
        key = {"action": action, "client": self.client_key(client)}
        with self.engine.begin() as connection:
            spent = connection.execute(self._spend, {**key, "full": per_minute, "rate": rate, "now": now})
            if spent.first() is None:
                # The upsert left the row as it was: read how far it is from one token.
                tokens, updated = connection.execute(
                    sa.select(_budgets.c.tokens, _budgets.c.updated).where(
                        _budgets.c.action == key["action"], _budgets.c.client == key["client"]
                    )
                ).one()
                behind = max(0.0, updated - now)  # a clock behind the bucket's refills nothing yet
                tokens = min(float(per_minute), tokens + max(0.0, now - updated) * rate)
                retry = behind + (1.0 - tokens) / rate
                raise RateLimitedError(
                    f"too many {action} requests: at most {per_minute} a minute; retry in {retry:.0f} s",
                    retry_after=retry,
                )
        if now - self._pruned > _FORGET_SECONDS:
            self._pruned = now
            self.prune()

    def client_key(self, client: str) -> str:
        """How `client` (an address, a citizen's or a unit's id) is stored: a keyed hash."""
        return hmac.new(self._key, client.encode(), hashlib.sha256).hexdigest()[:32]

    async def take_async(self, action: str, client: str, *, per_minute: int) -> None:
        """`take` off the event loop (it waits for the database)."""
        await asyncio.to_thread(self.take, action, client, per_minute=per_minute)

    def prune(self) -> None:
        """Forgets buckets idle long enough to be full (a missing row is a full bucket)."""
        with self.engine.begin() as connection:
            connection.execute(sa.delete(_budgets).where(_budgets.c.updated < self.clock() - _FORGET_SECONDS))


def _spend_statement(dialect: str) -> sa.Insert:
    """One upsert that refills a bucket to now and takes a token, returning a row only if one was
    there: a new bucket starts full; an existing one is left untouched when it holds less than one."""
    insert: Any
    least: Any
    greatest: Any
    if dialect == "postgresql":
        insert, least, greatest = postgresql.insert(_budgets), sa.func.least, sa.func.greatest
    else:  # SQLite's min and max with two arguments are its least and greatest
        insert, least, greatest = sqlite.insert(_budgets), sa.func.min, sa.func.max
    full = sa.bindparam("full", type_=sa.Float)
    rate = sa.bindparam("rate", type_=sa.Float)
    now = sa.bindparam("now", type_=sa.Float)
    # A clock stepped back (or another process's, a little behind) refills nothing, and the
    # bucket keeps its later time.
    elapsed = greatest(0.0, now - _budgets.c.updated)
    refilled = least(full, _budgets.c.tokens + elapsed * rate)
    statement: sa.Insert = (
        insert.values(
            action=sa.bindparam("action"), client=sa.bindparam("client"), tokens=full - 1, updated=now
        )
        .on_conflict_do_update(
            index_elements=[_budgets.c.action, _budgets.c.client],
            set_={"tokens": refilled - 1, "updated": greatest(_budgets.c.updated, now)},
            where=refilled >= 1,
        )
        .returning(_budgets.c.tokens)
    )
    return statement
