"""Request dependencies: the services, and who is calling in which role."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from wallet_api._accounts import Accounts
from wallet_api._audit import AccessHistory, LogAudit
from wallet_api._certificate_desk import CertificateDesk
from wallet_api._context import WalletContext
from wallet_api._errors import AuthenticationError, PermissionDeniedError
from wallet_api._grants import Grants
from wallet_api._office import OfficeDesk
from wallet_api._principal import Principal
from wallet_api._safe_view import SafeView
from wallet_api._supervisor import Supervisor
from wallet_api._units import Units

MAX_PAGE = 100


@dataclass(frozen=True, slots=True)
class Services:
    """Everything a route may call, built once per application."""

    context: WalletContext
    accounts: Accounts
    units: Units
    grants: Grants
    safe: SafeView
    history: AccessHistory
    audit: LogAudit
    office: OfficeDesk
    certificates: CertificateDesk
    supervisor: Supervisor | None
    """the background loops, when the application runs them"""

    @classmethod
    def build(cls, context: WalletContext, *, supervisor: Supervisor | None = None) -> Services:
        """The services on one context, and the application's background loops if any."""
        return cls(
            context=context,
            accounts=Accounts(context),
            units=Units(context),
            grants=Grants(context),
            safe=SafeView(context),
            history=AccessHistory(context),
            audit=LogAudit(context),
            office=OfficeDesk(context),
            certificates=CertificateDesk(context),
            supervisor=supervisor,
        )


async def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(_services)]

_bearer = HTTPBearer(
    auto_error=False, description="an access token from /v1/auth/login or /v1/auth/staff-login"
)
_api_key = APIKeyHeader(name="X-API-Key", auto_error=False, description="a unit's API key")


def _token_principal(
    services: ServicesDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None:
        raise AuthenticationError("log in first: send Authorization: Bearer <token>")
    return services.accounts.from_token(credentials.credentials)


def _role(*roles: str) -> object:
    def check(principal: Annotated[Principal, Depends(_token_principal)]) -> Principal:
        if principal.role not in roles:
            raise PermissionDeniedError(f"this needs the {' or '.join(roles)} role", code="auth.wrong_role")
        return principal

    return check


async def _unit_principal(services: ServicesDep, key: Annotated[str | None, Depends(_api_key)]) -> Principal:
    # On the event loop: one indexed read, cheaper than a hop to the thread pool.
    if key is None:
        raise AuthenticationError(
            "units authenticate with their API key: send X-API-Key", code="auth.required"
        )
    return services.accounts.from_api_key(key)


AnyUser = Annotated[Principal, Depends(_token_principal)]
CurrentCitizen = Annotated[Principal, Depends(_role("citizen"))]
Operator = Annotated[Principal, Depends(_role("operator"))]
Auditor = Annotated[Principal, Depends(_role("auditor"))]
CitizenOrOperator = Annotated[Principal, Depends(_role("citizen", "operator"))]
AuthorizedUnit = Annotated[Principal, Depends(_unit_principal)]
PageSize = Annotated[int, Query(ge=1, le=MAX_PAGE, description="how many to return")]


def client_address(request: Request) -> str:
    """The caller's address, for budgets of anonymous requests: the socket's peer, or the client
    that X-Forwarded-For names when the peer is a trusted proxy (``CERTLEDGER_TRUSTED_PROXIES``)."""
    services: Services = request.app.state.services
    return services.context.proxies.client(
        request.client.host if request.client else None, request.headers.getlist("x-forwarded-for")
    )
