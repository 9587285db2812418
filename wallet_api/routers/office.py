"""The issuing office's desk: send a records file (whole, or in resumable pieces), issue it and
follow its progress, download the rows it refused."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import fields
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, File, Form, Header, Path, Request, UploadFile
from fastapi.responses import FileResponse, StreamingResponse
from pydantic.alias_generators import to_camel

from wallet_api._http import problem_responses
from wallet_api._office import IssuanceEvent
from wallet_api._uploads import Upload
from wallet_api.deps import Operator, Services, ServicesDep
from wallet_api.office_schemas import IssuanceStart, UploadOpen, UploadOut

router = APIRouter(prefix="/v1/office", tags=["office"], responses=problem_responses(401, 403, 404, 409, 503))
UploadId = Path(min_length=32, max_length=32, pattern=r"^[0-9a-f]{32}$", description="the upload's id")
_CHUNK = 1 << 20
_PROGRESS: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "progress as JSON lines: started, progress, rejected (line and reason), "
        "issued, anchoring, done or error",
        "content": {"application/x-ndjson": {"schema": {"type": "string"}}},
    }
}


def _json_line(event: IssuanceEvent) -> bytes:
    """An issuance event as a line of the progress stream: its kind, then its values."""
    values = {to_camel(field.name): getattr(event, field.name) for field in fields(event)}
    return orjson.dumps({"event": event.kind, **values}) + b"\n"


def _progress(events: Iterator[IssuanceEvent]) -> StreamingResponse:
    return StreamingResponse(
        (_json_line(event) for event in events),
        media_type="application/x-ndjson",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


def _upload(upload: Upload, services: Services) -> UploadOut:
    return UploadOut(
        id=upload.id,
        filename=upload.filename,
        size=upload.size,
        received=upload.received,
        complete=upload.complete,
        piece=services.context.settings.max_piece_bytes,
    )


@router.post(
    "/issuance",
    summary="Issue a records file sent whole, following its progress",
    response_class=StreamingResponse,
    responses=_PROGRESS,
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
    rows are reported with their line and reason while the good ones are issued. For a large
    file, send it in resumable pieces instead (`/v1/office/uploads`)."""
    desk = services.office
    desk.certificate_type(type)  # an unknown type is refused before the file is stored
    upload = desk.receive(operator.id, file.filename or "records", iter(lambda: file.file.read(_CHUNK), b""))
    return _progress(desk.issue(upload.id, type, operator=operator))


@router.post("/uploads", status_code=201, summary="Open a resumable upload of a records file")
def open_upload(body: UploadOpen, operator: Operator, services: ServicesDep) -> UploadOut:
    """Opens an upload, or finds the one this operator opened with the same name, size and key,
    so that the console goes on from its `received` bytes after a dropped connection."""
    return _upload(services.office.uploads.open(operator.id, body.filename, body.size, body.key), services)


@router.get("/uploads/{upload_id}", summary="How much of an upload the service holds")
def get_upload(operator: Operator, services: ServicesDep, upload_id: str = UploadId) -> UploadOut:
    """Its size, and the bytes received: the offset the next piece is sent at."""
    del operator
    return _upload(services.office.uploads.get(upload_id), services)


@router.patch(
    "/uploads/{upload_id}",
    summary="Send the next piece of an upload",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def append_upload(
    request: Request,
    operator: Operator,
    services: ServicesDep,
    upload_id: str = UploadId,
    offset: Annotated[int, Header(alias="Upload-Offset", ge=0, description="where the piece goes")] = 0,
) -> UploadOut:
    """Writes the piece at `Upload-Offset`, which must be the upload's `received`: a piece sent
    twice, or after a lost one, is refused (409) with the offset to go on from."""
    del operator
    piece = await request.body()  # bounded by CERTLEDGER_MAX_PIECE_BYTES before it is read
    upload = services.office.uploads.append(upload_id, offset, [piece])
    return _upload(upload, services)


@router.post(
    "/uploads/{upload_id}/issuance",
    summary="Issue a complete upload, following its progress",
    response_class=StreamingResponse,
    responses=_PROGRESS,
)
def issue_upload(
    body: IssuanceStart, operator: Operator, services: ServicesDep, upload_id: str = UploadId
) -> StreamingResponse:
    """Issues the upload's records in the background; the stream follows it. If the stream drops,
    follow it again with GET; if the service restarted, issue it again: what was issued is
    skipped. Only one issuance of an upload runs at a time (409 `issuance.running`)."""
    return _progress(services.office.issue(upload_id, body.type, operator=operator))


@router.get(
    "/uploads/{upload_id}/issuance",
    summary="Follow an upload's issuance again",
    response_class=StreamingResponse,
    responses=_PROGRESS,
)
def follow_issuance(
    operator: Operator, services: ServicesDep, upload_id: str = UploadId
) -> StreamingResponse:
    """Where the issuance stands, then its progress to the end, from whichever process runs it."""
    del operator
    return _progress(services.office.follow(upload_id))


@router.get(
    "/uploads/{upload_id}/refused-rows",
    summary="Download the rows an issuance refused, to fix and send again",
    response_class=FileResponse,
    responses={
        200: {
            "content": {
                "text/csv": {"schema": {"type": "string"}},
                "application/x-ndjson": {"schema": {"type": "string"}},
            }
        }
    },
)
def refused_rows(operator: Operator, services: ServicesDep, upload_id: str = UploadId) -> FileResponse:
    """Every refused certificate's rows as the file had them, each line led by its line number
    and its reason in Chinese (行号, 拒绝原因): CSV in UTF-8 with a byte-order mark (so that Excel
    opens it as such) for a CSV or workbook, JSON Lines with a ``_refusal`` member for JSON Lines.
    The reason columns are ignored when the fixed file is sent again."""
    del operator
    path = services.office.refused_rows(upload_id)
    csv_file = path.suffix == ".csv"
    return FileResponse(
        path,
        media_type="text/csv; charset=utf-8" if csv_file else "application/x-ndjson",
        filename=f"refused-rows-{upload_id[:8]}{path.suffix}",
        headers={"Cache-Control": "no-store"},
    )
