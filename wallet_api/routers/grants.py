"""Grants: drafted, signed by the citizen's key, listed, revoked, shown as QR codes."""

from __future__ import annotations

import base64

from fastapi import APIRouter, Path, Query, Response, status

from wallet_api._grants import GrantTerms, StoredGrant
from wallet_api._http import problem_responses
from wallet_api.deps import CurrentCitizen, PageSize, ServicesDep
from wallet_api.schemas import (
    HEX_ID,
    GrantCreate,
    GrantCreated,
    GrantDraftOut,
    GrantOut,
    GrantTermsIn,
    QrRequest,
)

router = APIRouter(
    prefix="/v1/grants", tags=["grants"], responses=problem_responses(401, 403, 404, 409, 410, 429, 503)
)
GrantId = Path(pattern=HEX_ID, description="the grant's id")


def _out(grant: StoredGrant) -> GrantOut:
    return GrantOut.model_validate(grant, from_attributes=True)


def _terms(body: GrantTermsIn) -> GrantTerms:
    return GrantTerms(
        certificate_id=body.certificate_id,
        unit_id=body.unit_id,
        fields=body.fields,
        purpose=body.purpose,
        expires=body.expires,
        uses=body.uses,
    )


@router.post("/draft", summary="The EIP-712 typed data to sign for a grant")
def draft(body: GrantTermsIn, citizen: CurrentCitizen, services: ServicesDep) -> GrantDraftOut:
    """Checks the terms and returns what the citizen's wallet key is to sign, with a fresh grant id."""
    grant = services.grants.draft(citizen, _terms(body))
    return GrantDraftOut(grant_id=grant.grant_id.hex(), typed_data=grant.typed_data(services.context.domain))


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a signed grant")
def create(body: GrantCreate, citizen: CurrentCitizen, services: ServicesDep) -> GrantCreated:
    """The response holds the only copy of the link's key; keep it to show the QR code again.

    A device that chooses the one-time key itself (`key`) may send the same request again when
    the answer was lost (a timeout, a 503): it gets the same grant and link, not a second grant."""
    services.context.limiter.take("grants", citizen.id, per_minute=services.context.settings.rate_grants)
    created = services.grants.create(
        citizen,
        _terms(body),
        grant_id=body.grant_id,
        signature=bytes.fromhex(body.signature[2:]),
        key=body.key,
    )
    return GrantCreated(
        grant=_out(created.grant),
        link=created.link,
        reference=created.reference,
        key=created.key,
        qr_svg=created.qr_svg,
        qr_png=base64.b64encode(created.qr_png).decode(),
    )


@router.get("", summary="The citizen's grants")
def list_grants(
    citizen: CurrentCitizen,
    services: ServicesDep,
    limit: PageSize = 20,
    after: str | None = Query(default=None, pattern=HEX_ID, description="grants older than this one"),
) -> list[GrantOut]:
    """Newest first, with their state and uses left."""
    return [_out(grant) for grant in services.grants.page(citizen, limit=limit, after=after)]


@router.get("/{grant_id}", summary="One grant")
def get_grant(citizen: CurrentCitizen, services: ServicesDep, grant_id: str = GrantId) -> GrantOut:
    """A grant of the citizen's."""
    return _out(services.grants.get(citizen, grant_id))


@router.post("/{grant_id}/revoke", summary="Revoke a grant")
def revoke(citizen: CurrentCitizen, services: ServicesDep, grant_id: str = GrantId) -> GrantOut:
    """The next scan is refused. Revoking twice changes nothing."""
    return _out(services.grants.revoke(citizen, grant_id))


@router.post(
    "/{grant_id}/qr",
    summary="The grant's QR code again",
    response_class=Response,
    responses={200: {"content": {"image/png": {}, "image/svg+xml": {}}}},
)
def qr(body: QrRequest, citizen: CurrentCitizen, services: ServicesDep, grant_id: str = GrantId) -> Response:
    """From the key the citizen's device kept (the service does not have it)."""
    image, media_type = services.grants.qr(citizen, grant_id, key=body.key, form=body.format)
    return Response(image, media_type=media_type, headers={"Cache-Control": "no-store"})
