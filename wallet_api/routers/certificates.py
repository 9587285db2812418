"""The citizen's safe: their own certificates."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from wallet_api._http import problem_responses
from wallet_api.deps import CurrentCitizen, ServicesDep
from wallet_api.schemas import HEX_ID, CertificateOut, CertificateSummaryOut

router = APIRouter(
    prefix="/v1/certificates", tags=["certificates"], responses=problem_responses(401, 403, 404, 409, 410)
)
CertificateId = Path(pattern=HEX_ID, description="the certificate's random id")


@router.get("", summary="The citizen's certificates")
def list_certificates(citizen: CurrentCitizen, services: ServicesDep) -> list[CertificateSummaryOut]:
    """Current certificates, newest first."""
    return [CertificateSummaryOut.model_validate(item.to_json()) for item in services.safe.list(citizen)]


@router.get("/{certificate_id}", summary="One certificate, decrypted")
def get_certificate(
    citizen: CurrentCitizen, services: ServicesDep, certificate_id: str = CertificateId
) -> CertificateOut:
    """The document with every field, and the fields' titles for display."""
    stored = services.safe.get(citizen, certificate_id)
    header = stored.certificate.header
    certificate_type = services.context.catalog.get(header.type_id, header.version)
    return CertificateOut(
        id=stored.id,
        number=stored.number,
        status=stored.status,
        type=certificate_type.key,
        field_titles={name: certificate_type.field_title(name) for name in certificate_type.fields},
        document=stored.certificate.to_json(),
    )


@router.get(
    "/{certificate_id}/document",
    summary="Download a certificate as a file `certledger verify` accepts",
    response_class=JSONResponse,
    responses={200: {"content": {"application/json": {"schema": {"type": "object"}}}}},
)
def download(
    citizen: CurrentCitizen,
    services: ServicesDep,
    certificate_id: str = CertificateId,
    format: Literal["certificate", "vc"] = Query(
        default="certificate", description="certledger JSON or a W3C VC 2.0"
    ),
) -> JSONResponse:
    """An attachment named after the certificate number."""
    document: dict[str, Any] = services.safe.document(citizen, certificate_id, form=format)
    stored_number = document.get("claims", document.get("credentialSubject", {})).get(
        "certificate_no", "certificate"
    )
    suffix = ".vc.json" if format == "vc" else ".json"
    return JSONResponse(
        document, headers={"Content-Disposition": f'attachment; filename="{stored_number}{suffix}"'}
    )
