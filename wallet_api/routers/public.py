"""What anyone may ask: health, the certificate types and their schemas, a verdict on a document."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Request

from ledger import CertificateTypeError
from verifier import ChainReadError
from wallet_api._errors import NotFoundError
from wallet_api._http import problem_responses
from wallet_api._render import verification_view
from wallet_api.deps import ServicesDep, client_address
from wallet_api.schemas import Health, TypeOut, VerificationOut, VerifyRequest

router = APIRouter(prefix="/v1", tags=["public"], responses=problem_responses(404, 429, 503))


@router.get("/health", summary="Whether the service and its chain answer")
def health(services: ServicesDep) -> Health:
    """``degraded`` while the chain cannot be reached."""
    domain = services.context.domain
    try:
        block: int | None = services.context.verifier.chain.head()
        detail = None
    except ChainReadError as error:
        block, detail = None, str(error)
    return Health(
        status="ok" if block is not None else "degraded",
        chain_id=domain.chain_id,
        ledger=domain.ledger,
        block=block,
        detail=detail,
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
