"""The office's certificates: find a person's, revoke, suspend or reinstate them."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response

from wallet_api._certificate_desk import SEARCH_LIMIT, CertificateRevision, SearchBy, reasons
from wallet_api._errors import InvalidRequestError
from wallet_api._http import problem_responses
from wallet_api.deps import Operator, ServicesDep
from wallet_api.schemas import (
    CertificateHitOut,
    CertificateRevisionOut,
    ReasonFitOut,
    StatusChange,
    StatusChanged,
)

router = APIRouter(prefix="/v1/office", tags=["office"], responses=problem_responses(401, 403, 404, 409, 503))
Number = Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9-]+$", description="the certificate number")
MORE = "X-More-Results"


def _revision(revision: CertificateRevision) -> CertificateRevisionOut:
    return CertificateRevisionOut.model_validate(revision, from_attributes=True)


@router.get("/reasons", summary="Reason codes for status changes, and the actions each fits")
def list_reasons(operator: Operator) -> list[ReasonFitOut]:
    """What an operator may give as the reason of a revocation, suspension or reinstatement; a
    reason is refused by the actions it does not list (``status.reason_mismatch``)."""
    del operator
    return [
        ReasonFitOut(code=fit.reason.value, label=fit.reason.label, actions=list(fit.actions))
        for fit in reasons()
    ]


@router.get(
    "/certificates",
    summary="Find a person's certificates",
    responses={
        200: {
            "headers": {
                MORE: {
                    "description": "true when the search found more certificates than it returns",
                    "schema": {"type": "string", "enum": ["true", "false"]},
                }
            }
        }
    },
)
def search(
    *,
    operator: Operator,
    services: ServicesDep,
    response: Response,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=40,
            description="an identity number, the beginning of a certificate number (any case), or a name",
        ),
    ] = None,
    by: Annotated[SearchBy | None, Query(description="how to read q; by default, from its shape")] = None,
    number: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=40,
            pattern=r"^[A-Za-z0-9-]+$",
            description="the beginning of a certificate number: the same as q with by=number",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=SEARCH_LIMIT, description="how many to return")] = SEARCH_LIMIT,
) -> list[CertificateHitOut]:
    """One row a certificate (its current revision), with the holder's identity number and name
    masked; a name finds only this office's certificates. Empty when nothing matches."""
    del operator
    if number is not None:
        q, by = number, "number"
    if q is None:
        raise InvalidRequestError("q: what to search for is missing", code="search.query")
    outcome = services.certificates.search(q, by=by, limit=limit)
    response.headers[MORE] = "true" if outcome.more else "false"
    return [CertificateHitOut.model_validate(hit, from_attributes=True) for hit in outcome.hits]


@router.get("/certificates/{number}", summary="Find a certificate by its number")
def find(operator: Operator, services: ServicesDep, number: str = Number) -> list[CertificateRevisionOut]:
    """Every revision, newest first, with its anchor and status; nothing personal."""
    del operator
    return [_revision(item) for item in services.certificates.find(number)]


@router.post("/certificates/{number}/status", summary="Revoke, suspend or reinstate a certificate")
def change_status(
    body: StatusChange, operator: Operator, services: ServicesDep, number: str = Number
) -> StatusChanged:
    """On chain, with a reason code that fits the action (see the reasons); the next verification
    sees it."""
    action: Literal["revoke", "suspend", "reinstate"] = body.action
    outcome = services.certificates.change_status(number, action, body.reason, operator=operator)
    return StatusChanged.model_validate(outcome, from_attributes=True)
