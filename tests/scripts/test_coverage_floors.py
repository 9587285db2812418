"""The coverage floors fail the run when a package drops below its floor or was not measured."""

from __future__ import annotations

import textwrap
from pathlib import Path

import coverage
import pytest

from scripts.coverage_floors import PROJECT_ROOT, check, floors

MODULE = textwrap.dedent(
    """\
    def run(flag):
        if flag:
            return 1
        return 2


    def never():
        return 3
    """
)


@pytest.fixture
def measured(tmp_path: Path) -> coverage.Coverage:
    """Coverage data of a package whose module ran `run(True)` only: lines 1-3 and 7, one branch of two."""
    package = tmp_path / "pkg"
    package.mkdir()
    module = package / "mod.py"
    module.write_text(MODULE, encoding="utf-8")
    data = coverage.CoverageData(basename=str(tmp_path / ".coverage"))
    data.add_arcs({str(module): {(-1, 1), (1, 7), (7, -1), (-1, 2), (2, 3), (3, -1)}})
    data.write()
    loaded = coverage.Coverage(data_file=str(tmp_path / ".coverage"), branch=True, config_file=False)
    loaded.load()
    return loaded


def test_a_package_at_or_above_its_floor_passes(measured: coverage.Coverage, tmp_path: Path) -> None:
    _, failures = check(measured, {"pkg": 60.0}, root=tmp_path)
    assert failures == []


def test_a_package_below_its_floor_fails_with_its_figure(measured: coverage.Coverage, tmp_path: Path) -> None:
    _, failures = check(measured, {"pkg": 90.0}, root=tmp_path)
    assert len(failures) == 1
    assert failures[0].startswith("pkg is at ") and failures[0].endswith("below its floor of 90.0 %")


def test_a_package_never_measured_fails(measured: coverage.Coverage, tmp_path: Path) -> None:
    _, failures = check(measured, {"pkg": 0.0, "elsewhere": 0.0}, root=tmp_path)
    assert failures == ["elsewhere was not measured"]


def test_every_package_of_the_project_has_a_floor_of_at_least_70_percent() -> None:
    configured = floors()
    assert set(configured) == {"ledger", "issuer", "verifier", "audit", "wallet_api", "scripts", "certledger"}
    assert all(floor >= 70.0 for floor in configured.values()), configured
    assert all((PROJECT_ROOT / package).is_dir() for package in configured)
