"""The ledger's commands: ``certledger chain``, ``certledger contracts`` and ``certledger deploy``."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ledger._chain import ChainStatus
from ledger._clock import beijing_time
from ledger._compiler import build_artifacts, stale_artifacts
from ledger._deploy import Deployment, ensure_deployment, manifest_path
from ledger._devnet import fund
from ledger._errors import LedgerConfigError
from ledger._paths import PROJECT_ROOT
from ledger._runtime import ChainContext

console = Console()

chain_app = typer.Typer(help="Start, stop and inspect the embedded local chain.", no_args_is_help=True)
contracts_app = typer.Typer(
    help="Compile the Solidity contracts into ledger/artifacts/.", no_args_is_help=True
)


NO_END = "长期"
"""What a table shows for a validity, a window or a key that has no end."""
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$")


def table_time(moment: datetime | str | None, *, end: bool = False) -> str:
    """A moment as every CLI table shows it: Beijing time to the second, "2026-12-10 01:06:02".
    A missing moment is 长期 when it is the `end` of a validity or window, "—" otherwise. A string
    that is an ISO 8601 moment with its offset is read as one; any other string is shown as it is
    (a date such as 2026-12-10 is already a Beijing day)."""
    if moment is None or moment == "":
        return NO_END if end else "—"
    if isinstance(moment, str):
        if not _ISO_MOMENT.match(moment):
            return moment
        moment = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("a table shows timezone-aware moments only")
    return beijing_time(moment).strftime("%Y-%m-%d %H:%M:%S")


_MOMENT_IN_TEXT = re.compile(r"\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})")


def table_times(text: str) -> str:
    """`text` with every ISO 8601 moment in it written in Beijing time, as `table_time` writes it
    ("valid until 2026-12-09T17:06:02+00:00" → "valid until 2026-12-10 01:06:02 Beijing time")."""
    return _MOMENT_IN_TEXT.sub(lambda found: f"{table_time(found[0])} Beijing time", text)


def _managed(context: ChainContext) -> object:
    chain = context.managed_chain
    if chain is None:
        raise LedgerConfigError(
            f"CERTLEDGER_RPC_URL points at {context.settings.endpoint}; "
            "`certledger chain` manages only the embedded node: start and stop that node where it "
            "runs, or unset CERTLEDGER_RPC_URL to use the embedded one"
        )
    return chain


def render_chain_status(status: ChainStatus) -> Table:
    """The node's status as a two-column table."""
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_row("node", "[green]running[/]" if status.running else "[red]stopped[/]")
    table.add_row("RPC URL", status.rpc_url)
    if status.chain_id is not None:
        table.add_row("chain id", str(status.chain_id))
    if status.block_number is not None:
        table.add_row("latest block", str(status.block_number))
    if status.pid is not None:
        table.add_row("process", str(status.pid))
    size = "not yet written" if status.state_bytes is None else f"{status.state_bytes:,} bytes"
    table.add_row("state file", f"{status.state_file} ({size})")
    return table


@chain_app.command("up")
def chain_up() -> None:
    """Start the embedded anvil node (state loaded from and saved to the data folder)."""
    context = ChainContext()
    chain = context.managed_chain
    if chain is None:
        _managed(context)
        return
    status = chain.up()
    console.print(render_chain_status(status))


@chain_app.command("down")
def chain_down() -> None:
    """Stop the embedded node, saving its state."""
    context = ChainContext()
    chain = context.managed_chain
    if chain is None:
        _managed(context)
        return
    was_running = chain.down()
    console.print("stopped the node; state saved" if was_running else "the node was not running")


@chain_app.command("status")
def chain_status() -> None:
    """Show whether the embedded node runs, its RPC URL, chain id and latest block."""
    context = ChainContext()
    chain = context.managed_chain
    if chain is None:
        w3 = context.w3
        console.print(
            f"external node {context.settings.endpoint}: chain {w3.eth.chain_id}, block {w3.eth.block_number}"
        )
        return
    status = chain.status()
    console.print(render_chain_status(status))
    if not status.running:
        raise typer.Exit(1)


@contracts_app.command("build")
def contracts_build() -> None:
    """Compile the contracts and rewrite the committed artifacts."""
    with console.status("compiling the contracts"):
        written = build_artifacts()
    for path in written:
        console.print(f"wrote {path.relative_to(PROJECT_ROOT)}")


@contracts_app.command("check")
def contracts_check() -> None:
    """Fail when the committed artifacts differ from a fresh compile."""
    with console.status("compiling the contracts"):
        stale = stale_artifacts()
    if stale:
        console.print(f"[red]stale artifacts:[/] {', '.join(stale)} — run `make contracts`")
        raise typer.Exit(1)
    console.print("artifacts are fresh")


def render_deployment(deployment: Deployment) -> Table:
    """The deployed contracts as a table."""
    table = Table(
        title=f"contracts on chain {deployment.chain_id}",
        caption="the CertificateLedger is also the issuer registry",
    )
    table.add_column("contract", no_wrap=True)
    table.add_column("address", no_wrap=True)
    table.add_column("block", justify="right", no_wrap=True)
    for name, contract in deployment.contracts.items():
        table.add_row(name, contract.address, str(contract.block_number))
    return table


def deploy(
    force: Annotated[
        bool, typer.Option(help="Deploy anew even when the recorded contracts are intact.")
    ] = False,
) -> None:
    """Deploy the contracts on the configured chain, or find the ones already deployed."""
    context = ChainContext()
    if context.managed_chain is not None:
        context.managed_chain.up()
    governor = context.sender("governor")
    for done in fund(context.w3, [governor.address]):
        console.print(done)
    outcome = ensure_deployment(context.w3, governor, context.settings.data_dir, force=force)
    for note in outcome.notes:
        console.print(f"[yellow]{note}[/]")
    console.print(render_deployment(outcome.deployment))
    verb = "deployed" if outcome.created else "found"
    console.print(f"{verb}; manifest {manifest_path(context.settings.data_dir, outcome.deployment.chain_id)}")
