"""The certificate document: commitments, the document root, sealing and the JSON format."""

from __future__ import annotations

import json
import random
import unicodedata
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ledger import (
    CERTIFICATE_FORMAT,
    SALT_BYTES,
    Anchor,
    Certificate,
    DocumentFormatError,
    Header,
    canonical_json,
    document_root,
    field_commitment,
    keccak256,
    parse_json,
    seal,
)

HOLDER = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"  # the EIP-55 example address
LEDGER = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"  # another EIP-55 example
HEADER = Header(
    type_id=1, version=1, office_id=7, issued="2025-06-30", valid_until="2025-09-28", holder=HOLDER
)
CLAIMS: dict[str, Any] = {
    "certificate_no": "SC-2025-000001",
    "holder_name": "张三",
    "holder_id": "11010519491231002X",
    "period": {"from": "2025-01", "to": "2025-12"},
}
ANCHOR = Anchor(
    batch_id=3,
    index=5,
    count=8,
    batch_root=bytes(range(32)),
    proof=(b"\x11" * 32, b"\x22" * 32, b"\x33" * 32),
    chain_id=31337,
    ledger=LEDGER,
    transaction=b"\xab" * 32,
    block=12,
)


def byte_source(seed: int) -> Callable[[int], bytes]:
    """A deterministic stand-in for os.urandom."""
    generator = random.Random(seed)
    return generator.randbytes


# Claim values are JSON values without floats (documents hold integers in fen).
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53 - 1), 2**53 - 1) | st.text(st.characters(codec="utf-8")),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=12,
)
field_names = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True)
claim_sets = st.dictionaries(field_names, json_values, min_size=1, max_size=8)
salts_16 = st.binary(min_size=SALT_BYTES, max_size=SALT_BYTES)


def salts_for(names: list[str], seed: int) -> dict[str, bytes]:
    source = byte_source(seed)
    return {name: source(SALT_BYTES) for name in names}


def test_the_header_bytes_and_the_formulas() -> None:
    assert HEADER.canonical() == (
        b'{"holder":"0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed","issued":"2025-06-30","office":7,'
        b'"type":1,"validUntil":"2025-09-28","version":1}'
    )
    salt = bytes(range(16))
    commitment = field_commitment("holder_name", "张三", salt)
    assert commitment == keccak256(b"\x02" + salt + '["holder_name","张三"]'.encode())
    other = field_commitment("n", 5, b"\xff" * 16)
    assert other == keccak256(b"\x02" + b"\xff" * 16 + b'["n",5]')
    header = HEADER.canonical()
    low, high = sorted([commitment, other])
    assert document_root(HEADER, [commitment, other]) == keccak256(
        b"\x03" + len(header).to_bytes(4, "big") + header + low + high
    )
    assert document_root(HEADER, []) == keccak256(b"\x03" + len(header).to_bytes(4, "big") + header)


@pytest.mark.no_cover
@settings(max_examples=100, deadline=None)
@given(claim_sets, st.integers(0, 2**32), st.randoms(use_true_random=False))
def test_claim_order_does_not_change_the_root(claims: dict[str, Any], seed: int, shuffler: Any) -> None:
    salts = salts_for(sorted(claims), seed)
    decoy_source = byte_source(seed + 1)
    decoys = tuple(decoy_source(32) for _ in range(3))
    commitments = [field_commitment(name, value, salts[name]) for name, value in claims.items()]
    root = document_root(HEADER, [*commitments, *decoys])

    items = list(claims.items())
    shuffler.shuffle(items)
    mixed = [*commitments, *decoys]
    shuffler.shuffle(mixed)
    assert document_root(HEADER, mixed) == root
    reordered = Certificate(HEADER, dict(items), salts, decoys[::-1], root)
    assert reordered.computed_root() == root


@pytest.mark.no_cover
@settings(max_examples=150, deadline=None)
@given(claim_sets, json_values, st.data())
def test_changing_a_value_changes_the_commitment_and_the_root(
    claims: dict[str, Any], new_value: Any, data: st.DataObject
) -> None:
    name = data.draw(st.sampled_from(sorted(claims)))
    assume(canonical_json(new_value) != canonical_json(claims[name]))
    salts = salts_for(sorted(claims), 1)
    certificate = Certificate(HEADER, claims, salts, (), b"")
    changed = Certificate(HEADER, {**claims, name: new_value}, salts, (), b"")
    assert changed.commitments()[name] != certificate.commitments()[name]
    assert changed.computed_root() != certificate.computed_root()


