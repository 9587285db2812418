"""The citizen's safe: their own certificates."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse, Response

from wallet_api._errors import InvalidRequestError
from wallet_api._http import problem_responses
from wallet_api._print import PrintedCode, certificate_pdf
from wallet_api._print_codes import PrintCodes, read_code
from wallet_api._render import document_view
from wallet_api.deps import CurrentCitizen, ServicesDep
from wallet_api.print_schemas import PrintRequest
from wallet_api.routers.redemptions import reference_and_key
from wallet_api.schemas import HEX_ID, CertificateOut, CertificateSummaryOut, RedeemRequest

router = APIRouter(
    prefix="/v1/certificates", tags=["certificates"], responses=problem_responses(401, 403, 404, 409, 410)
)
CertificateId = Path(pattern=HEX_ID, description="the certificate's random id")


@router.get("", summary="The citizen's certificates")
def list_certificates(citizen: CurrentCitizen, services: ServicesDep) -> list[CertificateSummaryOut]:
    """Current certificates, newest first."""
    return [
        CertificateSummaryOut(
            id=item.id,
            number=item.number,
            type=item.type_key,
            title=item.titles["zh"],
            titles=item.titles,
            issued=item.issued,
            valid_until=item.valid_until,
            status=item.status,
            anchored=item.anchored,
        )
        for item in services.safe.list(citizen)
    ]


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
        view=document_view(stored.certificate.claims, certificate_type),
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


@router.post(
    "/{certificate_id}/pdf",
    summary="The certificate as a one-page printable PDF, with a grant's QR code or a 验证码",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def pdf(
    body: PrintRequest, citizen: CurrentCitizen, services: ServicesDep, certificate_id: str = CertificateId
) -> Response:
    """Checked against the ledger as it is printed. With the link of one of the citizen's grants
    for this certificate, the page carries its QR code so that the unit can verify the paper; with
    the code of one of their active print grants for it, the code and a QR code of the verify page
    (anyone may check it there)."""
    if body.link is not None and body.code is not None:
        raise InvalidRequestError("a link or a code, not both", code="request.invalid")
    stored = services.safe.get(citizen, certificate_id)
    certificate = stored.certificate
    header = certificate.header
    certificate_type = services.context.catalog.get(header.type_id, header.version)
    grant = None
    if body.link is not None:
        reference, _key = reference_and_key(RedeemRequest(link=body.link))
        grant = services.grants.by_reference(citizen, reference)
        if grant.certificate_id != certificate_id:
            raise InvalidRequestError(
                "link: that grant is for another certificate", code="grant.other_certificate"
            )
    printed = None
    if body.code is not None:
        found = PrintCodes(services.context).for_printing(citizen, certificate_id, body.code)
        code = read_code(body.code) or body.code
        base = services.context.settings.base_url
        printed = PrintedCode(
            code=code,
            expires_at=found.expires_at,
            verify_url=f"{base}/verify?code={code}",
            fields=found.fields,
        )
    verification = (
        None if certificate.anchor is None else services.context.verifier.verify(certificate.to_json())
    )
    claims = certificate.claims
    if printed is not None:  # the paper shows what its code discloses, no more
        claims = {name: value for name, value in claims.items() if name in printed.fields}
    document = certificate_pdf(
        document_view(claims, certificate_type),
        number=stored.number,
        office=verification.office_name if verification else None,
        verification=verification,
        anchor=certificate.anchor,
        checked_at=services.context.clock(),
        valid_until=header.valid_until,
        link=body.link,
        grant=grant,
        code=printed,
        lang=body.lang,
    )
    return Response(
        document,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{stored.number}.pdf"',
            "Cache-Control": "no-store",
        },
    )
