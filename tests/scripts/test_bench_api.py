"""`certledger bench api --quick` runs the service, loads it over HTTP and prints every figure.

The run is on the configured node (the session's, as a bureau's own): the benchmarks' own-anvil
path is the same code, run by `bench gas` and `bench audit`'s tests."""

from __future__ import annotations

import math

import pytest
from typer.testing import CliRunner

from certledger import app
from scripts.bench.api import LoadResult, LoadShape, grant_plan
from tests.scripts.conftest import ExternalNode


@pytest.mark.slow
def test_quick_run_on_sqlite_on_the_configured_node_prints_every_figure_without_errors(
    external_node: ExternalNode,
) -> None:
    result = CliRunner().invoke(app, ["bench", "api", "--quick", "--json"])
    assert result.exit_code == 0, result.output
    figures = external_node.assert_measured(result)
    assert {
        "redeem_per_second_sqlite",
        "redeem_latency_p50_ms_sqlite",
        "redeem_latency_p95_ms_sqlite",
        "redeem_latency_p99_ms_sqlite",
        "redeem_count_sqlite",
        "redeem_errors_sqlite",
        "load_driver_cpu_percent_sqlite",
    } <= figures.keys()
    assert not any(name.endswith("_postgresql") for name in figures)
    for name, figure in figures.items():
        assert isinstance(figure["value"], int | float) and math.isfinite(figure["value"]), name
    assert figures["redeem_errors_sqlite"]["value"] == 0
    assert figures["redeem_count_sqlite"]["value"] > 0
    assert figures["redeem_per_second_sqlite"]["target"] == ">= 500"
    assert figures["redeem_latency_p99_ms_sqlite"]["target"] == "<= 100"
    assert "chain_cpu_percent_sqlite" not in figures  # not the benchmark's node to measure


def test_the_grants_cover_every_redemption_within_the_use_limit() -> None:
    for shape in (LoadShape(), LoadShape(warmup=50, count=400), LoadShape(warmup=0, count=100_000)):
        grants, uses = grant_plan(shape)
        assert grants >= shape.clients
        assert uses <= 1000
        assert grants * uses >= shape.redemptions


def test_percentiles_are_nearest_rank() -> None:
    result = LoadResult(latencies_ns=[n * 1_000_000 for n in range(100, 0, -1)])
    assert result.percentile_ms(0.50) == 50.0
    assert result.percentile_ms(0.99) == 99.0
    assert result.percentile_ms(1.0) == 100.0
    assert math.isnan(LoadResult().percentile_ms(0.99))