@pytest.mark.no_cover
@settings(max_examples=150, deadline=None)
@given(claim_sets, field_names, st.data())
def test_renaming_a_claim_changes_the_commitment_and_the_root(
    claims: dict[str, Any], new_name: str, data: st.DataObject
) -> None:
    assume(new_name not in claims)
    name = data.draw(st.sampled_from(sorted(claims)))
    salts = salts_for(sorted(claims), 2)
    renamed_claims = {new_name if key == name else key: value for key, value in claims.items()}
    renamed_salts = {new_name if key == name else key: salt for key, salt in salts.items()}
    original = Certificate(HEADER, claims, salts, (), b"")
    renamed = Certificate(HEADER, renamed_claims, renamed_salts, (), b"")
    assert renamed.commitments()[new_name] != original.commitments()[name]
    assert renamed.computed_root() != original.computed_root()


@pytest.mark.no_cover
@settings(max_examples=150, deadline=None)
@given(st.text(min_size=1, max_size=10), salts_16)
def test_unicode_forms_are_not_normalized(text: str, salt: bytes) -> None:
    composed, decomposed = unicodedata.normalize("NFC", text), unicodedata.normalize("NFD", text)
    assume(composed != decomposed)
    assert field_commitment("holder_name", composed, salt) != field_commitment(
        "holder_name", decomposed, salt
    )
    assert document_root(HEADER, [field_commitment("holder_name", composed, salt)]) != document_root(
        HEADER, [field_commitment("holder_name", decomposed, salt)]
    )


def test_e_acute_in_both_forms() -> None:
    salt = bytes(16)
    nfc, nfd = "\u00e9", "e\u0301"
    assert unicodedata.normalize("NFD", nfc) == nfd
    assert field_commitment("holder_name", nfc, salt) == keccak256(
        b"\x02" + salt + b'["holder_name","\xc3\xa9"]'
    )
    assert field_commitment("holder_name", nfd, salt) == keccak256(
        b"\x02" + salt + b'["holder_name","e\xcc\x81"]'
    )
    first = seal(HEADER, {"holder_name": nfc}, field_count=1, random_bytes=byte_source(3))
    second = seal(HEADER, {"holder_name": nfd}, field_count=1, random_bytes=byte_source(3))
    assert first.salts == second.salts
    assert first.root != second.root


@pytest.mark.no_cover
@settings(max_examples=100, deadline=None)
@given(field_names, field_names, json_values, salts_16, salts_16)
def test_commitments_bind_name_value_and_salt(
    name: str, other_name: str, value: Any, salt: bytes, other_salt: bytes
) -> None:
    commitment = field_commitment(name, value, salt)
    assert len(commitment) == 32
    if other_salt != salt:
        assert field_commitment(name, value, other_salt) != commitment
    if other_name != name:
        assert field_commitment(other_name, value, salt) != commitment
    # The pair is encoded as a JSON array, so a name cannot absorb the start of its value.
    if isinstance(value, str) and value:
        assert field_commitment(name + value[:1], value[1:], salt) != commitment


def test_a_salt_is_16_bytes() -> None:
    for length in (0, 15, 17, 32):
        with pytest.raises(DocumentFormatError) as raised:
            field_commitment("a", 1, bytes(length))
        assert str(raised.value) == f"a salt is 16 bytes, got {length}"


def test_seal_salts_decoys_and_root() -> None:
    requested: list[int] = []
    stream = byte_source(42)(16 * 4 + 32 * 5)

    def source(length: int) -> bytes:
        requested.append(length)
        return stream[:length]

    certificate = seal(HEADER, CLAIMS, field_count=9, random_bytes=source)
    assert requested == [16 * 4 + 32 * 5]
    names = list(CLAIMS)
    assert certificate.salts == {name: stream[16 * i : 16 * (i + 1)] for i, name in enumerate(names)}
    assert certificate.decoys == tuple(stream[64 + 32 * i : 64 + 32 * (i + 1)] for i in range(5))
    assert certificate.claims == CLAIMS
    assert certificate.header == HEADER
    assert certificate.anchor is None
    commitments = [field_commitment(name, CLAIMS[name], certificate.salts[name]) for name in names]
    assert certificate.root == document_root(HEADER, [*commitments, *certificate.decoys])
    assert certificate.computed_root() == certificate.root
    assert certificate.commitments() == dict(zip(names, commitments, strict=True))


