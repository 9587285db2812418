"""`certledger bench audit --quick` indexes, reconciles and prints every figure, on an anvil of its
own and on the configured node."""

from __future__ import annotations

import json
import math

import pytest
from typer.testing import CliRunner

from certledger import app
from scripts.bench.audit import QUICK
from tests.scripts.conftest import ExternalNode

FIGURES = {
    "index_events",
    "index_events_per_second",
    "reconcile_certificates",
    "reconcile_seconds",
    "reconcile_certificates_per_second",
}


@pytest.mark.slow
def test_quick_run_prints_every_figure() -> None:
    result = CliRunner().invoke(app, ["bench", "audit", "--quick", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures.pop("node")["external"] is False
    assert set(figures) == FIGURES
    for name, figure in figures.items():
        assert isinstance(figure["value"], int | float) and math.isfinite(figure["value"]), name
    # Every anchoring and every revocation is one event; the registry set-up adds a few more.
    assert figures["index_events"]["value"] > QUICK.batches + QUICK.extra_events
    assert figures["reconcile_certificates"]["value"] == QUICK.certificates
    assert figures["reconcile_seconds"]["target"] is None  # held to a target only at full size


@pytest.mark.slow
def test_quick_run_on_the_configured_node(external_node: ExternalNode) -> None:
    result = CliRunner().invoke(app, ["bench", "audit", "--quick", "--json"])

    assert result.exit_code == 0, result.output
    figures = external_node.assert_measured(result)
    assert set(figures) == FIGURES
    # Only the benchmark's own deployment is indexed and reconciled, whatever else the node holds.
    assert figures["index_events"]["value"] > QUICK.batches + QUICK.extra_events
    assert figures["reconcile_certificates"]["value"] == QUICK.certificates
