"""Structured logs: one JSON line per request, with the route's template and no personal data."""

from __future__ import annotations

import json
import logging

import pytest

from tests.wallet_api.conftest import WalletWorld
from wallet_api._http import JsonFormatter


def test_request_logs_carry_no_personal_data(wallet: WalletWorld, caplog: pytest.LogCaptureFixture) -> None:
    citizen = wallet.citizens[0]
    caplog.set_level(logging.INFO, logger="certledger")
    headers = wallet.citizen_headers(citizen)
    wallet.client.post("/v1/auth/login", json={"login": citizen.phone, "password": "wrong password!"})
    certificate_id = wallet.certificate_ids(headers)[0]
    wallet.client.get(f"/v1/certificates/{certificate_id}", headers=headers)
    created = wallet.grant(citizen, headers, wallet.terms(certificate_id, wallet.units[0]))
    wallet.client.post(
        "/v1/redemptions", json={"link": created["link"]}, headers=wallet.unit_headers(wallet.units[0])
    )
    wallet.client.post(
        "/v1/citizens",
        json={
            "identityNumber": citizen.identity_number,
            "code": "x" * 12,
            "phone": citizen.phone,
            "password": "p",
        },
    )
    formatter = JsonFormatter()
    lines = [formatter.format(record) for record in caplog.records if record.name.startswith("certledger")]
    requests = [json.loads(line) for line in lines if json.loads(line)["message"] == "request"]
    assert {entry["route"] for entry in requests} >= {
        "/v1/auth/login",
        "/v1/certificates/{certificate_id}",
        "/v1/grants",
        "/v1/redemptions",
        "/v1/citizens",
    }
    assert all(len(entry["requestId"]) >= 8 and isinstance(entry["ms"], float) for entry in requests)
    text = "\n".join(lines)
    for value in (
        citizen.name,
        citizen.identity_number,
        citizen.phone,
        citizen.password,
        created["key"],
        created["reference"],
        certificate_id,
        *citizen.certificates,
    ):
        assert value not in text
