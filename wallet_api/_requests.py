"""The scan stand (扫码墩): a unit asks for fields, a citizen consents by signing a grant.

The shape follows OpenID for Verifiable Presentations where that costs little. A unit creates a
*request* (``client_id`` = its unified social credit code, a random ``nonce``, the fields it
needs as a ``presentation_definition``, a ``purpose``, how long the grant is to last); the stand
shows its link ``/q/<id>`` as a QR code. The request lives a few minutes (five by default, ten
at most) and is answered once.

The citizen's wallet reads the request from the service — who asks (the unit's registered name
and credit code), for which fields, why — never from the QR code, which carries only the id.
The grant the citizen signs has the request's nonce as its grant id, so the nonce is inside the
EIP-712 message the citizen's key signs: a grant made for one request cannot answer another, and
since grant ids are unique, one request yields at most one grant. The citizen then hands the
grant's link (reference and one-time key) to the request.

The service seals that link to the request's X25519 public key (ECIES: an ephemeral X25519 key,
HKDF-SHA256, AES-256-GCM with the request id as associated data). The private half was given to
the unit's screen when the request was made and is not kept, so the database never holds a key
that opens the grant. The unit's screen polls with its API key and the private half; once the
request is answered the service opens the link and redeems the grant for the unit by the
ordinary redemption path (rate limit, checks, access log).
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import orjson
import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from issuer import CertificateState
from ledger import CertificateType, CertificateTypeError, Grant
from wallet_api._context import WalletContext
from wallet_api._errors import (
    ConflictError,
    GrantRefusal,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
)
from wallet_api._grants import Grants, GrantTerms, GrantUnit, always_disclosed, decode_key, open_bundle
from wallet_api._models import grants, presentation_requests, units
from wallet_api._principal import Principal
from wallet_api._qr import qr_svg
from wallet_api._render import field_label
from wallet_api._safe_view import SafeView

DEFAULT_LIFETIME_SECONDS = 300
MAX_LIFETIME_SECONDS = 600
MIN_LIFETIME_SECONDS = 30
MIN_GRANT_SECONDS = 60
MAX_MATCHING = 50  # certificates read to find those that hold every requested field
KEEP_SECONDS = 86_400  # a request is forgotten a day after it expired
_KEY_BYTES = 32
_AEAD_NONCE = 12


class RequestState(StrEnum):
    """Where a request stands."""

    PENDING = "pending"
    """waiting for a citizen's consent"""
    ANSWERED = "answered"
    """a citizen consented; the unit has not collected the verdict yet"""
    COLLECTED = "collected"
    """the unit has the verdict"""
    EXPIRED = "expired"
    """nobody answered in time"""


@dataclass(frozen=True, slots=True)
class RequestTerms:
    """What a unit asks for."""

    fields: Sequence[str]
    purpose: str
    grant_seconds: int
    uses: int = 1
    type: str | None = None
    lifetime_seconds: int = DEFAULT_LIFETIME_SECONDS


@dataclass(frozen=True, slots=True)
class RequestedField:
    """A field asked for, with its label from the type's schema."""

    name: str
    label: dict[str, str]


@dataclass(frozen=True, slots=True)
class RequestedType:
    """The certificate type a request is limited to."""

    key: str
    title: dict[str, str]


@dataclass(frozen=True, slots=True)
class StoredRequest:
    """A request as its unit and the citizen see it."""

    id: str
    nonce: str
    unit: GrantUnit
    type: RequestedType | None
    fields: tuple[RequestedField, ...]
    purpose: str
    grant_seconds: int
    uses: int
    created_at: datetime
    expires_at: datetime
    answered_at: datetime | None
    collected_at: datetime | None
    state: RequestState


@dataclass(frozen=True, slots=True)
class CreatedRequest:
    """A new request, its link and QR code, and the only copy of its collection key."""

    request: StoredRequest
    link: str
    qr_svg: str
    collect_key: str


