"""`certledger bench console` sends small exports through the console's routes, on the configured
node, and prints every figure."""

from __future__ import annotations

import math

import pytest
from typer.testing import CliRunner

from certledger import app
from tests.scripts.conftest import ExternalNode


@pytest.mark.slow
def test_small_exports_through_the_console_on_the_configured_node(external_node: ExternalNode) -> None:
    result = CliRunner().invoke(app, ["bench", "console", "--rows", "24", "--format", "all", "--json"])

    figures = external_node.assert_measured(result)
    for form, certificates in (("csv", 2), ("xlsx", 2), ("jsonl", 24)):
        name = f"{form}_24_rows"
        assert figures[f"console_certificates_{name}"]["value"] == certificates
        for figure in ("upload_mb_per_second", "issued_per_second", "rows_per_second", "anchored_per_second"):
            value = figures[f"console_{figure}_{name}"]["value"]
            assert math.isfinite(value) and value > 0, (figure, name)
        assert 0 < figures[f"console_peak_memory_{name}"]["value"] < 1024


def test_an_unknown_format_is_refused() -> None:
    result = CliRunner().invoke(app, ["bench", "console", "--format", "pdf"])
    assert result.exit_code == 2
    assert "give one of csv, xlsx, jsonl or all" in result.output
