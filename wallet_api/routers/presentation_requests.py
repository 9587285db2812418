"""The scan stand (扫码墩): a unit's presentation requests and citizens' answers to them."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Request, status
from fastapi.responses import RedirectResponse

from verifier import Verdict
from wallet_api._errors import AuthenticationError, RateLimitedError, ServiceUnavailableError, WalletError
from wallet_api._http import problem_responses
from wallet_api._principal import Principal
from wallet_api._problems import problem_kind
from wallet_api._requests import (
    MatchingCertificate,
    PresentationRequests,
    RequestState,
    RequestTerms,
    StoredRequest,
)
from wallet_api.deps import AuthorizedUnit, CurrentCitizen, Services, ServicesDep
from wallet_api.request_schemas import (
    AskableType,
    MatchingCertificateOut,
    PresentationDefinition,
    PresentationRequestAsked,
    PresentationRequestCreate,
    PresentationRequestCreated,
    PresentationRequestOut,
    PresentationRequestStatus,
    PresentationResult,
    RequestAnswer,
    RequestDraftIn,
    RequestDraftOut,
    RequestedFieldOut,
    RequestedTypeOut,
    RequestTermsOut,
)
from wallet_api.routers.redemptions import redeem_link
from wallet_api.schemas import HEX_ID, RedeemRequest, UnitRef

api = APIRouter(
    prefix="/v1/presentation-requests",
    tags=["presentation requests"],
    responses=problem_responses(401, 403, 404, 409, 422, 429, 503),
)
links = APIRouter(include_in_schema=False)

RequestId = Path(pattern=HEX_ID, description="the request's id")
MAX_WAIT_SECONDS = 20
_POLL_SECONDS = 0.2
CollectKey = Annotated[
    str | None,
    Header(
        alias="X-Collect-Key",
        max_length=64,
        description="the request's collection key, given when it was made: it opens the citizen's answer",
    ),
]


def _desk(services: Services) -> PresentationRequests:
    """The requests' service on the application's context (it holds no state of its own)."""
    return PresentationRequests(services.context)


def _out(request: StoredRequest, services: Services) -> PresentationRequestOut:
    return PresentationRequestOut(
        id=request.id,
        state=request.state.value,
        client_id=request.unit.credit_code,
        client=UnitRef(id=request.unit.id, name=request.unit.name, credit_code=request.unit.credit_code),
        nonce=request.nonce,
        presentation_definition=PresentationDefinition(
            type=None
            if request.type is None
            else RequestedTypeOut(key=request.type.key, title=request.type.title),
            fields=[RequestedFieldOut(name=field.name, label=field.label) for field in request.fields],
        ),
        purpose=request.purpose,
        grant_seconds=request.grant_seconds,
        uses=request.uses,
        response_uri=f"{services.context.settings.base_url}/v1/presentation-requests/{request.id}/answer",
        created_at=request.created_at,
        expires_at=request.expires_at,
        answered_at=request.answered_at,
        collected_at=request.collected_at,
    )


def _certificate(found: MatchingCertificate) -> MatchingCertificateOut:
    return MatchingCertificateOut(id=found.id, number=found.number, type=found.type_key, title=found.titles)


@api.post("", status_code=status.HTTP_201_CREATED, summary="Ask a citizen for fields (the scan stand)")
def create(
    body: PresentationRequestCreate, unit: AuthorizedUnit, services: ServicesDep
) -> PresentationRequestCreated:
    """A request bound to the unit, answered once, waiting at most ten minutes; its link
    (`/q/<id>`) is shown as a QR code. `collectKey` is the only copy of the key that opens the
    citizen's answer: send it as `X-Collect-Key` when polling."""
    services.context.limiter.take("request", unit.id, per_minute=services.context.settings.rate_grants)
    created = _desk(services).create(
        unit,
        RequestTerms(
            fields=body.fields,
            purpose=body.purpose,
            grant_seconds=body.grant_seconds,
            uses=body.uses,
            type=body.type,
            lifetime_seconds=body.lifetime_seconds,
        ),
    )
    shown = _out(created.request, services)
    return PresentationRequestCreated(
        **shown.model_dump(), link=created.link, qr_svg=created.qr_svg, collect_key=created.collect_key
    )


@api.get("/types", summary="What a unit may ask for: each type's fields, labelled")
def askable(unit: AuthorizedUnit, services: ServicesDep) -> list[AskableType]:
    """Each certificate type's latest version and its fields with their labels from the schema,
    for the stand's form."""
    del unit
    return [
        AskableType(
            key=found.key,
            title=found.title,
            fields=[RequestedFieldOut(name=field.name, label=field.label) for field in fields],
            always=list(always),
        )
        for found, fields, always in _desk(services).askable()
    ]


