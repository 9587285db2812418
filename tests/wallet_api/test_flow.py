"""The demonstration flow through HTTP: issue, grant, QR, redeem by the right unit and no other."""

from __future__ import annotations

import base64
import io

import zxingcpp
from PIL import Image

from ledger import parse_json
from tests.wallet_api.conftest import WalletWorld
from verifier import Verdict


def _decode_qr(png: bytes) -> str:
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert len(found) == 1
    return str(found[0].text)


def test_grant_qr_redeem_by_the_right_unit_only(wallet_on: WalletWorld) -> None:
    world = wallet_on
    citizen = world.citizens[0]
    unit_x, unit_y = world.units
    headers = world.citizen_headers(citizen)
    listed = world.client.get("/v1/certificates", headers=headers).json()
    assert sorted(item["number"] for item in listed) == sorted(citizen.certificates)
    assert all(item["anchored"] and item["status"] == "valid" for item in listed)
    certificate_id = listed[0]["id"]

    downloaded = world.client.get(f"/v1/certificates/{certificate_id}/document", headers=headers)
    assert downloaded.status_code == 200
    assert world.context.verifier.verify(downloaded.json()).verdict is Verdict.VALID
    document = world.client.get(f"/v1/certificates/{certificate_id}", headers=headers).json()["document"]
    assert document["header"]["holder"] == citizen.address

    created = world.grant(
        citizen, headers, world.terms(certificate_id, unit_x, fields=["certificate_no", "holder_name"])
    )
    link = created["link"]
    assert link == f"https://wallet.test/r/{created['reference']}#{created['key']}"
    assert _decode_qr(base64.b64decode(created["qrPng"])) == link
    again = world.client.post(
        f"/v1/grants/{created['grant']['id']}/qr",
        json={"key": created["key"], "format": "png"},
        headers=headers,
    )
    assert again.status_code == 200 and _decode_qr(again.content) == link

    redeemed = world.client.post("/v1/redemptions", json={"link": link}, headers=world.unit_headers(unit_x))
    assert redeemed.status_code == 200, redeemed.text
    body = redeemed.json()
    verification = body["verification"]
    assert verification["verdict"] == "VALID", verification
    # The citizen chose the number and the name; the identity number goes with every grant.
    assert set(verification["disclosed"]) == {"certificate_no", "holder_name", "holder_id"}
    assert set(body["presentation"]["disclosed"]) == {"certificate_no", "holder_name", "holder_id"}
    assert verification["office"] == "威海市社会保险事业中心"
    assert [check["name"] for check in verification["checks"]][-4:] == [
        "consent",
        "recipient",
        "term",
        "uses",
    ]
    assert body["grant"]["usesLeft"] == 2
    # The unit can check what it got on its own, from the chain alone.
    assert world.context.verifier.verify(parse_json(redeemed.text)["presentation"]).verdict is Verdict.VALID

    foreign = world.client.post("/v1/redemptions", json={"link": link}, headers=world.unit_headers(unit_y))
    assert foreign.status_code == 403
    assert foreign.json()["code"] == "grant.wrong_unit"
    assert "presentation" not in foreign.text and citizen.name not in foreign.text

    revoked = world.client.post(f"/v1/grants/{created['grant']['id']}/revoke", headers=headers)
    assert revoked.json()["state"] == "revoked"
    after = world.client.post("/v1/redemptions", json={"link": link}, headers=world.unit_headers(unit_x))
    assert after.status_code == 410
    assert after.json()["code"] == "grant.revoked"
    assert after.headers["content-type"] == "application/problem+json"

    history = world.client.get("/v1/me/access-log", headers=headers).json()
    assert [entry["event"] for entry in history] == [
        "grant.refused",
        "grant.revoked",
        "grant.refused",
        "grant.redeemed",
        "grant.created",
    ]
    assert history[3]["unit"]["name"] == unit_x.name and history[3]["purpose"] == "办理住房贷款"
    # The unit that tried someone else's grant is named, beside the one the grant is for: the
    # misuse the log exists to reveal (it showed the addressed unit only).
    assert history[2]["unit"]["name"] == unit_y.name
    assert history[2]["addressedTo"] == {"name": unit_x.name, "creditCode": unit_x.credit_code}
    assert history[2]["outcome"] == "grant.wrong_unit"
    assert history[0]["unit"]["name"] == unit_x.name and history[0]["addressedTo"] is None
    auditor = world.staff_headers("auditor")
    size = world.client.get("/v1/audit/log", headers=auditor).json()["size"]
    entries = world.client.get(
        f"/v1/audit/log/entries?start={max(0, size - 20)}&limit=20", headers=auditor
    ).json()
    tried = next(e["entry"] for e in entries if e["entry"]["outcome"] == "grant.wrong_unit")
    assert (tried["unit"], tried["addressedTo"]) == (unit_y.id, unit_x.id)
