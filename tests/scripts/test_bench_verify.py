"""`certledger bench verify --quick` issues on the configured node and prints every figure."""

from __future__ import annotations

import math

import pytest
from typer.testing import CliRunner

from certledger import app
from tests.scripts.conftest import ExternalNode


@pytest.mark.slow
def test_quick_run_on_the_configured_node(external_node: ExternalNode) -> None:
    result = CliRunner().invoke(app, ["bench", "verify", "--quick", "--json"])

    assert result.exit_code == 0, result.output
    figures = external_node.assert_measured(result)
    assert set(figures) == {
        "verify_per_second_cached",
        "verify_per_second_batched_status",
        "verify_per_second_uncached_status",
    }
    for name, figure in figures.items():
        assert figure["unit"] == "verifications/s", name
        assert math.isfinite(figure["value"]) and figure["value"] > 0, name
