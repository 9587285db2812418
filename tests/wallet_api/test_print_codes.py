"""Printing with a 验证码: the citizen signs a print grant bound to the code; anyone checks the code,
or the printed PDF, at /verify and gets the verifier's verdict; refusals carry their code."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web3 import Web3

from ledger import Grant, SignedGrant, canonical_json, sign_digest
from tests.wallet_api.conftest import DATABASES, WalletWorld, module_world, sign_typed
from wallet_api._accounts import Accounts
from wallet_api._grants import seal_bundle
from wallet_api._models import print_codes
from wallet_api._principal import Principal
from wallet_api._print_codes import (
    PRINT_PURPOSE,
    PUBLIC_PRINT,
    PrintCodes,
    _seal_key,
    code_from,
    code_grant_id,
    code_in_pdf,
    new_code,
    read_code,
)

FIELDS = ["certificate_no", "holder_name"]
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32


@pytest.fixture(scope="module", params=DATABASES)
def world(
    request: pytest.FixtureRequest, w3: Web3, chain: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WalletWorld]:
    yield from module_world(request, w3, chain.rpc_url, tmp_path_factory)


def _print(world: WalletWorld, *, days: int = 90, index: int = 0) -> tuple[str, dict[str, Any], str]:
    """A print grant made as the wallet page makes it: its code, the stored grant, the certificate."""
    citizen = world.citizens[index]
    headers = world.citizen_headers(citizen)
    certificate_id = world.certificate_ids(headers)[0]
    draft = world.client.post(
        "/v1/prints/draft",
        json={"certificateId": certificate_id, "fields": FIELDS, "days": days},
        headers=headers,
    )
    assert draft.status_code == 200, draft.text
    drafted = draft.json()
    assert drafted["typedData"]["message"]["unit"] == PUBLIC_PRINT
    assert drafted["grantId"] == code_grant_id(drafted["code"]).hex()
    signature = sign_typed(drafted["typedData"], citizen.private_key)
    created = world.client.post(
        "/v1/prints",
        json={
            "certificateId": certificate_id,
            "fields": FIELDS,
            "expires": drafted["expires"],
            "code": drafted["code"],
            "signature": signature,
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    return drafted["code"], created.json(), certificate_id


def test_a_code_checks_the_printed_fields_with_the_holders_consent(world: WalletWorld) -> None:
    code, stored, _certificate = _print(world)
    assert stored["state"] == "active" and stored["usesLeft"] == 1000
    typed = code.lower().replace("-", " ").replace("0", "o")  # as somebody might type it
    answer = world.client.post("/v1/verify/code", json={"code": typed})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["outcome"] == "verified"
    verification = body["verification"]
    assert verification["verdict"] == "VALID", verification
    assert verification["kind"] == "presentation"
    # The printed fields, with whose paper it is (number, name; the identity number when the
    # certificate carries it) always among them.
    assert sorted(verification["disclosed"]) == sorted(stored["fields"]) and set(FIELDS) <= set(
        stored["fields"]
    )
    assert verification["view"]["holder"]["name"] == verification["disclosed"]["holder_name"]
    checks = {check["name"]: check["status"] for check in verification["checks"]}
    assert checks["consent"] == checks["recipient"] == checks["term"] == "passed"
    assert verification["view"] is not None
    headers = world.citizen_headers(world.citizens[0])
    listed = world.client.get("/v1/prints", headers=headers).json()
    assert next(item for item in listed if item["id"] == stored["id"])["usesLeft"] == 999


def test_the_server_cannot_mint_a_code_without_the_holders_signature(world: WalletWorld) -> None:
    citizen = world.citizens[0]
    headers = world.citizen_headers(citizen)
    certificate_id = world.certificate_ids(headers)[0]
    drafted = world.client.post(
        "/v1/prints/draft",
        json={"certificateId": certificate_id, "fields": FIELDS, "days": 5},
        headers=headers,
    ).json()
    body = {"certificateId": certificate_id, "fields": FIELDS, "expires": drafted["expires"]}
    # Another key's signature, and the holder's signature moved to another code, are both refused.
    stranger = "0x" + os.urandom(32).hex()
    forged = world.client.post(
        "/v1/prints",
        json={**body, "code": drafted["code"], "signature": sign_typed(drafted["typedData"], stranger)},
        headers=headers,
    )
    assert forged.status_code == 422 and forged.json()["code"] == "grant.bad_signature"
    moved = world.client.post(
        "/v1/prints",
        json={**body, "code": new_code(), "signature": sign_typed(drafted["typedData"], citizen.private_key)},
        headers=headers,
    )
    assert moved.status_code == 422 and moved.json()["code"] == "grant.bad_signature"
    # Nothing was stored, so the drafted code is unknown.
    refused = world.client.post(
        "/v1/verify/code", json={"code": drafted["code"]}, headers={"Accept-Language": "zh-CN"}
    ).json()
    assert refused == {
        "outcome": "refused",
        "code": "print.code_unknown",
        "detail": "没有这个验证码，请核对打印件上的 16 位验证码。",
        "verification": None,
        "printedUntil": None,
    }


def test_a_print_grant_the_server_writes_itself_verifies_as_invalid(world: WalletWorld) -> None:
    """Whoever writes the database (the operator, an intruder) can store a row for a code of
    their own, but cannot sign it with the holder's key: the verifier's consent check fails."""
    citizen = world.citizens[0]
    headers = world.citizen_headers(citizen)
    certificate_id = world.certificate_ids(headers)[0]
    principal = _principal(world, citizen)
    stored = PrintCodes(world.context).safe.get(principal, certificate_id)
    code = new_code()
    now = int(world.context.clock().timestamp())
    grant = Grant(
        code_grant_id(code),
        stored.certificate.root,
        PUBLIC_PRINT,
        tuple(FIELDS),
        PRINT_PURPOSE,
        now + 3600,
        10,
    )
    forged = sign_digest(grant.digest(world.context.domain), os.urandom(32))
    signed = SignedGrant(grant, world.context.domain, forged)
    bundle = canonical_json(
        {"presentation": stored.certificate.present(grant.fields).to_json(), "grant": signed.to_json()}
    )
    grant_id = grant.grant_id.hex()
    row = {
        "id": grant_id,
        "account_id": principal.id,
        "certificate_id": certificate_id,
        "document_root": grant.certificate,
        "fields": json.dumps(FIELDS),
        "expires_at": datetime.fromtimestamp(grant.expires, UTC),
        "uses_left": 10,
        "chain_id": world.context.domain.chain_id,
        "ledger": world.context.domain.ledger,
        "signature": forged,
        "sealed": seal_bundle(_seal_key(code), grant_id, bundle),
        "created_at": world.context.clock(),
    }

    def store(connection: sa.Connection) -> tuple[None, list[Any]]:
        connection.execute(sa.insert(print_codes).values(**row))
        return None, []

    world.context.writer.run(store)
    answer = world.client.post("/v1/verify/code", json={"code": code}).json()
    assert answer["outcome"] == "verified"
    verification = answer["verification"]
    consent = next(check for check in verification["checks"] if check["name"] == "consent")
    assert verification["verdict"] == "INVALID" and consent["status"] == "failed"
    assert "not by the certificate's holder" in consent["reason"]


def _principal(world: WalletWorld, citizen: Any) -> Principal:
    token = world.citizen_headers(citizen)["Authorization"].removeprefix("Bearer ")
    return Accounts(world.context).from_token(token)


def test_a_withdrawn_or_unknown_code_is_refused_with_its_code(world: WalletWorld) -> None:
    code, stored, _certificate = _print(world, index=1)
    headers = world.citizen_headers(world.citizens[1])
    other = world.citizen_headers(world.citizens[0])
    assert (
        world.client.post(f"/v1/prints/{stored['id']}/revoke", headers=other).json()["code"]
        == "print.not_found"
    )
    withdrawn = world.client.post(f"/v1/prints/{stored['id']}/revoke", headers=headers)
    assert withdrawn.status_code == 200 and withdrawn.json()["state"] == "revoked"
    refused = world.client.post("/v1/verify/code", json={"code": code}, headers={"Accept-Language": "en"})
    assert refused.json()["outcome"] == "refused" and refused.json()["code"] == "print.revoked"
    assert refused.json()["detail"] == "The holder withdrew this printout's code."
    for wrong in ("ABCD-EFGH-JKMN-PQRS", "not a code at all", "U" * 16):
        answer = world.client.post("/v1/verify/code", json={"code": wrong}).json()
        assert answer["outcome"] == "refused" and answer["code"] == "print.code_unknown"
    too_long = world.client.post("/v1/verify/code", json={"code": "A" * 65})
    assert too_long.status_code == 422


def test_an_expiry_beyond_ninety_days_is_refused(world: WalletWorld) -> None:
    headers = world.citizen_headers(world.citizens[0])
    certificate_id = world.certificate_ids(headers)[0]
    answer = world.client.post(
        "/v1/prints/draft",
        json={"certificateId": certificate_id, "fields": FIELDS, "days": 91},
        headers=headers,
    )
    assert answer.status_code == 422 and answer.json()["code"] == "request.invalid"


def test_the_printed_pdf_carries_its_code_and_checks_when_uploaded(world: WalletWorld) -> None:
    code, _stored, certificate_id = _print(world)
    headers = world.citizen_headers(world.citizens[0])
    pdf = world.client.post(f"/v1/certificates/{certificate_id}/pdf", json={"code": code}, headers=headers)
    assert pdf.status_code == 200, pdf.text
    assert code_in_pdf(pdf.content) == code
    uploaded = world.client.post(
        "/v1/verify/pdf", content=pdf.content, headers={"Content-Type": "application/pdf"}
    )
    assert uploaded.status_code == 200 and uploaded.json()["outcome"] == "verified"
    assert uploaded.json()["verification"]["verdict"] == "VALID"
    # A PDF without a code (printed for a unit's grant, or anything else) is refused with its code.
    plain = world.client.post(f"/v1/certificates/{certificate_id}/pdf", json={}, headers=headers)
    for body in (plain.content, b"%PDF-1.4\n" + os.urandom(4000), b"not a pdf"):
        answer = world.client.post(
            "/v1/verify/pdf", content=body, headers={"Content-Type": "application/pdf"}
        )
        assert answer.json()["code"] == "print.pdf_no_code"
    # Someone else's code cannot be printed on this citizen's paper.
    other = world.citizen_headers(world.citizens[1])
    foreign = world.client.post(
        f"/v1/certificates/{world.certificate_ids(other)[0]}/pdf", json={"code": code}, headers=other
    )
    assert foreign.status_code == 404 and foreign.json()["code"] == "print.not_found"


def test_a_body_over_the_limit_is_refused_before_it_is_read(world: WalletWorld) -> None:
    answer = world.client.post(
        "/v1/verify/pdf", content=b"%PDF-" + b"0" * (2 << 20), headers={"Content-Type": "application/pdf"}
    )
    assert answer.status_code == 413 and answer.json()["code"] == "request.too_large"


# ------------------------------------------------------------------ the code's algebra, without a service


@given(st.binary(min_size=10, max_size=10))
def test_codes_read_back_in_every_way_they_might_be_typed(raw: bytes) -> None:
    code = code_from(raw)
    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}", code)
    assert int(
        code.replace("-", "").translate(str.maketrans(ALPHABET, "0123456789abcdefghijklmnopqrstuv")), 32
    ) == int.from_bytes(raw, "big")
    assert read_code(code) == code
    assert read_code(code.lower().replace("-", "")) == code
    assert read_code(" ".join(code.split("-")).replace("0", "O").replace("1", "l")) == code
    assert read_code(code.replace("-", "") + "2") is None


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096), st.sampled_from([b"", b"%PDF-1.7\n", b"%PDF-certledger-code:"]))
def test_no_uploaded_bytes_crash_the_pdf_reader(data: bytes, prefix: bytes) -> None:
    found = code_in_pdf(prefix + data)
    assert found is None or read_code(found) == found


def test_eighty_bits_per_code() -> None:
    assert 32**16 == 2**80
    assert len({new_code() for _ in range(2000)}) == 2000