@pytest.mark.no_cover
@settings(max_examples=100, deadline=None)
@given(claim_sets, st.integers(0, 6))
def test_seal_pads_to_the_field_count_with_fresh_randomness(claims: dict[str, Any], extra: int) -> None:
    field_count = len(claims) + extra
    certificate = seal(HEADER, claims, field_count=field_count)
    assert set(certificate.salts) == set(claims)
    assert all(len(salt) == SALT_BYTES for salt in certificate.salts.values())
    assert len(set(certificate.salts.values())) == len(claims)
    assert len(certificate.decoys) == extra
    assert all(len(decoy) == 32 for decoy in certificate.decoys)
    assert len(set(certificate.decoys)) == extra
    assert certificate.computed_root() == certificate.root
    again = seal(HEADER, claims, field_count=field_count)
    assert again.salts != certificate.salts
    assert again.root != certificate.root


@pytest.mark.no_cover
@settings(max_examples=50, deadline=None)
@given(claim_sets, st.integers(0, 2**32))
def test_seal_is_a_function_of_its_randomness(claims: dict[str, Any], seed: int) -> None:
    first = seal(HEADER, claims, field_count=len(claims) + 2, random_bytes=byte_source(seed))
    second = seal(HEADER, claims, field_count=len(claims) + 2, random_bytes=byte_source(seed))
    assert first == second
    other_header = Header(2, 1, 7, "2025-06-30", None, None)
    third = seal(other_header, claims, field_count=len(claims) + 2, random_bytes=byte_source(seed))
    assert third.salts == first.salts and third.decoys == first.decoys
    assert third.root != first.root


def test_seal_without_claims_is_all_decoys() -> None:
    certificate = seal(HEADER, {}, field_count=2, random_bytes=byte_source(7))
    assert certificate.salts == {} and len(certificate.decoys) == 2
    assert certificate.root == document_root(HEADER, certificate.decoys)


def test_seal_refuses_more_claims_than_fields() -> None:
    with pytest.raises(DocumentFormatError) as raised:
        seal(HEADER, CLAIMS, field_count=3)
    assert str(raised.value) == "4 claims exceed the type's 3 fields"
    assert seal(HEADER, CLAIMS, field_count=4).decoys == ()


def test_seal_fails_closed_on_broken_randomness() -> None:
    # A source that repeats itself yields equal decoys; the root refuses them.
    with pytest.raises(DocumentFormatError) as raised:
        seal(HEADER, {"a": 1}, field_count=3, random_bytes=bytes)
    assert str(raised.value) == "a commitment appears twice"
    with pytest.raises(DocumentFormatError) as raised:
        seal(HEADER, {"a": 1}, field_count=2, random_bytes=lambda n: b"\x01" * (n - 1))
    assert str(raised.value) == "a commitment is 32 bytes"
    with pytest.raises(DocumentFormatError) as raised:
        seal(HEADER, {"a": 1}, field_count=1, random_bytes=lambda n: b"\x01" * (n - 1))
    assert str(raised.value) == "a salt is 16 bytes, got 15"


@pytest.mark.parametrize(
    ("commitments", "message"),
    [
        ([b"\x01" * 32, b"\x02" * 32, b"\x01" * 32], "a commitment appears twice"),
        ([b"\x01" * 32, b"\x02" * 31], "a commitment is 32 bytes"),
        ([b"\x01" * 33], "a commitment is 32 bytes"),
        ([b""], "a commitment is 32 bytes"),
    ],
)
def test_document_root_refuses_bad_commitments(commitments: list[bytes], message: str) -> None:
    with pytest.raises(DocumentFormatError) as raised:
        document_root(HEADER, commitments)
    assert str(raised.value) == message


