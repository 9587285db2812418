"""The scan stand's request and response bodies (``/v1/presentation-requests``), named after
OpenID for Verifiable Presentations where the idea is the same: ``clientId``, ``nonce``,
``presentationDefinition``, ``purpose``, ``responseUri``, ``state``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from wallet_api._requests import DEFAULT_LIFETIME_SECONDS, MAX_LIFETIME_SECONDS, MIN_LIFETIME_SECONDS
from wallet_api.schemas import HEX_ID, Body, Out, UnitRef

FIELD_NAME = r"^[a-z][a-z0-9_]{0,63}$"
TYPE_KEY = r"^[a-z][a-z0-9-]{1,62}(/v[0-9]{1,4})?$"


class PresentationRequestCreate(Body):
    """What a unit asks for at the scan stand."""

    fields: list[Annotated[str, Field(pattern=FIELD_NAME, max_length=64)]] = Field(
        min_length=1,
        max_length=64,
        description="the certificate fields the unit needs (the schema's top-level names)",
    )
    purpose: str = Field(min_length=1, max_length=200, description="why, shown to the citizen")
    grant_seconds: int = Field(ge=60, le=366 * 86_400, description="how long the grant is to last")
    uses: int = Field(default=1, ge=1, le=1000, description="how many times the unit may redeem it")
    type: str | None = Field(
        default=None, pattern=TYPE_KEY, max_length=70, description="a certificate type (name or name/vN)"
    )
    lifetime_seconds: int = Field(
        default=DEFAULT_LIFETIME_SECONDS,
        ge=MIN_LIFETIME_SECONDS,
        le=MAX_LIFETIME_SECONDS,
        description="how long the request waits for an answer (at most ten minutes)",
    )


class RequestedFieldOut(Out):
    """A field asked for, labelled from its type's schema."""

    name: str
    label: dict[str, str]


class RequestedTypeOut(Out):
    """The certificate type a request is limited to."""

    key: str
    title: dict[str, str]


class AskableType(Out):
    """A certificate type a unit may ask for, with its fields labelled from the schema."""

    key: str
    title: dict[str, str]
    fields: list[RequestedFieldOut]
    always: list[str] = Field(description="fields always asked for: the holder's name and identity number")


class PresentationDefinition(Out):
    """The requested fields, after the idea of OpenID4VP's ``presentation_definition``."""

    type: RequestedTypeOut | None
    fields: list[RequestedFieldOut]


class PresentationRequestOut(Out):
    """A request as its unit and the citizen see it."""

    id: str
    state: Literal["pending", "answered", "collected", "expired"]
    client_id: str = Field(description="the requesting unit's unified social credit code")
    client: UnitRef = Field(description="the requesting unit, as registered with the bureau")
    nonce: str = Field(description="the id the answering grant must carry, so the citizen signs it")
    presentation_definition: PresentationDefinition
    purpose: str
    grant_seconds: int
    uses: int
    response_uri: str = Field(description="where the citizen's wallet answers")
    created_at: datetime
    expires_at: datetime
    answered_at: datetime | None
    collected_at: datetime | None


class PresentationRequestCreated(PresentationRequestOut):
    """A new request, the link its QR code carries, and the only copy of its collection key."""

    link: str
    qr_svg: str
    collect_key: str = Field(
        description="send it as X-Collect-Key when polling: it opens the citizen's answer; it is not kept"
    )


class MatchingCertificateOut(Out):
    """One of the citizen's certificates that holds every field asked for."""

    id: str
    number: str
    type: str
    title: dict[str, str]


class PresentationRequestAsked(Out):
    """A request as the citizen's wallet shows it."""

    request: PresentationRequestOut
    certificates: list[MatchingCertificateOut]


class RequestDraftIn(Body):
    """The certificate the citizen answers with."""

    certificate_id: str = Field(pattern=HEX_ID)


class RequestTermsOut(Out):
    """The terms to send to ``POST /v1/grants`` with the signature."""

    certificate_id: str
    unit_id: str
    fields: list[str]
    purpose: str
    expires: int
    uses: int


class RequestDraftOut(Out):
    """The typed data to sign (its grant id is the request's nonce) and the terms behind it."""

    grant_id: str
    typed_data: dict[str, Any]
    terms: RequestTermsOut


class RequestAnswer(Body):
    """The citizen's answer: the link of the grant made from the request's draft."""

    reference: str = Field(min_length=16, max_length=32, pattern=r"^[A-Za-z0-9]+$")
    key: str = Field(min_length=43, max_length=43, pattern=r"^[A-Za-z0-9_-]{43}$")


class PresentationResult(Out):
    """What the unit's screen shows once the citizen consented: the verification result, in
    the shape of ``POST /verify/redeem``'s answer."""

    outcome: Literal["redeemed", "refused"]
    redemption: dict[str, Any] | None = None
    problem: dict[str, Any] | None = None


class PresentationRequestStatus(Out):
    """A poll's answer: the request, and the result when this poll collected it."""

    request: PresentationRequestOut
    result: PresentationResult | None
