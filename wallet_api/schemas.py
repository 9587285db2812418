"""The API's request and response bodies. JSON names are camelCase; table rows never leave the API
as they are, only these models do."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

import audit

HEX_ID = r"^[0-9a-f]{32}$"
IDENTITY_NUMBER = r"^[0-9]{17}[0-9Xx]$"
CREDIT_CODE = r"^[0-9A-HJ-NPQRTUWXY]{18}$"
MOBILE = r"^1[3-9][0-9]{9}$"
ADDRESS = r"^0x[0-9a-fA-F]{40}$"
SIGNATURE = r"^0x[0-9a-f]{130}$"


class Body(BaseModel):
    """A JSON body: camelCase names, unknown fields refused."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class Out(audit.Out):
    """A JSON response: camelCase names."""


class Problem(Out):
    """An RFC 9457 problem detail, with the service's stable error code and the request id."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    code: str
    request_id: str
    errors: list[dict[str, Any]] | None = None


# ---------------------------------------------------------------- accounts


class CitizenLogin(Body):
    """A citizen logs in with their identity number or phone and their password."""

    login: str = Field(min_length=11, max_length=18, examples=["37100219790330748X"])
    password: str = Field(min_length=1, max_length=200)


class StaffLogin(Body):
    """An operator or auditor logs in."""

    username: str = Field(min_length=3, max_length=64)
    password: str = Field(min_length=1, max_length=200)


class Token(Out):
    """A short-lived access token: send it as ``Authorization: Bearer …``."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 — the scheme's name
    expires_at: datetime
    role: str


class EnrolmentCodeRequest(Body):
    """An operator asks for a citizen's enrolment code after checking their identity."""

    identity_number: str = Field(pattern=IDENTITY_NUMBER, description="checked by its GB 11643 check digit")


class EnrolmentCodeOut(Out):
    """The one-time code to hand the citizen."""

    code: str
    expires_at: datetime


class Enrolment(Body):
    """A citizen enrols (or re-enrols) with the code from the counter and their device's wallet key."""

    identity_number: str = Field(pattern=IDENTITY_NUMBER, description="checked by its GB 11643 check digit")
    code: str = Field(min_length=12, max_length=20)
    phone: str = Field(pattern=MOBILE)
    password: str = Field(min_length=10, max_length=200)
    wallet_address: str = Field(pattern=ADDRESS)
    wallet_proof: str = Field(pattern=SIGNATURE, description="EIP-191 signature of the enrolment message")
    key_backup: dict[str, Any] | None = Field(
        default=None, description="the wallet key encrypted on the device (Web3 Secret Storage v3)"
    )


class Profile(Out):
    """The citizen's own account."""

    id: str
    phone: str
    wallet_address: str
    has_key_backup: bool
    enrolled_at: datetime


# ---------------------------------------------------------------- certificates


class CertificateSummaryOut(Out):
    """A certificate as a card in the wallet."""

    id: str
    number: str
    type: str
    title: str = Field(description="in Simplified Chinese")
    titles: dict[str, str] = Field(description="the title by language: zh, en")
    issued: date
    valid_until: date | None
    status: str
    anchored: bool


class CertificateOut(Out):
    """A certificate, decrypted from the citizen's safe."""

    id: str
    number: str
    status: str
    type: str
    field_titles: dict[str, str]
    document: dict[str, Any]
    view: dict[str, Any] = Field(
        description="the certificate laid out for reading (labels, amounts in yuan, tables)"
    )


# ---------------------------------------------------------------- units


class UnitCreate(Body):
    """An operator registers a receiving unit."""

    name: str = Field(min_length=2, max_length=100)
    credit_code: str = Field(pattern=CREDIT_CODE, description="checked by its GB 32100 check character")


class UnitOut(Out):
    """A receiving unit."""

    id: str
    name: str
    credit_code: str
    created_at: datetime
    active: bool


class UnitWithKey(Out):
    """A unit and its API key, shown only this once."""

    unit: UnitOut
    api_key: str


class ApiKeyOut(Out):
    """A unit's new API key, shown only this once."""

    api_key: str


# ---------------------------------------------------------------- grants


class GrantTermsIn(Body):
    """What a citizen consents to share."""

    certificate_id: str = Field(pattern=HEX_ID)
    unit_id: str = Field(pattern=HEX_ID)
    fields: list[str] = Field(min_length=1, max_length=64)
    purpose: str = Field(min_length=1, max_length=200)
    expires: int = Field(gt=0, lt=2**63, description="Unix time in seconds, at most 30 days ahead")
    uses: int = Field(ge=1, le=1000)