def test_document_json_shape() -> None:
    certificate = seal(HEADER, {"b": 2, "a": "x"}, field_count=3, random_bytes=byte_source(9)).with_anchor(
        ANCHOR
    )
    salts = certificate.salts
    assert certificate.to_json() == {
        "format": "certledger/certificate/v1",
        "header": {
            "type": 1,
            "version": 1,
            "office": 7,
            "issued": "2025-06-30",
            "validUntil": "2025-09-28",
            "holder": HOLDER,
        },
        "claims": {"b": 2, "a": "x"},
        "salts": {"a": salts["a"].hex(), "b": salts["b"].hex()},
        "decoys": ["0x" + certificate.decoys[0].hex()],
        "documentRoot": "0x" + certificate.root.hex(),
        "anchor": {
            "chainId": 31337,
            "ledger": LEDGER,
            "batchId": 3,
            "batchRoot": "0x" + bytes(range(32)).hex(),
            "index": 5,
            "count": 8,
            "proof": ["0x" + "11" * 32, "0x" + "22" * 32, "0x" + "33" * 32],
            "transaction": "0x" + "ab" * 32,
            "block": 12,
        },
    }
    assert list(certificate.to_json()["salts"]) == ["a", "b"]
    assert certificate.body_json() == {k: v for k, v in certificate.to_json().items() if k != "anchor"}
    assert CERTIFICATE_FORMAT == "certledger/certificate/v1"


def _through_text(document: dict[str, Any]) -> Any:
    return parse_json(json.dumps(document, ensure_ascii=False).encode("utf-8"))


@pytest.mark.no_cover
@settings(max_examples=100, deadline=None)
@given(claim_sets, st.integers(0, 3), st.integers(0, 2**32), st.booleans())
def test_certificates_round_trip_through_json(
    claims: dict[str, Any], extra: int, seed: int, anchored: bool
) -> None:
    certificate = seal(HEADER, claims, field_count=len(claims) + extra, random_bytes=byte_source(seed))
    if anchored:
        certificate = certificate.with_anchor(ANCHOR)
    read = Certificate.from_json(_through_text(certificate.to_json()))
    assert read == certificate
    assert read.anchor == (ANCHOR if anchored else None)
    assert read.computed_root() == read.root == certificate.root
    assert Certificate.from_json(_through_text(certificate.body_json())) == replace(certificate, anchor=None)


@pytest.mark.parametrize(
    "anchor",
    [
        ANCHOR,
        Anchor(1, 0, 1, bytes(32), (), 1, LEDGER),
        Anchor(
            2**40,
            2**32 - 2,
            2**32 - 1,
            b"\xff" * 32,
            tuple(bytes([i]) * 32 for i in range(32)),
            2**53 - 1,
            LEDGER,
        ),
    ],
)
def test_anchors_round_trip(anchor: Anchor) -> None:
    assert Anchor.from_json(_through_text(anchor.to_json())) == anchor


@pytest.mark.parametrize(
    "holder_and_dates",
    [(HOLDER, "2025-09-28"), (None, None), (HOLDER, None), (None, "2025-06-30")],
)
def test_headers_round_trip(holder_and_dates: tuple[str | None, str | None]) -> None:
    holder, valid_until = holder_and_dates
    header = Header(2**32 - 1, 1, 1, "2024-02-29", valid_until, holder)
    assert Header.from_json(_through_text(header.to_json())) == header


HEADER_KEYS = "header: needs exactly type, version, office, issued, validUntil, holder"
_DROP: Any = object()  # marks a key to remove


