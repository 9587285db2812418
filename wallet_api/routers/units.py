"""Receiving units."""

from __future__ import annotations

from fastapi import APIRouter, Path, Query, status

from wallet_api._http import problem_responses
from wallet_api._units import Unit
from wallet_api.deps import AuthorizedUnit, CitizenOrOperator, Operator, PageSize, ServicesDep
from wallet_api.schemas import HEX_ID, ApiKeyOut, UnitCreate, UnitOut, UnitWithKey

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
