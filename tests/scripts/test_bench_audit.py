"""`certledger bench audit --quick` indexes, reconciles and prints every figure, on an anvil of its
own and on the configured node, with the operators' database on SQLite and, given a server, on a
scratch PostgreSQL database of its own."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

import scripts.bench.audit
from certledger import app
from scripts.bench.audit import QUICK
from scripts.bench.issue import _scratch_postgres
from tests.databases import POSTGRES_URL, SKIP_POSTGRES
from tests.scripts.conftest import ExternalNode

NAMES = (
    "index_events",
    "index_events_per_second",
    "reconcile_certificates",
    "reconcile_seconds",
    "reconcile_certificates_per_second",
)


def _figures_of(kind: str) -> set[str]:
    return {f"{name}_{kind}" for name in NAMES}


def _assert_figures(figures: dict[str, Any], kind: str) -> None:
    for name in _figures_of(kind):
        figure = figures[name]
        assert isinstance(figure["value"], int | float) and math.isfinite(figure["value"]), name
    # Every anchoring and every revocation is one event; the registry set-up adds a few more.
    assert figures[f"index_events_{kind}"]["value"] > QUICK.batches + QUICK.extra_events
    assert figures[f"reconcile_certificates_{kind}"]["value"] == QUICK.certificates
    assert figures[f"reconcile_seconds_{kind}"]["target"] is None  # held to a target only at full size


@pytest.mark.slow
def test_quick_run_prints_every_figure(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CERTLEDGER_TEST_DATABASE_URL", raising=False)  # SQLite only
    result = CliRunner().invoke(app, ["bench", "audit", "--quick", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert figures.pop("node")["external"] is False
    assert set(figures) == _figures_of("sqlite")
    _assert_figures(figures, "sqlite")


def _databases(admin: sa.Engine) -> set[str]:
    with admin.connect() as connection:
        return set(connection.exec_driver_sql("SELECT datname FROM pg_database").scalars())


@pytest.mark.slow
def test_quick_run_on_postgresql_uses_a_scratch_database_it_drops(monkeypatch: pytest.MonkeyPatch) -> None:
    if POSTGRES_URL is None:
        pytest.skip(SKIP_POSTGRES)
    monkeypatch.delenv("CERTLEDGER_TEST_DATABASE_URL", raising=False)  # the option alone names it
    # The bureau's database is never the benchmark's.
    monkeypatch.setenv("CERTLEDGER_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/bureau")
    created: list[str] = []

    class Recorded(_scratch_postgres):
        def __enter__(self) -> str:
            created.append(self.name)
            return super().__enter__()

    monkeypatch.setattr(scripts.bench.audit, "_scratch_postgres", Recorded)
    admin = sa.create_engine(POSTGRES_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        result = CliRunner().invoke(app, ["bench", "audit", "--quick", "--json", "--postgres", POSTGRES_URL])
        assert result.exit_code == 0, result.output
        figures = json.loads(result.stdout)
        figures.pop("node")
        assert set(figures) == _figures_of("sqlite") | _figures_of("postgresql")
        _assert_figures(figures, "sqlite")
        _assert_figures(figures, "postgresql")
        assert len(created) == 1 and created[0] not in _databases(admin)
    finally:
        admin.dispose()


@pytest.mark.slow
def test_quick_run_on_the_configured_node(external_node: ExternalNode) -> None:
    result = CliRunner().invoke(app, ["bench", "audit", "--quick", "--json"])

    assert result.exit_code == 0, result.output
    figures = external_node.assert_measured(result)
    assert set(figures) == _figures_of("sqlite")
    # Only the benchmark's own deployment is indexed and reconciled, whatever else the node holds.
    _assert_figures(figures, "sqlite")
