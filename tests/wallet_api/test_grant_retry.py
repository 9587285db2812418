"""A grant whose answer is lost: an error answer means nothing was stored, and a device that chose
the link's key gets the same grant back when it sends the request again."""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from typing import Any

import orjson
import pytest
import sqlalchemy as sa

from audit import access_log
from tests.wallet_api.conftest import WalletWorld, sign_typed
from wallet_api._grants import encode_key
from wallet_api._models import grants


def _signed_request(world: WalletWorld, headers: dict[str, str]) -> dict[str, Any]:
    citizen = world.citizens[0]
    terms = world.terms(world.certificate_ids(headers)[0], world.units[0])
    draft = world.client.post("/v1/grants/draft", json=terms, headers=headers)
    assert draft.status_code == 200, draft.text
    signature = sign_typed(draft.json()["typedData"], citizen.private_key)
    return {**terms, "grantId": draft.json()["grantId"], "signature": signature}


def _stored(world: WalletWorld, grant_id: str) -> tuple[int, int]:
    """Grant rows with this id, and the log's grant.created entries for it."""
    with world.context.engine.connect() as connection:
        rows = connection.execute(
            sa.select(sa.func.count()).select_from(grants).where(grants.c.id == grant_id)
        ).scalar_one()
        entries = connection.execute(sa.select(access_log.c.entry)).scalars().all()
    parsed = [orjson.loads(entry) for entry in entries]
    created = sum(1 for entry in parsed if entry["event"] == "grant.created" and entry["grant"] == grant_id)
    return int(rows), created


def _commit_then_fail(world: WalletWorld, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The next write commits, then its acknowledgement is lost (the connection drops)."""
    writer = world.context.writer
    original: Callable[..., Any] = writer.run
    calls: list[int] = []

    def run(operation: Any) -> Any:
        result = original(operation)
        if not calls:
            calls.append(1)
            raise sa.exc.OperationalError("COMMIT", {}, Exception("server closed the connection"))
        return result

    monkeypatch.setattr(writer, "run", run)
    return calls


def test_nothing_after_the_commit_reads_the_database(
    wallet_on: WalletWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The answer — grant, link, key and QR code — is built before the commit: the database going
    away right after it cannot turn a stored grant into an error answer."""
    world = wallet_on
    headers = world.citizen_headers(world.citizens[0])
    body = _signed_request(world, headers)
    writer = world.context.writer
    original = writer.run
    reader = world.context.reader

    def run(operation: Any) -> Any:
        result = original(operation)

        def gone(*_args: Any, **_kwargs: Any) -> Any:
            raise sa.exc.OperationalError("SELECT", {}, Exception("terminating connection"))

        monkeypatch.setattr(reader, "connect", gone)
        return result

    monkeypatch.setattr(writer, "run", run)
    response = world.client.post("/v1/grants", json=body, headers=headers)
    monkeypatch.undo()
    assert response.status_code == 201, response.text
    created = response.json()
    assert created["grant"]["id"] == body["grantId"]
    assert created["grant"]["state"] == "active"
    assert created["grant"]["usesLeft"] == body["uses"]
    assert base64.b64decode(created["qrPng"]).startswith(b"\x89PNG")
    # What the answer says is what was stored.
    stored = world.client.get(f"/v1/grants/{body['grantId']}", headers=headers).json()
    assert stored == created["grant"]
    redeemed = world.client.post(
        "/v1/redemptions", json={"link": created["link"]}, headers=world.unit_headers(world.units[0])
    )
    assert redeemed.status_code == 200, redeemed.text


def test_a_lost_answer_is_recovered_with_the_devices_key(
    wallet_on: WalletWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = wallet_on
    headers = world.citizen_headers(world.citizens[0])
    key = encode_key(os.urandom(32))
    body = {**_signed_request(world, headers), "key": key}
    _commit_then_fail(world, monkeypatch)
    lost = world.client.post("/v1/grants", json=body, headers=headers)
    assert lost.status_code == 503, lost.text
    assert lost.json()["code"] == "database.unavailable"
    assert _stored(world, body["grantId"]) == (1, 1)  # committed, answer lost

    again = world.client.post("/v1/grants", json=body, headers=headers)
    assert again.status_code == 201, again.text
    created = again.json()
    assert created["key"] == key
    assert created["link"].endswith("#" + key)
    assert created["grant"]["id"] == body["grantId"]
    assert _stored(world, body["grantId"]) == (1, 1)  # nothing stored twice, nothing logged twice
    qr = world.client.post(f"/v1/grants/{body['grantId']}/qr", json={"key": key}, headers=headers)
    assert qr.status_code == 200
    redeemed = world.client.post(
        "/v1/redemptions", json={"link": created["link"]}, headers=world.unit_headers(world.units[0])
    )
    assert redeemed.status_code == 200, redeemed.text


def test_a_retry_with_another_key_or_by_another_citizen_is_refused(wallet_on: WalletWorld) -> None:
    world = wallet_on
    headers = world.citizen_headers(world.citizens[0])
    body = {**_signed_request(world, headers), "key": encode_key(os.urandom(32))}
    assert world.client.post("/v1/grants", json=body, headers=headers).status_code == 201
    for changed in (
        {**body, "key": encode_key(os.urandom(32))},  # not the key the grant is sealed under
        {key: value for key, value in body.items() if key != "key"},  # no key: the lost one is gone
    ):
        refused = world.client.post("/v1/grants", json=changed, headers=headers)
        assert refused.status_code == 409, refused.text
        assert refused.json()["code"] == "grant.exists"
    assert _stored(world, body["grantId"]) == (1, 1)


@pytest.mark.parametrize("key", ["A" * 42, "A" * 43 + "=", "+" * 43, "A" * 44])
def test_a_malformed_device_key_is_refused_before_anything(wallet: WalletWorld, key: str) -> None:
    headers = wallet.citizen_headers(wallet.citizens[0])
    body = {**_signed_request(wallet, headers), "key": key}
    refused = wallet.client.post("/v1/grants", json=body, headers=headers)
    assert refused.status_code == 422, refused.text
    assert _stored(wallet, body["grantId"]) == (0, 0)
