"""The issuing office's desk: issue a records file with live progress, find and change certificates."""

from __future__ import annotations

from dataclasses import fields
from typing import Annotated

import orjson
from fastapi import APIRouter, File, Form, Path, UploadFile
from fastapi.responses import StreamingResponse
from pydantic.alias_generators import to_camel

from wallet_api._http import problem_responses
from wallet_api._office import IssuanceEvent
from wallet_api.deps import Operator, ServicesDep

router = APIRouter(prefix="/v1/office", tags=["office"], responses=problem_responses(401, 403, 404, 409, 503))
Number = Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9-]+$", description="the certificate number")
_CHUNK = 1 << 20


def _json_line(event: IssuanceEvent) -> bytes:
    """An issuance event as a line of the progress stream: its kind, then its values."""
    values = {to_camel(field.name): getattr(event, field.name) for field in fields(event)}
    return orjson.dumps({"event": event.kind, **values}) + b"\n"


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
