"""Imported by every Python process of `make test`'s faketime pass (the Makefile puts this folder
on PYTHONPATH for that pass only).

The pass shifts the calendar with Debian's libfaketime and leaves the monotonic clock real
(FAKETIME_DONT_FAKE_MONOTONIC=1), so that timed waits on locks and events (sem_clockwait, which
libfaketime does not intercept) keep their length; with a real monotonic clock its workaround for
faked condition waits is not needed (FAKETIME_FORCE_MONOTONIC_FIX=0), and left on it slows every
hand-off of the interpreter lock between threads. libfaketime 0.9.10 then mistranslates an
absolute sleep on the real monotonic clock, so `time.sleep` fails with EINVAL (fixed upstream
after 0.9.10: libfaketime.c leaves such a request untouched). Python sleeps through
`clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME)`; here it sleeps through `select`, which
libfaketime passes through. Nothing else changes, and outside that pass this file is not on
the path.
"""

from __future__ import annotations

import os
import select
import time
from typing import SupportsIndex

if "faketime" in os.environ.get("LD_PRELOAD", "") and os.environ.get("FAKETIME_DONT_FAKE_MONOTONIC") == "1":

    def _sleep(seconds: float | SupportsIndex) -> None:
        """`time.sleep` on the real monotonic clock, through `select`."""
        length = float(seconds)
        if length < 0:
            raise ValueError("sleep length must be non-negative")
        deadline = time.monotonic() + length
        while (left := deadline - time.monotonic()) > 0:
            select.select([], [], [], left)

    time.sleep = _sleep
