"""Nothing personal reaches the chain: not a name, an identity number, an amount, nor a plain hash.

A full issuance run (all three types, anchoring, revocations and suspensions) is followed by
reading every transaction's input and every log's topics and data in the blocks it used, and
searching them for each personal value the run handled: as text, as an ABI word, and as the
unsalted Keccak-256 or SHA-256 of its text or of its canonical JSON (alone and as
``[name, value]``). Only salted commitments may pass, and those are not searchable.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from issuer import InputRow, Reason
from issuer._derive import apply_derivations
from ledger import canonical_json, keccak256
from scripts.demo_data import generate
from tests.conftest import rpc_call
from tests.issuing import IssuingWorld

PERSONAL_FIELDS = {
    "holder_name", "holder_id", "injured_name", "injured_id", "employer_code", "employer_name",
    "base", "personal", "employer", "description", "place", "code", "name", "certificate_no",
    "total_personal", "total_employer",
}  # fmt: skip


def _personal_values(claims: Any, name: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(claims, dict):
        for key, value in claims.items():
            yield from _personal_values(value, key)
    elif isinstance(claims, list):
        for item in claims:
            yield from _personal_values(item, name)
    elif name in PERSONAL_FIELDS:
        yield name, claims


def _needles(name: str, value: Any) -> set[bytes]:
    text = str(value).encode("utf-8")
    forms = {text, canonical_json(value), canonical_json([name, value])}
    needles = set(forms)
    for form in forms:
        needles.add(keccak256(form))
        needles.add(hashlib.sha256(form).digest())
    if isinstance(value, int):
        needles.add(value.to_bytes(32, "big"))  # as an ABI-encoded word
    return needles


def _chain_bytes(world: IssuingWorld, start: int) -> bytes:
    latest = world.w3.eth.block_number
    parts: list[bytes] = []
    for number in range(start, latest + 1):
        block = rpc_call(world.w3, "eth_getBlockByNumber", [hex(number), True])
        parts.extend(bytes.fromhex(tx["input"][2:]) for tx in block["transactions"])
    for log in rpc_call(world.w3, "eth_getLogs", [{"fromBlock": hex(start), "toBlock": hex(latest)}]):
        parts.extend(bytes.fromhex(topic[2:]) for topic in log["topics"])
        parts.append(bytes.fromhex(log["data"][2:]))
    return b"\x00|\x00".join(parts)


def test_a_full_issuance_run_puts_no_personal_data_on_chain(issuing: IssuingWorld) -> None:
    start = issuing.w3.eth.block_number + 1
    numbers: list[str] = []
    everything: list[dict[str, Any]] = []
    for type_name, seed in (
        ("contribution-certificate", 41),
        ("pension-qualification", 42),
        ("work-injury-determination", 43),
    ):
        certificate_type = issuing.catalog.find(type_name)
        rows = []
        for index, document in enumerate(generate(type_name, 6, seed=seed)):
            assert apply_derivations(document, certificate_type.derive) == []
            rows.append(InputRow(index + 2, str(document["certificate_no"]), document))
            everything.append(document)
        assert issuing.issuance().issue(rows, certificate_type).issued == 6
        numbers += [row.number for row in rows]
    issuing.worker(batch_size=4).drain()
    statuses = issuing.statuses()
    assert len(statuses.change(numbers[:3], "revoke", Reason.FRAUD).changed) == 3
    assert len(statuses.change(numbers[5:8], "suspend", Reason.UNDER_REVIEW).changed) == 3

    on_chain = _chain_bytes(issuing, start)
    # The scan does see what is anchored: every certificate's batch root is there.
    for number in numbers:
        anchor = issuing.store().by_number(number).certificate.anchor
        assert anchor is not None and anchor.batch_root in on_chain
    found = []
    searched = 0
    for document in everything:
        for name, value in _personal_values(document):
            for needle in _needles(name, value):
                searched += 1
                if len(needle) >= 4 and needle in on_chain:
                    found.append((name, value))
    assert searched > 1000
    assert found == []
