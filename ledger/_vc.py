"""A certificate as a W3C Verifiable Credential 2.0 document, and back.

The credential's subject is the claims; its `proof` carries what makes them checkable — header,
salts, decoys, document root and anchor — under the type ``CertledgerMerkleAnchor``. Every other
member of the envelope is derived from what that proof commits to: ``id``, ``issuer`` and
``credentialStatus`` from the anchor and the root, ``validFrom`` and ``validUntil`` from the
header, ``type`` and ``credentialSchema`` from the catalog's entry for the header's type version.
None of those copies is covered by the document root, so `certificate_from_vc` rebuilds the whole
credential from its proof and refuses any member that differs, is missing, or is not one of ours.
The base context's ``@vocab`` defines every other term, so no context needs fetching.
"""

from __future__ import annotations

from typing import Any

from ledger._clock import BEIJING_OFFSET
from ledger._document import Certificate, DocumentFormatError, hex0x
from ledger._types import CertificateType, CertificateTypeError, TypeCatalog

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
PROOF_TYPE = "CertledgerMerkleAnchor"
STATUS_TYPE = "CertledgerLedgerStatus"
TIMEZONE = BEIJING_OFFSET  # validity dates are days in China Standard Time
_PROBLEMS_SHOWN = 3


def office_urn(chain_id: int, ledger: str, office_id: int) -> str:
    """The issuer id of an office: its registry on a chain."""
    return f"urn:certledger:office:{chain_id}:{ledger}:{office_id}"


def certificate_to_vc(certificate: Certificate, *, type_name: str, schema_id: str) -> dict[str, Any]:
    """The certificate as a VC 2.0 document; it must be anchored."""
    anchor = certificate.anchor
    if anchor is None:
        raise DocumentFormatError("only an anchored certificate can be exported as a credential")
    header = certificate.header
    subject: dict[str, Any] = dict(certificate.claims)
    if header.holder is not None:
        subject = {"id": f"did:pkh:eip155:{anchor.chain_id}:{header.holder}", **subject}
    credential: dict[str, Any] = {
        "@context": [VC_CONTEXT],
        "id": f"urn:certledger:certificate:{anchor.chain_id}:{anchor.ledger}:{hex0x(certificate.root)}",
        "type": ["VerifiableCredential", "CertledgerCertificate", _pascal(type_name)],
        "issuer": office_urn(anchor.chain_id, anchor.ledger, header.office_id),
        "validFrom": f"{header.issued}T00:00:00{TIMEZONE}",
        "credentialSchema": {"id": schema_id, "type": "JsonSchema"},
        "credentialSubject": subject,
        "credentialStatus": {"id": _status_urn(certificate), "type": STATUS_TYPE},
        "proof": {"type": PROOF_TYPE, "certledger": certificate.to_json()},
    }
    if header.valid_until is not None:
        credential["validUntil"] = f"{header.valid_until}T23:59:59{TIMEZONE}"
    return credential


def is_vc(document: Any) -> bool:
    """Whether `document` looks like a Verifiable Credential."""
    return isinstance(document, dict) and "@context" in document and "credentialSubject" in document


def certificate_from_vc(credential: Any, *, catalog: TypeCatalog) -> Certificate:
    """The certificate inside a credential, once every member of the credential is the one
    `certificate_to_vc` derives from that certificate and its type in `catalog`."""
    if not is_vc(credential):
        raise DocumentFormatError("a Verifiable Credential is an object with @context and credentialSubject")
    proof = credential.get("proof")
    if not isinstance(proof, dict) or proof.get("type") != PROOF_TYPE or "certledger" not in proof:
        raise DocumentFormatError(f"proof: a {PROOF_TYPE} proof is required")
    certificate = Certificate.from_json(proof["certledger"])
    if certificate.anchor is None:
        raise DocumentFormatError("proof.certledger.anchor: a credential carries its anchor")
    header = certificate.header
    try:
        certificate_type = catalog.get(header.type_id, header.version)
    except CertificateTypeError as error:
        raise DocumentFormatError(str(error)) from None
    expected = certificate_to_vc(
        certificate, type_name=certificate_type.name, schema_id=_schema_id(certificate_type)
    )
    problems = _differences(expected, credential, path="")
    if problems:
        more = len(problems) - _PROBLEMS_SHOWN
        raise DocumentFormatError(
            "; ".join(problems[:_PROBLEMS_SHOWN]) + (f"; and {more} more" if more > 0 else "")
        )
    return certificate


def _differences(expected: Any, actual: Any, *, path: str) -> list[str]:
    """Where `actual` is not `expected`: each member that differs, is missing or is unknown."""
    if not (isinstance(expected, dict) and isinstance(actual, dict)):
        if _same(expected, actual):
            return []
        return [f"the credential's {path} is not the one its certificate commits to"]
    problems: list[str] = []
    for name in dict.fromkeys([*expected, *actual]):  # ours in order, then the unknown ones
        where = f"{path}.{name}" if path else str(name)
        if name not in actual:
            problems.append(f"the credential lacks {where}, which its certificate commits to")
        elif name not in expected:
            problems.append(f"the credential's {where} is not part of what its certificate commits to")
        else:
            problems += _differences(expected[name], actual[name], path=where)
    return problems


def _same(expected: Any, actual: Any) -> bool:
    # Equality of JSON values, kinds included: Python's == holds for true and 1, and 1 and 1.0.
    if type(expected) is not type(actual):
        return False
    if isinstance(expected, dict):
        return expected.keys() == actual.keys() and all(_same(v, actual[k]) for k, v in expected.items())
    if isinstance(expected, list):
        return len(expected) == len(actual) and all(map(_same, expected, actual))
    return bool(expected == actual)


def _schema_id(certificate_type: CertificateType) -> str:
    # As `certledger export --vc` and the wallet's download name it.
    return str(certificate_type.schema.get("$id"))


def _status_urn(certificate: Certificate) -> str:
    anchor = certificate.anchor
    assert anchor is not None  # noqa: S101 — callers check
    root = hex0x(anchor.batch_root)
    return f"urn:certledger:status:{anchor.chain_id}:{anchor.ledger}:{root}:{anchor.index}"


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))
