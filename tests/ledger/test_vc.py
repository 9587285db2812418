"""The VC 2.0 form of a certificate: every member of the envelope is bound to what the root covers.

A credential repeats the certificate's type, schema, issuer, validity, status slot and claims
outside the proof, where the document root does not cover them. Reading one rebuilds the whole
envelope from the certificate in its proof and refuses any member that differs, is missing or is
unknown. The mutants here are derived from a freshly built credential — every member of it, and
of every object inside it — so a member added to the envelope is mutated (and must be refused)
without anyone listing it.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator
from typing import Any

import pytest

from ledger import (
    Certificate,
    DocumentFormatError,
    Header,
    TypeCatalog,
    certificate_from_vc,
    certificate_to_vc,
    seal,
)
from tests.ledger.test_document import ANCHOR, HOLDER  # the same example anchor

CATALOG = TypeCatalog.load()
CLAIMS: dict[str, Any] = {
    "certificate_no": "SC-2025-000001",
    "holder_name": "张三",
    "period": {"from": "2025-01", "to": "2025-12"},
    "months": 12,
}

NOT_A_CREDENTIAL = "a Verifiable Credential is an object with @context and credentialSubject"
PROOF_REQUIRED = "proof: a CertledgerMerkleAnchor proof is required"
THE_CERTIFICATE = "proof.certledger"  # the committed certificate, not envelope: the corpus mutates it

Mutant = tuple[str, dict[str, Any], str]


def _certificate(*, holder: str | None, valid_until: str | None) -> Certificate:
    header = Header(1, 1, 7, "2025-06-30", valid_until, holder)
    field_count = len(CATALOG.get(1, 1).fields)
    return seal(header, CLAIMS, field_count=field_count, random_bytes=random.Random(7).randbytes).with_anchor(
        ANCHOR
    )


def exported(certificate: Certificate) -> dict[str, Any]:
    """The credential `certledger export --vc` writes for `certificate`, as read from its file."""
    certificate_type = CATALOG.get(certificate.header.type_id, certificate.header.version)
    credential = certificate_to_vc(
        certificate, type_name=certificate_type.name, schema_id=str(certificate_type.schema["$id"])
    )
    # Through JSON: in memory the subject's nested claims are the proof's own objects.
    parsed: dict[str, Any] = json.loads(json.dumps(credential))
    return parsed


BOUND = _certificate(holder=HOLDER, valid_until="2025-09-28")
UNBOUND = _certificate(holder=None, valid_until=None)  # no credentialSubject.id, no validUntil


def envelope_members(credential: dict[str, Any]) -> dict[str, Any]:
    """Every member of the envelope by its dotted path, those of the objects inside included, in
    document order; the certificate in the proof is one member, not looked into."""
    members: dict[str, Any] = {}

    def walk(value: dict[str, Any], prefix: str) -> None:
        for name, member in value.items():
            members[prefix + name] = member
            if isinstance(member, dict) and prefix + name != THE_CERTIFICATE:
                walk(member, f"{prefix}{name}.")

    walk(credential, "")
    return members


def _other(value: Any) -> Any:
    """A different JSON value: of the same kind where there is one to change."""
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        return value + "0"
    if isinstance(value, list):
        return [*value, copy.deepcopy(value[-1]) if value else 0]
    return "not an object"


def _at(document: dict[str, Any], path: str) -> tuple[dict[str, Any], str]:
    """The object holding the member at `path`, and the member's name."""
    *parents, name = path.split(".")
    for parent in parents:
        document = document[parent]
    return document, name


def envelope_mutants(
    credential: dict[str, Any], *, not_a_credential: str = NOT_A_CREDENTIAL
) -> Iterator[Mutant]:
    """Each member of the credential changed, and removed, and an unknown member added to it and
    to each object inside; with the exact reason each must be refused with."""
    members = envelope_members(credential)

    def mutant(label: str, path: str, change: str) -> Mutant:
        document = copy.deepcopy(credential)
        holder, name = _at(document, path)
        if change == "changed":
            holder[name] = _other(holder[name])
        elif change == "removed":
            del holder[name]
        else:
            holder[name] = "trust me"
        return label, document, _reason(path, change, not_a_credential)

    for path in members:
        yield mutant(f"{path} changed", path, "changed")
        yield mutant(f"{path} removed", path, "removed")
    for path in ["", *(path for path, value in members.items() if isinstance(value, dict))]:
        if path != THE_CERTIFICATE:
            added = f"{path}.comment" if path else "comment"
            yield mutant(f"{added} added", added, "added")


def _reason(path: str, change: str, not_a_credential: str) -> str:
    if change == "removed" and path in {"@context", "credentialSubject"}:
        return not_a_credential
    if path == THE_CERTIFICATE and change == "changed":
        return "a certificate is a JSON object"
    if path in {"proof", "proof.type", THE_CERTIFICATE}:
        return PROOF_REQUIRED
    if change == "removed":
        return f"the credential lacks {path}, which its certificate commits to"
    if change == "added":
        return f"the credential's {path} is not part of what its certificate commits to"
    return f"the credential's {path} is not the one its certificate commits to"


