"""Grants: a citizen's signed consent, its sealed presentation, and its redemption by a unit.

Creating a grant checks the citizen's EIP-712 signature against their wallet key — the key the
certificate names as its holder — builds the presentation of exactly the consented fields, and
seals grant and presentation under a fresh 256-bit key with AES-256-GCM (the grant id as
associated data). Only the sealed bytes are stored: the key goes into the link's fragment, which
browsers never send to a server, and reaches the service again only inside a unit's redemption
request, to be used and forgotten.

A redemption needs the unit's own API key, the reference and the one-time key. The grant must be
addressed to that unit, not revoked, not expired and have uses left; one use is spent in the same
transaction that logs the redemption, so concurrent scans cannot spend a use twice. The unit gets
the presentation and the verifier's full verdict, the grant's checks included.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import orjson
import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.exc import IntegrityError

from audit import LogEvent
from issuer import CertificateState, StoredCertificate, certificates
from ledger import (
    Certificate,
    CertificateType,
    CertificateTypeError,
    DocumentFormatError,
    Grant,
    GrantFormatError,
    Presentation,
    SignedGrant,
    TypeCatalog,
    canonical_json,
)
from verifier import Check, CheckStatus, Verdict, Verification, grant_checks, with_checks
from wallet_api._accounts import random_reference
from wallet_api._context import WalletContext
from wallet_api._errors import (
    ConflictError,
    GrantRefusal,
    GrantRefusedError,
    InvalidRequestError,
    NotFoundError,
)
from wallet_api._models import citizen_accounts, grants, units
from wallet_api._principal import Principal
from wallet_api._qr import qr_png, qr_svg
from wallet_api._safe_view import SafeView
from wallet_api._unit_history import UnitHistory
from wallet_api._units import Unit, Units

KEY_BYTES = 32
NONCE_BYTES = 12
MIN_TERM_SECONDS = 60


@dataclass(frozen=True, slots=True)
class GrantTerms:
    """What a citizen asks to grant, before it is signed."""

    certificate_id: str
    unit_id: str
    fields: Sequence[str]
    purpose: str
    expires: int
    uses: int


class GrantState(StrEnum):
    """Whether a grant can still be redeemed, and if not, why."""

    ACTIVE = "active"
    REVOKED = "revoked"
    EXPIRED = "expired"
    USED_UP = "used_up"


@dataclass(frozen=True, slots=True)
class GrantUnit:
    """The unit a grant is addressed to."""

    id: str
    name: str
    credit_code: str


@dataclass(frozen=True, slots=True)
class StoredGrant:
    """A grant as its citizen sees it, with its state when it was read."""

    id: str
    reference: str
    certificate_id: str
    certificate_number: str
    unit: GrantUnit
    fields: tuple[str, ...]
    purpose: str
    expires_at: datetime
    uses_total: int
    uses_left: int
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    state: GrantState


@dataclass(frozen=True, slots=True)
class CreatedGrant:
    """A new grant and the only copy of its link (the key is not kept), with its QR code."""

    grant: StoredGrant
    link: str
    reference: str
    key: str
    qr_png: bytes
    qr_svg: str


@dataclass(frozen=True, slots=True)
class RedeemedTerms:
    """A grant as the unit sees it once it is redeemed."""

    id: str
    purpose: str
    fields: tuple[str, ...]
    expires_at: datetime
    uses_left: int


@dataclass(frozen=True, slots=True)
class Redeemed:
    """A redemption's outcome: the grant, the presentation, and the verdict with every check,
    the grant's own included."""

    grant: RedeemedTerms
    presentation: Presentation
    signed_grant: SignedGrant
    verification: Verification


def encode_key(key: bytes) -> str:
    """A one-time key as it appears in a link's fragment: 43 base64url characters."""
    return base64.urlsafe_b64encode(key).rstrip(b"=").decode()


def decode_key(text: str) -> bytes:
    """The one-time key of a link's fragment; InvalidRequestError for anything else."""
    try:
        key = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES or encode_key(key) != text:
        raise InvalidRequestError(
            "key: the 43 base64url characters after '#' in the link", code="grant.key_malformed"
        )
    return key


