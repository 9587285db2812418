"""`certledger bench gas` prints every figure, and the contracts stay within their gas targets."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from scripts.cli import app


@pytest.mark.slow
def test_gas_figures_meet_the_targets() -> None:
    result = CliRunner().invoke(app, ["bench", "gas", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert {
        "deploy_certificate_ledger",
        "deploy_access_log_anchor",
        "anchor_batch",
        "revoke_1",
        "revoke_100_even_per_certificate",
        "revoke_100_random_per_certificate",
        "inclusion_check_depth_14",
    } <= figures.keys()
    assert all(figure["unit"] == "gas" for figure in figures.values())
    # Gas is deterministic: these are the design targets of design.md §5.
    assert figures["anchor_batch"]["value"] <= 60_000
    assert figures["revoke_100_even_per_certificate"]["value"] <= 10_000
    assert figures["revoke_100_random_per_certificate"]["value"] <= 10_000


def test_lines_read_name_value_unit() -> None:
    from scripts.bench import Figures  # noqa: PLC0415

    figures = Figures()
    figures.add("anchor_batch", 57395, "gas", target="<= 60000")
    figures.add("per_certificate", 9722.59, "gas")
    assert figures.as_lines().splitlines() == [
        "anchor_batch: 57395 gas  # target <= 60000",
        "per_certificate: 9722.59 gas",
    ]
