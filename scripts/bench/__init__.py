"""``certledger bench …``: measurements of the targets in design.md §5, printed as figures."""

from __future__ import annotations

from typing import Annotated

import typer

from scripts.bench._report import Figure, Figures

bench_app = typer.Typer(help="Measure the design targets and print the figures.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="Print the figures as one JSON object.")]


@bench_app.command("gas")
def gas(as_json: JsonOption = False) -> None:
    """Gas of deploying, anchoring, revoking and checking inclusion, on a fresh local chain."""
    from scripts.bench.gas import measure_gas  # noqa: PLC0415 — keeps `certledger --help` fast

    measure_gas().emit(as_json=as_json)


__all__ = ["Figure", "Figures", "bench_app"]
