"""Group commit: many small write operations, one transaction, one log append, one disk flush.

Every grant, revocation and redemption changes a row and appends to the access log under the
log's lock. Committed one by one, each would wait for its own flush while holding that lock, and
the service would do no more redemptions a second than the disk does flushes. The writer thread
instead takes whatever operations are waiting, runs them in one transaction, appends all the log
entries they return in one go, and commits: a caller returns only once its change and its log
entry are durable together.

An operation that raises spoils its group: the transaction is rolled back and every operation of
the group is run again on its own, so the error reaches only the caller it belongs to.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from audit import LogEvent, append_events
from ledger import Clock, system_clock

T = TypeVar("T")
Operation = Callable[[sa.Connection], tuple[T, Sequence[LogEvent]]]
Numbered = Callable[[sa.Connection, Sequence[int]], None]
"""Called in the group's transaction once an operation's log events are appended, with their
sequence numbers (a unit's history row names the log entry of its redemption)."""
log = logging.getLogger("certledger.writer")


@dataclass(eq=False)
class _Job(Generic[T]):
    operation: Operation[T]
    future: Future[T] = field(default_factory=Future)
    numbered: Numbered | None = None


class GroupWriter:
    """One thread committing queued write operations, and their log entries, in shared transactions."""

    def __init__(self, engine: Engine, *, clock: Clock = system_clock, max_batch: int = 256) -> None:
        self.engine = engine
        self.clock = clock
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[_Job[Any] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, operation: Operation[T], *, numbered: Numbered | None = None) -> Future[T]:
        """Queues `operation` (which returns its result and the log events it caused) for the next
        group transaction; the future resolves once that transaction committed. `numbered`, if
        given, runs in that transaction after the group's append, with the sequence numbers of
        this operation's events."""
        self._start()
        job: _Job[T] = _Job(operation, numbered=numbered)
        self._queue.put(job)
        return job.future

    def run(self, operation: Operation[T], *, numbered: Numbered | None = None) -> T:
        """`submit`, waiting for the commit."""
        return self.submit(operation, numbered=numbered).result()

    async def run_async(self, operation: Operation[T], *, numbered: Numbered | None = None) -> T:
        """`run` for coroutines: the event loop serves others while the group commits."""
        return await asyncio.wrap_future(self.submit(operation, numbered=numbered))

    def close(self) -> None:
        """Lets the writer finish what is queued, then stops it."""
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout=30)

    def _start(self) -> None:
        if self._thread is not None:
            return
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="group-writer", daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            jobs = [first]
            stop = False
            while len(jobs) < self.max_batch:
                try:
                    job = self._queue.get_nowait()
                except queue.Empty:
                    break
                if job is None:
                    stop = True
                    break
                jobs.append(job)
            self._commit(jobs)
            if stop:
                return

    def _commit(self, jobs: list[_Job[Any]]) -> None:
        results: list[Any] = []
        try:
            with self.engine.begin() as connection:
                events: list[LogEvent] = []
                spans: list[tuple[int, int]] = []
                for job in jobs:
                    result, caused = job.operation(connection)
                    results.append(result)
                    spans.append((len(events), len(events) + len(caused)))
                    events.extend(caused)
                seqs = append_events(connection, events, now=self.clock())
                for job, (start, end) in zip(jobs, spans, strict=True):
                    if job.numbered is not None:
                        job.numbered(connection, seqs[start:end])
        except Exception as error:
            if len(jobs) > 1:
                for job in jobs:  # find the one that spoiled the group; the others go through
                    self._commit([job])
                return
            if not isinstance(error, sa.exc.IntegrityError | LookupError | ValueError):
                log.warning("a write failed", extra={"fields": {"error": type(error).__name__}})
            jobs[0].future.set_exception(error)
            return
        for job, result in zip(jobs, results, strict=True):
            job.future.set_result(result)
