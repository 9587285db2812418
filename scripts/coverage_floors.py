"""Coverage per package after `make test`, held to the floors in ``pyproject.toml``.

Reads the coverage data the test run left (``.coverage``, the `certledger` processes the tests
started included), prints each package's line and branch coverage, and exits 1 when a package
falls below its floor in ``[tool.certledger.coverage-floors]`` (percent of lines and branches
together, as coverage.py counts them).
"""

from __future__ import annotations

import io
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import coverage
from rich.console import Console
from rich.table import Table

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True, slots=True)
class PackageCoverage:
    """One package's figures."""

    package: str
    lines: int
    lines_missed: int
    combined: float  # lines and branches together, in percent

    @property
    def line_percent(self) -> float:
        """The share of statements run, in percent."""
        return 100.0 * (self.lines - self.lines_missed) / self.lines if self.lines else 100.0


def floors(pyproject: Path = PROJECT_ROOT / "pyproject.toml") -> dict[str, float]:
    """The floor of each package, in percent."""
    table = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    configured: dict[str, float] = table["tool"]["certledger"]["coverage-floors"]
    return {package: float(floor) for package, floor in configured.items()}


def measure(data: coverage.Coverage, package: str, root: Path = PROJECT_ROOT) -> PackageCoverage:
    """The figures of `package` (a top-level folder of `root`) from loaded coverage data."""
    prefix = str(root / package) + "/"
    measured = data.get_data().measured_files()
    files = [name for name in measured if name.startswith(prefix) and name.endswith(".py")]
    lines = missed = 0
    for name in files:
        _, statements, _, missing, _ = data.analysis2(name)
        lines += len(statements)
        missed += len(missing)
    combined = data.report(morfs=files, file=io.StringIO()) if files else 0.0
    return PackageCoverage(package, lines, missed, combined)


def check(
    data: coverage.Coverage, package_floors: dict[str, float], root: Path = PROJECT_ROOT
) -> tuple[Table, list[str]]:
    """The table of figures and one message per package below its floor (or not measured at all)."""
    table = Table(title="coverage by package (lines and branches)")
    for column in ("package", "lines", "lines run", "lines and branches", "floor"):
        table.add_column(column, justify="left" if column == "package" else "right")
    failures = []
    for package, floor in package_floors.items():
        figures = measure(data, package, root)
        problem = None
        if figures.lines == 0:
            problem = f"{package} was not measured"
        elif figures.combined < floor:
            problem = f"{package} is at {figures.combined:.1f} %, below its floor of {floor:.1f} %"
        table.add_row(
            package,
            str(figures.lines),
            f"{figures.line_percent:.1f} %",
            f"[{'red' if problem else 'green'}]{figures.combined:.1f} %[/]",
            f"{floor:.1f} %",
        )
        if problem:
            failures.append(problem)
    return table, failures


def main() -> int:
    """Prints the table; 1 when a package is below its floor or was not measured."""
    data = coverage.Coverage(config_file=str(PROJECT_ROOT / "pyproject.toml"))
    data.load()
    table, failures = check(data, floors())
    console = Console()
    console.print(table)
    for failure in failures:
        console.print(f"[red]coverage:[/] {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