class GrantCreate(GrantTermsIn):
    """The terms, the grant id from the draft, and the citizen's EIP-712 signature."""

    grant_id: str = Field(pattern=HEX_ID)
    signature: str = Field(pattern=SIGNATURE)
    key: str | None = Field(
        default=None,
        min_length=43,
        max_length=43,
        pattern=r"^[A-Za-z0-9_-]{43}$",
        description=(
            "the link's one-time key, 32 random bytes in base64url, chosen by the citizen's device; "
            "with it a lost answer can be asked for again (the same request returns the same grant)"
        ),
    )


class GrantDraftOut(Out):
    """The EIP-712 typed data the citizen's wallet key is to sign."""

    grant_id: str
    typed_data: dict[str, Any]


class UnitRef(Out):
    """The unit a grant is for."""

    id: str
    name: str
    credit_code: str


class GrantOut(Out):
    """A grant as its citizen sees it."""

    id: str
    reference: str
    certificate_id: str
    certificate_number: str
    unit: UnitRef
    fields: list[str]
    purpose: str
    expires_at: datetime
    uses_total: int
    uses_left: int
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    state: Literal["active", "revoked", "expired", "used_up"]


class GrantCreated(Out):
    """A new grant with the only copy of its link; the service does not keep the key."""

    grant: GrantOut
    link: str
    reference: str
    key: str
    qr_svg: str
    qr_png: str = Field(description="base64 of a PNG image")


class QrRequest(Body):
    """The QR code of a grant's link again, from the key the citizen's device kept."""

    key: str = Field(min_length=43, max_length=43)
    format: Literal["png", "svg"] = "png"


class RedeemRequest(Body):
    """A unit redeems a grant: the scanned link, or its reference and key."""

    model_config = ConfigDict(
        json_schema_extra={"anyOf": [{"required": ["link"]}, {"required": ["reference", "key"]}]}
    )

    link: str | None = Field(default=None, max_length=500)
    reference: str | None = Field(default=None, min_length=16, max_length=32)
    key: str | None = Field(default=None, min_length=43, max_length=43)
    view: bool = Field(
        default=False, description="also lay the disclosed fields out for reading (verification.view)"
    )


class CheckOut(Out):
    """One check of a verification."""

    name: str
    status: Literal["passed", "failed", "unknown", "skipped"]
    reason: str
    details: dict[str, Any]


class VerificationOut(Out):
    """A verdict and every check behind it."""

    verdict: Literal["VALID", "INVALID", "INDETERMINATE"]
    reason: str
    kind: str
    type: str | None
    office: str | None
    disclosed: dict[str, Any]
    checks: list[CheckOut]
    view: dict[str, Any] | None = Field(
        default=None,
        description="the disclosed fields laid out for reading (labels, amounts in yuan, tables)",
    )


class RedeemedGrant(Out):
    """The grant as the unit sees it after redeeming it."""

    id: str
    purpose: str
    fields: list[str]
    expires_at: datetime
    uses_left: int


class Redemption(Out):
    """What a unit receives: the presentation, the signed grant and the full verdict."""

    grant: RedeemedGrant
    presentation: dict[str, Any]
    signed_grant: dict[str, Any]
    verification: VerificationOut


class VerifyRequest(Body):
    """Anyone may ask for a verdict on a certificate, presentation or credential."""

    document: dict[str, Any]


# ---------------------------------------------------------------- the access log


class HistoryUnit(Out):
    """The unit in a history entry."""

    name: str
    credit_code: str


class HistoryEntry(Out):
    """One event in the citizen's access history."""

    seq: int
    time: str
    event: str
    grant: str
    unit: HistoryUnit = Field(description="the unit that acted: the grant's, or one that tried to open it")
    addressed_to: HistoryUnit | None = Field(
        default=None, description="the unit the grant is addressed to, when another unit tried to open it"
    )
    certificate_number: str
    fields: list[str]
    purpose: str
    outcome: str | None


class LogActivityOut(Out):
    """Log events per day (China time) and kind, oldest day first."""

    rows: list[audit.LogActivityRow]


class LogCheckOut(Out):
    """The log recomputed from its entries and compared with the chain."""

    size: int
    checked_anchors: int
    intact: bool
    problems: list[str]


# ---------------------------------------------------------------- public


class TypeOut(Out):
    """A certificate type and its fields."""

    key: str
    type_id: int
    version: int
    name: str
    title: dict[str, str]
    fields: list[str]


