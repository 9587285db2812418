"""`certledger serve` refuses what it cannot do, before it touches the chain or the database."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from wallet_api.cli import serve


@pytest.mark.parametrize(
    ("arguments", "environment", "count"),
    [(["--processes", "3", "--no-workers"], {}, 3), (["--no-workers"], {"CERTLEDGER_WORKERS": "2"}, 2)],
)
def test_no_workers_is_refused_with_several_processes(
    arguments: list[str], environment: dict[str, str], count: int
) -> None:
    """Each process would run the background work anyway: the flag is refused, not ignored."""
    app = typer.Typer()
    app.command()(serve)
    result = CliRunner().invoke(app, arguments, env=environment)
    assert result.exit_code == 2
    message = " ".join(result.output.replace("│", " ").split())
    assert "Invalid value for --no-workers: it applies to one API process only" in message
    assert f"and {count} are asked for" in message
