"""Jobs that run once across every API process sharing the database.

Each job has a row in ``worker_leases`` (named ``job:…``, beside the anchoring workers' own
leases): who holds it and until when. It is taken with one conditional UPDATE — the row is
free once its time has passed, or, for a job that keeps a leader, when the taker holds it
already — so it works alike on SQLite (whose writers queue) and PostgreSQL (where the second of
two racing UPDATEs re-reads the row the first committed, and finds it taken).

* A `PeriodicJob` runs at most once per interval, wherever: its row's time is the moment the
  job is due again. A run takes the row until `start + max(interval, longest_run)` and, when it
  ends, sets it to `start + interval`; a run that fails makes it due at once, for the next
  attempt of any process; a process that dies while running leaves it due when its time passes.
* A `LeaderJob` runs every round in the one process holding the row, which renews it each round
  and gives it up when its round fails or the service stops, so that another process takes over.

Times come from the injected clock, like every time certledger stores.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from issuer import worker_leases
from ledger import Clock, system_clock


class JobLease:
    """The row of one job in ``worker_leases``, as `holder` sees it."""

    def __init__(self, engine: Engine, name: str, *, holder: str, clock: Clock = system_clock) -> None:
        self.engine = engine
        self.name = f"job:{name}"
        self.holder = holder
        self.clock = clock

    def claim(self, *, until: datetime, renew: bool) -> bool:
        """Takes the row until `until` when its time has passed (or, with `renew`, when this
        holder has it already); False when another holder's time runs, or the job is not due."""
        leases = worker_leases.c
        now = self.clock()
        free = leases.expires_at <= now
        with self.engine.begin() as connection:
            taken = connection.execute(
                sa.update(worker_leases)
                .where(
                    leases.name == self.name, sa.or_(free, leases.holder == self.holder) if renew else free
                )
                .values(holder=self.holder, expires_at=until)
            ).rowcount
            if taken:
                return True
            if connection.execute(sa.select(leases.name).where(leases.name == self.name)).first() is not None:
                return False
            try:
                with connection.begin_nested():  # a racing first insert wins; this one backs off
                    connection.execute(
                        sa.insert(worker_leases).values(name=self.name, holder=self.holder, expires_at=until)
                    )
            except IntegrityError:
                return False
            return True

    def hold_until(self, until: datetime) -> bool:
        """Moves the time of this holder's claim to `until`; False when the row is no longer
        this holder's (its time passed and another took it)."""
        leases = worker_leases.c
        with self.engine.begin() as connection:
            moved = connection.execute(
                sa.update(worker_leases)
                .where(leases.name == self.name, leases.holder == self.holder)
                .values(expires_at=until)
            ).rowcount
        return bool(moved)

    def release(self) -> None:
        """Frees the row now, if this holder has it."""
        self.hold_until(self.clock())


class PeriodicJob:
    """Runs `action` at most once per `interval` across the processes sharing the database, and
    never two runs at a time (so long as a run lasts less than `longest_run`)."""

    def __init__(
        self,
        lease: JobLease,
        action: Callable[[], object],
        *,
        interval: float,
        longest_run: float = 3600.0,
    ) -> None:
        self.lease = lease
        self.action = action
        self.interval = timedelta(seconds=interval)
        self.longest_run = timedelta(seconds=max(interval, longest_run))

    def step(self) -> bool:
        """Runs the job if it is due and nobody runs it; returns whether it ran here."""
        start = self.lease.clock()
        if not self.lease.claim(until=start + self.longest_run, renew=False):
            return False
        try:
            self.action()
        except BaseException:
            self.lease.release()  # due again: the next attempt, here or elsewhere, retries
            raise
        self.lease.hold_until(start + self.interval)
        return True


class LeaderJob:
    """Runs `action` each round in the one process that holds the job's lease."""

    def __init__(self, lease: JobLease, action: Callable[[], object], *, lease_seconds: float) -> None:
        self.lease = lease
        self.action = action
        self.lease_seconds = timedelta(seconds=lease_seconds)

    def step(self) -> bool:
        """Renews or takes the lead and runs a round; returns whether this process leads."""
        if not self.lease.claim(until=self.lease.clock() + self.lease_seconds, renew=True):
            return False
        try:
            self.action()
        except BaseException:
            self.lease.release()  # another process may fare better
            raise
        return True

    def resign(self) -> None:
        """Gives the lead up (the service stops)."""
        self.lease.release()
