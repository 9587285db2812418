"""A certificate as a W3C Verifiable Credential 2.0 document, and back.

The credential's subject is the claims; its `proof` carries what makes them checkable — header,
salts, decoys, document root and anchor — under the type ``CertledgerMerkleAnchor``. The VC
envelope repeats the issuer, type and validity for VC processors; those copies are not covered
by the document root, so `certificate_from_vc` refuses any that disagree with the header.
The base context's ``@vocab`` defines every other term, so no context needs fetching.
"""

from __future__ import annotations

from typing import Any

from ledger._document import Certificate, DocumentFormatError, _hex

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
PROOF_TYPE = "CertledgerMerkleAnchor"
STATUS_TYPE = "CertledgerLedgerStatus"
TIMEZONE = "+08:00"  # validity dates are days in China Standard Time


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
        "id": f"urn:certledger:certificate:{anchor.chain_id}:{anchor.ledger}:{_hex(certificate.root)}",
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


def certificate_from_vc(credential: Any) -> Certificate:
    """The certificate inside a credential; the envelope must agree with what the root covers."""
    if not is_vc(credential) or credential["@context"][:1] != [VC_CONTEXT]:
        raise DocumentFormatError(f"@context: a Verifiable Credential 2.0 starts with {VC_CONTEXT}")
    proof = credential.get("proof")
    if not isinstance(proof, dict) or proof.get("type") != PROOF_TYPE or "certledger" not in proof:
        raise DocumentFormatError(f"proof: a {PROOF_TYPE} proof is required")
    certificate = Certificate.from_json(proof["certledger"])
    anchor = certificate.anchor
    if anchor is None:
        raise DocumentFormatError("proof.certledger.anchor: a credential carries its anchor")
    header = certificate.header
    subject = (
        dict(credential["credentialSubject"]) if isinstance(credential["credentialSubject"], dict) else None
    )
    if subject is None:
        raise DocumentFormatError("credentialSubject: an object")
    holder_id = subject.pop("id", None)
    expected_holder = f"did:pkh:eip155:{anchor.chain_id}:{header.holder}" if header.holder else None
    mismatches = []
    if subject != dict(certificate.claims):
        mismatches.append("credentialSubject")
    if holder_id != expected_holder:
        mismatches.append("credentialSubject.id")
    if credential.get("issuer") != office_urn(anchor.chain_id, anchor.ledger, header.office_id):
        mismatches.append("issuer")
    if credential.get("validFrom") != f"{header.issued}T00:00:00{TIMEZONE}":
        mismatches.append("validFrom")
    until = f"{header.valid_until}T23:59:59{TIMEZONE}" if header.valid_until else None
    if credential.get("validUntil") != until:
        mismatches.append("validUntil")
    if (
        credential.get("id")
        != f"urn:certledger:certificate:{anchor.chain_id}:{anchor.ledger}:{_hex(certificate.root)}"
    ):
        mismatches.append("id")
    if mismatches:
        raise DocumentFormatError(
            f"the credential's {', '.join(mismatches)} disagree with the signed certificate"
        )
    return certificate


def _status_urn(certificate: Certificate) -> str:
    anchor = certificate.anchor
    assert anchor is not None  # noqa: S101 — callers check
    return f"urn:certledger:status:{anchor.chain_id}:{anchor.ledger}:{_hex(anchor.batch_root)}:{anchor.index}"


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))
