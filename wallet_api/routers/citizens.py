"""Enrolment and the citizen's own account and history."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request, status

from wallet_api._http import problem_responses
from wallet_api.deps import CurrentCitizen, Operator, PageSize, ServicesDep, client_address
from wallet_api.schemas import Enrolment, EnrolmentCodeOut, EnrolmentCodeRequest, HistoryEntry, Profile

router = APIRouter(prefix="/v1", tags=["citizens"], responses=problem_responses(401, 403, 404, 409, 410, 429))


@router.post(
    "/enrolment-codes",
    status_code=status.HTTP_201_CREATED,
    summary="An operator issues a citizen's one-time enrolment code",
)
def new_enrolment_code(
    body: EnrolmentCodeRequest, operator: Operator, services: ServicesDep
) -> EnrolmentCodeOut:
    """After checking the citizen's identity at a counter; the code lasts 72 hours."""
    code, expires = services.accounts.new_enrolment_code(body.identity_number.upper(), operator=operator)
    return EnrolmentCodeOut(code=code, expires_at=expires)


@router.post(
    "/reset-codes",
    status_code=status.HTTP_201_CREATED,
    summary="An operator issues an enrolled citizen a code that resets their account",
)
def new_reset_code(body: EnrolmentCodeRequest, operator: Operator, services: ServicesDep) -> EnrolmentCodeOut:
    """For a lost phone or a forgotten password, after checking the citizen's identity at a counter.
    Enrolling with it replaces the password and the wallet key, ends every session and revokes
    every grant; a citizen who never enrolled is refused (`citizen.not_enrolled`)."""
    code, expires = services.accounts.new_enrolment_code(
        body.identity_number.upper(), operator=operator, reset=True
    )
    return EnrolmentCodeOut(code=code, expires_at=expires)


@router.post("/citizens", status_code=status.HTTP_201_CREATED, summary="A citizen enrols their wallet")
def enrol(body: Enrolment, request: Request, services: ServicesDep) -> Profile:
    """With the code from the counter, a phone, a password and the device's wallet key."""
    services.context.limiter.take(
        "enrol", client_address(request), per_minute=services.context.settings.rate_login
    )
    citizen = services.accounts.enrol(
        identity_number=body.identity_number.upper(),
        code=body.code,
        phone=body.phone,
        password=body.password,
        wallet_address=body.wallet_address,
        proof=bytes.fromhex(body.wallet_proof[2:]),
        key_backup=body.key_backup,
    )
    return Profile.model_validate(services.accounts.profile(citizen), from_attributes=True)


@router.get("/me", summary="The citizen's account")
def me(citizen: CurrentCitizen, services: ServicesDep) -> Profile:
    """Masked phone, wallet address, whether a key backup is deposited."""
    return Profile.model_validate(services.accounts.profile(citizen), from_attributes=True)


@router.get("/me/key-backup", summary="The citizen's encrypted wallet key backup")
def key_backup(citizen: CurrentCitizen, services: ServicesDep) -> dict[str, Any]:
    """As the device deposited it; only the citizen's passphrase opens it."""
    return services.accounts.key_backup(citizen)


@router.get("/me/access-log", summary="Who saw which certificate, when, for what")
def access_history(
    citizen: CurrentCitizen,
    services: ServicesDep,
    limit: PageSize = 20,
    before: int | None = Query(
        default=None, ge=0, le=2**53, description="entries before this sequence number"
    ),
) -> list[HistoryEntry]:
    """Grants, revocations and redemptions of the citizen's certificates, newest first."""
    return [
        HistoryEntry.model_validate(entry)
        for entry in services.history.page(citizen, limit=limit, before=before)
    ]