@dataclass(frozen=True, slots=True)
class MatchingCertificate:
    """One of the citizen's certificates that holds every field asked for."""

    id: str
    number: str
    type_key: str
    titles: dict[str, str]


@dataclass(frozen=True, slots=True)
class AskedRequest:
    """A request as the citizen's wallet shows it, with the certificates that can answer it."""

    request: StoredRequest
    certificates: tuple[MatchingCertificate, ...]


@dataclass(frozen=True, slots=True)
class RequestDraft:
    """The grant the citizen's key is to sign for a request (its id is the request's nonce),
    with the exact terms to send to ``POST /v1/grants``."""

    grant: Grant
    terms: GrantTerms


@dataclass(frozen=True, slots=True)
class Collected:
    """An answered request opened by its unit: the link to redeem, once."""

    request: StoredRequest
    reference: str
    key: str


def encode_bytes(raw: bytes) -> str:
    """32 bytes as 43 base64url characters."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _decode_collect_key(text: str) -> X25519PrivateKey:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != _KEY_BYTES or encode_bytes(raw) != text:
        raise InvalidRequestError(
            "X-Collect-Key: the 43 base64url characters given when the request was made",
            code="request.bad_collect_key",
            detail_zh="取件密钥格式不对。",
        )
    return X25519PrivateKey.from_private_bytes(raw)


def _aead_key(shared: bytes, ephemeral: bytes, public: bytes, request_id: str) -> bytes:
    return HKDF(
        SHA256(), _KEY_BYTES, salt=ephemeral + public, info=b"certledger/request|" + request_id.encode()
    ).derive(shared)


def seal_to(public: bytes, request_id: str, plaintext: bytes) -> bytes:
    """`plaintext` sealed to an X25519 public key: ephemeral key ‖ nonce ‖ AES-256-GCM."""
    ephemeral = X25519PrivateKey.generate()
    mine = ephemeral.public_key().public_bytes_raw()
    key = _aead_key(ephemeral.exchange(X25519PublicKey.from_public_bytes(public)), mine, public, request_id)
    nonce = os.urandom(_AEAD_NONCE)
    return mine + nonce + AESGCM(key).encrypt(nonce, plaintext, b"certledger/request|" + request_id.encode())


def open_sealed(private: X25519PrivateKey, request_id: str, sealed: bytes) -> bytes | None:
    """What `seal_to` sealed, or None when this key does not open it."""
    if len(sealed) < _KEY_BYTES + _AEAD_NONCE + 16:
        return None
    ephemeral, nonce, body = sealed[:_KEY_BYTES], sealed[_KEY_BYTES : _KEY_BYTES + _AEAD_NONCE], sealed[44:]
    public = private.public_key().public_bytes_raw()
    key = _aead_key(
        private.exchange(X25519PublicKey.from_public_bytes(ephemeral)), ephemeral, public, request_id
    )
    try:
        return AESGCM(key).decrypt(nonce, body, b"certledger/request|" + request_id.encode())
    except InvalidTag:
        return None


_COLUMNS = (
    presentation_requests.c.id,
    presentation_requests.c.unit_id,
    presentation_requests.c.nonce,
    presentation_requests.c.type_id,
    presentation_requests.c.fields,
    presentation_requests.c.purpose,
    presentation_requests.c.grant_seconds,
    presentation_requests.c.uses,
    presentation_requests.c.created_at,
    presentation_requests.c.expires_at,
    presentation_requests.c.answered_at,
    presentation_requests.c.collected_at,
    units.c.name.label("unit_name"),
    units.c.credit_code.label("unit_code"),
)


def _titles(certificate_type: CertificateType) -> dict[str, str]:
    title = certificate_type.title
    return {"zh": title.get("zh-CN") or certificate_type.name, "en": title.get("en") or certificate_type.name}


def _state_of(row: Any, now: datetime) -> RequestState:
    if row.collected_at is not None:
        return RequestState.COLLECTED
    if row.answered_at is not None:
        return RequestState.ANSWERED
    if row.expires_at <= now:
        return RequestState.EXPIRED
    return RequestState.PENDING


class PresentationRequests:
    """Units' requests at the scan stand, and citizens' answers to them."""

    def __init__(self, context: WalletContext) -> None:
        self.context = context
        self.clock = context.clock
        self.grants = Grants(context)
        self.safe = SafeView(context)

    # ---------------------------------------------------------------- labels

    def _type(self, reference: str) -> CertificateType:
        try:
            return self.context.catalog.find(reference)
        except CertificateTypeError:
            raise InvalidRequestError(
                f"type: no certificate type {reference!r}",
                code="request.type",
                detail_zh="没有这种证明类型。",
            ) from None

    def _fields(self, type_id: int | None, names: Sequence[str]) -> tuple[RequestedField, ...]:
        """The fields with their labels, from the request's type, or else the first type that
        has each one; InvalidRequestError for a field no type has."""
        candidates = [t for t in self.context.catalog if type_id is None or t.type_id == type_id]
        # The newest version first: its titles are the current words.
        candidates.sort(key=lambda t: (t.type_id, -t.version))
        found: list[RequestedField] = []
        unknown: list[str] = []
        for name in names:
            owner = next((t for t in candidates if name in t.fields), None)
            if owner is None:
                unknown.append(name)
                continue
            found.append(RequestedField(name, field_label(owner, name)))
        if unknown:
            where = "the type" if type_id is not None else "any certificate type"
            raise InvalidRequestError(
                f"fields: {where} has no {', '.join(unknown)}",
                code="request.fields",
                detail_zh=f"证明中没有所要的内容：{'、'.join(unknown)}",
            )
        return tuple(found)

    def _stored(self, row: Any, now: datetime) -> StoredRequest:
        requested_type = None
        if row.type_id is not None:
            found = self.context.catalog.find(row.type_id)
            requested_type = RequestedType(found.key, _titles(found))
        return StoredRequest(
            id=row.id,
            nonce=row.nonce,
            unit=GrantUnit(row.unit_id, row.unit_name, row.unit_code),
            type=requested_type,
            fields=self._fields(row.type_id, json.loads(row.fields)),
            purpose=row.purpose,
            grant_seconds=row.grant_seconds,
            uses=row.uses,
            created_at=row.created_at,
            expires_at=row.expires_at,
            answered_at=row.answered_at,
            collected_at=row.collected_at,
            state=_state_of(row, now),
        )

    def _row(self, request_id: str, *, unit_id: str | None = None) -> Any:
        query = (
            sa.select(*_COLUMNS)
            .join(units, units.c.id == presentation_requests.c.unit_id)
            .where(presentation_requests.c.id == request_id)
        )
        if unit_id is not None:
            query = query.where(presentation_requests.c.unit_id == unit_id)
        with self.context.reader.connect() as connection:
            row = connection.execute(query).first()
        if row is None:
            raise NotFoundError("no such request", code="request.not_found", detail_zh="没有这个请求。")
        return row

    # ---------------------------------------------------------------- the unit's side

    def askable(self) -> list[tuple[RequestedType, tuple[RequestedField, ...], tuple[str, ...]]]:
        """Each certificate type's latest version with its fields labelled, and the fields always
        asked for (the holder's name and identity number), for the stand's form."""
        latest: dict[str, CertificateType] = {}
        for certificate_type in self.context.catalog:
            latest[certificate_type.name] = certificate_type  # the catalog runs oldest first
        return [
            (
                RequestedType(found.key, _titles(found)),
                tuple(RequestedField(name, field_label(found, name)) for name in found.fields),
                always_disclosed(found),
            )
            for found in latest.values()
        ]

    def link(self, request_id: str) -> str:
        """What the stand's QR code carries: the request's id, nothing else."""
        return f"{self.context.settings.base_url}/q/{request_id}"

    def create(self, unit: Principal, terms: RequestTerms) -> CreatedRequest:
        """Stores a new request of `unit`'s and returns it with the only copy of its collection
        key; requests that expired more than a day ago are forgotten on the way."""
        asked_type = self._type(terms.type) if terms.type is not None else None
        type_id = asked_type.type_id if asked_type is not None else None
        names = tuple(dict.fromkeys(terms.fields))
        self._fields(type_id, names)
        if asked_type is not None:
            # Whose record it is goes with every grant (the holder's name and identity number):
            # asked for always, in the schema's order.
            wanted = {*names, *always_disclosed(asked_type)}
            names = tuple(name for name in asked_type.fields if name in wanted)
        purpose = terms.purpose.strip()
        if not purpose:
            raise InvalidRequestError("purpose: say why", code="request.purpose", detail_zh="请写明用途。")
        longest = self.context.settings.grant_days * 86_400
        if not MIN_GRANT_SECONDS <= terms.grant_seconds <= longest:
            raise InvalidRequestError(
                f"grantSeconds: between a minute and {self.context.settings.grant_days} days",
                code="request.grant_term",
                detail_zh=f"授权期限应在 1 分钟到 {self.context.settings.grant_days} 天之间。",
            )
        if not MIN_LIFETIME_SECONDS <= terms.lifetime_seconds <= MAX_LIFETIME_SECONDS:
            raise InvalidRequestError(
                "lifetimeSeconds: between 30 seconds and 10 minutes",
                code="request.lifetime",
                detail_zh="请求的有效时间应在 30 秒到 10 分钟之间。",
            )
        private = X25519PrivateKey.generate()
        now = self.clock()
        request_id = os.urandom(16).hex()
        row = {
            "id": request_id,
            "unit_id": unit.id,
            "nonce": os.urandom(16).hex(),
            "type_id": type_id,
            "fields": json.dumps(list(names)),
            "purpose": purpose,
            "grant_seconds": terms.grant_seconds,
            "uses": terms.uses,
            "collect_public": private.public_key().public_bytes_raw(),
            "created_at": now,
            "expires_at": now + timedelta(seconds=terms.lifetime_seconds),
        }

        def store(connection: sa.Connection) -> tuple[None, list[Any]]:
            connection.execute(
                sa.delete(presentation_requests).where(
                    presentation_requests.c.expires_at < now - timedelta(seconds=KEEP_SECONDS)
                )
            )
            connection.execute(sa.insert(presentation_requests).values(**row))
            return None, []

        self.context.writer.run(store)
        stored = self._stored(self._row(request_id), now)
        link = self.link(request_id)
        return CreatedRequest(stored, link, qr_svg(link), encode_bytes(private.private_bytes_raw()))

    def get(self, unit: Principal, request_id: str) -> StoredRequest:
        """One of `unit`'s requests; another unit's is not found, as one that does not exist."""
        return self._stored(self._row(request_id, unit_id=unit.id), self.clock())

    def _keyed(self, unit: Principal, request_id: str, collect_key: str) -> tuple[X25519PrivateKey, Any]:
        private = _decode_collect_key(collect_key)
        with self.context.reader.connect() as connection:
            row = connection.execute(
                sa.select(presentation_requests.c.answer, presentation_requests.c.collect_public).where(
                    presentation_requests.c.id == request_id, presentation_requests.c.unit_id == unit.id
                )
            ).first()
        if row is None:
            raise NotFoundError("no such request", code="request.not_found", detail_zh="没有这个请求。")
        if private.public_key().public_bytes_raw() != bytes(row.collect_public):
            raise PermissionDeniedError(
                "X-Collect-Key: not this request's key",
                code="request.bad_collect_key",
                detail_zh="取件密钥与这个请求不符。",
            )
        return private, row

    def check_collect_key(self, unit: Principal, request_id: str, collect_key: str) -> None:
        """Refuses a collection key that is not the request's (or a request not `unit`'s)."""
        self._keyed(unit, request_id, collect_key)

    def collect(self, unit: Principal, request_id: str, *, collect_key: str) -> Collected | None:
        """The link an answered request holds, opened with the collection key, for the unit to
        redeem; the request is marked collected first, so two pollers redeem it once. None while
        it is not answered, or when it was collected already."""
        private, row = self._keyed(unit, request_id, collect_key)
        if row.answer is None:
            return None
        plaintext = open_sealed(private, request_id, bytes(row.answer))
        if plaintext is None:  # sealed by this service to this very key: a bug, not a bad request
            raise RuntimeError(f"the answer to request {request_id} does not open with its key")
        now = self.clock()

        def claim(connection: sa.Connection) -> tuple[int, list[Any]]:
            changed = connection.execute(
                sa.update(presentation_requests)
                .where(
                    presentation_requests.c.id == request_id,
                    presentation_requests.c.collected_at.is_(None),
                    presentation_requests.c.answer.is_not(None),
                )
                .values(collected_at=now, answer=None)
            )
            return changed.rowcount, []

        if self.context.writer.run(claim) != 1:
            return None
        link = orjson.loads(plaintext)
        return Collected(self.get(unit, request_id), str(link["reference"]), str(link["key"]))

    def reopen(self, unit: Principal, request_id: str, collected: Collected) -> None:
        """Puts an answer back after a redemption that decided nothing (the chain did not
        answer), so that the next poll tries again."""
        with self.context.reader.connect() as connection:
            public = connection.execute(
                sa.select(presentation_requests.c.collect_public).where(
                    presentation_requests.c.id == request_id, presentation_requests.c.unit_id == unit.id
                )
            ).scalar_one()
        sealed = seal_to(
            bytes(public), request_id, orjson.dumps({"reference": collected.reference, "key": collected.key})
        )

        def put_back(connection: sa.Connection) -> tuple[None, list[Any]]:
            connection.execute(
                sa.update(presentation_requests)
                .where(presentation_requests.c.id == request_id)
                .values(collected_at=None, answer=sealed)
            )
            return None, []

        self.context.writer.run(put_back)

    # ---------------------------------------------------------------- the citizen's side

    def ask(self, citizen: Principal, request_id: str) -> AskedRequest:
        """A request as the citizen sees it — who asks, for what and why, from the service's
        own records — with the citizen's valid certificates that hold every requested field."""
        request = self._stored(self._row(request_id), self.clock())
        wanted = {field.name for field in request.fields}
        matching: list[MatchingCertificate] = []
        summaries = [s for s in self.safe.list(citizen) if s.status == CertificateState.VALID and s.anchored]
        for summary in summaries[:MAX_MATCHING]:
            if (
                request.type is not None
                and summary.type_key.split("/v")[0] != request.type.key.split("/v")[0]
            ):
                continue
            certificate = self.safe.get(citizen, summary.id).certificate
            if wanted <= set(certificate.claims):
                matching.append(
                    MatchingCertificate(summary.id, summary.number, summary.type_key, summary.titles)
                )
        return AskedRequest(request, tuple(matching))

    def _pending(self, request_id: str) -> StoredRequest:
        request = self._stored(self._row(request_id), self.clock())
        if request.state is RequestState.EXPIRED:
            raise ConflictError(
                "the request has expired: ask the unit for a new one",
                code="request.expired",
                detail_zh="这个请求已过期，请让单位重新出示二维码。",
            )
        if request.state is not RequestState.PENDING:
            raise ConflictError(
                "the request was answered already",
                code="request.used",
                detail_zh="这个请求已经被回应过了。",
            )
        return request

    def draft(self, citizen: Principal, request_id: str, *, certificate_id: str) -> RequestDraft:
        """The grant answering the request with this certificate: the request's unit, fields,
        purpose, term and uses, and the request's nonce as the grant's id (so it is signed).
        The draft's checks are the ordinary grant draft's."""
        request = self._pending(request_id)
        expires = int(self.clock().timestamp()) + request.grant_seconds
        terms = GrantTerms(
            certificate_id=certificate_id,
            unit_id=request.unit.id,
            fields=[field.name for field in request.fields],
            purpose=request.purpose,
            expires=expires,
            uses=request.uses,
        )
        grant = replace(self.grants.draft(citizen, terms), grant_id=bytes.fromhex(request.nonce))
        return RequestDraft(grant, replace(terms, fields=list(grant.fields)))

    def answer(self, citizen: Principal, request_id: str, *, reference: str, key: str) -> StoredRequest:
        """Answers the request with the citizen's grant (its link's reference and key).

        Refused when the request is expired or answered, when the grant is not the citizen's, was
        not drafted for this request (its id is not the nonce), is addressed to another unit,
        does not cover every requested field, its key does not open it, or it cannot be used
        any more."""
        raw_key = decode_key(key)
        request = self._pending(request_id)
        now = self.clock()
        with self.context.reader.connect() as connection:
            grant = connection.execute(
                sa.select(
                    grants.c.id,
                    grants.c.unit_id,
                    grants.c.fields,
                    grants.c.revoked_at,
                    grants.c.expires_at,
                    grants.c.uses_left,
                    grants.c.sealed,
                ).where(grants.c.reference == reference, grants.c.account_id == citizen.id)
            ).first()
        if grant is None:
            raise NotFoundError("no grant of yours has this link", code="grant.not_found")
        if grant.unit_id != request.unit.id:
            raise PermissionDeniedError(
                "the grant is addressed to another unit than the one asking",
                code=GrantRefusal.WRONG_UNIT.value,
                detail_zh="这项授权不是给提出请求的单位的。",
            )
        if grant.id != request.nonce:
            raise InvalidRequestError(
                "the grant was not drafted for this request: its id must be the request's nonce",
                code="request.not_bound",
                detail_zh="这项授权不是为这个请求签署的。",
            )
        missing = [field.name for field in request.fields if field.name not in json.loads(grant.fields)]
        if missing:
            raise InvalidRequestError(
                f"the grant does not cover {', '.join(missing)}",
                code="request.fields_not_covered",
                detail_zh="这项授权没有包含单位所要的全部内容。",
            )
        if open_bundle(raw_key, grant.id, bytes(grant.sealed)) is None:
            raise InvalidRequestError("key: not this grant's key", code="grant.bad_key")
        if grant.revoked_at is not None or grant.expires_at <= now or grant.uses_left <= 0:
            raise ConflictError(
                "the grant is revoked, expired or used up",
                code="request.grant_inactive",
                detail_zh="这项授权已撤回、过期或用完。",
            )
        with self.context.reader.connect() as connection:
            public = connection.execute(
                sa.select(presentation_requests.c.collect_public).where(
                    presentation_requests.c.id == request_id
                )
            ).scalar_one()
        sealed = seal_to(bytes(public), request_id, orjson.dumps({"reference": reference, "key": key}))

        def record(connection: sa.Connection) -> tuple[int, list[Any]]:
            changed = connection.execute(
                sa.update(presentation_requests)
                .where(
                    presentation_requests.c.id == request_id,
                    presentation_requests.c.answered_at.is_(None),
                    presentation_requests.c.expires_at > now,
                )
                .values(answered_at=now, grant_id=grant.id, answer=sealed)
            )
            return changed.rowcount, []

        if self.context.writer.run(record) != 1:
            self._pending(request_id)  # it expired or was answered meanwhile: this raises why
            raise ConflictError(
                "the request was answered already", code="request.used", detail_zh="这个请求已经被回应过了。"
            )
        return self._stored(self._row(request_id), self.clock())
