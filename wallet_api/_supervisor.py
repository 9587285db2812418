"""The service's background loops, kept running whatever fails: each in a thread of its own,
every fault caught, logged and waited out with a growing pause, and a thread that dies anyway
started again.

Two kinds of loop:

* a **periodic** loop calls its `step` every `interval` seconds; a step that raises is retried
  after `interval`, then twice that, and so on up to the cap;
* a **long-running** loop (the anchoring worker's own `run`) is given the stop event and a
  `RoundReport` through which it reports each round; when it raises or returns before the stop,
  it is called again after the same growing pause.

Every loop's status (alive, rounds, consecutive failures, restarts, last success and last error)
is what the readiness check reports. Errors are described by their type (and, for certledger's
own errors, their message, which never holds personal data): a database error's text carries the
statement's parameters, so it never reaches the logs or the status.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from issuer import IssuerError
from ledger import Clock, describe_failure, system_clock
from verifier import VerifierError

log = logging.getLogger("certledger.supervisor")

DEFAULT_BACKOFF_CAP = 30.0
"""The longest pause between two attempts of a failing loop, in seconds."""
_FIRST_RETRY = 0.5  # a long-running loop's first pause after a failure


def describe_error(error: BaseException) -> str:
    """`error` in words that hold no personal data (see `ledger.describe_failure`)."""
    return describe_failure(error, IssuerError, VerifierError)


def backoff(failures: int, *, first: float, cap: float) -> float:
    """The pause after `failures` failures in a row: `first`, doubled after each further
    failure, never more than `cap` (nor less than `first`)."""
    return max(first, min(cap, first * 2.0 ** min(failures - 1, 30)))


@dataclass(frozen=True, slots=True)
class LoopStatus:
    """Where one background loop stands."""

    name: str
    alive: bool
    rounds: int
    """rounds that succeeded since the process started"""
    failures: int
    """failures in a row, up to now (0 once a round succeeds again)"""
    restarts: int
    """times the loop's thread died and was started again"""
    last_success: datetime | None
    last_error: str | None
    last_error_at: datetime | None

    @property
    def healthy(self) -> bool:
        """Whether the loop runs and its last round succeeded."""
        return self.alive and self.failures == 0


class RoundReport:
    """How a long-running loop tells its supervisor about each round."""

    def __init__(self, record_success: Callable[[], object], record_failure: Callable[[str], object]) -> None:
        self._success = record_success
        self._failure = record_failure

    def success(self) -> None:
        """The round did its work (or found none to do)."""
        self._success()

    def failure(self, description: str) -> None:
        """The round failed (the loop has logged why); `description` must hold no personal data."""
        self._failure(description)


LongRunning = Callable[[threading.Event, RoundReport], None]


class _Loop:
    """One supervised loop and what is known of it; guarded by its own lock."""

    def __init__(
        self,
        name: str,
        *,
        step: Callable[[], object] | None,
        body: LongRunning | None,
        interval: float,
        first_delay: float,
        cap: float,
        clock: Clock,
        on_stop: Callable[[], object] | None = None,
    ) -> None:
        self.name = name
        self.on_stop = on_stop
        self.step = step
        self.body = body
        self.interval = interval
        self.first_delay = first_delay
        self.cap = cap
        self.clock = clock
        self.thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.rounds = 0
        self.failures = 0
        self.restarts = 0
        self.last_success: datetime | None = None
        self.last_error: str | None = None
        self.last_error_at: datetime | None = None

    def succeeded(self) -> None:
        with self._lock:
            self.rounds += 1
            self.failures = 0
            self.last_success = self.clock()

    def failed(self, description: str, *, logged: bool = False) -> float:
        """Records a failure (and logs it, unless the loop has `logged` it itself); returns the
        pause before the next attempt."""
        with self._lock:
            self.failures += 1
            self.last_error = description
            self.last_error_at = self.clock()
            first = self.interval if self.step is not None else _FIRST_RETRY
            pause = backoff(self.failures, first=first, cap=self.cap)
        if logged:
            return pause
        log.warning(
            "background loop %s failed: %s; next attempt in %.1f s",
            self.name,
            description,
            pause,
            extra={"fields": {"loop": self.name, "failures": self.failures}},
        )
        return pause

    def restarted(self) -> int:
        """Counts a restart of the loop's thread; returns how many there were."""
        with self._lock:
            self.restarts += 1
            return self.restarts

    def status(self) -> LoopStatus:
        with self._lock:
            return LoopStatus(
                name=self.name,
                alive=self.thread is not None and self.thread.is_alive(),
                rounds=self.rounds,
                failures=self.failures,
                restarts=self.restarts,
                last_success=self.last_success,
                last_error=self.last_error,
                last_error_at=self.last_error_at,
            )