def _refusal(credential: Any) -> str:
    with pytest.raises(DocumentFormatError) as refused:
        certificate_from_vc(json.loads(json.dumps(credential)), catalog=CATALOG)
    return str(refused.value)


@pytest.mark.parametrize("certificate", [BOUND, UNBOUND], ids=["bound", "unbound"])
def test_a_credential_reads_back_as_its_certificate(certificate: Certificate) -> None:
    credential = json.loads(json.dumps(exported(certificate)))
    assert certificate_from_vc(credential, catalog=CATALOG) == certificate


def test_the_mutants_reach_every_member_of_both_forms() -> None:
    bound, unbound = envelope_members(exported(BOUND)), envelope_members(exported(UNBOUND))
    assert set(bound) - set(unbound) == {"credentialSubject.id", "validUntil"}
    assert set(bound) >= {
        "@context",
        "id",
        "type",
        "issuer",
        "validFrom",
        "validUntil",
        "credentialSchema.id",
        "credentialSchema.type",
        "credentialSubject.period.from",
        "credentialStatus.id",
        "credentialStatus.type",
        "proof.type",
        THE_CERTIFICATE,
    }


@pytest.mark.parametrize(
    ("label", "credential", "reason"),
    [
        pytest.param(label, document, reason, id=f"{form}: {label}")
        for form, certificate in (("bound", BOUND), ("unbound", UNBOUND))
        for label, document, reason in envelope_mutants(exported(certificate))
    ],
)
def test_every_envelope_member_changed_removed_or_added_is_refused(
    label: str, credential: dict[str, Any], reason: str
) -> None:
    assert _refusal(credential) == reason, label


def test_a_holder_or_an_end_date_the_certificate_lacks_is_refused() -> None:
    bound, unbound = envelope_members(exported(BOUND)), exported(UNBOUND)
    for path in sorted(set(bound) - set(envelope_members(unbound))):
        credential = copy.deepcopy(unbound)
        holder, name = _at(credential, path)
        holder[name] = bound[path]
        assert (
            _refusal(credential) == f"the credential's {path} is not part of what its certificate commits to"
        )


def test_another_type_schema_or_status_slot_is_refused() -> None:
    credential = exported(BOUND)
    pension = CATALOG.find("pension-qualification")
    other_type = {
        **credential,
        "type": ["VerifiableCredential", "CertledgerCertificate", "PensionQualification"],
    }
    assert _refusal(other_type) == "the credential's type is not the one its certificate commits to"
    other_schema = copy.deepcopy(credential)
    other_schema["credentialSchema"]["id"] = pension.schema["$id"]
    assert (
        _refusal(other_schema)
        == "the credential's credentialSchema.id is not the one its certificate commits to"
    )
    other_slot = copy.deepcopy(credential)
    other_slot["credentialStatus"]["id"] = other_slot["credentialStatus"]["id"].removesuffix(":5") + ":6"
    assert (
        _refusal(other_slot)
        == "the credential's credentialStatus.id is not the one its certificate commits to"
    )


def test_json_kinds_are_compared_too() -> None:
    credential = exported(BOUND)
    for spelled in (12.0, True, "12"):
        changed = copy.deepcopy(credential)
        changed["credentialSubject"]["months"] = spelled
        assert _refusal(changed) == (
            "the credential's credentialSubject.months is not the one its certificate commits to"
        )


def test_every_problem_is_named_up_to_three() -> None:
    credential = exported(BOUND)
    two = {**credential, "issuer": "urn:certledger:office:1:0x0:9", "evidence": []}
    assert _refusal(two) == (
        "the credential's issuer is not the one its certificate commits to; "
        "the credential's evidence is not part of what its certificate commits to"
    )
    many = {**credential, **{f"extra{i}": i for i in range(5)}}
    assert _refusal(many) == (
        "the credential's extra0 is not part of what its certificate commits to; "
        "the credential's extra1 is not part of what its certificate commits to; "
        "the credential's extra2 is not part of what its certificate commits to; and 2 more"
    )


def test_a_type_the_catalog_does_not_know_is_refused() -> None:
    header = Header(99, 1, 7, "2025-06-30", None, None)
    certificate = seal(header, CLAIMS, field_count=6).with_anchor(ANCHOR)
    credential = certificate_to_vc(certificate, type_name="made-up", schema_id="urn:made-up")
    assert _refusal(credential) == "unknown certificate type 99 version 1"


def test_what_is_not_a_credential_is_refused() -> None:
    assert _refusal([]) == NOT_A_CREDENTIAL
    credential = exported(BOUND)
    del credential["proof"]["certledger"]["anchor"]
    assert _refusal(credential) == "proof.certledger.anchor: a credential carries its anchor"