def _header(**changes: Any) -> dict[str, Any]:
    document = HEADER.to_json()
    for key, value in changes.items():
        if value is _DROP:
            del document[key]
        else:
            document[key] = value
    return document


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], HEADER_KEYS),
        (None, HEADER_KEYS),
        (_header(holder=_DROP), HEADER_KEYS),
        (_header(extra=1), HEADER_KEYS),
        (_header(valid_until="2025-09-28", validUntil=_DROP), HEADER_KEYS),
        (_header(type=0), "header.type: an integer from 1 to 4294967295"),
        (_header(type=2**32), "header.type: an integer from 1 to 4294967295"),
        (_header(type=True), "header.type: an integer from 1 to 4294967295"),
        (_header(type="1"), "header.type: an integer from 1 to 4294967295"),
        (_header(type=1.0), "header.type: an integer from 1 to 4294967295"),
        (_header(version=-1), "header.version: an integer from 1 to 4294967295"),
        (_header(office=None), "header.office: an integer from 1 to 4294967295"),
        (_header(issued="2025-02-30"), "header.issued: a date written YYYY-MM-DD"),
        (_header(issued="20250630"), "header.issued: a date written YYYY-MM-DD"),
        (_header(issued="2025-6-30"), "header.issued: a date written YYYY-MM-DD"),
        (_header(issued=None), "header.issued: a date written YYYY-MM-DD"),
        (_header(issued=20250630), "header.issued: a date written YYYY-MM-DD"),
        (_header(validUntil="2025-13-01"), "header.validUntil: a date written YYYY-MM-DD"),
        (_header(validUntil=""), "header.validUntil: a date written YYYY-MM-DD"),
        (_header(holder=HOLDER.lower()), "header.holder: a checksummed address or null"),
        (_header(holder=HOLDER.replace("a", "A", 1)), "header.holder: a checksummed address or null"),
        (_header(holder=HOLDER[2:]), "header.holder: a checksummed address or null"),
        (_header(holder=HOLDER + "00"), "header.holder: a checksummed address or null"),
        (_header(holder=123), "header.holder: a checksummed address or null"),
    ],
)
def test_header_refusals(document: Any, message: str) -> None:
    with pytest.raises(DocumentFormatError) as raised:
        Header.from_json(document)
    assert str(raised.value) == message


ANCHOR_KEYS = (
    "anchor: needs exactly batchId, batchRoot, block, chainId, count, index, ledger, proof, transaction"
)
BAD_HASHES = [
    "0x" + "AB" * 32,
    "ab" * 32,
    "0x" + "ab" * 31,
    "0x" + "ab" * 33,
    "0x" + "ab" * 32 + "\n",
    "0X" + "ab" * 32,
    5,
]


def _anchor(**changes: Any) -> dict[str, Any]:
    document = ANCHOR.to_json()
    for key, value in changes.items():
        if value is _DROP:
            del document[key]
        else:
            document[key] = value
    return document


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("anchor", ANCHOR_KEYS),
        (_anchor(block=_DROP), ANCHOR_KEYS),
        (_anchor(extra=None), ANCHOR_KEYS),
        (_anchor(chainId=0), "anchor.chainId: an integer from 1 to 9007199254740991"),
        (_anchor(chainId="31337"), "anchor.chainId: an integer from 1 to 9007199254740991"),
        (_anchor(batchId=True), "anchor.batchId: an integer from 1 to 281474976710655"),
        (_anchor(count=-3), "anchor.count: an integer from 1 to 4294967295"),
        (_anchor(index=-1), "anchor.index: an integer from 0 to 4294967294"),
        (_anchor(index=False), "anchor.index: an integer from 0 to 4294967294"),
        (_anchor(index=1.0), "anchor.index: an integer from 0 to 4294967294"),
        (_anchor(chainId=2**53), "anchor.chainId: an integer from 1 to 9007199254740991"),
        (_anchor(index=7, count=7), "anchor.index: below anchor.count"),
        (_anchor(ledger=LEDGER.lower()), "anchor.ledger: a checksummed address"),
        (_anchor(ledger=None), "anchor.ledger: a checksummed address"),
        (_anchor(proof=["0x" + "11" * 32] * 33), "anchor.proof: a list of at most 32 hashes"),
        (_anchor(proof="0x" + "11" * 32), "anchor.proof: a list of at most 32 hashes"),
        (_anchor(block=-1), "anchor.block: a block number or null"),
        (_anchor(block=True), "anchor.block: a block number or null"),
        (_anchor(block="12"), "anchor.block: a block number or null"),
        *[
            (_anchor(batchRoot=bad), "anchor.batchRoot: 0x and 64 lower-case hex digits")
            for bad in BAD_HASHES
        ],
        *[
            (_anchor(proof=["0x" + "11" * 32, bad]), "anchor.proof[1]: 0x and 64 lower-case hex digits")
            for bad in BAD_HASHES
        ],
        (_anchor(transaction="0x" + "ab" * 20), "anchor.transaction: 0x and 64 lower-case hex digits"),
    ],
)
def test_anchor_refusals(document: Any, message: str) -> None:
    with pytest.raises(DocumentFormatError) as raised:
        Anchor.from_json(document)
    assert str(raised.value) == message


