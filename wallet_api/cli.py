"""The wallet service's commands: ``certledger serve``, ``staff add``, ``staff actions``, ``safe erase``."""

from __future__ import annotations

import json
import multiprocessing
import os
import secrets
import signal
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
import uvicorn
from rich.console import Console
from rich.table import Table

from issuer import find_citizen
from ledger.cli import table_time
from wallet_api._accounts import STAFF_ROLES, Accounts
from wallet_api._context import WalletContext
from wallet_api._logging import configure_logging
from wallet_api._settings import WalletSettings
from wallet_api._staff_trail import StaffActionKind, StaffTrail
from wallet_api.app import create_app

console = Console()
staff_app = typer.Typer(help="Operators and auditors of the bureau.", no_args_is_help=True)


def serve_context(context: WalletContext, *, background: bool = True) -> None:
    """Serves the API of `context` until Ctrl-C (or SIGTERM), with the background loops beside it
    (unless not `background`); with ``settings.processes`` above 1, in that many processes, each
    building its own context from the same settings."""
    configure_logging()
    settings = context.settings
    if settings.processes > 1:
        os.environ.update(
            {f"CERTLEDGER_{key.upper()}": str(value) for key, value in _plain(settings).items()}
        )
        _serve_processes(settings.host, settings.port, settings.processes)
        return
    app = create_app(context, background=background)
    with _sigterm_as_ctrl_c():
        uvicorn.run(app, **_UVICORN, host=settings.host, port=settings.port)  # type: ignore[arg-type]


@contextmanager
def _sigterm_as_ctrl_c() -> Iterator[None]:
    """SIGTERM ends the serving as Ctrl-C does, so that what the caller started is stopped too.

    Uvicorn shuts down gracefully on SIGTERM, then raises the signal again under the handler it
    found: the default one would end the process there, before `certledger run` stops the chain
    it started (the node would live on, orphaned). Signals are the main thread's only."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupted(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupted)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


_UVICORN: dict[str, object] = {
    "log_config": None,
    "access_log": False,
    "server_header": False,
    "timeout_graceful_shutdown": 10,
    # Uvicorn would believe X-Forwarded-For from 127.0.0.1 (FORWARDED_ALLOW_IPS): the client's
    # address is decided by the service alone, from CERTLEDGER_TRUSTED_PROXIES.
    "proxy_headers": False,
}


def _serve_processes(host: str, port: int, count: int) -> None:
    """`count` processes, each with its own socket on the same port (SO_REUSEPORT): the kernel
    spreads connections over them evenly, where one shared socket lets the quickest take most."""
    context = multiprocessing.get_context("spawn")
    children = [context.Process(target=_serve_one, args=(host, port), name=f"api-{i}") for i in range(count)]
    for child in children:
        child.start()
    stopping = threading.Event()

    def stop(*_: object) -> None:
        stopping.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)
    while not stopping.is_set() and all(child.is_alive() for child in children):
        stopping.wait(0.5)
    for child in children:
        if child.is_alive() and child.pid is not None:
            os.kill(child.pid, signal.SIGTERM)  # uvicorn finishes its requests, then its lifespan
    for child in children:
        child.join(timeout=30)


def _serve_one(host: str, port: int) -> None:
    """One API process on a socket of its own."""
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    from wallet_api.app import app_from_environment  # noqa: PLC0415 — in the child, after spawn

    config = uvicorn.Config(app_from_environment(), **_UVICORN)  # type: ignore[arg-type]
    uvicorn.Server(config).run(sockets=[sock])


def _plain(settings: WalletSettings) -> dict[str, object]:
    """The settings that were given, as environment values (secrets included, for the children)."""
    values: dict[str, object] = {}
    for name in settings.model_fields_set:
        value = getattr(settings, name)
        if value is None:
            continue
        if hasattr(value, "get_secret_value"):
            value = value.get_secret_value()
        elif isinstance(value, tuple):
            value = ",".join(map(str, value))  # as comma-separated settings are read
        values[name] = value
    return values


HOST_HELP = (
    "Address to listen on (default 127.0.0.1, this machine only; CERTLEDGER_HOST); "
    "0.0.0.0 listens on every interface."
)
PORT_HELP = "TCP port to listen on (default 8000; CERTLEDGER_PORT)."


def serve(
    host: Annotated[str | None, typer.Option(help=HOST_HELP)] = None,
    port: Annotated[int | None, typer.Option(help=PORT_HELP)] = None,
    processes: Annotated[
        int | None, typer.Option("--processes", help="API processes (default 1; CERTLEDGER_PROCESSES).")
    ] = None,
    background: Annotated[
        bool,
        typer.Option(
            help="Also run the background loops: the anchoring worker, the access log's anchorer, "
            "the periodic reconciliation (one API process only for --no-background)."
        ),
    ] = True,
) -> None:
    """Serve the wallet API on the configured chain and database, until Ctrl-C."""
    overrides = {
        key: value
        for key, value in (("host", host), ("port", port), ("processes", processes))
        if value is not None
    }
    settings = WalletSettings(**overrides)  # type: ignore[arg-type]
    if not background and settings.processes > 1:
        raise typer.BadParameter(
            f"it applies to one API process only, and {settings.processes} are asked for "
            "(--processes or CERTLEDGER_PROCESSES): each of several processes runs the background "
            "loops, one process at a time through database leases",
            param_hint="--no-background",
        )
    context = WalletContext(settings)
    context.chain.deployment()  # refuse early when nothing is deployed
    console.print(f"serving the wallet API on http://{settings.host}:{settings.port} (OpenAPI at /docs)")
    serve_context(context, background=background)


def erase(
    citizen: Annotated[str, typer.Argument(help="Citizen id, or identity number.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Destroy a citizen's data key: every certificate of theirs becomes unreadable, for good;
    their sessions end, their login is refused and their grants are revoked."""
    context = WalletContext()
    citizen_id = find_citizen(context.engine, context.hasher, citizen)
    if not yes:
        typer.confirm(f"erase citizen {citizen_id}? their certificates can never be read again", abort=True)
    count = Accounts(context).erase(citizen_id)
    console.print(
        f"erased citizen {citizen_id}: {count} certificates are now unreadable; "
        "their sessions and grants are ended and their login is closed"
    )


