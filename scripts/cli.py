"""The ``certledger`` command: every layer's commands under one name, and the main job."""

from __future__ import annotations

import signal
import sys
import threading
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from issuer import IssuerError
from issuer.cli import export, issue, reinstate, revoke, safe_app, suspend, types_app, worker
from ledger import ChainContext, DevnetReport, LedgerError, bootstrap_devnet
from ledger.cli import chain_app, contracts_app, deploy, render_chain_status, render_deployment
from scripts.bench import bench_app
from verifier import VerifierError
from verifier.cli import present, verify

console = Console()
app = typer.Typer(
    name="certledger",
    help="Social-insurance certificates anchored on an Ethereum-compatible ledger.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(chain_app, name="chain")
app.add_typer(contracts_app, name="contracts")
app.add_typer(bench_app, name="bench")
app.add_typer(safe_app, name="safe")
app.add_typer(types_app, name="types")
app.command("deploy")(deploy)
app.command("issue")(issue)
app.command("worker")(worker)
app.command("revoke")(revoke)
app.command("suspend")(suspend)
app.command("reinstate")(reinstate)
app.command("export")(export)
app.command("verify")(verify)
app.command("present")(present)


def render_devnet(report: DevnetReport) -> Table:
    """The development set-up: office, keys, what was done."""
    table = Table(title="development set-up", show_header=False)
    table.add_column("what")
    table.add_column("value")
    office = report.office
    table.add_row("office", f"{office.office_id} · {office.display_name} · region {office.region_code}")
    table.add_row("certificate types", ", ".join(str(type_id) for type_id in office.type_ids))
    for role, address in report.keys.items():
        table.add_row(f"{role} key", address)
    table.add_row("done now", "\n".join(report.actions) or "nothing — everything was in place")
    return table


@app.command()
def run(
    detach: Annotated[
        bool, typer.Option(help="Set everything up and return, leaving the chain running.")
    ] = False,
) -> None:
    """The main job: bring up the chain, deploy or find the contracts, register the development
    office and its key, print what is where, and keep running until Ctrl-C."""
    context = ChainContext()
    chain = context.managed_chain
    started_here = False
    if chain is not None:
        started_here = not chain.status().running
        with console.status("starting the local chain"):
            status = chain.up()
        console.print(render_chain_status(status))
    else:
        console.print(f"using the external node {context.settings.endpoint}")
    try:
        with console.status("deploying or finding the contracts"):
            report = bootstrap_devnet(context)
        for note in report.notes:
            console.print(f"[yellow]{note}[/]")
        console.print(render_deployment(report.deployment))
        console.print(render_devnet(report))
        console.print(f"data folder: {context.settings.data_dir.resolve()}")
        if detach:
            console.print("the chain keeps running; `certledger chain down` stops it")
            return
        console.print("[bold]certledger is running.[/] Press Ctrl-C to stop.")
        _wait_for_stop()
    finally:
        if started_here and not detach and chain is not None:
            chain.down()
            console.print("stopped the local chain; its state is saved in the data folder")


def _wait_for_stop() -> None:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    stop.wait()


def main() -> None:
    """Entry point of the ``certledger`` console script: errors become one readable line."""
    try:
        app()
    except (LedgerError, IssuerError, VerifierError) as error:
        Console(stderr=True).print(f"[red]error:[/] {error}")
        sys.exit(1)
