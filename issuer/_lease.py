"""Fenced leases: one holder at a time runs a singleton worker, and a deposed one cannot write.

A lease row names its holder, when it expires, and a *generation* that grows each time the lease
changes hands (or is taken again after it lapsed). Taking it is one conditional UPDATE (or the
first INSERT), so two contenders can never both succeed. Every write the holder makes goes in a
transaction that starts with `hold_lease`: a conditional UPDATE on the holder *and* the generation
that also renews the lease. On PostgreSQL that UPDATE locks the row until the transaction ends,
so a contender waits and then finds the lease renewed; on SQLite writers are serialized anyway.
A holder whose lease lapsed or was taken finds no row to update, gets `LeaseLostError`, and its
transaction — with the write it guarded — rolls back.

Times come from the caller's clock, so a test moves them; the contenders of one lease must share
a clock that agrees to well within the lease's length.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from issuer._errors import LeaseLostError
from issuer._models import new_id, worker_leases

RELEASED = datetime(1970, 1, 1, tzinfo=UTC)
"""The expiry a released lease is given: the row (and its generation) stays, the lease is free."""


def process_holder() -> str:
    """A name for this process as a lease holder: host, process id and a random part."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{new_id()[:8]}"


@dataclass(frozen=True, slots=True)
class Lease:
    """A lease as its holder took it: the generation fences every write made under it."""

    name: str
    holder: str
    generation: int
    expires_at: datetime


def acquire_lease(engine: Engine, name: str, holder: str, *, seconds: float, now: datetime) -> Lease | None:
    """Takes the lease `name` for `holder`, or renews it when `holder` still has it; None while
    another holder's lease runs. The generation stays the same only for a renewal of a lease that
    has not lapsed."""
    expires = now + timedelta(seconds=seconds)
    lease = worker_leases.c
    still_held = sa.and_(lease.holder == holder, lease.expires_at > now)
    with engine.begin() as connection:
        taken = connection.execute(
            sa.update(worker_leases)
            .where(lease.name == name, sa.or_(lease.holder == holder, lease.expires_at <= now))
            .values(
                holder=holder,
                expires_at=expires,
                generation=sa.case((still_held, lease.generation), else_=lease.generation + 1),
            )
        )
        if taken.rowcount == 1:
            generation = connection.execute(
                sa.select(lease.generation).where(lease.name == name)
            ).scalar_one()
            return Lease(name, holder, int(generation), expires)
        if connection.execute(sa.select(lease.name).where(lease.name == name)).first() is not None:
            return None
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.insert(worker_leases).values(name=name, holder=holder, expires_at=expires, generation=1)
            )
    except sa.exc.IntegrityError:
        return None  # another contender inserted the row first: it holds the lease
    return Lease(name, holder, 1, expires)


def hold_lease(connection: sa.Connection, lease: Lease, *, seconds: float, now: datetime) -> Lease:
    """Renews `lease` inside the caller's transaction, or raises `LeaseLostError` when its holder
    no longer has it (lapsed, or taken by another generation): make it the transaction's first
    statement, so that the writes after it happen only under the lease."""
    expires = now + timedelta(seconds=seconds)
    row = worker_leases.c
    renewed = connection.execute(
        sa.update(worker_leases)
        .where(
            row.name == lease.name,
            row.holder == lease.holder,
            row.generation == lease.generation,
            row.expires_at > now,
        )
        .values(expires_at=expires)
    )
    if renewed.rowcount != 1:
        raise LeaseLostError(
            f"the lease {lease.name} of {lease.holder} (generation {lease.generation}) lapsed at "
            f"{lease.expires_at.isoformat()} or was taken by another holder; nothing was written, "
            "and the next step takes the lease again if it is free"
        )
    return replace(lease, expires_at=expires)


def release_lease(engine: Engine, lease: Lease) -> bool:
    """Gives `lease` up, if its holder still has it in its generation; False (and nothing changes)
    otherwise — a deposed holder cannot free its successor's lease."""
    row = worker_leases.c
    with engine.begin() as connection:
        released = connection.execute(
            sa.update(worker_leases)
            .where(row.name == lease.name, row.holder == lease.holder, row.generation == lease.generation)
            .values(expires_at=RELEASED)
        )
        return released.rowcount == 1


def lease_held(connection: sa.Connection, *, prefix: str, now: datetime) -> bool:
    """Whether some lease whose name starts with `prefix` runs at `now`."""
    row = worker_leases.c
    found = connection.execute(
        sa.select(row.name).where(row.name.startswith(prefix, autoescape=True), row.expires_at > now).limit(1)
    ).first()
    return found is not None