class Supervisor:
    """Runs named loops in threads until `stop`, each surviving any exception.

    With `watch_every`, a watchdog thread starts again, every that many seconds, each loop whose
    thread has died (an exception that is not an `Exception`, or a bug here); `revive` does the
    same on demand.
    """

    def __init__(
        self,
        *,
        clock: Clock = system_clock,
        backoff_cap: float = DEFAULT_BACKOFF_CAP,
        watch_every: float | None = 1.0,
    ) -> None:
        self.clock = clock
        self.backoff_cap = backoff_cap
        self.watch_every = watch_every
        self._loops: dict[str, _Loop] = {}
        self._stop = threading.Event()
        self._watchdog: threading.Thread | None = None
        self._lock = threading.Lock()

    def every(
        self,
        name: str,
        step: Callable[[], object],
        *,
        interval: float,
        first_delay: float | None = None,
        on_stop: Callable[[], object] | None = None,
    ) -> None:
        """Adds a loop that calls `step` every `interval` seconds (the first time after
        `first_delay`, by default `interval`), and `on_stop` once after its last step."""
        self._add(
            _Loop(
                name,
                step=step,
                body=None,
                interval=interval,
                first_delay=interval if first_delay is None else first_delay,
                cap=self.backoff_cap,
                clock=self.clock,
                on_stop=on_stop,
            )
        )

    def long_running(self, name: str, body: LongRunning) -> None:
        """Adds a loop that runs `body(stop, report)` until the stop, and again after a pause
        whenever it raises or returns early."""
        self._add(
            _Loop(
                name,
                step=None,
                body=body,
                interval=0.0,
                first_delay=0.0,
                cap=self.backoff_cap,
                clock=self.clock,
            )
        )

    def _add(self, loop: _Loop) -> None:
        if loop.name in self._loops:
            raise ValueError(f"a loop named {loop.name!r} is supervised already")
        self._loops[loop.name] = loop

    @property
    def names(self) -> list[str]:
        """The supervised loops' names, in the order they were added."""
        return list(self._loops)

    def start(self) -> None:
        """Starts every loop, and the watchdog."""
        with self._lock:
            for loop in self._loops.values():
                self._start(loop)
            if self.watch_every is not None:
                self._watchdog = threading.Thread(
                    target=self._watch, args=(self.watch_every,), name="supervisor", daemon=True
                )
                self._watchdog.start()

    def stop(self, *, timeout: float = 30.0) -> None:
        """Stops every loop and waits for each up to `timeout` seconds."""
        self._stop.set()
        with self._lock:
            threads = [loop.thread for loop in self._loops.values() if loop.thread is not None]
            if self._watchdog is not None:
                threads.append(self._watchdog)
        for thread in threads:
            thread.join(timeout=timeout)

    def revive(self) -> list[str]:
        """Starts again each loop whose thread has died; returns their names."""
        revived = []
        with self._lock:
            if self._stop.is_set():
                return []
            for loop in self._loops.values():
                if loop.thread is not None and not loop.thread.is_alive():
                    restarts = loop.restarted()
                    log.error(
                        "background loop %s had stopped; started again",
                        loop.name,
                        extra={"fields": {"loop": loop.name, "restarts": restarts}},
                    )
                    self._start(loop)
                    revived.append(loop.name)
        return revived

    def statuses(self) -> list[LoopStatus]:
        """Every loop's status, in the order they were added."""
        return [loop.status() for loop in self._loops.values()]

    # ---------------------------------------------------------------- threads

    def _start(self, loop: _Loop) -> None:
        if loop.step is not None:
            thread = threading.Thread(
                target=self._periodic, args=(loop, loop.step), name=loop.name, daemon=True
            )
        elif loop.body is not None:
            thread = threading.Thread(
                target=self._long_running, args=(loop, loop.body), name=loop.name, daemon=True
            )
        else:
            raise ValueError(f"the loop {loop.name!r} has nothing to run")
        loop.thread = thread
        thread.start()

    def _watch(self, every: float) -> None:
        while not self._stop.wait(every):
            self.revive()

    def _periodic(self, loop: _Loop, step: Callable[[], object]) -> None:
        pause = loop.first_delay
        while not self._stop.wait(pause):
            try:
                step()
            except Exception as error:  # any fault is waited out; the status tells
                pause = loop.failed(describe_error(error))
            else:
                loop.succeeded()
                pause = loop.interval
        if loop.on_stop is not None:
            try:
                loop.on_stop()
            except Exception as error:  # stopping goes on; the next start recovers
                log.warning("background loop %s did not stop cleanly: %s", loop.name, describe_error(error))

    def _long_running(self, loop: _Loop, body: LongRunning) -> None:
        # A round the loop reports as failed, it has logged itself.
        report = RoundReport(loop.succeeded, lambda description: loop.failed(description, logged=True))
        while not self._stop.is_set():
            try:
                body(self._stop, report)
            except Exception as error:  # any fault is waited out; the status tells
                pause = loop.failed(describe_error(error))
            else:
                if self._stop.is_set():
                    return
                pause = loop.failed("the loop returned before the service stopped")
            self._stop.wait(pause)
