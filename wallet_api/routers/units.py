"""Receiving units."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Path, Query, status
from fastapi.responses import Response

from wallet_api._http import problem_responses
from wallet_api._receipt import receipt_pdf
from wallet_api._unit_history import UnitHistory, UnitVerificationEntry
from wallet_api._units import Unit
from wallet_api.deps import AuthorizedUnit, CitizenOrOperator, Operator, PageSize, ServicesDep
from wallet_api.schemas import HEX_ID, ApiKeyOut, Out, UnitCreate, UnitOut, UnitWithKey

router = APIRouter(prefix="/v1/units", tags=["units"], responses=problem_responses(401, 403, 404, 409))
UnitId = Path(pattern=HEX_ID, description="the unit's random id")


def _out(unit: Unit) -> UnitOut:
    return UnitOut.model_validate(unit, from_attributes=True)


@router.get("", summary="Units a citizen can share with")
def list_units(
    principal: CitizenOrOperator,
    services: ServicesDep,
    limit: PageSize = 50,
    after: str | None = Query(default=None, pattern=HEX_ID, description="units after this id"),
) -> list[UnitOut]:
    """Citizens see active units; operators see every unit."""
    units = services.units.page(limit=limit, after=after, active_only=principal.role != "operator")
    return [_out(unit) for unit in units]


@router.post("", status_code=status.HTTP_201_CREATED, summary="An operator registers a unit")
def register_unit(body: UnitCreate, operator: Operator, services: ServicesDep) -> UnitWithKey:
    """The API key is shown only in this response."""
    unit, key = services.units.register(name=body.name, credit_code=body.credit_code, operator=operator)
    return UnitWithKey(unit=_out(unit), api_key=key)


@router.get("/me", summary="The calling unit")
def this_unit(unit: AuthorizedUnit, services: ServicesDep) -> UnitOut:
    """Who the API key belongs to."""
    return _out(services.units.get(unit.id))


class FieldNameOut(Out):
    """A disclosed field by name, with its label from the type's schema (never its value)."""

    name: str
    label: dict[str, str]


class UnitVerificationOut(Out):
    """One verification the unit made: what it may keep on file, nothing personal."""

    id: str
    at: datetime
    certificate_number: str | None
    document_root: str
    type: str
    type_title: dict[str, str]
    office_id: int
    office_name: str | None
    verdict: Literal["VALID", "INVALID", "INDETERMINATE"]
    decisive: str | None
    fields: list[FieldNameOut]
    log_seq: int


def _verification_out(entry: UnitVerificationEntry) -> UnitVerificationOut:
    values = asdict(entry)
    values["type"] = values.pop("type_key")
    return UnitVerificationOut.model_validate(values)


@router.get("/me/verifications", summary="The verifications the calling unit made")
def unit_verifications(
    unit: AuthorizedUnit,
    services: ServicesDep,
    limit: PageSize = 20,
    before: int | None = Query(
        default=None, ge=0, le=2**53, description="verifications before this log sequence number"
    ),
) -> list[UnitVerificationOut]:
    """Newest first; page with `before` = the last one's `logSeq`."""
    entries = UnitHistory(services.context).page(unit, limit=limit, before=before)
    return [_verification_out(entry) for entry in entries]


@router.get(
    "/me/verifications/{verification_id}/receipt",
    summary="A receipt of one verification, as a PDF for the unit's files",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def verification_receipt(
    unit: AuthorizedUnit,
    services: ServicesDep,
    verification_id: str = Path(pattern=HEX_ID, description="the verification's id"),
    lang: Literal["zh", "en"] = Query(default="zh", description="the receipt's language"),
) -> Response:
    """The unit, the time (Beijing), the certificate, its issuer, the verdict, the fields, and the
    access-log entry an auditor can find it by. Another unit's verification is not found."""
    entry = UnitHistory(services.context).get(unit, verification_id)
    record = services.units.get(unit.id)
    document = receipt_pdf(
        entry,
        unit_name=record.name,
        credit_code=record.credit_code,
        printed_at=services.context.clock(),
        lang=lang,
    )
    return Response(
        document,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="receipt-{entry.log_seq}.pdf"',
            "Cache-Control": "no-store",
        },
    )


@router.get("/{unit_id}", summary="One unit")
def get_unit(principal: CitizenOrOperator, services: ServicesDep, unit_id: str = UnitId) -> UnitOut:
    """A unit by id."""
    return _out(services.units.get(unit_id, active=principal.role != "operator"))


@router.post("/{unit_id}/key", summary="An operator gives a unit a new API key")
def rotate_key(operator: Operator, services: ServicesDep, unit_id: str = UnitId) -> ApiKeyOut:
    """The old key stops working at once."""
    return ApiKeyOut(api_key=services.units.rotate_key(unit_id, operator=operator))


@router.delete("/{unit_id}", summary="An operator disables a unit")
def disable_unit(operator: Operator, services: ServicesDep, unit_id: str = UnitId) -> UnitOut:
    """Its key stops working; grants to it can no longer be redeemed."""
    return _out(services.units.disable(unit_id, operator=operator))