def seal_bundle(key: bytes, grant_id: str, plaintext: bytes) -> bytes:
    """`plaintext` sealed with AES-GCM under `key`, bound to the grant it belongs to."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, b"certledger/grant|" + grant_id.encode())


def open_bundle(key: bytes, grant_id: str, sealed: bytes) -> bytes | None:
    """What `seal_bundle` sealed, or None for a wrong key, another grant or tampered bytes."""
    try:
        return AESGCM(key).decrypt(
            sealed[:NONCE_BYTES], sealed[NONCE_BYTES:], b"certledger/grant|" + grant_id.encode()
        )
    except (InvalidTag, ValueError):
        return None


_GRANT_COLUMNS = (
    grants.c.id,
    grants.c.reference,
    grants.c.account_id,
    grants.c.certificate_id,
    grants.c.document_root,
    grants.c.unit_id,
    grants.c.fields,
    grants.c.purpose,
    grants.c.expires_at,
    grants.c.uses_total,
    grants.c.uses_left,
    grants.c.created_at,
    grants.c.revoked_at,
    grants.c.last_used_at,
    units.c.name.label("unit_name"),
    units.c.credit_code.label("unit_code"),
    certificates.c.certificate_no,
)


def _select_grants() -> sa.Select[Any]:
    return (
        sa.select(*_GRANT_COLUMNS)
        .join(units, units.c.id == grants.c.unit_id)
        .join(certificates, certificates.c.id == grants.c.certificate_id)
    )


def state_of(row: Any, now: datetime) -> GrantState:
    """The state at `now` of a grant whose row has `revoked_at`, `expires_at` and `uses_left`."""
    if row.revoked_at is not None:
        return GrantState.REVOKED
    if row.expires_at <= now:
        return GrantState.EXPIRED
    if row.uses_left <= 0:
        return GrantState.USED_UP
    return GrantState.ACTIVE


def _stored_grant(row: Any, now: datetime) -> StoredGrant:
    """A row of `_select_grants` as the citizen sees it at `now`."""
    return StoredGrant(
        id=row.id,
        reference=row.reference,
        certificate_id=row.certificate_id,
        certificate_number=row.certificate_no,
        unit=GrantUnit(row.unit_id, row.unit_name, row.unit_code),
        fields=tuple(json.loads(row.fields)),
        purpose=row.purpose,
        expires_at=row.expires_at,
        uses_total=row.uses_total,
        uses_left=row.uses_left,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        last_used_at=row.last_used_at,
        state=state_of(row, now),
    )


_REFUSALS = {
    GrantState.REVOKED: GrantRefusal.REVOKED,
    GrantState.EXPIRED: GrantRefusal.EXPIRED,
    GrantState.USED_UP: GrantRefusal.USED_UP,
}


def disclosable(
    safe: SafeView, principal: Principal, certificate_id: str, *, verb: str = "share"
) -> StoredCertificate:
    """The citizen's certificate, when it may be disclosed now (shared with a unit or printed with a
    code): valid, anchored, and bound to the key that is to sign the consent."""
    stored = safe.get(principal, certificate_id)
    if stored.status != CertificateState.VALID:
        raise ConflictError(
            f"the certificate is {stored.status}: you cannot {verb} it", code="certificate.not_valid"
        )
    certificate = stored.certificate
    if certificate.anchor is None:
        raise ConflictError(
            f"the certificate is not anchored yet; {verb} it in a few seconds",
            code="certificate.not_anchored",
        )
    if certificate.header.holder != principal.wallet_address:
        raise ConflictError(
            f"the certificate is being bound to your wallet key; {verb} it in a few seconds",
            code="certificate.not_bound",
        )
    return stored


def always_disclosed(certificate_type: CertificateType) -> tuple[str, ...]:
    """The fields every grant of this type discloses: whose record it is. A unit must know whose
    record it holds, so the holder's name and identity number go with whatever else is chosen
    (the share screen says so before the citizen signs)."""
    return (certificate_type.holder_name_field, certificate_type.holder_id_field)


def disclosed_fields(
    catalog: TypeCatalog, certificate: Certificate, chosen: Sequence[str]
) -> tuple[str, ...]:
    """The fields a grant of `certificate` discloses: those chosen, which it must hold, and those
    always disclosed that it holds, in one sorted tuple (what the citizen's key signs)."""
    unknown = sorted(set(chosen) - set(certificate.claims))
    if unknown:
        raise InvalidRequestError(f"fields: the certificate has no {', '.join(unknown)}", code="grant.fields")
    try:
        certificate_type = catalog.get(certificate.header.type_id, certificate.header.version)
    except CertificateTypeError:
        raise ConflictError(
            "the certificate's type is not known to this service", code="certificate.type_unknown"
        ) from None
    always = (name for name in always_disclosed(certificate_type) if name in certificate.claims)
    return tuple(sorted({*chosen, *always}))


class Grants:
    """Drafting, creating, listing, revoking and redeeming grants."""

    def __init__(self, context: WalletContext) -> None:
        self.context = context
        self.clock = context.clock
        self.safe = SafeView(context)
        self.units = Units(context)
        self.unit_history = UnitHistory(context)

    # ---------------------------------------------------------------- the citizen's side

    def draft(self, principal: Principal, terms: GrantTerms) -> Grant:
        """The grant the citizen's key is to sign for these terms, with a fresh random id."""
        return self._grant(principal, terms, os.urandom(16))[0]

    def _grant(
        self, principal: Principal, terms: GrantTerms, grant_id: bytes
    ) -> tuple[Grant, StoredCertificate, Unit]:
        stored = disclosable(self.safe, principal, terms.certificate_id)
        certificate = stored.certificate
        unit = self.units.get(terms.unit_id, active=True)
        fields = disclosed_fields(self.context.catalog, certificate, terms.fields)
        now = int(self.clock().timestamp())
        longest = self.context.settings.grant_days * 86_400
        if not now + MIN_TERM_SECONDS <= terms.expires <= now + longest:
            raise InvalidRequestError(
                f"expires: between a minute and {self.context.settings.grant_days} days from now",
                code="grant.expires",
            )
        try:
            grant = Grant(
                grant_id,
                certificate.root,
                unit.credit_code,
                fields,
                terms.purpose.strip(),
                terms.expires,
                terms.uses,
            )
        except GrantFormatError as error:
            raise InvalidRequestError(str(error), code="grant.invalid") from None
        return grant, stored, unit

    def create(
        self,
        principal: Principal,
        terms: GrantTerms,
        *,
        grant_id: str,
        signature: bytes,
        key: str | None = None,
    ) -> CreatedGrant:
        """Stores a grant the citizen signed, sealed under a one-time key: the one the citizen's
        device chose (`key`), or else a fresh random one.

        Everything that can fail happens before the commit — the answer, its QR code included, is
        built from what is in hand — so an error answer means nothing was stored, except when the
        commit's own acknowledgement is lost. For that case a device that chose the key sends the
        same request again and gets the same grant, link and key; without a key of its own the
        retry is refused (`grant.exists`), as the lost key cannot be made again.
        """
        try:
            raw_id = bytes.fromhex(grant_id)
        except ValueError:
            raw_id = b""
        if len(raw_id) != 16 or raw_id.hex() != grant_id:
            raise InvalidRequestError("grantId: 32 lower-case hex digits", code="grant.invalid")
        grant, stored, unit = self._grant(principal, terms, raw_id)
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
        one_time = decode_key(key) if key is not None else os.urandom(KEY_BYTES)
        presentation = stored.certificate.present(grant.fields)
        bundle = canonical_json({"presentation": presentation.to_json(), "grant": signed.to_json()})
        reference = random_reference()
        now = self.clock()
        assert principal.citizen_id is not None  # noqa: S101 — a citizen principal
        subject = self.context.pseudonyms.of(principal.citizen_id)
        expires_at = datetime.fromtimestamp(grant.expires, UTC)
        row = {
            "id": grant_id,
            "reference": reference,
            "account_id": principal.id,
            "certificate_id": stored.id,
            "document_root": grant.certificate,
            "unit_id": terms.unit_id,
            "fields": json.dumps(list(grant.fields)),
            "purpose": grant.purpose,
            "expires_at": expires_at,
            "uses_total": grant.uses,
            "uses_left": grant.uses,
            "chain_id": self.context.domain.chain_id,
            "ledger": self.context.domain.ledger,
            "signature": signature,
            "sealed": seal_bundle(one_time, grant_id, bundle),
            "created_at": now,
        }
        event = LogEvent(
            "grant.created",
            subject,
            grant_id,
            terms.unit_id,
            grant.certificate,
            fields=grant.fields,
            purpose=grant.purpose,
        )
        shown = StoredGrant(
            id=grant_id,
            reference=reference,
            certificate_id=stored.id,
            certificate_number=stored.number,
            unit=GrantUnit(unit.id, unit.name, unit.credit_code),
            fields=grant.fields,
            purpose=grant.purpose,
            expires_at=expires_at,
            uses_total=grant.uses,
            uses_left=grant.uses,
            created_at=now,
            revoked_at=None,
            last_used_at=None,
            state=GrantState.ACTIVE,
        )
        created = self._created(shown, reference, encode_key(one_time))

        def store(connection: sa.Connection) -> tuple[None, list[LogEvent]]:
            connection.execute(sa.insert(grants).values(**row))
            return None, [event]

        try:
            self.context.writer.run(store)
        except IntegrityError:
            if key is not None:
                again = self._stored_again(principal, grant_id, signature, one_time)
                if again is not None:
                    return again
            raise ConflictError(
                "a grant with this id exists already: draft a new one", code="grant.exists"
            ) from None
        return created

    def _created(self, shown: StoredGrant, reference: str, key: str) -> CreatedGrant:
        link = self.link(reference, key)
        return CreatedGrant(
            grant=shown, link=link, reference=reference, key=key, qr_png=qr_png(link), qr_svg=qr_svg(link)
        )

    def _stored_again(
        self, principal: Principal, grant_id: str, signature: bytes, key: bytes
    ) -> CreatedGrant | None:
        """The grant a retry of the same request finds stored: the same citizen, signature and
        key (the sealed bundle opens with it). None for anything else."""
        with self.context.reader.connect() as connection:
            row = connection.execute(
                _select_grants()
                .add_columns(grants.c.signature, grants.c.sealed)
                .where(grants.c.id == grant_id)
            ).first()
        if (
            row is None
            or row.account_id != principal.id
            or bytes(row.signature) != signature
            or open_bundle(key, grant_id, row.sealed) is None
        ):
            return None
        return self._created(_stored_grant(row, self.clock()), row.reference, encode_key(key))

    def link(self, reference: str, key: str) -> str:
        """The link a QR code carries: the reference in the path, the key in the fragment."""
        return f"{self.context.settings.base_url}/r/{reference}#{key}"

    def page(self, principal: Principal, *, limit: int, after: str | None) -> list[StoredGrant]:
        """The citizen's grants, newest first, `limit` at a time after grant id `after`."""
        query = _select_grants().where(grants.c.account_id == principal.id)
        if after:
            query = query.where(
                grants.c.created_at
                <= sa.select(grants.c.created_at).where(grants.c.id == after).scalar_subquery(),
                grants.c.id != after,
            )
        query = query.order_by(grants.c.created_at.desc(), grants.c.id.desc()).limit(limit)
        now = self.clock()
        with self.context.reader.connect() as connection:
            return [_stored_grant(row, now) for row in connection.execute(query).all()]

    def get(self, principal: Principal, grant_id: str) -> StoredGrant:
        """One of the citizen's grants."""
        with self.context.reader.connect() as connection:
            row = connection.execute(
                _select_grants().where(grants.c.id == grant_id, grants.c.account_id == principal.id)
            ).first()
        if row is None:
            raise NotFoundError("no such grant", code="grant.not_found")
        return _stored_grant(row, self.clock())

    def by_reference(self, principal: Principal, reference: str) -> StoredGrant:
        """One of the citizen's grants, by the reference its link carries."""
        with self.context.reader.connect() as connection:
            row = connection.execute(
                _select_grants().where(grants.c.reference == reference, grants.c.account_id == principal.id)
            ).first()
        if row is None:
            raise NotFoundError("no grant of yours has this link", code="grant.not_found")
        return _stored_grant(row, self.clock())

    def revoke(self, principal: Principal, grant_id: str) -> StoredGrant:
        """Revokes one of the citizen's grants; the next scan is refused. Revoking twice is harmless."""
        now = self.clock()
        assert principal.citizen_id is not None  # noqa: S101 — a citizen principal
        subject = self.context.pseudonyms.of(principal.citizen_id)

        def revoke(connection: sa.Connection) -> tuple[None, list[LogEvent]]:
            row = connection.execute(
                sa.select(grants.c.unit_id, grants.c.document_root).where(
                    grants.c.id == grant_id, grants.c.account_id == principal.id
                )
            ).first()
            if row is None:
                raise NotFoundError("no such grant", code="grant.not_found")
            changed = connection.execute(
                sa.update(grants)
                .where(grants.c.id == grant_id, grants.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            if changed.rowcount != 1:
                return None, []  # revoked already: nothing new to log
            return None, [LogEvent("grant.revoked", subject, grant_id, row.unit_id, row.document_root)]

        self.context.writer.run(revoke)
        return self.get(principal, grant_id)

    def qr(self, principal: Principal, grant_id: str, *, key: str, form: str) -> tuple[bytes, str]:
        """The QR code of a grant's link again, for the citizen who holds its key."""
        with self.context.reader.connect() as connection:
            row = connection.execute(
                sa.select(grants.c.reference, grants.c.sealed).where(
                    grants.c.id == grant_id, grants.c.account_id == principal.id
                )
            ).first()
        if row is None:
            raise NotFoundError("no such grant", code="grant.not_found")
        if open_bundle(decode_key(key), grant_id, row.sealed) is None:
            raise InvalidRequestError("key: not this grant's key", code="grant.bad_key")
        link = self.link(row.reference, key)
        if form == "svg":
            return qr_svg(link).encode(), "image/svg+xml"
        return qr_png(link), "image/png"

    # ---------------------------------------------------------------- the unit's side

    async def redeem(self, unit: Principal, *, reference: str, key: str) -> Redeemed:
        """The presentation behind a grant and the full verdict on it, spending one use.

        A coroutine: the checks run at once, and the event loop serves other requests while the
        use and its log entry are committed with others.
        """
        raw_key = decode_key(key)
        now = self.clock()
        with self.context.reader.connect() as connection:
            row = connection.execute(
                sa.select(
                    grants.c.id,
                    grants.c.unit_id,
                    grants.c.document_root,
                    grants.c.sealed,
                    grants.c.revoked_at,
                    grants.c.expires_at,
                    grants.c.uses_left,
                    grants.c.uses_total,
                    citizen_accounts.c.citizen_id,
                )
                .join(citizen_accounts, citizen_accounts.c.id == grants.c.account_id)
                .where(grants.c.reference == reference)
            ).first()
        if row is None:
            raise NotFoundError("no grant has this reference", code="grant.not_found")
        subject = self.context.pseudonyms.of(row.citizen_id)

        async def refuse(reason: GrantRefusal) -> GrantRefusedError:
            event = LogEvent(
                "grant.refused",
                subject,
                row.id,
                unit.id,
                row.document_root,
                outcome=reason.value,
                addressed=row.unit_id,
            )
            await self.context.writer.run_async(lambda connection: (None, [event]))
            return GrantRefusedError(reason)

        if row.unit_id != unit.id:
            raise await refuse(GrantRefusal.WRONG_UNIT)
        state = state_of(row, now)
        if state is not GrantState.ACTIVE:
            raise await refuse(_REFUSALS[state])
        plaintext = open_bundle(raw_key, row.id, row.sealed)
        if plaintext is None:
            raise await refuse(GrantRefusal.BAD_KEY)
        presentation, signed = _unseal(plaintext)
        verification = self.context.verifier.verify(presentation)
        checks = grant_checks(
            presentation,
            signed,
            domain=self.context.domain,
            unit=unit.unit_code or "",
            now=int(now.timestamp()),
        )
        verdict = with_checks(verification, checks)
        event = LogEvent(
            "grant.redeemed",
            subject,
            row.id,
            unit.id,
            row.document_root,
            fields=signed.grant.fields,
            outcome=str(verdict.verdict),
        )

        def record(connection: sa.Connection, seqs: Sequence[int]) -> None:
            # Once the group's log entries are numbered, in the same transaction: the unit's
            # history row names its redemption's entry (the receipt's pointer for auditors).
            for seq in seqs:
                self.unit_history.record(
                    connection,
                    seq=seq,
                    at=self.clock(),
                    unit_id=unit.id,
                    grant_id=row.id,
                    presentation=presentation,
                    verification=verdict,
                )

        def spend(connection: sa.Connection) -> tuple[int | None, list[LogEvent]]:
            left: int | None = connection.execute(
                sa.update(grants)
                .where(
                    grants.c.id == row.id,
                    grants.c.revoked_at.is_(None),
                    grants.c.uses_left > 0,
                    grants.c.expires_at > now,
                )
                .values(uses_left=grants.c.uses_left - 1, last_used_at=now)
                .returning(grants.c.uses_left)
            ).scalar_one_or_none()
            return left, [] if left is None else [event]

        if verdict.verdict is Verdict.INDETERMINATE:
            # Undecided (the chain could not answer): logged, but no use is spent, so that the
            # unit can try again once the chain answers without the citizen granting anew.
            await self.context.writer.run_async(lambda connection: (None, [event]), numbered=record)
            unspent = Check(
                "uses",
                CheckStatus.PASSED,
                f"not revoked; no use spent on an undecided verdict: {row.uses_left} of "
                f"{row.uses_total} uses left",
                {"usesLeft": row.uses_left, "usesTotal": row.uses_total},
            )
            return _redeemed(
                row.id,
                presentation=presentation,
                signed=signed,
                verification=with_checks(verification, [*checks, unspent]),
                uses_left=row.uses_left,
            )
        spent = await self.context.writer.run_async(spend, numbered=record)
        if spent is None:  # revoked, expired or used up while this request was verifying
            with self.context.reader.connect() as connection:
                current = connection.execute(
                    sa.select(grants.c.revoked_at, grants.c.expires_at, grants.c.uses_left).where(
                        grants.c.id == row.id
                    )
                ).one()
            raise await refuse(_REFUSALS[state_of(current, now)])
        uses = Check(
            "uses",
            CheckStatus.PASSED,
            f"not revoked; {spent} of {row.uses_total} uses left after this one",
            {"usesLeft": spent, "usesTotal": row.uses_total},
        )
        return _redeemed(
            row.id,
            presentation=presentation,
            signed=signed,
            verification=with_checks(verification, [*checks, uses]),
            uses_left=spent,
        )


def _redeemed(
    grant_id: str,
    *,
    presentation: Presentation,
    signed: SignedGrant,
    verification: Verification,
    uses_left: int,
) -> Redeemed:
    """A redemption's outcome: the grant as signed, the presentation and the whole verdict."""
    terms = RedeemedTerms(
        id=grant_id,
        purpose=signed.grant.purpose,
        fields=tuple(signed.grant.fields),
        expires_at=datetime.fromtimestamp(signed.grant.expires, UTC),
        uses_left=uses_left,
    )
    return Redeemed(terms, presentation, signed, verification)


def _unseal(plaintext: bytes) -> tuple[Presentation, SignedGrant]:
    # The bundle is this service's own canonical JSON, authenticated by AES-GCM: a plain fast
    # parser suffices (the strict one, which refuses duplicate keys, guards foreign input).
    try:
        bundle = orjson.loads(plaintext)
        return Presentation.from_json(bundle["presentation"]), SignedGrant.from_json(bundle["grant"])
    except (orjson.JSONDecodeError, DocumentFormatError, KeyError, TypeError) as error:
        # Sealed by this service and authenticated by AES-GCM: this is a bug, not a bad request.
        raise RuntimeError(f"a sealed grant does not hold a grant and presentation: {error}") from error