class Health(Out):
    """Whether the service and its chain answer."""

    status: Literal["ok", "degraded"]
    chain_id: int
    ledger: str
    block: int | None
    detail: str | None = None


class Liveness(Out):
    """The process answers."""

    status: Literal["alive"] = "alive"


class LoopOut(Out):
    """One background loop of the answering process."""

    name: str
    alive: bool = Field(description="its thread runs")
    healthy: bool = Field(description="alive, and its last round succeeded")
    rounds: int = Field(description="rounds that succeeded since the process started")
    failures: int = Field(description="rounds failed in a row, up to now")
    restarts: int = Field(description="times its thread died and was started again")
    last_success: datetime | None
    last_error: str | None = Field(description="the type of the last error (never personal data)")
    last_error_at: datetime | None


class BacklogOut(Out):
    """Work waiting to be anchored."""

    waiting: int
    oldest_age_seconds: float | None = Field(description="age of the oldest waiting item; null when none")


class AnchoringBacklogOut(BacklogOut):
    """Certificates in the anchoring outbox, and batches formed but not yet on chain."""

    sending_batches: int


class DatabaseProbe(Out):
    """Whether the database answered."""

    ok: bool
    error: str | None = None


class ChainProbe(Out):
    """Whether the chain answered, and its latest block."""

    ok: bool
    block: int | None = None
    error: str | None = None


class Readiness(Out):
    """Whether this process can do its work; `problems` says why not."""

    status: Literal["ready", "not_ready"]
    problems: list[str]
    database: DatabaseProbe
    chain: ChainProbe
    loops: list[LoopOut]
    anchoring: AnchoringBacklogOut | None = Field(description="null when the database does not answer")
    access_log: BacklogOut | None = Field(
        description="entries not yet under an anchored root; null when the database does not answer"
    )


# ---------------------------------------------------------------- the issuing office


class ReasonOut(Out):
    """A reason code for status changes."""

    code: int
    label: str


class CertificateRevisionOut(Out):
    """One revision of a certificate as the office sees it: where it is anchored, its status."""

    number: str
    revision: int
    type: str
    title: dict[str, str] = Field(description="the type's title by language: zh, en")
    issued: date
    valid_until: date | None
    status: str
    status_reason: str | None
    status_changed_at: datetime | None
    anchored: bool
    batch: int | None
    index: int | None
    transaction: str | None
    block: int | None
    anchored_at: datetime | None


class StatusChange(Body):
    """An operator's status change."""

    action: Literal["revoke", "suspend", "reinstate"]
    reason: str = Field(min_length=1, max_length=40, description="a reason code or its label")


class StatusChanged(Out):
    """The change and the certificate's revisions after it."""

    changed: bool
    transactions: list[str]
    revisions: list[CertificateRevisionOut]


# ---------------------------------------------------------------- the office's search


class ReasonFitOut(ReasonOut):
    """A reason code for status changes, and the actions it fits: the others refuse it."""

    actions: list[Literal["revoke", "suspend", "reinstate"]]


class CertificateHitOut(Out):
    """A certificate a search found, as its current revision, with its holder masked."""

    number: str
    revision: int
    type: str
    title: dict[str, str] = Field(description="the type's title by language: zh, en")
    issued: date
    valid_until: date | None
    status: str
    status_reason: str | None
    anchored: bool
    identity_number: str | None = Field(
        description="masked: the first 3 and last 2 characters; null when the holder's data was erased"
    )
    holder_name: str | None = Field(
        description="masked: 张* or 张*丰; null when erased, or when the type carries no name"
    )
    readable: bool = Field(description="false when the holder's data was erased")
    matched_by: Literal["number", "identity", "name"] = Field(description="how the query was read")


# ---------------------------------------------------------------- the staff audit trail


class StaffActionOut(Out):
    """One staff action: who did what, when, about what. Nothing personal: a citizen by their
    random id, a unit by its id, a certificate by its number."""

    id: str
    at: datetime
    staff_id: str
    username: str
    action: str = Field(
        description="enrolment_code.issued, citizen.reset, unit.registered, unit.key_rotated, "
        "unit.disabled, certificate.status_changed or issuance.file_issued"
    )
    subject: str | None = Field(description="what the action was about; null for a citizen not yet known")
    detail: dict[str, Any]


class StaffActionPage(Out):
    """Staff actions newest first, and the cursor of the next (older) page."""

    actions: list[StaffActionOut]
    next: str | None = Field(description="pass as `before` for older actions; null at the end")
