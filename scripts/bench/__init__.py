"""``certledger bench …``: measurements of the targets in design.md §5, printed as figures.

Each benchmark runs on a fresh deployment of its own in a temporary folder: on an anvil it
starts itself, or, with ``CERTLEDGER_RPC_URL`` set, on that node (`scripts.bench._node`).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from scripts.bench._report import Figure, Figures, Node

bench_app = typer.Typer(help="Measure the design targets and print the figures.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print the figures as one JSON object.")]
QuickOption = Annotated[bool, typer.Option(help="Small counts, for a smoke run (figures not comparable).")]
PostgresOption = Annotated[
    str | None,
    typer.Option(help="A PostgreSQL server URL: the figures on it too (a scratch database is used)."),
]


@bench_app.command("gas")
def gas(as_json: JsonOption = False) -> None:
    """Gas of deploying, anchoring, revoking and checking inclusion, on a fresh deployment."""
    from scripts.bench.gas import measure_gas  # noqa: PLC0415 — keeps `certledger --help` fast

    measure_gas().emit(as_json=as_json)


@bench_app.command("issue")
def issue(
    as_json: JsonOption = False,
    quick: QuickOption = False,
    postgres: PostgresOption = None,
    format_: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="csv, csv-gb18030, xlsx or all: read and issue the reference documents from such a file"
            " instead (read per second in process, then end to end).",
        ),
    ] = None,
) -> None:
    """Certificates built per second, issued end to end per second, and peak memory for 100,000."""
    from scripts.bench.issue import FORMATS, measure_formats, measure_issue  # noqa: PLC0415

    if format_ is not None:
        if format_ not in {*FORMATS, "all"}:
            raise typer.BadParameter(f"give one of {', '.join(FORMATS)} or all", param_hint="--format")
        forms = FORMATS if format_ == "all" else (format_,)
        measure_formats(forms, 2_000 if quick else 20_000).emit(as_json=as_json)
        return
    if quick:
        figures = measure_issue(
            build_counts=(1_000, 10_000), end_to_end_count=2_000, memory_count=5_000, postgres_url=postgres
        )
    else:
        figures = measure_issue(postgres_url=postgres)
    figures.emit(as_json=as_json)


@bench_app.command("console")
def console(
    as_json: JsonOption = False,
    rows: Annotated[int, typer.Option(min=12, help="rows in each export file")] = 1_000_000,
    format_: Annotated[
        str, typer.Option("--format", help="csv, xlsx, jsonl or all: the export's format")
    ] = "all",
) -> None:
    """Issuing an export through the console's routes (resumable upload, issuance, anchoring):
    rates and peak memory."""
    from scripts.bench.console import FORMS, measure_console  # noqa: PLC0415

    if format_ not in {*FORMS, "all"}:
        raise typer.BadParameter(f"give one of {', '.join(FORMS)} or all", param_hint="--format")
    measure_console(FORMS if format_ == "all" else (format_,), rows).emit(as_json=as_json)


@bench_app.command("verify")
def verify(as_json: JsonOption = False, quick: QuickOption = False) -> None:
    """Verifications per second in process: cached chain state, batched and uncached status reads."""
    from scripts.bench.verify import measure_verify  # noqa: PLC0415

    figures = measure_verify(certificates=100, rounds=500) if quick else measure_verify()
    figures.emit(as_json=as_json)


@bench_app.command("api")
def api(
    as_json: JsonOption = False,
    quick: QuickOption = False,
    postgres: PostgresOption = None,
) -> None:
    """Units' redemptions per second and their latency over HTTP, 32 clients against `certledger serve`."""
    from scripts.bench.api import FULL, QUICK, measure_api  # noqa: PLC0415

    figures, errors = measure_api(QUICK if quick else FULL, postgres_url=postgres)
    figures.emit(as_json=as_json)
    if errors:
        print(f"{errors} requests failed: see above; the figures are not to be trusted", file=sys.stderr)
        raise typer.Exit(1)


@bench_app.command("audit")
def audit(
    as_json: JsonOption = False,
    quick: QuickOption = False,
    postgres: PostgresOption = None,
) -> None:
    """Chain events indexed per second, and the time to reconcile 100,000 certificates."""
    from scripts.bench.audit import FULL, QUICK, measure_audit  # noqa: PLC0415

    measure_audit(QUICK if quick else FULL, postgres_url=postgres).emit(as_json=as_json)


@bench_app.command("pages")
def pages(as_json: JsonOption = False, quick: QuickOption = False) -> None:
    """The pages' journeys over HTTP against `certledger serve`: a citizen's login to the list of
    certificates, and a unit's scanned link to the drawn verdict (p50 and p95)."""
    from scripts.bench.pages import FULL, QUICK, measure_pages  # noqa: PLC0415

    measure_pages(QUICK if quick else FULL).emit(as_json=as_json)


@bench_app.command("printing")
def printing(
    as_json: JsonOption = False,
    runs: Annotated[int, typer.Option(min=1, help="PDFs after the first one")] = 30,
) -> None:
    """The printed PDF of the reference contribution certificate with a 验证码: the first in a
    process (the font collection opened), then the median and slowest of the rest, and its size."""
    from scripts.bench.printing import measure_printing  # noqa: PLC0415

    measure_printing(runs).emit(as_json=as_json)


__all__ = ["Figure", "Figures", "Node", "bench_app"]
