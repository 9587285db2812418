"""Grants as EIP-712 typed data: the digest agrees with eth-account, signatures are unique."""

from __future__ import annotations

import os

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct, encode_typed_data
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import (
    Grant,
    GrantDomain,
    GrantFormatError,
    SignedGrant,
    personal_message_digest,
    recover_signer,
    sign_grant,
)

DOMAIN = GrantDomain(31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3")
KEY = bytes.fromhex("4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318")
ADDRESS = Account.from_key(KEY).address
N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def _grant(**changes: object) -> Grant:
    values: dict[str, object] = {
        "grant_id": bytes.fromhex("00112233445566778899aabbccddeeff"),
        "certificate": bytes(range(32)),
        "unit": "91371002MA3C8XKJ4Q",
        "fields": ("pension", "period"),
        "purpose": "办理住房贷款",
        "expires": 1_800_000_000,
        "uses": 3,
    }
    values.update(changes)
    return Grant(**values)  # type: ignore[arg-type]


field_names = st.from_regex(r"[a-z][a-z0-9_]{0,20}", fullmatch=True)
grants = st.builds(
    lambda grant_id, certificate, fields, purpose, expires, uses: Grant(
        grant_id, certificate, "91371002MA3C8XKJ4Q", tuple(sorted(fields)), purpose, expires, uses
    ),
    st.binary(min_size=16, max_size=16),
    st.binary(min_size=32, max_size=32),
    st.sets(field_names, min_size=1, max_size=8),
    st.text(min_size=1, max_size=50).filter(str.strip),
    st.integers(1, 2**64 - 1),
    st.integers(1, 1000),
)


@settings(max_examples=60, deadline=None)
@given(grants)
def test_the_digest_is_eth_accounts_eip712_digest(grant: Grant) -> None:
    typed = grant.typed_data(DOMAIN)
    reference = encode_typed_data(full_message=typed)
    from eth_utils.crypto import keccak  # noqa: PLC0415

    assert grant.digest(DOMAIN) == keccak(b"\x19" + reference.version + reference.header + reference.body)


@settings(max_examples=30, deadline=None)
@given(grants)
def test_a_signed_grant_round_trips_and_recovers_its_signer(grant: Grant) -> None:
    signed = sign_grant(grant, DOMAIN, KEY)
    again = SignedGrant.from_json(signed.to_json())
    assert again == signed
    assert again.signer() == ADDRESS


def test_eth_account_signatures_recover_to_the_same_signer() -> None:
    grant = _grant()
    signed = Account.sign_typed_data(KEY, full_message=grant.typed_data(DOMAIN))
    assert recover_signer(grant.digest(DOMAIN), bytes(signed.signature)) == ADDRESS


@pytest.mark.parametrize(
    "change",
    [
        {"unit": "91110000100000000X"},
        {"fields": ("pension",)},
        {"purpose": "另一个用途"},
        {"expires": 1_800_000_001},
        {"uses": 4},
        {"certificate": bytes(32)},
        {"grant_id": bytes(16)},
    ],
)
def test_any_changed_term_recovers_another_signer(change: dict[str, object]) -> None:
    signed = sign_grant(_grant(), DOMAIN, KEY)
    tampered = SignedGrant(_grant(**change), DOMAIN, signed.signature)
    assert tampered.signer() != ADDRESS


def test_a_grant_for_another_deployment_recovers_another_signer() -> None:
    signed = sign_grant(_grant(), DOMAIN, KEY)
    for domain in (GrantDomain(1, DOMAIN.ledger), GrantDomain(31337, ADDRESS)):
        assert SignedGrant(signed.grant, domain, signed.signature).signer() != ADDRESS


def test_the_malleable_twin_of_a_signature_is_refused() -> None:
    signed = sign_grant(_grant(), DOMAIN, KEY)
    r, s, v = signed.signature[:32], int.from_bytes(signed.signature[32:64], "big"), signed.signature[64]
    twin = r + (N - s).to_bytes(32, "big") + bytes([55 - v])  # the same point, high s, flipped v
    with pytest.raises(GrantFormatError, match=r"lower half \(EIP-2\)"):
        recover_signer(signed.grant.digest(DOMAIN), twin)


@pytest.mark.parametrize(
    ("signature", "message"),
    [
        (b"\x01" * 64, "65 bytes"),
        (b"\x01" * 64 + b"\x01", "v: 27 or 28"),
        (bytes(32) + b"\x01" * 32 + b"\x1b", "r and s: in range"),
    ],
)
def test_malformed_signatures_are_refused(signature: bytes, message: str) -> None:
    with pytest.raises(GrantFormatError, match=message):
        recover_signer(bytes(32), signature)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"unit": "not a code"}, "grant.unit"),
        ({"fields": ()}, "grant.fields: from 1"),
        ({"fields": ("period", "pension")}, "sorted, each name once"),
        ({"fields": ("pension", "pension")}, "sorted, each name once"),
        ({"fields": ("Pension",)}, "names of lower-case letters"),
        ({"purpose": "  "}, "grant.purpose"),
        ({"purpose": "x" * 201}, "grant.purpose"),
        ({"expires": 0}, "grant.expires"),
        ({"uses": 0}, "grant.uses: from 1 to 1000"),
        ({"uses": 1001}, "grant.uses: from 1 to 1000"),
        ({"grant_id": bytes(15)}, "grant.grant: 16 bytes"),
    ],
)
def test_malformed_grants_are_refused_with_the_term_named(change: dict[str, object], message: str) -> None:
    with pytest.raises(GrantFormatError, match=message):
        _grant(**change)


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda j: j.update(format="x"), "format: expected"),
        (lambda j: j.pop("domain"), "exactly format, domain"),
        (lambda j: j["domain"].update(ledger=j["domain"]["ledger"].lower()), "domain.ledger"),
        (lambda j: j["domain"].update(chainId=True), "domain.chainId"),
        (lambda j: j["grant"].update(uses="3"), "grant.uses: an integer"),
        (lambda j: j["grant"].update(extra=1), "grant: needs exactly"),
        (lambda j: j["grant"].update(certificate="0x" + "AB" * 32), "grant.certificate: 0x and 64"),
        (lambda j: j.update(signature="0x00"), "signature: 0x and 130"),
    ],
)
def test_malformed_signed_grants_are_refused(mutate: object, message: str) -> None:
    document = sign_grant(_grant(), DOMAIN, KEY).to_json()
    mutate(document)  # type: ignore[operator]
    with pytest.raises(GrantFormatError, match=message):
        SignedGrant.from_json(document)


def test_personal_messages_are_signed_as_eip191() -> None:
    text = "certledger wallet enrolment " + os.urandom(4).hex()
    signed = Account.sign_message(encode_defunct(text=text), KEY)
    assert recover_signer(personal_message_digest(text), bytes(signed.signature)) == ADDRESS
