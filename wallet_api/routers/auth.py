"""Logging in and out."""

from __future__ import annotations

from fastapi import APIRouter, Request, status

from wallet_api._http import problem_responses
from wallet_api.deps import AnyUser, ServicesDep, client_address
from wallet_api.schemas import CitizenLogin, StaffLogin, Token

router = APIRouter(prefix="/v1/auth", tags=["auth"], responses=problem_responses(401, 429))


@router.post("/login", summary="A citizen logs in")
def login(body: CitizenLogin, request: Request, services: ServicesDep) -> Token:
    """Identity number or phone, and password; the token lasts a few minutes."""
    services.context.limiter.take(
        "login", client_address(request), per_minute=services.context.settings.rate_login
    )
    session = services.accounts.login_citizen(body.login, body.password)
    return Token(access_token=session.token, expires_at=session.expires_at, role=session.role)


@router.post("/staff-login", summary="An operator or auditor logs in")
def staff_login(body: StaffLogin, request: Request, services: ServicesDep) -> Token:
    """Username and password."""
    services.context.limiter.take(
        "login", client_address(request), per_minute=services.context.settings.rate_login
    )
    session = services.accounts.login_staff(body.username, body.password)
    return Token(access_token=session.token, expires_at=session.expires_at, role=session.role)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, summary="End this session")
def logout(principal: AnyUser, services: ServicesDep) -> None:
    """The token is refused from now on."""
    services.accounts.logout(principal)
