"""Where the service's log lines go: one JSON line each, on standard error.

Both ways of starting the service use it: `certledger serve` in its own process
(``wallet_api.cli``) and each of several API processes (``wallet_api.app.app_from_environment``).
"""

from __future__ import annotations

import logging
import sys

from wallet_api._http import JsonFormatter


def configure_logging(level: int = logging.INFO) -> None:
    """JSON log lines on standard error for the service's loggers."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in ("certledger", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False