async def _collect(
    unit: Principal, request_id: str, key: str, services: Services
) -> PresentationResult | None:
    """The verdict on an answered request, redeemed for the unit now; None if not answered."""
    desk = _desk(services)
    # Off the event loop: claiming the answer waits for the database's commit.
    collected = await asyncio.to_thread(desk.collect, unit, request_id, collect_key=key)
    if collected is None:
        return None
    body = RedeemRequest(reference=collected.reference, key=collected.key, view=True)
    try:
        redemption = await redeem_link(body, unit, services, with_view=True)
    except (AuthenticationError, RateLimitedError, ServiceUnavailableError):
        # Not the grant's fault: the answer is put back, and the next poll tries again.
        await asyncio.to_thread(desk.reopen, unit, request_id, collected)
        raise
    except WalletError as error:  # the grant was refused (revoked meanwhile, say): an answer to show
        problem = {"status": problem_kind(error).status, "code": error.error_code, "detail": error.detail}
        return PresentationResult(outcome="refused", problem=problem)
    except Exception:
        await asyncio.to_thread(desk.reopen, unit, request_id, collected)
        raise
    if redemption.verification.verdict == Verdict.INDETERMINATE:
        # Nothing decided and no use spent: the next poll redeems again.
        await asyncio.to_thread(desk.reopen, unit, request_id, collected)
    return PresentationResult(
        outcome="redeemed", redemption=redemption.model_dump(mode="json", by_alias=True)
    )


@api.get("/{request_id}", summary="A request of the unit's, and its verdict once answered")
async def poll(
    unit: AuthorizedUnit,
    services: ServicesDep,
    collect_key: CollectKey = None,
    request_id: str = RequestId,
    wait: int = Query(default=0, ge=0, le=MAX_WAIT_SECONDS, description="seconds to wait for an answer"),
) -> PresentationRequestStatus:
    """Another unit's request is not found. With `wait`, the answer comes as soon as the
    citizen consents (or the request expires), or after `wait` seconds. With `X-Collect-Key`,
    an answered request is redeemed for the unit by the ordinary redemption path (the access log
    records it) and `result` holds the verdict — once: later polls see it collected."""
    if collect_key is not None:
        _desk(services).check_collect_key(unit, request_id, collect_key)
    deadline = time.monotonic() + wait
    while True:
        request = _desk(services).get(unit, request_id)
        if request.state is not RequestState.PENDING or time.monotonic() >= deadline:
            break
        await asyncio.sleep(_POLL_SECONDS)
    result = None
    if request.state is RequestState.ANSWERED and collect_key is not None:
        result = await _collect(unit, request_id, collect_key, services)
        request = _desk(services).get(unit, request_id)
    return PresentationRequestStatus(request=_out(request, services), result=result)


@api.get("/{request_id}/object", summary="A request as the citizen's wallet shows it")
def ask(
    citizen: CurrentCitizen, services: ServicesDep, request_id: str = RequestId
) -> PresentationRequestAsked:
    """Who asks (the unit's registered name and credit code), for which fields and why, from the
    service's records — and the citizen's certificates that can answer it."""
    asked = _desk(services).ask(citizen, request_id)
    return PresentationRequestAsked(
        request=_out(asked.request, services), certificates=[_certificate(c) for c in asked.certificates]
    )


@api.post("/{request_id}/draft", summary="The grant answering a request, to sign")
def draft(
    body: RequestDraftIn, citizen: CurrentCitizen, services: ServicesDep, request_id: str = RequestId
) -> RequestDraftOut:
    """The EIP-712 typed data whose grant id is the request's nonce, and the terms to send with
    the signature to `POST /v1/grants` (with `grantId` = the nonce)."""
    drafted = _desk(services).draft(citizen, request_id, certificate_id=body.certificate_id)
    terms = drafted.terms
    return RequestDraftOut(
        grant_id=drafted.grant.grant_id.hex(),
        typed_data=drafted.grant.typed_data(services.context.domain),
        terms=RequestTermsOut(
            certificate_id=terms.certificate_id,
            unit_id=terms.unit_id,
            fields=list(terms.fields),
            purpose=terms.purpose,
            expires=terms.expires,
            uses=terms.uses,
        ),
    )


@api.post("/{request_id}/answer", summary="Answer a request with a grant")
def answer(
    body: RequestAnswer, citizen: CurrentCitizen, services: ServicesDep, request_id: str = RequestId
) -> PresentationRequestOut:
    """The link of the grant made from the request's draft; the unit's screen then shows the
    verdict. Refused when the request is expired or answered, or the grant is another unit's,
    was not drafted for this request, or does not cover the fields asked for."""
    return _out(_desk(services).answer(citizen, request_id, reference=body.reference, key=body.key), services)


@links.get("/q/{request_id}")
def request_link(request: Request, request_id: str = RequestId) -> RedirectResponse:
    """A stand's QR code opens the wallet on the request."""
    del request
    return RedirectResponse(f"/wallet#/q/{request_id}", status_code=303)


# The API and the stand's short link, registered together.
router = APIRouter()
router.include_router(api)
router.include_router(links)
