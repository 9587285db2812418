"""`certledger bench issue --quick` anchors on the configured node and prints every figure."""

from __future__ import annotations

import math

import pytest
from typer.testing import CliRunner

from certledger import app
from tests.scripts.conftest import ExternalNode


@pytest.mark.slow
def test_quick_run_on_the_configured_node(external_node: ExternalNode) -> None:
    result = CliRunner().invoke(app, ["bench", "issue", "--quick", "--json"])

    assert result.exit_code == 0, result.output
    figures = external_node.assert_measured(result)
    assert set(figures) == {
        "build_per_second_1000",
        "build_per_second_10000",
        "build_rate_ratio_10000_to_1000",
        "end_to_end_per_second_sqlite_2000",
        "end_to_end_per_second_sqlite_5000",  # the memory run, in a child process: on this node too
        "peak_memory_5000",
    }
    for name, figure in figures.items():
        assert math.isfinite(figure["value"]) and figure["value"] > 0, name
    # Two deployments of their own (five transactions each), each with its anchors.
    assert external_node.w3.eth.block_number >= external_node.start_block + 2 * 6
