"""`certledger bench audit --quick` indexes, reconciles and prints every figure."""

from __future__ import annotations

import json
import math

import pytest
from typer.testing import CliRunner

from scripts.bench.audit import QUICK
from scripts.cli import app


@pytest.mark.slow
def test_quick_run_prints_every_figure() -> None:
    result = CliRunner().invoke(app, ["bench", "audit", "--quick", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert set(figures) == {
        "index_events",
        "index_events_per_second",
        "reconcile_certificates",
        "reconcile_seconds",
        "reconcile_certificates_per_second",
    }
    for name, figure in figures.items():
        assert isinstance(figure["value"], int | float) and math.isfinite(figure["value"]), name
    # Every anchoring and every revocation is one event; the registry set-up adds a few more.
    assert figures["index_events"]["value"] > QUICK.batches + QUICK.extra_events
    assert figures["reconcile_certificates"]["value"] == QUICK.certificates
    assert figures["reconcile_seconds"]["target"] is None  # held to a target only at full size
