"""What anyone may ask: health, the certificate types and their schemas, a verdict on a document."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Request, Response

from ledger import CertificateTypeError
from wallet_api._errors import NotFoundError
from wallet_api._health import check_readiness
from wallet_api._http import problem_responses
from wallet_api._print_codes import MAX_PDF_BYTES, CodeCheck, CodeRefusal, PrintCodes, code_in_pdf
from wallet_api._problem_text import PROBLEM_TEXT, negotiated_language
from wallet_api._render import verification_view
from wallet_api._unit_history import unit_view
from wallet_api.deps import Services, ServicesDep, client_address
from wallet_api.print_schemas import CodeCheckIn, CodeCheckOut
from wallet_api.schemas import (
    AnchoringBacklogOut,
    BacklogOut,
    ChainProbe,
    DatabaseProbe,
    Health,
    Liveness,
    LoopOut,
    Readiness,
    TypeOut,
    VerificationOut,
    VerifyRequest,
)

router = APIRouter(prefix="/v1", tags=["public"], responses=problem_responses(404, 429, 503))


@router.get("/health", summary="Whether the service and its chain answer")
def health(services: ServicesDep) -> Health:
    """``degraded`` while the chain cannot be reached, or while the process is not ready (see
    ``/v1/health/ready``: its database, or a background loop); always 200."""
    domain = services.context.domain
    readiness = check_readiness(services.context, services.supervisor)
    detail = readiness.chain_error or ("; ".join(readiness.problems) if readiness.problems else None)
    return Health(
        status="ok" if readiness.ready else "degraded",
        chain_id=domain.chain_id,
        ledger=domain.ledger,
        block=readiness.chain_block,
        detail=detail,
    )


@router.get("/health/live", summary="Whether the process answers")
def live() -> Liveness:
    """Always ``alive``: for a supervisor that restarts a process that stops answering."""
    return Liveness()


@router.get(
    "/health/ready",
    summary="Whether this process can do its work",
    responses={503: {"model": Readiness, "description": "Not ready: `problems` says why"}},
)
def ready(services: ServicesDep, response: Response) -> Readiness:
    """The database and the chain answer, and every background loop runs with its last round
    successful; the anchoring backlogs are reported beside. 503 with the same body when not ready."""
    found = check_readiness(services.context, services.supervisor)
    if not found.ready:
        response.status_code = 503
    backlogs = found.backlogs
    return Readiness(
        status="ready" if found.ready else "not_ready",
        problems=found.problems,
        database=DatabaseProbe(ok=found.database_error is None, error=found.database_error),
        chain=ChainProbe(ok=found.chain_error is None, block=found.chain_block, error=found.chain_error),
        loops=[
            LoopOut(
                name=loop.name,
                alive=loop.alive,
                healthy=loop.healthy,
                rounds=loop.rounds,
                failures=loop.failures,
                restarts=loop.restarts,
                last_success=loop.last_success,
                last_error=loop.last_error,
                last_error_at=loop.last_error_at,
            )
            for loop in found.loops
        ],
        anchoring=None
        if backlogs is None
        else AnchoringBacklogOut(
            waiting=backlogs.certificates.waiting,
            oldest_age_seconds=backlogs.certificates.oldest_age,
            sending_batches=backlogs.sending_batches,
        ),
        access_log=None
        if backlogs is None
        else BacklogOut(
            waiting=backlogs.access_log.waiting, oldest_age_seconds=backlogs.access_log.oldest_age
        ),
    )


@router.get("/types", summary="The certificate types")
def types(services: ServicesDep) -> list[TypeOut]:
    """Every type and version this service knows."""
    return [
        TypeOut(
            key=t.key, type_id=t.type_id, version=t.version, name=t.name, title=t.title, fields=list(t.fields)
        )
        for t in services.context.catalog
    ]


@router.get("/types/{name}/v{version}/schema", summary="A type's JSON Schema")
def schema(
    services: ServicesDep,
    name: str = Path(pattern=r"^[a-z][a-z0-9-]{1,62}$"),
    version: int = Path(ge=1, le=1000),
) -> dict[str, Any]:
    """The versioned schema documents of that type are checked against."""
    try:
        found = next(t for t in services.context.catalog if t.name == name and t.version == version)
    except (StopIteration, CertificateTypeError):
        raise NotFoundError(f"no type {name}/v{version}", code="type.not_found") from None
    return found.schema


@router.post("/verify", summary="Verify a certificate, presentation or credential")
def verify(body: VerifyRequest, request: Request, services: ServicesDep) -> VerificationOut:
    """From the chain alone; the document is not stored."""
    services.context.limiter.take(
        "verify", client_address(request), per_minute=services.context.settings.rate_public
    )
    result = services.context.verifier.verify(body.document).to_json()
    hidden = body.document.get("hidden")
    result["view"] = verification_view(
        result, services.context.catalog, hidden=len(hidden) if isinstance(hidden, list) else 0
    )
    return VerificationOut.model_validate(result)


@router.post("/verify/code", summary="Check a printed certificate by its 验证码")
def verify_code(body: CodeCheckIn, request: Request, services: ServicesDep) -> CodeCheckOut:
    """The verdict on the printed fields, reached by the verifier from the chain alone, with the
    print grant's consent (signed by the holder, for this code), recipient and term; or
    `outcome: refused` with the code's stable reason (unknown, revoked, expired, used up).
    Anonymous, within the public verification budget; each lookup spends one of the grant's."""
    services.context.limiter.take(
        "verify", client_address(request), per_minute=services.context.settings.rate_public
    )
    return _checked(PrintCodes(services.context).check(body.code), services, request)


@router.post(
    "/verify/pdf",
    summary="Check a printed certificate's PDF by the 验证码 it carries",
    openapi_extra={
        "requestBody": {
            "required": True,
            # the file's bytes as they are; any media type is read the same way
            "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def verify_pdf(request: Request, services: ServicesDep) -> CodeCheckOut:
    """The PDF (at most 1 MiB) is not parsed: its metadata's code is found in its bytes, then
    checked as if typed (`/v1/verify/code`). A file without one is refused with
    `print.pdf_no_code`."""
    services.context.limiter.take(
        "verify", client_address(request), per_minute=services.context.settings.rate_public
    )
    data = bytearray()
    async for chunk in request.stream():
        data += chunk
        if len(data) > MAX_PDF_BYTES:
            return _refused(CodeRefusal.NO_CODE, request)
    code = code_in_pdf(bytes(data))
    if code is None:
        return _refused(CodeRefusal.NO_CODE, request)
    return _checked(PrintCodes(services.context).check(code), services, request)


def _checked(found: CodeCheck, services: Services, request: Request) -> CodeCheckOut:
    if found.refusal is not None or found.verification is None or found.presentation is None:
        return _refused(found.refusal or CodeRefusal.NOT_FOUND, request)
    result = found.verification.to_json()
    result["view"] = unit_view(result, found.presentation, services.context.catalog)
    return CodeCheckOut(
        outcome="verified",
        verification=VerificationOut.model_validate(result),
        printed_until=found.expires_at,
    )


def _refused(refusal: CodeRefusal, request: Request) -> CodeCheckOut:
    zh, en = PROBLEM_TEXT[refusal.value]
    english = negotiated_language(request.headers.get("accept-language")) == "en"
    return CodeCheckOut(outcome="refused", code=refusal.value, detail=en if english else zh)
