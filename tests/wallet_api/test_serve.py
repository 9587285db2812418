"""`certledger serve` refuses what it cannot do, before it touches the chain or the database."""

from __future__ import annotations

import pytest
import typer
from pydantic import ValidationError
from typer.testing import CliRunner

from wallet_api import WalletSettings
from wallet_api.cli import serve


def _serve(arguments: list[str], environment: dict[str, str]) -> tuple[int, str]:
    app = typer.Typer()
    app.command()(serve)
    result = CliRunner().invoke(app, arguments, env=environment)
    return result.exit_code, " ".join(result.output.replace("│", " ").split())


@pytest.mark.parametrize(
    ("arguments", "environment", "count"),
    [
        (["--processes", "3", "--no-background"], {}, 3),
        (["--no-background"], {"CERTLEDGER_PROCESSES": "2"}, 2),
    ],
)
def test_no_background_is_refused_with_several_processes(
    arguments: list[str], environment: dict[str, str], count: int
) -> None:
    """Each process would run the background loops anyway: the flag is refused, not ignored."""
    exit_code, message = _serve(arguments, environment)
    assert exit_code == 2
    assert "Invalid value for --no-background: it applies to one API process only" in message
    assert f"and {count} are asked for (--processes or CERTLEDGER_PROCESSES)" in message


def test_the_old_flag_for_the_background_loops_is_gone() -> None:
    exit_code, message = _serve(["--no-workers"], {})
    assert exit_code == 2
    assert "No such option: --no-workers" in message


def test_the_renamed_variable_is_refused_naming_the_new_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """CERTLEDGER_WORKERS once counted the API processes: set, it would now be silently ignored."""
    monkeypatch.setenv("CERTLEDGER_WORKERS", "4")
    with pytest.raises(ValidationError) as refused:
        WalletSettings()
    assert "CERTLEDGER_WORKERS is no longer read: set CERTLEDGER_PROCESSES instead" in str(refused.value)
    monkeypatch.delenv("CERTLEDGER_WORKERS")
    monkeypatch.setenv("CERTLEDGER_PROCESSES", "4")
    assert WalletSettings().processes == 4