@staff_app.command("add")
def add_staff(
    username: Annotated[str, typer.Argument(help="Lower-case login name.")],
    role: Annotated[str, typer.Option(help=f"One of {', '.join(STAFF_ROLES)}.")],
) -> None:
    """Create an operator or auditor account; prints a generated password once."""
    password = secrets.token_urlsafe(15)
    Accounts(WalletContext()).add_staff(username, role, password)
    console.print(f"created {role} [bold]{username}[/]; password (shown once): {password}")


@staff_app.command("actions")
def staff_actions(
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many, newest first.")] = 50,
    action: Annotated[StaffActionKind | None, typer.Option(help="Only this kind of action.")] = None,
    username: Annotated[str | None, typer.Option(help="Only this member of staff.")] = None,
    before: Annotated[str | None, typer.Option(help="Only actions older than this action id.")] = None,
) -> None:
    """The staff audit trail: who issued codes, reset citizens, registered, re-keyed or disabled
    units, changed certificates' status or issued files — newest first, in Beijing time."""
    context = WalletContext()
    try:
        entries = StaffTrail(context).page(limit=limit, before=before, action=action, username=username)
    finally:
        context.reader.dispose()
        context.engine.dispose()
    table = Table(title="staff actions (Beijing time)")
    for column in ("at", "username", "action", "subject", "detail", "id"):
        table.add_column(column, overflow="fold")
    for entry in entries:
        table.add_row(
            table_time(entry.at),
            entry.username,
            entry.action.value,
            entry.subject or "—",
            json.dumps(entry.detail, ensure_ascii=False, sort_keys=True),
            entry.id,
        )
    console.print(table)
    if len(entries) == limit:
        console.print(f"older: --before {entries[-1].id}")
