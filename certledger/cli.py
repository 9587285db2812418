"""The ``certledger`` command, the composition root: every layer's commands under one name, and
the main job (`run`)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from audit.cli import audit_app
from issuer import IssuerError
from issuer.cli import export, issue, office_app, reinstate, revoke, safe_app, suspend, types_app, worker
from ledger import DevnetReport, LedgerError, bootstrap_devnet
from ledger.cli import chain_app, contracts_app, deploy, render_chain_status, render_deployment
from scripts.bench import bench_app
from scripts.demo_wallet import Population, seed_demo
from verifier import VerifierError
from verifier.cli import present, verify
from wallet_api import WalletContext, WalletError, WalletSettings
from wallet_api.cli import HOST_HELP, PORT_HELP, erase, serve, serve_context, staff_app

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
safe_app.command("erase")(erase)  # the wallet's: erasure also ends the citizen's sessions and grants
app.add_typer(safe_app, name="safe")
app.add_typer(types_app, name="types")
app.add_typer(office_app, name="office")
app.add_typer(staff_app, name="staff")
app.add_typer(audit_app, name="audit")
app.command("deploy")(deploy)
app.command("issue")(issue)
app.command("worker")(worker)
app.command("revoke")(revoke)
app.command("suspend")(suspend)
app.command("reinstate")(reinstate)
app.command("export")(export)
app.command("verify")(verify)
app.command("present")(present)
app.command("serve")(serve)


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
        bool, typer.Option(help="Set up the chain and contracts and return, leaving the chain running.")
    ] = False,
    demo: Annotated[
        bool | None,
        typer.Option(
            help="Populate a new data folder with demonstration citizens, units and staff "
            "(the default, except with --detach).",
            show_default=False,
        ),
    ] = None,
    host: Annotated[str | None, typer.Option(help=HOST_HELP, show_default=False)] = None,
    port: Annotated[int | None, typer.Option(help=PORT_HELP, show_default=False, min=0, max=65535)] = None,
) -> None:
    """The main job: bring up the chain, deploy or find the contracts, register the development
    office and its keys, add the demonstration (unless --no-demo), and serve the wallet API with
    the anchoring worker and the access log's anchorer until Ctrl-C.

    The pages and the API are served on http://127.0.0.1:8000 unless --host and --port (or
    CERTLEDGER_HOST and CERTLEDGER_PORT) say otherwise: /wallet, /verify, /console, /audit, and
    the OpenAPI reference at /docs."""
    if detach and demo:
        raise typer.BadParameter(
            "the demonstration is added for a service that runs, and --detach starts none",
            param_hint="--demo",
        )
    overrides = {key: value for key, value in (("host", host), ("port", port)) if value is not None}
    context = WalletContext(WalletSettings(**overrides) if overrides else None)  # type: ignore[arg-type]
    chain = context.chain.managed_chain
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
            report = bootstrap_devnet(context.chain)
        for note in report.notes:
            console.print(f"[yellow]{note}[/]")
        console.print(render_deployment(report.deployment))
        console.print(render_devnet(report))
        console.print(f"data folder: {context.settings.data_dir.resolve()}")
        if detach:
            console.print(_detached_note(chain is not None, context.settings.endpoint))
            return
        if demo is not False:
            with console.status("adding the demonstration: staff, citizens and their certificates, units"):
                population = seed_demo(context)
            print_population(population, console)
        settings = context.settings
        base = f"http://{settings.host}:{settings.port}"
        console.print(
            f"[bold]certledger is running[/] on {base}: the wallet at {base}/wallet, the unit's "
            f"verifier at {base}/verify, the issuer console at {base}/console, the auditor's view at "
            f"{base}/audit, OpenAPI at {base}/docs. Press Ctrl-C to stop."
        )
        serve_context(context)
    finally:
        if started_here and not detach and chain is not None:
            chain.down()
            console.print("stopped the local chain; its state is saved in the data folder")


def _detached_note(managed: bool, endpoint: str) -> str:
    """What keeps running after `run --detach`, and how to stop it."""
    if managed:
        return "the chain keeps running; `certledger chain down` stops it"
    return (
        f"set up on the external node {endpoint}; certledger leaves nothing running (that node is "
        "not certledger's to stop). Start the service with `certledger run --no-demo` or "
        "`certledger serve`, and stop it with Ctrl-C"
    )


def print_population(population: Population, out: Console) -> None:
    """Prints who is in the demonstration (`render_population`), then each unit's API key on a
    line of its own, whole whatever the terminal's width (never cut, never broken by rich), so
    that it can be copied."""
    out.print(render_population(population))
    for number, unit in enumerate(population.units, start=1):
        out.print(f"key {number}, X-API-Key of {unit.name}:", highlight=False)
        out.print(unit.api_key, soft_wrap=True, highlight=False, markup=False)


def render_population(population: Population) -> Table:
    """Who is in the demonstration, with what they log in with: the table wraps its cells rather
    than cut them, and names each unit's key, which `print_population` prints after it."""
    table = Table(title="demonstration (secrets also in data/demo/population.json)")
    table.add_column("who", overflow="fold")
    table.add_column("logs in with", overflow="fold")
    table.add_column("secret", overflow="fold")
    for member in population.staff:
        table.add_row(member.role, member.username, member.password)
    for citizen in population.citizens:
        table.add_row(
            f"citizen {citizen.name} ({len(citizen.certificates)} certificates)",
            f"{citizen.identity_number} or {citizen.phone}",
            citizen.password,
        )
    for number, unit in enumerate(population.units, start=1):
        table.add_row(f"unit {unit.name}", f"X-API-Key ({unit.credit_code})", f"key {number}, below")
    return table


def main(arguments: Sequence[str] | None = None) -> None:
    """Entry point of the ``certledger`` console script (`arguments` default to the command line's):
    errors become one readable line. Always ends in SystemExit with the command's exit code."""
    errors = Console(stderr=True)
    try:
        app(args=arguments)
    except (LedgerError, IssuerError, VerifierError, WalletError) as error:
        errors.print(f"[red]error:[/] {error}")
        sys.exit(1)
    except ValidationError as error:
        if not error.title.endswith("Settings"):
            raise
        for problem in settings_problems(error):
            errors.print(f"[red]error:[/] {problem}", highlight=False)
        sys.exit(2)


def settings_problems(error: ValidationError) -> list[str]:
    """What is wrong with the ``CERTLEDGER_*`` settings, one sentence each, naming the variable
    and never its value (it may be a secret)."""
    problems = []
    for problem in error.errors(include_url=False, include_input=False, include_context=False):
        message = problem["msg"].removeprefix("Value error, ")
        fields = [str(part) for part in problem["loc"]]
        problems.append(f"CERTLEDGER_{fields[0].upper()}: {message}" if fields else message)
    return problems
