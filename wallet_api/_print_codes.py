"""Print grants and their 验证码: the code on a printed certificate that anyone can check at /verify.

Printing with a code makes the printed fields readable by whoever holds the paper, so it is a
grant like any other, signed on the citizen's device: an EIP-712 `Grant` addressed to the
reserved recipient `PUBLIC_PRINT` (a credit-code-shaped value no unit can have: GB 32100 codes
never start with 0), for the printed fields, with the fixed purpose `PRINT_PURPOSE`, an expiry of
at most `PRINT_DAYS` days and `PRINT_LOOKUPS` lookups.

The grant id is not random: it is the first 16 bytes of SHA-256 of the code. So the citizen's
signature covers the code itself, and the server cannot mint a code — nor move a signed print
grant to another code — without the citizen's key: a lookup checks that the signed grant's id is
the code's, and that the holder signed it (the verifier's consent check), as for any grant.

The code is 16 characters of Crockford's base32 (80 random bits), shown in four groups of four;
when it is typed, O is read as 0 and I and L as 1, and case, spaces and dashes do not matter. It is
not stored: the row's id is the grant id, and the presentation with the signed grant is sealed
under a key derived from the code (AES-256-GCM), so the database alone opens nothing.

Lookups are anonymous and rate-limited (the public verification budget); each spends one of the
grant's lookups. A revoked, expired, used-up or unknown code is refused with its code, never with
another certificate's data.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import orjson
import sqlalchemy as sa

from audit import LogEvent
from issuer import certificates
from ledger import MAX_USES, Grant, GrantFormatError, Presentation, SignedGrant, canonical_json
from verifier import Check, CheckStatus, Verification, grant_checks, with_checks
from wallet_api._context import WalletContext
from wallet_api._errors import ConflictError, InvalidRequestError, NotFoundError
from wallet_api._grants import GrantState, disclosable, disclosed_fields, open_bundle, seal_bundle, state_of
from wallet_api._models import print_codes
from wallet_api._principal import Principal
from wallet_api._safe_view import SafeView

PUBLIC_PRINT = "00000000000000PRNT"
PRINT_PURPOSE = "打印件验证码核验"
PRINT_DAYS = 90
PRINT_LOOKUPS = MAX_USES
MAX_PDF_BYTES = 1 << 20  # an uploaded PDF is read no further than this
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base32: no I, L, O, U
_READ_AS = str.maketrans({"O": "0", "I": "1", "L": "1"})
_TYPED = re.compile(r"^[0-9A-Z]{16}\Z")
_IN_PDF = re.compile(rb"certledger-code:([0-9A-HJKMNP-TV-Z]{4}(?:-[0-9A-HJKMNP-TV-Z]{4}){3})")


class CodeRefusal(StrEnum):
    """Why a code is not checked; the value is the stable error code."""

    NOT_FOUND = "print.code_unknown"
    REVOKED = "print.revoked"
    EXPIRED = "print.expired"
    USED_UP = "print.used_up"
    NO_CODE = "print.pdf_no_code"


def new_code() -> str:
    """A fresh code: 80 random bits as XXXX-XXXX-XXXX-XXXX."""
    return code_from(os.urandom(10))


def code_from(raw: bytes) -> str:
    """The code of 10 bytes (80 bits), in its printed form."""
    number = int.from_bytes(raw[:10].rjust(10, b"\0"), "big")
    text = "".join(_ALPHABET[(number >> shift) & 31] for shift in range(75, -1, -5))
    return "-".join(text[index : index + 4] for index in range(0, 16, 4))


def read_code(typed: str) -> str | None:
    """The code someone typed, in its printed form; None when it cannot be one."""
    if len(typed) > 64:
        return None
    text = re.sub(r"[\s\-]", "", typed).upper().translate(_READ_AS)
    if not _TYPED.match(text) or any(char not in _ALPHABET for char in text):
        return None
    return "-".join(text[index : index + 4] for index in range(0, 16, 4))


def code_grant_id(code: str) -> bytes:
    """The print grant's id for `code` (printed form): what the citizen's signature binds it to."""
    return hashlib.sha256(b"certledger/print-code|" + code.encode()).digest()[:16]


def _seal_key(code: str) -> bytes:
    return hashlib.sha256(b"certledger/print-seal|" + code.encode()).digest()


def code_in_pdf(data: bytes) -> str | None:
    """The code a printed PDF carries in its metadata, read from its bytes without parsing them
    (so a hostile file can only fail to match); None when there is none or the file is too big."""
    if len(data) > MAX_PDF_BYTES or not data.startswith(b"%PDF-"):
        return None
    found = _IN_PDF.search(data)
    return found.group(1).decode() if found else None


@dataclass(frozen=True, slots=True)
class PrintDraft:
    """The code and the grant the citizen's key is to sign for it."""

    code: str
    grant: Grant