def test_an_anchor_proof_holds_up_to_32_hashes() -> None:
    proof = ["0x" + bytes([i]).hex() * 32 for i in range(32)]
    assert len(Anchor.from_json(_anchor(proof=proof)).proof) == 32
    assert Anchor.from_json(_anchor(transaction=None, block=None)).transaction is None


def _certificate(**changes: Any) -> dict[str, Any]:
    document = seal(HEADER, CLAIMS, field_count=6, random_bytes=byte_source(5)).with_anchor(ANCHOR).to_json()
    for key, value in changes.items():
        if value is _DROP:
            del document[key]
        else:
            document[key] = value
    return document


CERTIFICATE_SALTS = _certificate()["salts"]
HEX_32 = "0x and 64 lower-case hex digits"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "a certificate is a JSON object"),
        (_certificate(format="certledger/certificate/v2"), "format: expected certledger/certificate/v1"),
        (_certificate(format=_DROP), "format: expected certledger/certificate/v1"),
        (_certificate(decoys=_DROP), "certificate: missing ['decoys'] or unknown [] fields"),
        (_certificate(decoys=_DROP, anchor=_DROP), "certificate: missing ['decoys'] or unknown [] fields"),
        (
            _certificate(header=_DROP, salts=_DROP),
            "certificate: missing ['header', 'salts'] or unknown [] fields",
        ),
        (_certificate(extra=1), "certificate: missing [] or unknown ['extra'] fields"),
        (_certificate(claims=[]), "claims and salts: objects with the same field names"),
        (_certificate(salts=None), "claims and salts: objects with the same field names"),
        (
            _certificate(salts={k: v for k, v in CERTIFICATE_SALTS.items() if k != "holder_id"}),
            "claims and salts: objects with the same field names",
        ),
        (
            _certificate(salts={**CERTIFICATE_SALTS, "holder_name": "AB" * 16}),
            "salts.holder_name: 32 lower-case hex digits",
        ),
        (
            _certificate(salts={**CERTIFICATE_SALTS, "period": "ab" * 15}),
            "salts.period: 32 lower-case hex digits",
        ),
        (
            _certificate(salts={**CERTIFICATE_SALTS, "period": "ab" * 16 + "\n"}),
            "salts.period: 32 lower-case hex digits",
        ),
        (
            _certificate(salts={**CERTIFICATE_SALTS, "period": "0x" + "ab" * 15}),
            "salts.period: 32 lower-case hex digits",
        ),
        (_certificate(salts={**CERTIFICATE_SALTS, "period": 7}), "salts.period: 32 lower-case hex digits"),
        (_certificate(decoys="0x" + "ab" * 32), "decoys: a list of hashes"),
        (_certificate(decoys=["0x" + "ab" * 32, "0x" + "AB" * 32]), f"decoys[1]: {HEX_32}"),
        (_certificate(documentRoot="ab" * 32), f"documentRoot: {HEX_32}"),
        (_certificate(documentRoot=None), f"documentRoot: {HEX_32}"),
        (
            _certificate(header={**HEADER.to_json(), "issued": "2025-02-29"}),
            "header.issued: a date written YYYY-MM-DD",
        ),
        (
            _certificate(anchor={**ANCHOR.to_json(), "index": -1}),
            "anchor.index: an integer from 0 to 4294967294",
        ),
        (_certificate(anchor={}), ANCHOR_KEYS),
    ],
)
def test_certificate_refusals(document: Any, message: str) -> None:
    with pytest.raises(DocumentFormatError) as raised:
        Certificate.from_json(document)
    assert str(raised.value) == message


def test_a_certificate_without_an_anchor_key_reads_as_unanchored() -> None:
    read = Certificate.from_json(_certificate(anchor=_DROP))
    assert read.anchor is None
    assert read.computed_root() == read.root


def test_reading_checks_shape_not_truth() -> None:
    # A changed claim still reads; the recomputed root is what gives it away.
    tampered = _certificate(claims={**CLAIMS, "holder_name": "李四"})
    read = Certificate.from_json(tampered)
    assert read.computed_root() != read.root
