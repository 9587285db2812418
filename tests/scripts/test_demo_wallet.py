"""The demonstration agrees with itself: each citizen's certificates are about that citizen, their
narratives included, and their dates agree with their status as of the service's clock (a
qualification shown as valid covers that day; an injury was decided after it happened; no
contribution month lies ahead)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from web3 import Web3

from ledger import TypeCatalog
from scripts.demo_data import SCHEMAS_DIR
from scripts.demo_wallet import demo_holdings
from tests.conftest import TODAY
from tests.wallet_api.conftest import WalletWorld, module_world

CATALOG = TypeCatalog.load(SCHEMAS_DIR)


def _birth(identity_number: str) -> date:
    return date(int(identity_number[6:10]), int(identity_number[10:12]), int(identity_number[12:14]))


def _check_person(documents: list[tuple[str, dict[str, Any]]], today: date) -> None:
    holders = set()
    for type_name, claims in documents:
        certificate_type = CATALOG.find(type_name)
        name = claims[certificate_type.holder_name_field]
        holders.add((name, claims[certificate_type.holder_id_field]))
        if type_name == "work-injury-determination":
            injury = claims["injury"]
            assert name in injury["description"], "the narrative names another person"
            assert date.fromisoformat(injury["date"]) <= today - timedelta(days=60)
        elif type_name == "pension-qualification":
            period = claims["qualification_period"]
            assert date.fromisoformat(period["from"]) <= today <= date.fromisoformat(period["to"])
            assert date.fromisoformat(claims["authenticated_on"]) <= today
            assert (today - _birth(claims["holder_id"])).days >= 50 * 365  # of pension age
        elif type_name == "contribution-certificate":
            months = [record["month"] for record in claims["pension"]["records"]]
            assert max(months) < f"{today:%Y-%m}", "a month paid in the future"
    assert len(holders) == 1, f"one citizen's certificates name several people: {holders}"
    held = dict(documents)
    if {"pension-qualification", "contribution-certificate"} <= held.keys():
        started = held["pension-qualification"]["qualification_period"]["from"][:7]
        assert max(r["month"] for r in held["contribution-certificate"]["pension"]["records"]) < started


@pytest.mark.parametrize("today", [date(2025, 3, 1), date(2026, 11, 29), date(2028, 7, 15)])
def test_each_citizen_holds_certificates_about_themselves_dated_around_today(today: date) -> None:
    people = demo_holdings(CATALOG, today=today, citizens=60, rng=random.Random(today.toordinal()))
    kinds = {type_name for documents in people for type_name, _ in documents}
    assert kinds == {"contribution-certificate", "pension-qualification", "work-injury-determination"}
    assert any(len(documents) > 1 for documents in people)
    for documents in people:
        _check_person(documents, today)


@pytest.fixture(scope="module", params=["sqlite"])
def world(
    request: pytest.FixtureRequest, w3: Web3, chain: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WalletWorld]:
    """The demonstration seeded on the tests' fixed clock."""
    yield from module_world(request, w3, chain.rpc_url, tmp_path_factory)


def test_the_seeded_wallets_agree_with_themselves_on_the_services_clock(world: WalletWorld) -> None:
    seen_types = set()
    for citizen in world.citizens:
        headers = world.citizen_headers(citizen)
        documents = []
        for certificate_id in world.certificate_ids(headers):
            answer = world.client.get(f"/v1/certificates/{certificate_id}", headers=headers)
            assert answer.status_code == 200
            shown = answer.json()
            assert shown["status"] == "valid"
            claims = shown["document"]["claims"]
            certificate_type = CATALOG.find(shown["type"].split("/")[0])
            assert claims[certificate_type.holder_name_field] == citizen.name
            assert claims[certificate_type.holder_id_field] == citizen.identity_number
            documents.append((certificate_type.name, claims))
            seen_types.add(certificate_type.name)
        _check_person(documents, TODAY)
    assert "work-injury-determination" in seen_types and "pension-qualification" in seen_types