@dataclass(frozen=True, slots=True)
class StoredPrint:
    """A print grant as its citizen sees it (the code is not kept)."""

    id: str
    certificate_id: str
    certificate_number: str
    fields: tuple[str, ...]
    expires_at: datetime
    uses_left: int
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    state: GrantState


@dataclass(frozen=True, slots=True)
class CodeCheck:
    """What a code's lookup found: a verification, or the refusal."""

    refusal: CodeRefusal | None
    verification: Verification | None = None
    presentation: Presentation | None = None
    expires_at: datetime | None = None


_COLUMNS = (
    print_codes.c.id,
    print_codes.c.account_id,
    print_codes.c.certificate_id,
    print_codes.c.fields,
    print_codes.c.expires_at,
    print_codes.c.uses_left,
    print_codes.c.created_at,
    print_codes.c.revoked_at,
    print_codes.c.last_used_at,
    certificates.c.certificate_no,
)


def _select() -> sa.Select[Any]:
    return sa.select(*_COLUMNS).join(certificates, certificates.c.id == print_codes.c.certificate_id)


def _stored(row: Any, now: datetime) -> StoredPrint:
    return StoredPrint(
        id=row.id,
        certificate_id=row.certificate_id,
        certificate_number=row.certificate_no,
        fields=tuple(json.loads(row.fields)),
        expires_at=row.expires_at,
        uses_left=row.uses_left,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
        state=state_of(row, now),
    )


