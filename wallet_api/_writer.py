"""Group commit: many small write operations, one transaction and one disk flush.

Every redemption spends a use and appends to the access log under the log's lock; committed one
by one, each waits for its own flush while holding the lock, and the service does no more
redemptions a second than the disk does flushes. The writer thread instead takes whatever
operations are waiting, runs each in a savepoint of one transaction, and commits them together:
a caller returns only once its operation is durable, and an operation that raises is rolled back
alone, its error handed to its caller.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine

T = TypeVar("T")
log = logging.getLogger("certledger.writer")


@dataclass(eq=False)
class _Job(Generic[T]):
    operation: Callable[[sa.Connection], T]
    future: Future[T] = field(default_factory=Future)
    result: Any = None
    error: BaseException | None = None


class GroupWriter:
    """One thread committing queued write operations in shared transactions."""

    def __init__(self, engine: Engine, *, max_batch: int = 128) -> None:
        self.engine = engine
        self.max_batch = max_batch
        self._queue: queue.SimpleQueue[_Job[Any] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def submit(self, operation: Callable[[sa.Connection], T]) -> Future[T]:
        """Queues `operation` for the next group transaction; the future resolves once it committed."""
        self._start()
        job: _Job[T] = _Job(operation)
        self._queue.put(job)
        return job.future

    def run(self, operation: Callable[[sa.Connection], T]) -> T:
        """Runs `operation` in the next group transaction; returns once that transaction committed."""
        return self.submit(operation).result()

    async def run_async(self, operation: Callable[[sa.Connection], T]) -> T:
        """`run` for coroutines: the event loop serves others while the group commits."""
        return await asyncio.wrap_future(self.submit(operation))

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
        try:
            with self.engine.begin() as connection:
                for job in jobs:
                    try:
                        with connection.begin_nested():
                            job.result = job.operation(connection)
                    except Exception as error:
                        job.error = error
        except Exception as error:  # the commit itself failed: nothing of the group is durable
            log.warning(
                "a group commit failed", extra={"fields": {"jobs": len(jobs), "error": type(error).__name__}}
            )
            for job in jobs:
                if job.error is None:
                    job.error = error
        for job in jobs:
            if job.error is not None:
                job.future.set_exception(job.error)
            else:
                job.future.set_result(job.result)
