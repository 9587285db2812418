"""The contracts' linters, as `make lint` and the tests run them.

* solhint (pinned in ``package.json``, configured in ``solhint.config.js``) with no warning;
* slither (pinned in ``constraints-slither.txt``, in its own environment ``.venv-slither``,
  because it pins web3 below the version certledger runs on) over Hardhat's offline build: no
  high and no medium finding, and every other finding named in the triage table of
  ``docs/contracts.md`` with the reason it stays.

Prints what it found; exits 1 when anything is out of line.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

PROJECT_ROOT = Path(__file__).resolve().parent.parent
NODE_BIN = PROJECT_ROOT / "node_modules" / ".bin"
SLITHER = PROJECT_ROOT / ".venv-slither" / "bin" / "slither"
TRIAGE = PROJECT_ROOT / "docs" / "contracts.md"
_TRIAGED_ROW = re.compile(r"^\| `([\w-]+)` \| `([\w.]+)` \|", re.MULTILINE)
_REFUSED_IMPACTS = {"High", "Medium"}


@dataclass(frozen=True, slots=True)
class Finding:
    """One slither result: its detector, where it points, how bad, and its text."""

    check: str
    where: str
    impact: str
    description: str


def solhint_problems() -> list[str]:
    """solhint's warnings and errors over ``contracts/``, one line each (empty when clean)."""
    result = subprocess.run(
        [
            str(NODE_BIN / "solhint"),
            "--disc",
            "--noPoster",
            "-c",
            "solhint.config.js",
            "-f",
            "unix",
            "contracts/**/*.sol",
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    problems = [line for line in result.stdout.splitlines() if re.match(r"^\S+\.sol:\d+:\d+:", line)]
    if result.returncode != 0 and not problems:
        raise RuntimeError(f"solhint failed: {result.stderr or result.stdout}")
    return problems


def hardhat_build(out: Path) -> Path:
    """Compiles ``contracts/`` with Hardhat (offline, the pinned solcjs) into `out`; returns it."""
    environment = os.environ | {
        "HARDHAT_DISABLE_TELEMETRY_PROMPT": "true",
        "CI": "true",
        "CERTLEDGER_HARDHAT_OUT": str(out),
    }
    subprocess.run(
        [str(NODE_BIN / "hardhat"), "compile", "--force", "--quiet"],
        cwd=PROJECT_ROOT,
        env=environment,
        check=True,
        capture_output=True,
        timeout=600,
    )
    return out


def slither_findings(build: Path) -> list[Finding]:
    """slither's results over a Hardhat build made by `hardhat_build`."""
    if not SLITHER.is_file():
        raise FileNotFoundError(f"{SLITHER} is missing: `make setup` installs slither in its own environment")
    result = subprocess.run(
        [
            str(SLITHER),
            ".",
            "--compile-force-framework",
            "hardhat",
            "--hardhat-ignore-compile",
            "--hardhat-artifacts-directory",
            str(build / "artifacts"),
            "--hardhat-cache-directory",
            str(build / "cache"),
            "--json",
            "-",
        ],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    report = json.loads(result.stdout)
    if not report.get("success"):
        raise RuntimeError(f"slither failed: {report.get('error') or result.stderr}")
    return [_finding(item) for item in report.get("results", {}).get("detectors", [])]


def _finding(item: dict[str, Any]) -> Finding:
    elements = item.get("elements") or [{}]
    first: dict[str, Any] = elements[0]
    parent = first.get("type_specific_fields", {}).get("parent", {}).get("name")
    where = f"{parent}.{first.get('name')}" if parent else str(first.get("name"))
    return Finding(str(item["check"]), where, str(item["impact"]), str(item["description"]).strip())


def triaged(path: Path = TRIAGE) -> set[tuple[str, str]]:
    """The (detector, where) pairs of the triage table in docs/contracts.md."""
    return set(_TRIAGED_ROW.findall(path.read_text(encoding="utf-8")))


def out_of_line(findings: list[Finding], accepted: set[tuple[str, str]]) -> list[str]:
    """What makes the analysis fail: any high or medium finding, any other one not triaged."""
    problems = [
        f"{f.impact} {f.check} at {f.where}: {f.description.splitlines()[0]}"
        for f in findings
        if f.impact in _REFUSED_IMPACTS
    ]
    problems += [
        f"{f.impact} {f.check} at {f.where} is not triaged in docs/contracts.md"
        for f in findings
        if f.impact not in _REFUSED_IMPACTS and (f.check, f.where) not in accepted
    ]
    return problems


def main() -> int:
    """Runs both linters; 1 when either is out of line."""
    console = Console()
    problems = [f"solhint: {line}" for line in solhint_problems()]
    with tempfile.TemporaryDirectory(prefix="certledger-hardhat-") as folder:
        findings = slither_findings(hardhat_build(Path(folder)))
    table = Table(title=f"slither: {len(findings)} findings")
    for column in ("impact", "detector", "where"):
        table.add_column(column)
    for finding in sorted(findings, key=lambda f: (f.impact, f.check, f.where)):
        table.add_row(finding.impact, finding.check, finding.where)
    console.print(table)
    problems += [f"slither: {line}" for line in out_of_line(findings, triaged())]
    for problem in problems:
        console.print(f"[red]{problem}[/]")
    if not problems:
        console.print("solhint: no warnings; slither: nothing high or medium, the rest triaged")
    return 1 if problems else 0


if __name__ == "__main__":
    if shutil.which("node") is None:
        sys.exit("the contract linters need Node (node_modules holds solhint and Hardhat)")
    sys.exit(main())
