"""An undecided verification does not spend the citizen's consent."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger import ManagedChain, connect
from tests.wallet_api.conftest import WalletWorld, build_world


@pytest.mark.slow
def test_a_redemption_while_the_chain_is_down_spends_no_use(own_chain: ManagedChain, tmp_path: Path) -> None:
    """Before: the unit saw INDETERMINATE, and its retry was told the uses were exhausted."""
    world = build_world(
        connect(own_chain.rpc_url), own_chain.rpc_url, f"sqlite:///{tmp_path / 'w.db'}", tmp_path
    )
    with world.client:
        _redeem_across_an_outage(world, own_chain)
    world.context.engine.dispose()


def _redeem_across_an_outage(world: WalletWorld, chain: ManagedChain) -> None:
    citizen, unit = world.citizens[0], world.units[0]
    headers = world.citizen_headers(citizen)
    certificate_id = world.certificate_ids(headers)[0]
    grant = world.grant(citizen, headers, world.terms(certificate_id, unit, uses=1))
    # A running service has its verifier (it reads the manifest's chain once); one that starts
    # while the chain is down answers 503 and spends nothing either.
    assert world.context.verifier is not None
    chain.down()
    undecided = world.client.post(
        "/v1/redemptions", json={"link": grant["link"]}, headers=world.unit_headers(unit)
    )
    assert undecided.status_code == 200, undecided.text
    body = undecided.json()
    assert body["verification"]["verdict"] == "INDETERMINATE"
    assert body["grant"]["usesLeft"] == 1
    uses = next(check for check in body["verification"]["checks"] if check["name"] == "uses")
    assert uses["reason"] == "not revoked; no use spent on an undecided verdict: 1 of 1 uses left"
    chain.up()
    decided = world.client.post(
        "/v1/redemptions", json={"link": grant["link"]}, headers=world.unit_headers(unit)
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["verification"]["verdict"] == "VALID"
    assert decided.json()["grant"]["usesLeft"] == 0
    spent = world.client.post(
        "/v1/redemptions", json={"link": grant["link"]}, headers=world.unit_headers(unit)
    )
    assert (spent.status_code, spent.json()["code"]) == (410, "grant.used_up")
    history = world.client.get("/v1/me/access-log", headers=headers).json()
    assert [(entry["event"], entry["outcome"]) for entry in history[:3]] == [
        ("grant.refused", "grant.used_up"),
        ("grant.redeemed", "VALID"),
        ("grant.redeemed", "INDETERMINATE"),
    ]
