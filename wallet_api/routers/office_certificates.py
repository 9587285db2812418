"""The office's certificates: find them, revoke, suspend or reinstate them."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Path, Query

from wallet_api._certificate_desk import CertificateRevision, reasons
from wallet_api._errors import NotFoundError
from wallet_api._http import problem_responses
from wallet_api.deps import Operator, ServicesDep
from wallet_api.schemas import CertificateRevisionOut, ReasonOut, StatusChange, StatusChanged

router = APIRouter(prefix="/v1/office", tags=["office"], responses=problem_responses(401, 403, 404, 409, 503))
Number = Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9-]+$", description="the certificate number")


def _revision(revision: CertificateRevision) -> CertificateRevisionOut:
    return CertificateRevisionOut.model_validate(revision, from_attributes=True)


@router.get("/reasons", summary="Reason codes for status changes")
def list_reasons(operator: Operator) -> list[ReasonOut]:
    """What an operator may give as the reason of a revocation, suspension or reinstatement."""
    del operator
    return [ReasonOut(code=reason.value, label=reason.label) for reason in reasons()]


@router.get("/certificates", summary="Search certificates by number")
def search(
    operator: Operator,
    services: ServicesDep,
    number: str = Query(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9-]+$", description="the number"),
) -> list[CertificateRevisionOut]:
    """The revisions of the certificate with that number, newest first; empty when there is none."""
    del operator
    try:
        found = services.certificates.find(number)
    except NotFoundError:
        return []
    return [_revision(item) for item in found]


@router.get("/certificates/{number}", summary="Find a certificate by its number")
def find(operator: Operator, services: ServicesDep, number: str = Number) -> list[CertificateRevisionOut]:
    """Every revision, newest first, with its anchor and status; nothing personal."""
    del operator
    return [_revision(item) for item in services.certificates.find(number)]


@router.post("/certificates/{number}/status", summary="Revoke, suspend or reinstate a certificate")
def change_status(
    body: StatusChange, operator: Operator, services: ServicesDep, number: str = Number
) -> StatusChanged:
    """On chain, with a reason code; the next verification sees it."""
    del operator
    action: Literal["revoke", "suspend", "reinstate"] = body.action
    outcome = services.certificates.change_status(number, action, body.reason)
    return StatusChanged.model_validate(outcome, from_attributes=True)
