"""Print grants: the citizen's signed consent to the 验证码 printed on paper; listed and withdrawn."""

from __future__ import annotations

from fastapi import APIRouter, Path, status

from wallet_api._http import problem_responses
from wallet_api._print_codes import PrintCodes, StoredPrint
from wallet_api.deps import CurrentCitizen, PageSize, ServicesDep
from wallet_api.print_schemas import PrintCreate, PrintDraftIn, PrintDraftOut, PrintOut
from wallet_api.schemas import HEX_ID

router = APIRouter(prefix="/v1/prints", tags=["printing"], responses=problem_responses(401, 404, 409, 429))
PrintId = Path(pattern=HEX_ID, description="the print grant's id")


def _out(found: StoredPrint) -> PrintOut:
    return PrintOut.model_validate(found, from_attributes=True)


@router.post("/draft", summary="A fresh 验证码 and the print grant to sign for it")
def draft(body: PrintDraftIn, citizen: CurrentCitizen, services: ServicesDep) -> PrintDraftOut:
    """The grant's id is derived from the code, so the citizen's signature binds the code."""
    drafted = PrintCodes(services.context).draft(
        citizen, certificate_id=body.certificate_id, fields=body.fields, days=body.days
    )
    grant = drafted.grant
    return PrintDraftOut(
        code=drafted.code,
        grant_id=grant.grant_id.hex(),
        expires=grant.expires,
        typed_data=grant.typed_data(services.context.domain),
    )


@router.post("", status_code=status.HTTP_201_CREATED, summary="Store a signed print grant")
def create(body: PrintCreate, citizen: CurrentCitizen, services: ServicesDep) -> PrintOut:
    """From then on whoever holds the code can check the printed fields at /verify, until the
    grant expires or the citizen withdraws it."""
    services.context.limiter.take("grants", citizen.id, per_minute=services.context.settings.rate_grants)
    return _out(
        PrintCodes(services.context).create(
            citizen,
            certificate_id=body.certificate_id,
            fields=body.fields,
            expires=body.expires,
            code=body.code,
            signature=bytes.fromhex(body.signature[2:]),
        )
    )


@router.get("", summary="The citizen's print grants")
def list_prints(citizen: CurrentCitizen, services: ServicesDep, limit: PageSize = 20) -> list[PrintOut]:
    """Newest first, with their state and lookups left."""
    return [_out(found) for found in PrintCodes(services.context).page(citizen, limit=limit)]


@router.post("/{print_id}/revoke", summary="Withdraw a print grant")
def revoke(citizen: CurrentCitizen, services: ServicesDep, print_id: str = PrintId) -> PrintOut:
    """The code on the paper is refused from the next lookup. Withdrawing twice changes nothing."""
    return _out(PrintCodes(services.context).revoke(citizen, print_id))
