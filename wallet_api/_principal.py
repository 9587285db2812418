"""Who a request comes from, and the short-lived memory of units' keys."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: a citizen, operator or auditor by token, or a unit by API key."""

    role: str
    id: str
    session: str | None = None
    citizen_id: str | None = None
    wallet_address: str | None = None
    unit_code: str | None = None
    unit_name: str | None = None


class UnitKeyCache:
    """Unit key records for a few seconds. A key rotated or a unit disabled in this process is
    forgotten at once; other processes of the service notice within `seconds`."""

    def __init__(self, seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self._entries: dict[str, tuple[float, tuple[Principal, bytes]]] = {}
        self._lock = threading.Lock()

    def get(self, key_id: str) -> tuple[Principal, bytes] | None:
        """The record of `key_id` if it is fresh."""
        with self._lock:
            entry = self._entries.get(key_id)
        if entry is None or self.clock() - entry[0] > self.seconds:
            return None
        return entry[1]

    def put(self, key_id: str, record: tuple[Principal, bytes]) -> None:
        """Remembers a record read from the database."""
        with self._lock:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[key_id] = (self.clock(), record)

    def forget_unit(self, unit_id: str) -> None:
        """Drops every record of `unit_id`."""
        with self._lock:
            for key_id in [
                k for k, (_t, (principal, _h)) in self._entries.items() if principal.id == unit_id
            ]:
                del self._entries[key_id]