class PrintCodes:
    """Print grants: drafted, signed on the device, stored, listed, revoked, looked up by code."""

    def __init__(self, context: WalletContext) -> None:
        self.context = context
        self.safe = SafeView(context)

    def draft(
        self, principal: Principal, *, certificate_id: str, fields: Sequence[str], days: int
    ) -> PrintDraft:
        """A fresh code and the print grant for it that the citizen's key is to sign."""
        code = new_code()
        expires = int(self.context.clock().timestamp()) + days * 86_400
        return PrintDraft(code, self._grant(principal, certificate_id, fields, expires, code))

    def _grant(
        self, principal: Principal, certificate_id: str, fields: Sequence[str], expires: int, code: str
    ) -> Grant:
        certificate = disclosable(self.safe, principal, certificate_id, verb="print").certificate
        disclosed = disclosed_fields(self.context.catalog, certificate, fields)
        now = int(self.context.clock().timestamp())
        if not now + 60 <= expires <= now + PRINT_DAYS * 86_400:
            raise InvalidRequestError(
                f"expires: between a minute and {PRINT_DAYS} days from now",
                code="print.expires",
                detail_zh=f"验证码的有效期应在 1 分钟到 {PRINT_DAYS} 天之间。",
            )
        try:
            return Grant(
                code_grant_id(code),
                certificate.root,
                PUBLIC_PRINT,
                disclosed,
                PRINT_PURPOSE,
                expires,
                PRINT_LOOKUPS,
            )
        except GrantFormatError as error:
            raise InvalidRequestError(str(error), code="grant.invalid") from None

    def create(
        self,
        principal: Principal,
        *,
        certificate_id: str,
        fields: Sequence[str],
        expires: int,
        code: str,
        signature: bytes,
    ) -> StoredPrint:
        """Stores a print grant the citizen signed; without their signature on this code's grant
        nothing is stored."""
        printed = read_code(code)
        if printed is None or printed != code:
            raise InvalidRequestError(
                "code: XXXX-XXXX-XXXX-XXXX, from the draft", code="print.code_malformed"
            )
        grant = self._grant(principal, certificate_id, fields, expires, printed)
        signed = SignedGrant(grant, self.context.domain, signature)
        try:
            signer = signed.signer()
        except GrantFormatError as error:
            raise InvalidRequestError(f"signature: {error}", code="grant.bad_signature") from None
        if signer != principal.wallet_address:
            raise InvalidRequestError(
                f"signature: made by {signer}, not by your wallet key {principal.wallet_address}",
                code="grant.bad_signature",
            )
        stored = self.safe.get(principal, certificate_id)
        presentation = stored.certificate.present(grant.fields)
        bundle = canonical_json({"presentation": presentation.to_json(), "grant": signed.to_json()})
        grant_id = grant.grant_id.hex()
        now = self.context.clock()
        row = {
            "id": grant_id,
            "account_id": principal.id,
            "certificate_id": stored.id,
            "document_root": grant.certificate,
            "fields": json.dumps(list(grant.fields)),
            "expires_at": datetime.fromtimestamp(grant.expires, UTC),
            "uses_left": grant.uses,
            "chain_id": self.context.domain.chain_id,
            "ledger": self.context.domain.ledger,
            "signature": signature,
            "sealed": seal_bundle(_seal_key(printed), grant_id, bundle),
            "created_at": now,
        }

        def store(connection: sa.Connection) -> tuple[bool, list[LogEvent]]:
            taken = connection.execute(
                sa.select(print_codes.c.id).where(print_codes.c.id == grant_id)
            ).first()
            if taken is None:
                connection.execute(sa.insert(print_codes).values(**row))
            return taken is None, []

        if not self.context.writer.run(store):
            raise ConflictError("this code is stored already: draft a new one", code="print.exists")
        return self.get(principal, grant_id)

    def get(self, principal: Principal, print_id: str) -> StoredPrint:
        """One of the citizen's print grants."""
        with self.context.reader.connect() as connection:
            row = connection.execute(
                _select().where(print_codes.c.id == print_id, print_codes.c.account_id == principal.id)
            ).first()
        if row is None:
            raise NotFoundError("no such print", code="print.not_found")
        return _stored(row, self.context.clock())

    def page(self, principal: Principal, *, limit: int) -> list[StoredPrint]:
        """The citizen's print grants, newest first."""
        query = (
            _select()
            .where(print_codes.c.account_id == principal.id)
            .order_by(print_codes.c.created_at.desc(), print_codes.c.id.desc())
            .limit(limit)
        )
        now = self.context.clock()
        with self.context.reader.connect() as connection:
            return [_stored(row, now) for row in connection.execute(query).all()]

    def revoke(self, principal: Principal, print_id: str) -> StoredPrint:
        """Withdraws a print grant: its code is refused from the next lookup. Twice is harmless."""
        self.get(principal, print_id)
        now = self.context.clock()

        def revoke(connection: sa.Connection) -> tuple[None, list[LogEvent]]:
            connection.execute(
                sa.update(print_codes)
                .where(print_codes.c.id == print_id, print_codes.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            return None, []

        self.context.writer.run(revoke)
        return self.get(principal, print_id)

    def for_printing(self, principal: Principal, certificate_id: str, code: str) -> StoredPrint:
        """The citizen's active print grant of `code` for this certificate, to print it on paper."""
        printed = read_code(code)
        found = self.get(principal, code_grant_id(printed).hex()) if printed else None
        if found is None or found.certificate_id != certificate_id:
            raise NotFoundError(
                "no print of yours for this certificate has this code", code="print.not_found"
            )
        if found.state is not GrantState.ACTIVE:
            raise ConflictError(f"this code is {found.state}", code=f"print.{found.state}")
        return found

    def check(self, typed: str) -> CodeCheck:
        """The verdict on the certificate a code was printed with, as the verifier reaches it for a
        presentation and its grant; or why the code is refused. Spends one lookup."""
        code = read_code(typed)
        if code is None:
            return CodeCheck(CodeRefusal.NOT_FOUND)
        grant_id = code_grant_id(code).hex()
        with self.context.reader.connect() as connection:
            row = connection.execute(
                sa.select(
                    print_codes.c.sealed,
                    print_codes.c.revoked_at,
                    print_codes.c.expires_at,
                    print_codes.c.uses_left,
                ).where(print_codes.c.id == grant_id)
            ).first()
        now = self.context.clock()
        opened = open_bundle(_seal_key(code), grant_id, row.sealed) if row is not None else None
        if row is None or opened is None:
            return CodeCheck(CodeRefusal.NOT_FOUND)
        refusal = {
            GrantState.REVOKED: CodeRefusal.REVOKED,
            GrantState.EXPIRED: CodeRefusal.EXPIRED,
            GrantState.USED_UP: CodeRefusal.USED_UP,
        }.get(state_of(row, now))
        if refusal is not None:
            return CodeCheck(refusal)

        def spend(connection: sa.Connection) -> tuple[int, list[LogEvent]]:
            spent = connection.execute(
                sa.update(print_codes)
                .where(
                    print_codes.c.id == grant_id,
                    print_codes.c.revoked_at.is_(None),
                    print_codes.c.expires_at > now,
                    print_codes.c.uses_left > 0,
                )
                .values(uses_left=print_codes.c.uses_left - 1, last_used_at=now)
            )
            return spent.rowcount, []

        if self.context.writer.run(spend) != 1:
            return CodeCheck(CodeRefusal.REVOKED)  # revoked or spent between the read and the write
        bundle = orjson.loads(opened)
        presentation = Presentation.from_json(bundle["presentation"])
        signed = SignedGrant.from_json(bundle["grant"])
        verification = self.context.verifier.verify(presentation.to_json())
        checks = grant_checks(
            presentation, signed, domain=self.context.domain, unit=PUBLIC_PRINT, now=int(now.timestamp())
        )
        if signed.grant.grant_id != code_grant_id(code):
            checks[0] = Check("consent", CheckStatus.FAILED, "the signed grant is not for this code")
        return CodeCheck(
            None,
            with_checks(verification, checks),
            presentation,
            datetime.fromtimestamp(signed.grant.expires, UTC),
        )
