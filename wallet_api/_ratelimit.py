"""Per-client request budgets: a token bucket per (action, client), in this process's memory.

Each bucket holds up to `per_minute` requests and refills continuously. Several API processes
each keep their own buckets, so a client's budget is at most the number of processes times the
limit — a bound, which is what a limit on guessing passwords and codes needs.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from wallet_api._errors import RateLimitedError

_MAX_BUCKETS = 100_000


class RateLimiter:
    """Token buckets, refused with `RateLimitedError` when empty."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}

    def take(self, action: str, client: str, *, per_minute: int) -> None:
        """Spends one request of `client`'s budget for `action`, or refuses it."""
        now = self.clock()
        rate = per_minute / 60.0
        with self._lock:
            tokens, last = self._buckets.get((action, client), (float(per_minute), now))
            tokens = min(float(per_minute), tokens + (now - last) * rate)
            if tokens < 1.0:
                self._buckets[action, client] = (tokens, now)
                retry = (1.0 - tokens) / rate
                raise RateLimitedError(
                    f"too many {action} requests: at most {per_minute} a minute; retry in {retry:.0f} s",
                    retry_after=retry,
                )
            self._buckets[action, client] = (tokens - 1.0, now)
            if len(self._buckets) > _MAX_BUCKETS:
                self._prune(now)

    def _prune(self, now: float) -> None:
        # Buckets idle for a minute are full again: forgetting them changes nothing.
        stale = [key for key, (_tokens, last) in self._buckets.items() if now - last > 60.0]
        for key in stale:
            del self._buckets[key]
