"""The issuing office's desk: issue a records file with live progress, find and change certificates."""

from __future__ import annotations

from dataclasses import fields
from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, File, Form, Path, Query, UploadFile
from fastapi.responses import StreamingResponse
from pydantic.alias_generators import to_camel

from wallet_api._errors import NotFoundError
from wallet_api._http import problem_responses
from wallet_api._office import CertificateRevision, IssuanceEvent, reasons
from wallet_api.deps import Operator, ServicesDep
from wallet_api.schemas import CertificateRevisionOut, ReasonOut, StatusChange, StatusChanged

router = APIRouter(prefix="/v1/office", tags=["office"], responses=problem_responses(401, 403, 404, 409, 503))
Number = Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9-]+$", description="the certificate number")
_CHUNK = 1 << 20


def _json_line(event: IssuanceEvent) -> bytes:
    """An issuance event as a line of the progress stream: its kind, then its values."""
    values = {to_camel(field.name): getattr(event, field.name) for field in fields(event)}
    return orjson.dumps({"event": event.kind, **values}) + b"\n"


def _revision(revision: CertificateRevision) -> CertificateRevisionOut:
    return CertificateRevisionOut.model_validate(revision, from_attributes=True)


@router.post(
    "/issuance",
    summary="Issue a records file, following its progress",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "progress as JSON lines: started, progress, rejected (line and reason), "
            "issued, anchoring, done or error",
            "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
        }
    },
)
def issue(
    operator: Operator,
    services: ServicesDep,
    file: Annotated[
        UploadFile,
        File(
            description="the core system's export: .csv (UTF-8 or GB18030), .xlsx (its first sheet),"
            " or .jsonl with one document per line"
        ),
    ],
    type: Annotated[str, Form(min_length=1, max_length=60, description="type: name, name/vN, id")],
) -> StreamingResponse:
    """Validates, seals, stores and anchors the file's records like `certledger issue`. Refused
    rows are reported with their line and reason while the good ones are issued."""
    del operator
    path = services.office.receive(file.filename or "records", iter(lambda: file.file.read(_CHUNK), b""))
    events = services.office.issue(path, type)
    return StreamingResponse(
        (_json_line(event) for event in events),
        media_type="application/x-ndjson",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


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
        found = services.office.find(number)
    except NotFoundError:
        return []
    return [_revision(item) for item in found]


@router.get("/certificates/{number}", summary="Find a certificate by its number")
def find(operator: Operator, services: ServicesDep, number: str = Number) -> list[CertificateRevisionOut]:
    """Every revision, newest first, with its anchor and status; nothing personal."""
    del operator
    return [_revision(item) for item in services.office.find(number)]


@router.post("/certificates/{number}/status", summary="Revoke, suspend or reinstate a certificate")
def change_status(
    body: StatusChange, operator: Operator, services: ServicesDep, number: str = Number
) -> StatusChanged:
    """On chain, with a reason code; the next verification sees it."""
    del operator
    action: Literal["revoke", "suspend", "reinstate"] = body.action
    outcome = services.office.change_status(number, action, body.reason)
    return StatusChanged.model_validate(outcome, from_attributes=True)
