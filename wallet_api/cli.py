"""The wallet service's commands: ``certledger serve`` and ``certledger staff add``."""

from __future__ import annotations

import logging
import secrets
import sys
from typing import Annotated

import typer
import uvicorn
from rich.console import Console

from wallet_api._accounts import STAFF_ROLES, Accounts
from wallet_api._context import WalletContext
from wallet_api._http import JsonFormatter
from wallet_api._settings import WalletSettings
from wallet_api.app import create_app

console = Console()
staff_app = typer.Typer(help="Operators and auditors of the bureau.", no_args_is_help=True)


def configure_logging(level: int = logging.INFO) -> None:
    """JSON log lines on standard error for the service's loggers."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    for name in ("certledger", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(level)
        logger.propagate = False


def serve_context(context: WalletContext, *, workers: bool = True) -> None:
    """Serves the API of `context` until Ctrl-C (or SIGTERM)."""
    configure_logging()
    settings = context.settings
    app = create_app(context, background=workers)
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=10,
    )


def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on (default 8000).")] = None,
    workers: Annotated[
        bool, typer.Option(help="Also run the anchoring worker and the access log's anchorer.")
    ] = True,
) -> None:
    """Serve the wallet API on the configured chain and database, until Ctrl-C."""
    overrides = {key: value for key, value in (("host", host), ("port", port)) if value is not None}
    settings = WalletSettings(**overrides)  # type: ignore[arg-type]
    context = WalletContext(settings)
    context.chain.deployment()  # refuse early when nothing is deployed
    console.print(f"serving the wallet API on http://{settings.host}:{settings.port} (OpenAPI at /docs)")
    serve_context(context, workers=workers)


@staff_app.command("add")
def add_staff(
    username: Annotated[str, typer.Argument(help="Lower-case login name.")],
    role: Annotated[str, typer.Option(help=f"One of {', '.join(STAFF_ROLES)}.")],
) -> None:
    """Create an operator or auditor account; prints a generated password once."""
    password = secrets.token_urlsafe(15)
    Accounts(WalletContext()).add_staff(username, role, password)
    console.print(f"created {role} [bold]{username}[/]; password (shown once): {password}")
