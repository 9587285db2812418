"""Enrolment: a code from the counter and a proven wallet key; re-enrolment replaces the key."""

from __future__ import annotations

import random
import tempfile
from pathlib import Path
from typing import Any

from eth_account import Account

from issuer import documents_from_file
from ledger import CertificateStatus, personal_message_digest, sign_digest
from scripts.demo_data import claims_for, identity_number, write_jsonl
from tests.wallet_api.conftest import WalletWorld
from wallet_api import enrolment_message


def _code(world: WalletWorld, number: str) -> str:
    response = world.client.post(
        "/v1/enrolment-codes", json={"identityNumber": number}, headers=world.staff_headers("operator")
    )
    assert response.status_code == 201, response.text
    code: str = response.json()["code"]
    return code


def _enrolment(
    number: str, code: str, key: Any, *, phone: str = "13912345678", signer: Any = None
) -> dict[str, Any]:
    proof = sign_digest(
        personal_message_digest(enrolment_message(code, key.address)), bytes((signer or key).key)
    )
    return {
        "identityNumber": number,
        "code": code,
        "phone": phone,
        "password": "correct horse battery",
        "walletAddress": key.address,
        "walletProof": "0x" + proof.hex(),
    }


def _issue_for(world: WalletWorld, number: str, type_name: str = "pension-qualification") -> str:
    certificate_type = world.context.catalog.find(type_name)
    claims = claims_for(
        type_name, random.Random(number), number=f"EN{random.Random(number).randrange(10**9)}"
    )
    claims[certificate_type.holder_id_field] = number
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "one.jsonl"
        write_jsonl(source, [claims])
        report = world.context.issuance().issue(
            documents_from_file(source, certificate_type), certificate_type
        )
    assert report.issued == 1
    world.anchor()
    return str(claims["certificate_no"])


def test_the_code_must_be_right_unused_and_for_this_person(wallet: WalletWorld) -> None:
    number, other = identity_number(random.Random(1)), identity_number(random.Random(2))
    code = _code(wallet, number)
    key = Account.create()
    refusals = [
        _enrolment(number, "ABCD-EFGH-JKMN", key),
        _enrolment(other, code, key),  # somebody else's code
    ]
    for body in refusals:
        response = wallet.client.post("/v1/citizens", json=body)
        assert (response.status_code, response.json()["code"]) == (422, "enrolment.code_invalid")
    assert wallet.client.post("/v1/citizens", json=_enrolment(number, code.lower(), key)).status_code == 201
    again = wallet.client.post("/v1/citizens", json=_enrolment(number, code, key, phone="13912345679"))
    assert (again.status_code, again.json()["code"]) == (422, "enrolment.code_invalid")


def test_the_wallet_key_must_be_proven(wallet: WalletWorld) -> None:
    number = identity_number(random.Random(3))
    code = _code(wallet, number)
    key, thief = Account.create(), Account.create()
    response = wallet.client.post("/v1/citizens", json=_enrolment(number, code, key, signer=thief))
    assert (response.status_code, response.json()["code"]) == (422, "wallet.proof_invalid")
    assert "not signed by the wallet key" in response.json()["detail"]
    # The failed attempt did not use the code up.
    assert wallet.client.post("/v1/citizens", json=_enrolment(number, code, key)).status_code == 201


def test_a_phone_belongs_to_one_account(wallet: WalletWorld) -> None:
    number = identity_number(random.Random(4))
    body = _enrolment(number, _code(wallet, number), Account.create(), phone=wallet.citizens[0].phone)
    response = wallet.client.post("/v1/citizens", json=body)
    assert (response.status_code, response.json()["code"]) == (409, "phone.taken")


def test_certificates_issued_before_enrolment_are_bound_to_the_new_key(wallet: WalletWorld) -> None:
    number = identity_number(random.Random(5))
    certificate_no = _issue_for(wallet, number)
    before = wallet.context.certificates.by_number(certificate_no)
    assert before.certificate.header.holder is None
    key = Account.create()
    response = wallet.client.post("/v1/citizens", json=_enrolment(number, _code(wallet, number), key))
    assert response.status_code == 201
    assert response.json()["walletAddress"] == key.address
    wallet.anchor()
    after = wallet.context.certificates.by_number(certificate_no)
    assert after.certificate.header.holder == key.address
    old = before.certificate.anchor
    assert old is not None
    ledger = wallet.context.chain.ledger()
    assert ledger.status_of(old.batch_root, old.index) is CertificateStatus.REVOKED
    login = wallet.client.post("/v1/auth/login", json={"login": number, "password": "correct horse battery"})
    headers = {"Authorization": f"Bearer {login.json()['accessToken']}"}
    listed = wallet.client.get("/v1/certificates", headers=headers).json()
    assert [(item["number"], item["status"]) for item in listed] == [(certificate_no, "valid")]


def test_re_enrolment_replaces_the_key_ends_sessions_and_revokes_old_grants(wallet: WalletWorld) -> None:
    citizen = wallet.citizens[0]
    headers = wallet.citizen_headers(citizen)
    certificate_id = wallet.certificate_ids(headers)[0]
    old_grant = wallet.grant(citizen, headers, wallet.terms(certificate_id, wallet.units[0]))

    new_key = Account.create()
    body = _enrolment(
        citizen.identity_number, _code(wallet, citizen.identity_number), new_key, phone=citizen.phone
    )
    assert wallet.client.post("/v1/citizens", json=body).status_code == 201
    assert wallet.client.get("/v1/me", headers=headers).json()["code"] == "auth.session_ended"
    refused = wallet.client.post(
        "/v1/redemptions", json={"link": old_grant["link"]}, headers=wallet.unit_headers(wallet.units[0])
    )
    assert (refused.status_code, refused.json()["code"]) == (410, "grant.revoked")

    wallet.anchor()
    login = wallet.client.post(
        "/v1/auth/login", json={"login": citizen.identity_number, "password": "correct horse battery"}
    )
    fresh = {"Authorization": f"Bearer {login.json()['accessToken']}"}
    current = wallet.certificate_ids(fresh)
    assert certificate_id not in current  # superseded by the revision bound to the new key
    terms = wallet.terms(current[0], wallet.units[0])
    draft = wallet.client.post("/v1/grants/draft", json=terms, headers=fresh).json()
    from tests.wallet_api.conftest import sign_typed  # noqa: PLC0415

    with_old_key = wallet.client.post(
        "/v1/grants",
        json={
            **terms,
            "grantId": draft["grantId"],
            "signature": sign_typed(draft["typedData"], citizen.private_key),
        },
        headers=fresh,
    )
    assert (with_old_key.status_code, with_old_key.json()["code"]) == (422, "grant.bad_signature")
    created = wallet.grant(citizen, fresh, terms, key="0x" + bytes(new_key.key).hex())
    redeemed = wallet.client.post(
        "/v1/redemptions", json={"link": created["link"]}, headers=wallet.unit_headers(wallet.units[0])
    )
    assert redeemed.json()["verification"]["verdict"] == "VALID"


def test_passwords_are_long_enough(wallet: WalletWorld) -> None:
    number = identity_number(random.Random(6))
    body = _enrolment(number, _code(wallet, number), Account.create()) | {"password": "short"}
    response = wallet.client.post("/v1/citizens", json=body)
    assert (response.status_code, response.json()["code"]) == (422, "request.invalid")
    assert response.json()["errors"][0]["location"] == ["body", "password"]
    assert "short" not in response.text  # the offending value is not echoed
