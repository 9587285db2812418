"""Erasure closes the citizen's account at once; altered ciphertext is an integrity failure."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa
from eth_account import Account

from issuer import certificates, erase_citizen, find_citizen
from ledger import FixedClock
from tests.wallet_api.conftest import WalletWorld
from tests.wallet_api.test_enrolment import _code, _enrolment, _issue_for
from wallet_api import Accounts, Principal
from wallet_api._safe_view import SafeView


def _citizen_id(world: WalletWorld, identity_number: str) -> str:
    return find_citizen(world.context.engine, world.context.hasher, identity_number)


def test_erasure_ends_sessions_refuses_login_revokes_grants_and_empties_the_list(
    wallet_on: WalletWorld,
) -> None:
    world = wallet_on
    citizen = world.citizens[0]
    headers = world.citizen_headers(citizen)
    certificate_id = world.certificate_ids(headers)[0]
    grant = world.grant(citizen, headers, world.terms(certificate_id, world.units[0]))
    citizen_id = _citizen_id(world, citizen.identity_number)

    assert Accounts(world.context).erase(citizen_id) == len(citizen.certificates)

    ended = world.client.get("/v1/certificates", headers=headers)
    assert (ended.status_code, ended.json()["code"]) == (401, "auth.session_ended")
    for login in (citizen.identity_number, citizen.phone):
        refused = world.client.post("/v1/auth/login", json={"login": login, "password": citizen.password})
        assert (refused.status_code, refused.json()["code"]) == (401, "auth.bad_credentials")
    redeemed = world.client.post(
        "/v1/redemptions", json={"link": grant["link"]}, headers=world.unit_headers(world.units[0])
    )
    assert (redeemed.status_code, redeemed.json()["code"]) == (410, "grant.revoked")
    principal = Principal(
        "citizen", citizen.account_id, citizen_id=citizen_id, wallet_address=citizen.address
    )
    assert SafeView(world.context).list(principal) == []
    others = world.citizens[1]
    assert world.certificate_ids(world.citizen_headers(others))  # nobody else is touched


def test_an_erasure_made_by_the_issuer_alone_is_refused_at_use(wallet: WalletWorld) -> None:
    """`issuer.erase_citizen` does not know the wallet's tables: the wallet checks the data key."""
    citizen = wallet.citizens[1]
    headers = wallet.citizen_headers(citizen)
    erase_citizen(
        wallet.context.engine, _citizen_id(wallet, citizen.identity_number), clock=wallet.context.clock
    )
    ended = wallet.client.get("/v1/me", headers=headers)
    assert (ended.status_code, ended.json()["code"]) == (401, "auth.session_ended")
    refused = wallet.client.post(
        "/v1/auth/login", json={"login": citizen.identity_number, "password": citizen.password}
    )
    assert (refused.status_code, refused.json()["code"]) == (401, "auth.bad_credentials")


def test_a_new_code_from_the_counter_opens_the_account_for_new_certificates(wallet: WalletWorld) -> None:
    citizen = wallet.citizens[0]
    clock = wallet.context.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(minutes=5))  # an erasure comes after the certificates it erases
    Accounts(wallet.context).erase(_citizen_id(wallet, citizen.identity_number))
    clock.advance(timedelta(minutes=5))
    number = _issue_for(wallet, citizen.identity_number)  # issued after the erasure: a new data key
    key = Account.create()
    body = _enrolment(
        citizen.identity_number, _code(wallet, citizen.identity_number), key, phone=citizen.phone
    )
    assert wallet.client.post("/v1/citizens", json=body).status_code == 201
    wallet.anchor()
    login = wallet.client.post(
        "/v1/auth/login", json={"login": citizen.identity_number, "password": "correct horse battery"}
    )
    assert login.status_code == 200, login.text
    fresh = {"Authorization": f"Bearer {login.json()['accessToken']}"}
    listed = wallet.client.get("/v1/certificates", headers=fresh).json()
    assert [item["number"] for item in listed] == [number]


def test_altered_ciphertext_is_an_integrity_failure_not_an_erasure(
    wallet: WalletWorld, caplog: pytest.LogCaptureFixture
) -> None:
    citizen = wallet.citizens[0]
    headers = wallet.citizen_headers(citizen)
    certificate_id = wallet.certificate_ids(headers)[0]
    with wallet.context.engine.begin() as connection:
        body = connection.execute(
            sa.select(certificates.c.body).where(certificates.c.id == certificate_id)
        ).scalar_one()
        flipped = body[:-1] + bytes([body[-1] ^ 0x01])  # one bit of the tag
        connection.execute(
            sa.update(certificates).where(certificates.c.id == certificate_id).values(body=flipped)
        )
    with caplog.at_level(logging.INFO, logger="certledger"):
        answer = wallet.client.get(f"/v1/certificates/{certificate_id}/document", headers=headers)
    assert answer.status_code == 500
    assert answer.json()["code"] == "safe.integrity"
    events = [record for record in caplog.records if record.name == "certledger.security"]
    assert len(events) == 1
    fields = events[0].fields  # type: ignore[attr-defined]
    assert fields["event"] == "safe.integrity"
    assert fields["record"] == f"certificate {certificate_id}"
    logged = json.dumps(fields, ensure_ascii=False)
    assert citizen.identity_number not in logged and citizen.name not in logged
