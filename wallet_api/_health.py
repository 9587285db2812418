"""Whether the service can do its work: its database and chain answer, its background loops run
and succeed; and how much waits to be anchored.

The service is *ready* when the database answers, the chain answers and every background loop
is alive with its last round successful. The backlogs are reported, not judged: a long one says
that anchoring is stuck somewhere (in this process or another), which is for monitoring to alert
on — taking the API out of service would not anchor anything sooner.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from audit import access_log, log_anchors
from issuer import BatchState, anchor_outbox, batches
from wallet_api._context import WalletContext
from wallet_api._supervisor import LoopStatus, Supervisor, describe_error


@dataclass(frozen=True, slots=True)
class Backlog:
    """Work waiting: how many items, and the age of the oldest in seconds (None when none)."""

    waiting: int
    oldest_age: float | None


@dataclass(frozen=True, slots=True)
class Backlogs:
    """The anchoring outbox (certificates, and batches still being sent) and the access log's
    entries not yet covered by an anchored root."""

    certificates: Backlog
    sending_batches: int
    access_log: Backlog


@dataclass(frozen=True, slots=True)
class Readiness:
    """What the readiness check found."""

    ready: bool
    problems: list[str]
    database_error: str | None
    chain_block: int | None
    chain_error: str | None
    loops: list[LoopStatus]
    backlogs: Backlogs | None
    """None when the database does not answer"""


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


def _age(oldest: datetime | None, now: datetime) -> float | None:
    oldest = _aware(oldest)
    return None if oldest is None else max(0.0, (now - oldest).total_seconds())


def read_backlogs(connection: sa.Connection, *, now: datetime) -> Backlogs:
    """The backlogs as the database has them at `now`."""
    waiting, first_waiting = connection.execute(
        sa.select(sa.func.count(), sa.func.min(anchor_outbox.c.created_at))
    ).one()
    sending, first_sending = connection.execute(
        sa.select(sa.func.count(), sa.func.min(batches.c.created_at)).where(
            batches.c.state == BatchState.SENDING
        )
    ).one()
    firsts = [moment for moment in (_aware(first_waiting), _aware(first_sending)) if moment is not None]
    entries = connection.execute(sa.select(sa.func.max(access_log.c.seq))).scalar_one()
    size = 0 if entries is None else int(entries) + 1
    anchored = int(
        connection.execute(sa.select(sa.func.coalesce(sa.func.max(log_anchors.c.size), 0))).scalar_one()
    )
    first_unanchored = None
    if size > anchored:
        first_unanchored = connection.execute(
            sa.select(access_log.c.created_at).where(access_log.c.seq == anchored)
        ).scalar_one_or_none()
    return Backlogs(
        certificates=Backlog(int(waiting), _age(min(firsts), now) if firsts else None),
        sending_batches=int(sending),
        access_log=Backlog(max(0, size - anchored), _age(first_unanchored, now)),
    )


def check_readiness(context: WalletContext, supervisor: Supervisor | None) -> Readiness:
    """Asks the database and the chain, and reads the loops' statuses."""
    problems: list[str] = []
    backlogs: Backlogs | None = None
    database_error: str | None = None
    try:
        with context.reader.connect() as connection:
            backlogs = read_backlogs(connection, now=context.clock())
    except Exception as error:  # whatever fails, the answer is "not ready, because"
        database_error = describe_error(error)
        problems.append(f"the database does not answer: {database_error}")
    block: int | None = None
    chain_error: str | None = None
    try:
        block = context.verifier.chain.head()
    except Exception as error:  # the same for the chain
        chain_error = describe_error(error)
        problems.append(f"the chain does not answer: {chain_error}")
    loops = supervisor.statuses() if supervisor is not None else []
    for loop in loops:
        if not loop.alive:
            problems.append(f"the background loop {loop.name} is not running")
        elif loop.failures:
            problems.append(f"the background loop {loop.name} is failing: {loop.last_error}")
    return Readiness(
        ready=not problems,
        problems=problems,
        database_error=database_error,
        chain_block=block,
        chain_error=chain_error,
        loops=loops,
        backlogs=backlogs,
    )
