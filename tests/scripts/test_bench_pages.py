"""`certledger bench pages --quick` times the citizen's login→list and the unit's scan→verdict
over HTTP against the started service, on the configured node, and prints every figure."""

from __future__ import annotations

import math

import pytest
from typer.testing import CliRunner

from certledger import app
from scripts.bench.pages import QUICK, percentile
from tests.scripts.conftest import ExternalNode


@pytest.mark.slow
def test_quick_run_on_the_configured_node_prints_both_journeys(external_node: ExternalNode) -> None:
    result = CliRunner().invoke(app, ["bench", "pages", "--quick", "--json"])

    figures = external_node.assert_measured(result)
    assert set(figures) == {
        f"{journey}_{figure}"
        for journey in ("login_to_list", "scan_to_verdict")
        for figure in ("p50_ms", "p95_ms", "count")
    }
    for journey, target, count in (
        ("login_to_list", "<= 300", QUICK.logins),
        ("scan_to_verdict", "<= 500", QUICK.scans),
    ):
        assert figures[f"{journey}_count"]["value"] == count
        p50, p95 = figures[f"{journey}_p50_ms"]["value"], figures[f"{journey}_p95_ms"]["value"]
        assert math.isfinite(p50) and 0 < p50 <= p95, journey
        assert figures[f"{journey}_p95_ms"]["target"] == target


def test_percentiles_are_nearest_rank() -> None:
    samples = [float(n) for n in range(100, 0, -1)]
    assert percentile(samples, 0.50) == 50.0
    assert percentile(samples, 0.95) == 95.0
    assert percentile([7.0], 0.95) == 7.0
    assert math.isnan(percentile([], 0.5))
