"""The bodies of printing: print grants (the 验证码 on paper), the PDF, and checking a code or a
printed PDF at /verify."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from wallet_api.schemas import HEX_ID, SIGNATURE, Body, Out, VerificationOut

CODE = r"^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$"


class PrintRequest(Body):
    """What to print with a certificate: a unit's grant link, or the code of a print grant."""

    link: str | None = Field(
        default=None, max_length=500, description="the link of a grant for this certificate"
    )
    code: str | None = Field(
        default=None, pattern=CODE, description="the 验证码 of one of the citizen's print grants for it"
    )
    lang: Literal["zh", "en"] = "zh"


class PrintDraftIn(Body):
    """The certificate, the fields to print and how long the code works."""

    certificate_id: str = Field(pattern=HEX_ID)
    fields: list[str] = Field(min_length=1, max_length=64)
    days: int = Field(ge=1, le=90, description="how many days the code works (at most 90)")


class PrintDraftOut(Out):
    """A fresh code and the EIP-712 typed data of its print grant, for the citizen's key to sign."""

    code: str
    grant_id: str
    expires: int
    typed_data: dict[str, Any]


class PrintCreate(Body):
    """The draft's code and terms, and the citizen's signature of its print grant."""

    certificate_id: str = Field(pattern=HEX_ID)
    fields: list[str] = Field(min_length=1, max_length=64)
    expires: int = Field(gt=0, lt=2**63, description="Unix time in seconds, from the draft")
    code: str = Field(pattern=CODE)
    signature: str = Field(pattern=SIGNATURE)


class PrintOut(Out):
    """A print grant as its citizen sees it; the code itself is not kept."""

    id: str
    certificate_id: str
    certificate_number: str
    fields: list[str]
    expires_at: datetime
    uses_left: int
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    state: Literal["active", "revoked", "expired", "used_up"]


class CodeCheckIn(Body):
    """A code as somebody typed it (case, spaces and dashes do not matter; O reads as 0, I and L as 1)."""

    code: str = Field(min_length=1, max_length=64)


class CodeCheckOut(Out):
    """The verdict on a printed certificate, or why its code is refused (`outcome: refused` with
    the stable `code`): a refusal is an answer the reader must read, not an HTTP error."""

    outcome: Literal["verified", "refused"]
    code: str | None = None
    detail: str | None = None
    verification: VerificationOut | None = None
    printed_until: datetime | None = Field(
        default=None, description="until when the print grant lets the code work"
    )
