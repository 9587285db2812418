"""A flag or setting that cannot apply is refused with exit 2 and says why; it is never ignored.

Each refusal comes before anything is started, read from the chain or written: the environments
here name no chain at all.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.issuing import certledger


def _environment(folder: Path, **variables: str) -> dict[str, str]:
    return {"CERTLEDGER_DATA_DIR": str(folder), "COLUMNS": "200"} | variables


def _said(text: str) -> str:
    return " ".join(text.replace("│", " ").split())


def test_run_refuses_the_demonstration_with_detach(tmp_path: Path) -> None:
    """`run --detach` returns before the service starts, so it never adds the demonstration."""
    result = certledger(_environment(tmp_path), "run", "--detach", "--demo")
    assert result.returncode == 2
    assert (
        "Invalid value for --demo: the demonstration is added for a service that runs, "
        "and --detach starts none"
    ) in _said(result.stderr)
    assert not (tmp_path / "deployments").exists()


def test_verify_refuses_a_unit_key_for_a_document(tmp_path: Path) -> None:
    """The key redeems grant links; with a document it would be dropped, and the unit would take
    the document's verdict for the grant's."""
    document = tmp_path / "certificate.json"
    document.write_text(json.dumps({"not": "a certificate"}), encoding="utf-8")
    result = certledger(_environment(tmp_path), "verify", str(document), "--unit-key", "k")
    assert (result.returncode, result.stdout) == (2, "")
    assert result.stderr == (
        "error: --unit-key redeems a grant link, and this source holds a document: leave the key out\n"
    )


def test_the_variable_that_counted_api_processes_is_refused(tmp_path: Path) -> None:
    """CERTLEDGER_WORKERS became CERTLEDGER_PROCESSES: set, it would be silently ignored."""
    environment = _environment(tmp_path, CERTLEDGER_WORKERS="4")
    for command in (["serve"], ["run"]):
        result = certledger(environment, *command)
        assert (result.returncode, result.stdout) == (2, "")
        assert (
            result.stderr == "error: CERTLEDGER_WORKERS is no longer read: set CERTLEDGER_PROCESSES instead\n"
        )


def test_an_unreadable_setting_is_one_line_naming_the_variable_not_its_value(tmp_path: Path) -> None:
    result = certledger(_environment(tmp_path, CERTLEDGER_PROCESSES="many"), "serve")
    assert (result.returncode, result.stdout) == (2, "")
    assert _said(result.stderr) == (
        "error: CERTLEDGER_PROCESSES: Input should be a valid integer, unable to parse string as an integer"
    )
    assert "many" not in result.stderr
    assert "Traceback" not in result.stderr


def test_audit_access_refuses_a_log_size_without_an_entry(tmp_path: Path) -> None:
    """`--size` is the log size an `--entry` is proved at; alone it would prove nothing."""
    result = certledger(_environment(tmp_path), "audit", "access", "--size", "5")
    assert (result.returncode, result.stdout) == (2, "")
    assert "Invalid value for --size: it is the log size for --entry, and no --entry is given" in _said(
        result.stderr
    )
