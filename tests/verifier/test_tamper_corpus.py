"""A tamper corpus made from real issued certificates: every mutation is INVALID, at the right check.

Each genuine certificate (and a presentation and a credential of some) is mutated in every way
a forger could try: values changed, keys added, removed and renamed, salts swapped or flipped,
decoys and hidden commitments altered, the header edited, another certificate's proof or index
or a proof from another batch borrowed, the anchor's batch, ledger or chain rewritten. Each
mutant must come back INVALID with the expected check failing first, and the untouched
originals must stay VALID.
"""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import Callable, Iterator
from typing import Any

from ledger import Certificate, TypeCatalog, certificate_to_vc
from tests.ledger.test_vc import envelope_mutants
from tests.verifier.conftest import Issued
from verifier import CheckStatus, Verdict

Mutant = tuple[str, Any, str]


def _flip_hex(text: str, position: int = -1) -> str:
    digit = text[position]
    replacement = "0" if digit != "0" else "1"
    return text[:position] + replacement + (text[position + 1 :] if position != -1 else "")


def _changed(value: Any) -> Any:
    """A different value of the same JSON shape."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        return value[:-1] + ("1" if value[-1:] != "1" else "2") if value else "x"
    if isinstance(value, list):
        return value[:-1] if len(value) > 1 else [*value, copy.deepcopy(value[0])]
    if isinstance(value, dict):
        key = sorted(value)[0]
        return {**value, key: _changed(value[key])}
    return "x"


def _schema_failure(catalog: TypeCatalog, document: dict[str, Any]) -> bool:
    header = document["header"]
    certificate_type = catalog.get(header["type"], header["version"])
    return bool(certificate_type.problems(document["claims"]))


def certificate_mutants(
    original: dict[str, Any], other: dict[str, Any], foreign: dict[str, Any], catalog: TypeCatalog
) -> Iterator[Mutant]:
    """Mutants of one certificate. `other` is another certificate of the same batch, `foreign`
    one of another batch."""

    def mutant(label: str, change: Callable[..., object], expected: str | None = None) -> Mutant:
        document = copy.deepcopy(original)
        change(document)
        if expected is None:
            expected = "format" if _schema_failure(catalog, document) else "fields"
        return label, document, expected

    claims = original["claims"]
    for name in claims:
        yield mutant(
            f"value of {name}", lambda d, n=name: d["claims"].__setitem__(n, _changed(d["claims"][n]))
        )
        yield mutant(
            f"salt of {name}", lambda d, n=name: d["salts"].__setitem__(n, _flip_hex(d["salts"][n])), "fields"
        )
        yield mutant(
            f"salt bit of {name}",
            lambda d, n=name: d["salts"].__setitem__(n, _flip_hex(d["salts"][n], 0)),
            "fields",
        )
        yield mutant(f"removed {name}", lambda d, n=name: (d["claims"].pop(n), d["salts"].pop(n)))
        yield mutant(f"removed claim {name} only", lambda d, n=name: d["claims"].pop(n), "format")
        yield mutant(f"value of {name} nulled", lambda d, n=name: d["claims"].__setitem__(n, None))
    names = sorted(claims)
    for first, second in itertools.pairwise(names):
        yield mutant(
            f"salts of {first} and {second} swapped",
            lambda d, a=first, b=second: d["salts"].update({a: d["salts"][b], b: d["salts"][a]}),
            "fields",
        )
    yield mutant(
        "unknown field added",
        lambda d: (d["claims"].__setitem__("shoe_size", 42), d["salts"].__setitem__("shoe_size", "00" * 16)),
        "format",
    )
    yield mutant("unknown top-level key", lambda d: d.__setitem__("comment", "trust me"), "format")
    yield mutant("format renamed", lambda d: d.__setitem__("format", "certledger/certificate/v2"), "format")
    yield mutant(
        "header key renamed",
        lambda d: d["header"].__setitem__("valid_until", d["header"].pop("validUntil")),
        "format",
    )
    first_name = names[0]
    yield mutant(
        f"{first_name} renamed",
        lambda d: (
            d["claims"].__setitem__("renamed", d["claims"].pop(first_name)),
            d["salts"].__setitem__("renamed", d["salts"].pop(first_name)),
        ),
        "format",
    )
    for index in range(len(original["decoys"])):
        yield mutant(
            f"decoy {index} changed",
            lambda d, i=index: d["decoys"].__setitem__(i, _flip_hex(d["decoys"][i])),
            "fields",
        )
    if original["decoys"]:
        yield mutant("a decoy removed", lambda d: d["decoys"].pop(), "fields")
    yield mutant("a decoy added", lambda d: d["decoys"].append("0x" + "ab" * 32), "fields")
    yield mutant(
        "document root changed",
        lambda d: d.__setitem__("documentRoot", _flip_hex(d["documentRoot"])),
        "fields",
    )
    yield mutant("issue date moved", lambda d: d["header"].__setitem__("issued", "2026-01-01"), "fields")
    yield mutant("validity extended", lambda d: d["header"].__setitem__("validUntil", "2099-12-31"), "fields")
    yield mutant("office changed", lambda d: d["header"].__setitem__("office", 2), "fields")
    yield mutant(
        "holder bound to another wallet",
        lambda d: d["header"].__setitem__("holder", "0x000000000000000000000000000000000000dEaD"),
        "fields",
    )
    yield mutant("type version changed", lambda d: d["header"].__setitem__("version", 2), "format")
    anchor = original["anchor"]
    yield mutant(
        "another certificate's proof",
        lambda d: d["anchor"].__setitem__("proof", other["anchor"]["proof"]),
        "inclusion",
    )
    yield mutant(
        "another certificate's index",
        lambda d: d["anchor"].__setitem__("index", other["anchor"]["index"]),
        "inclusion",
    )
    yield mutant(
        "a proof from another batch",
        lambda d: d["anchor"].update(
            {k: foreign["anchor"][k] for k in ("proof", "batchRoot", "batchId", "count")}
        ),
        "inclusion",
    )
    yield mutant(
        "batch root changed",
        lambda d: d["anchor"].__setitem__("batchRoot", _flip_hex(d["anchor"]["batchRoot"])),
        "inclusion",
    )
    if anchor["proof"]:
        yield mutant(
            "a proof step flipped",
            lambda d: d["anchor"]["proof"].__setitem__(0, _flip_hex(d["anchor"]["proof"][0])),
            "inclusion",
        )
        yield mutant("the proof truncated", lambda d: d["anchor"]["proof"].pop(), "inclusion")
        yield mutant("the proof emptied", lambda d: d["anchor"].__setitem__("proof", []), "inclusion")
    yield mutant("the proof extended", lambda d: d["anchor"]["proof"].append("0x" + "00" * 32), "inclusion")
    yield mutant(
        "batch id changed",
        lambda d: d["anchor"].__setitem__("batchId", d["anchor"]["batchId"] + 1000),
        "anchor",
    )
    yield mutant(
        "ledger changed",
        lambda d: d["anchor"].__setitem__("ledger", "0x000000000000000000000000000000000000dEaD"),
        "anchor",
    )
    yield mutant("chain changed", lambda d: d["anchor"].__setitem__("chainId", 1), "anchor")


def presentation_mutants(original: dict[str, Any], catalog: TypeCatalog) -> Iterator[Mutant]:
    """Mutants of a presentation."""

    def mutant(label: str, change: Callable[..., object], expected: str | None = None) -> Mutant:
        document = copy.deepcopy(original)
        change(document)
        if expected is None:
            header = document["header"]
            certificate_type = catalog.get(header["type"], header["version"])
            disclosed = {name: entry["value"] for name, entry in document["disclosed"].items()}
            expected = "format" if certificate_type.field_problems(disclosed) else "fields"
        return label, document, expected

    for name, entry in original["disclosed"].items():
        yield mutant(
            f"disclosed {name} changed",
            lambda d, n=name, e=entry: d["disclosed"][n].__setitem__("value", _changed(e["value"])),
        )
        yield mutant(
            f"disclosed {name} salt",
            lambda d, n=name, e=entry: d["disclosed"][n].__setitem__("salt", _flip_hex(e["salt"])),
            "fields",
        )
    yield mutant(
        "a hidden commitment changed",
        lambda d: d["hidden"].__setitem__(0, _flip_hex(d["hidden"][0])),
        "fields",
    )
    yield mutant("a hidden commitment dropped", lambda d: d["hidden"].pop(), "fields")
    yield mutant("a hidden commitment duplicated", lambda d: d["hidden"].append(d["hidden"][0]), "fields")
    yield mutant(
        "an extra field claimed",
        lambda d: d["disclosed"].__setitem__("shoe_size", {"value": 42, "salt": "00" * 16}),
        "format",
    )
    yield mutant(
        "a hidden field disclosed with a made-up value",
        lambda d: (
            d["hidden"].pop(),
            d["disclosed"].__setitem__("certificate_no", {"value": "ZZ000000001", "salt": "11" * 16}),
        ),
        "fields",
    )


def credential_mutants(original: dict[str, Any]) -> Iterator[Mutant]:
    """Mutants of a VC 2.0 credential: the envelope must agree with the signed certificate."""

    def mutant(label: str, change: Callable[..., object], expected: str) -> Mutant:
        document = copy.deepcopy(original)
        change(document)
        return label, document, expected

    yield mutant(
        "validUntil extended in the envelope",
        lambda d: d.__setitem__("validUntil", "2099-12-31T23:59:59+08:00"),
        "format",
    )
    yield mutant(
        "issuer changed in the envelope",
        lambda d: d.__setitem__("issuer", "urn:certledger:office:1:0x0:9"),
        "format",
    )
    name = next(key for key in original["credentialSubject"] if key != "id")
    yield mutant(
        "a subject claim changed",
        lambda d: d["credentialSubject"].__setitem__(name, _changed(d["credentialSubject"][name])),
        "format",
    )
    yield mutant(
        "the inner claim changed too",
        lambda d: (
            d["credentialSubject"].__setitem__(name, _changed(d["credentialSubject"][name])),
            d["proof"]["certledger"]["claims"].__setitem__(name, d["credentialSubject"][name]),
        ),
        "fields",
    )
    yield mutant(
        "the proof type renamed", lambda d: d["proof"].__setitem__("type", "DataIntegrityProof"), "format"
    )


def test_the_tamper_corpus(issued: Issued) -> None:
    verifier = issued.verifier(head_ttl=60)
    catalog = issued.catalog
    documents = [certificate.to_json() for certificate in issued.genuine]
    by_batch: dict[str, list[dict[str, Any]]] = {}
    for document in documents:
        by_batch.setdefault(document["anchor"]["batchRoot"], []).append(document)
    assert len(by_batch) >= 3, "the corpus needs several batches"
    mutants: list[tuple[str, Any, str]] = []
    for document in documents:
        siblings = [d for d in by_batch[document["anchor"]["batchRoot"]] if d is not document]
        foreign = next(
            d for root, group in by_batch.items() if root != document["anchor"]["batchRoot"] for d in group
        )
        other = siblings[0] if siblings else foreign
        mutants += list(certificate_mutants(document, other, foreign, catalog))
    for certificate in issued.genuine[::3]:
        fields = sorted(certificate.claims)[:2]
        mutants += list(presentation_mutants(certificate.present(fields).to_json(), catalog))
        certificate_type = catalog.get(certificate.header.type_id, certificate.header.version)
        credential = certificate_to_vc(
            certificate, type_name=certificate_type.name, schema_id=str(certificate_type.schema["$id"])
        )
        mutants += list(credential_mutants(credential))
    assert len(mutants) >= 1000, len(mutants)

    wrong = []
    for label, document, expected in mutants:
        result = verifier.verify(json.loads(json.dumps(document)))
        failed = result.failed
        if result.verdict is not Verdict.INVALID or failed is None or failed.name != expected:
            wrong.append(
                (label, expected, str(result.verdict), failed.name if failed else None, result.reason)
            )
    assert wrong == [], wrong[:20]

    # The originals, untouched, stay valid.
    for document in documents:
        assert verifier.verify(document).verdict is Verdict.VALID


NOT_A_DOCUMENT = "not a certledger certificate, presentation or Verifiable Credential (no known format field)"


def _credential(certificate: Certificate, catalog: TypeCatalog) -> dict[str, Any]:
    """The credential `certledger export --vc` writes, as read back from its file."""
    certificate_type = catalog.get(certificate.header.type_id, certificate.header.version)
    credential = certificate_to_vc(
        certificate, type_name=certificate_type.name, schema_id=str(certificate_type.schema["$id"])
    )
    parsed: dict[str, Any] = json.loads(json.dumps(credential))
    return parsed


def borrowed_envelope_mutants(
    credential: dict[str, Any], sibling: dict[str, Any], other_type: dict[str, Any]
) -> Iterator[Mutant]:
    """The envelope's type, schema and status slot taken from another certificate's credential:
    one of another type, and one of the same batch (another status index)."""
    for path, source, named in (
        ("type", other_type, "type"),
        ("credentialSchema", other_type, "credentialSchema.id"),  # the whole object: its id differs
        ("credentialSchema.id", other_type, "credentialSchema.id"),
        ("credentialStatus", sibling, "credentialStatus.id"),
        ("credentialStatus.id", sibling, "credentialStatus.id"),
    ):
        document = copy.deepcopy(credential)
        *parents, name = path.split(".")
        holder, origin = document, source
        for parent in parents:
            holder, origin = holder[parent], origin[parent]
        assert holder[name] != origin[name]
        holder[name] = copy.deepcopy(origin[name])
        yield (
            f"{path} of another certificate",
            document,
            f"the credential's {named} is not the one its certificate commits to",
        )


def test_every_member_of_a_credential_envelope_is_bound_to_its_certificate(issued: Issued) -> None:
    """Every member of an exported credential changed, removed or added, and the type, schema and
    status slot of another certificate borrowed: INVALID at format, the reason naming the member."""
    verifier = issued.verifier(head_ttl=60)
    catalog = issued.catalog
    one_of_each_type = list({c.header.type_id: c for c in issued.genuine}.values())
    assert len(one_of_each_type) == 3
    mutants: list[Mutant] = []
    for certificate in one_of_each_type:
        credential = _credential(certificate, catalog)
        assert certificate.anchor is not None
        result = verifier.verify(credential)
        assert (result.verdict, result.kind) == (Verdict.VALID, "credential"), result.reason
        sibling = next(
            c
            for c in issued.genuine
            if c is not certificate
            and c.anchor is not None
            and c.anchor.batch_root == certificate.anchor.batch_root
        )
        other_type = next(c for c in one_of_each_type if c.header.type_id != certificate.header.type_id)
        mutants += envelope_mutants(credential, not_a_credential=NOT_A_DOCUMENT)
        mutants += borrowed_envelope_mutants(
            credential, _credential(sibling, catalog), _credential(other_type, catalog)
        )
    assert len(mutants) >= 150, len(mutants)

    wrong = []
    for label, document, reason in mutants:
        result = verifier.verify(document)
        failed = result.failed
        outcome = (result.verdict, failed.name if failed else None, failed.reason if failed else None)
        if outcome != (Verdict.INVALID, "format", reason):
            wrong.append((label, reason, outcome))
    assert wrong == [], wrong[:10]


def test_an_integer_written_with_a_fraction_or_exponent_is_refused(issued: Issued) -> None:
    """Canonical JSON commits a number as the double it denotes: `1.0`, `1e0` and
    `12.0000000000000001` all verified as the committed integer before they were refused."""
    verifier = issued.verifier()
    document = next(c.to_json() for c in issued.genuine if _integer_at(c.to_json()["claims"]) is not None)
    located = _integer_at(document["claims"])
    assert located is not None
    parent, key, number = located
    assert verifier.verify(json.loads(json.dumps(document))).verdict is Verdict.VALID
    parent[key] = "@@number@@"  # a marker, replaced in the text by each spelling
    text = json.dumps(document, ensure_ascii=False)
    assert text.count('"@@number@@"') == 1
    for spelling in (f"{number}.0", f"{number}e0", f"{number}.0000000000000001", f"{number}E+0"):
        result = verifier.verify_text(text.replace('"@@number@@"', spelling))
        assert result.verdict is Verdict.INVALID, spelling
        assert (result.checks[0].name, result.checks[0].status) == ("format", CheckStatus.FAILED)
        assert result.checks[0].reason.endswith(
            f": {float(number)!r} is a whole number written with a fraction or exponent; "
            "a certificate writes it as an integer"
        ), result.checks[0].reason
    assert verifier.verify_text(text.replace('"@@number@@"', str(number))).verdict is Verdict.VALID


def _integer_at(value: Any) -> tuple[Any, Any, int] | None:
    """The container, key and value of the first integer claim above 1 (not a boolean), depth
    first: `N.0000000000000001` is then the same double as N."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    for key, item in items:
        if isinstance(item, int) and not isinstance(item, bool) and item > 1:
            return value, key, item
        found = _integer_at(item)
        if found is not None:
            return found
    return None
