"""The office's certificates: find them, change their status. What the console's search card does,
over the same services as `certledger status`.

A person's certificates are found by one query that the desk reads three ways:

* an identity number (18 characters, GB 11643) — through the keyed lookup hash of the citizen,
  never compared in the clear;
* a certificate number's beginning, any case — a range over the (number, revision) index;
* a name — through the keyed name hash on each certificate, and only among the operator's own
  office's certificates.

A hit shows the holder's identity number and name masked, read from the sealed body: only the
shown rows are decrypted, at most `SEARCH_LIMIT`. Neither the query nor anything decrypted is
logged.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property
from typing import Any, Literal

import sqlalchemy as sa

from issuer import (
    BatchState,
    CertificateState,
    Reason,
    ReasonMismatchError,
    SafeError,
    WrappedKey,
    batches,
    certificates,
    citizens,
    data_keys,
    decrypt_body,
    operator_reasons,
    reason_actions,
)
from ledger import CertificateTypeError, TransactionError, hex0x, identity_number_problem, mask, parse_json
from wallet_api._context import WalletContext
from wallet_api._errors import ConflictError, InvalidRequestError, NotFoundError
from wallet_api._principal import Principal
from wallet_api._render import type_titles
from wallet_api._staff_trail import StaffActionKind, record_staff_action

log = logging.getLogger("certledger.office")

SearchBy = Literal["number", "identity", "name"]
Action = Literal["revoke", "suspend", "reinstate"]
SEARCH_LIMIT = 50
"""The most hits a search shows (and decrypts); a search finding more says so."""
MAX_QUERY = 40
_ACTIONS: tuple[Action, ...] = ("revoke", "suspend", "reinstate")

_IDENTITY = re.compile(r"[1-9][0-9]{16}[0-9X]\Z")
# The beginning of a certificate number (`^[A-Z0-9][A-Z0-9-]{5,39}$` whole): no LIKE wildcard
# can pass, and the range below needs none.
_NUMBER_PREFIX = re.compile(r"[A-Z0-9][A-Z0-9-]{0,39}\Z")
_NAME_MARKS = frozenset("·・•.'-")  # 买买提·艾力, O'Neil, Jean-Luc


@dataclass(frozen=True, slots=True)
class CertificateRevision:
    """One revision of a certificate as the office sees it: where it is anchored, its status.
    Nothing personal: the body stays sealed in the safe."""

    number: str
    revision: int
    type: str
    title: dict[str, str]
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


@dataclass(frozen=True, slots=True)
class CertificateHit:
    """A certificate a search found, as its current revision: enough to tell a person's
    certificates apart, with their identity number and name masked. `readable` is false when the
    holder's data was erased (then neither is shown)."""

    number: str
    revision: int
    type: str
    title: dict[str, str]
    issued: date
    valid_until: date | None
    status: str
    status_reason: str | None
    anchored: bool
    identity_number: str | None
    holder_name: str | None
    readable: bool
    matched_by: SearchBy


@dataclass(frozen=True, slots=True)
class SearchOutcome:
    """How the query was read, the certificates found (at most `SEARCH_LIMIT`), and whether there
    are more than those."""

    by: SearchBy
    hits: tuple[CertificateHit, ...]
    more: bool


@dataclass(frozen=True, slots=True)
class StatusChangeOutcome:
    """An operator's status change: whether it changed anything, its transactions, and the
    certificate's revisions after it."""

    changed: bool
    transactions: tuple[str, ...]
    revisions: tuple[CertificateRevision, ...]


@dataclass(frozen=True, slots=True)
class ReasonFit:
    """A reason an operator may give, and the actions it fits."""

    reason: Reason
    actions: tuple[Action, ...]


class CertificateDesk:
    """Search and status changes for operators."""

    def __init__(self, context: WalletContext) -> None:
        self.context = context

    def search(self, query: str, *, by: SearchBy | None = None, limit: int = SEARCH_LIMIT) -> SearchOutcome:
        """The current revisions of the certificates `query` finds, read as `by` says or, without
        it, as its shape says (see `read_query`); at most `limit`, and whether there are more."""
        how, key = read_query(query, by)
        condition: sa.ColumnElement[bool]
        if how == "identity":
            condition = certificates.c.citizen_id.in_(
                sa.select(citizens.c.id).where(citizens.c.lookup_hash == self.context.hasher.identity(key))
            )
            order: list[Any] = [certificates.c.issued_on.desc(), certificates.c.certificate_no]
        elif how == "name":
            condition = sa.and_(
                certificates.c.office_id == self.context.office_id,
                certificates.c.holder_name_hash == self.context.hasher.name(key),
            )
            order = [certificates.c.issued_on.desc(), certificates.c.certificate_no]
        else:
            condition = self._number_prefix(key)
            order = [certificates.c.certificate_no]
        with self.context.reader.connect() as connection:
            rows = connection.execute(
                _HITS.where(condition, certificates.c.status != CertificateState.SUPERSEDED)
                .order_by(*order)
                .limit(limit + 1)
            ).all()
        keys: dict[str, bytes | None] = {}
        hits = tuple(self._hit(row, how, keys) for row in rows[:limit])
        log.info("office search", extra={"fields": {"by": how, "found": len(hits)}})
        return SearchOutcome(how, hits, more=len(rows) > limit)

    def _number_prefix(self, prefix: str) -> sa.ColumnElement[bool]:
        # A range rather than LIKE: it walks the (number, revision) index. It must compare byte
        # by byte, as SQLite's BINARY does; a PostgreSQL locale's collation would skip the '-'
        # and miss numbers, so there it is made COLLATE "C" — exact, at the cost of the index.
        column: sa.ColumnElement[str] = certificates.c.certificate_no
        if not self._bytewise:
            column = column.collate("C")
        following = prefix[:-1] + chr(ord(prefix[-1]) + 1)  # the first text past every completion
        return sa.and_(column >= prefix, column < following)

    @cached_property
    def _bytewise(self) -> bool:
        """Whether the database orders certificate numbers as their bytes do (SQLite, and
        PostgreSQL in a C or C.UTF-8 database), asked of the database itself: the plain range is
        exact there."""
        reader = self.context.reader
        if reader.dialect.name == "sqlite":
            return True
        probe = sa.text("SELECT 'A-Z' < 'A0' AND 'AB-Z' < 'ABA' AND 'A9' < 'AA' AND 'AB' < 'AB-'")
        with reader.connect() as connection:
            return bool(connection.execute(probe).scalar_one())

    def _hit(self, row: Any, how: SearchBy, keys: dict[str, bytes | None]) -> CertificateHit:
        type_key, title = type_titles(self.context.catalog, row.type_id, row.schema_version)
        claims = self._claims(row, keys)
        identity, name = _masked_holder(self.context, row, claims)
        return CertificateHit(
            number=row.certificate_no,
            revision=row.revision,
            type=type_key,
            title=title,
            issued=row.issued_on,
            valid_until=row.valid_until,
            status=row.status,
            status_reason=_label(row.status_reason),
            anchored=row.state == BatchState.ANCHORED,
            identity_number=identity,
            holder_name=name,
            readable=claims is not None,
            matched_by=how,
        )

    def _claims(self, row: Any, keys: dict[str, bytes | None]) -> dict[str, Any] | None:
        """The row's claims from its sealed body; None when its holder's data was erased (or the
        body fails its integrity check, which the safe reports without content)."""
        if row.wrapped_key is None or (row.erased_at is not None and row.created_at < row.erased_at):
            return None
        try:
            if row.citizen_id not in keys:
                keys[row.citizen_id] = self.context.safe.unwrap(
                    row.citizen_id, WrappedKey(row.master_key_id, row.wrapped_key)
                )
            data_key = keys[row.citizen_id]
            if data_key is None:
                return None
            body = parse_json(decrypt_body(data_key, row.body, record_id=row.id, version=row.body_version))
        except SafeError as error:
            keys.setdefault(row.citizen_id, None)
            log.warning(
                "a certificate body does not open", extra={"fields": {"record": row.id, "error": str(error)}}
            )
            return None
        claims = body.get("claims") if isinstance(body, dict) else None
        return claims if isinstance(claims, dict) else None

    def find(self, number: str) -> list[CertificateRevision]:
        """Every revision of certificate `number` (any case), newest first: where it is anchored
        and its status. Nothing personal: the body stays sealed in the safe."""
        with self.context.reader.connect() as connection:
            rows = connection.execute(
                sa.select(
                    certificates.c.certificate_no,
                    certificates.c.revision,
                    certificates.c.type_id,
                    certificates.c.schema_version,
                    certificates.c.issued_on,
                    certificates.c.valid_until,
                    certificates.c.status,
                    certificates.c.status_reason,
                    certificates.c.status_changed_at,
                    certificates.c.leaf_index,
                    batches.c.state,
                    batches.c.chain_batch_id,
                    batches.c.transaction_hash,
                    batches.c.block_number,
                    batches.c.anchored_at,
                )
                .outerjoin(batches, batches.c.id == certificates.c.batch_id)
                .where(certificates.c.certificate_no == number.upper())
                .order_by(certificates.c.revision.desc())
            ).all()
        if not rows:
            raise NotFoundError(f"no certificate numbered {number}", code="certificate.not_found")
        return [self._revision(row) for row in rows]

    def _revision(self, row: Any) -> CertificateRevision:
        type_key, title = type_titles(self.context.catalog, row.type_id, row.schema_version)
        return CertificateRevision(
            number=row.certificate_no,
            revision=row.revision,
            type=type_key,
            title=title,
            issued=row.issued_on,
            valid_until=row.valid_until,
            status=row.status,
            status_reason=_label(row.status_reason),
            status_changed_at=row.status_changed_at,
            anchored=row.state == BatchState.ANCHORED,
            batch=row.chain_batch_id,
            index=row.leaf_index,
            transaction=hex0x(row.transaction_hash) if row.transaction_hash else None,
            block=row.block_number,
            anchored_at=row.anchored_at,
        )

    def change_status(
        self, number: str, action: Action, reason: str, *, operator: Principal
    ) -> StatusChangeOutcome:
        """Revokes, suspends or reinstates certificate `number` on chain, with a reason code that
        fits the action (the issuer refuses any other: ``status.reason_mismatch``). A change is
        written to the staff trail once the chain has it (the status is recorded by the issuer
        in a transaction of its own, after the chain confirms)."""
        try:
            code = Reason.parse(reason)
        except (KeyError, ValueError):
            known = ", ".join(item.label for item in operator_reasons(action))
            raise InvalidRequestError(
                f"reason: {reason!r} is not a reason code; {action} takes {known}", code="status.bad_reason"
            ) from None
        number = number.upper()
        try:
            report = self.context.statuses().change([number], action, code)
        except ReasonMismatchError as error:
            raise InvalidRequestError(str(error), code="status.reason_mismatch") from None
        except TransactionError as error:  # an unreachable chain is a ChainError, answered upstream
            raise ConflictError(
                f"the ledger refused the change: {error}", code="status.not_applied"
            ) from None
        if report.refused:
            (_, why), *_ = report.refused
            if why.startswith("no certificate"):  # the number is the operator's own query
                raise NotFoundError(f"no certificate numbered {number}", code="certificate.not_found")
            raise ConflictError(why, code="status.refused")
        if report.changed:
            with self.context.engine.begin() as connection:
                record_staff_action(
                    connection,
                    operator,
                    StaffActionKind.CERTIFICATE_STATUS_CHANGED,
                    number,
                    {
                        "action": action,
                        "reason": code.label,
                        "transactions": [hex0x(tx) for tx in report.transactions],
                    },
                    at=self.context.clock(),
                )
        log.info("status changed", extra={"fields": {"action": action, "reason": code.label}})
        return StatusChangeOutcome(
            changed=bool(report.changed),
            transactions=tuple(hex0x(tx) for tx in report.transactions),
            revisions=tuple(self.find(number)),
        )


def reasons() -> list[ReasonFit]:
    """The reason codes an operator may give, each with the actions it fits (SUPERSEDED, the
    service's own, is none of them)."""
    return [
        ReasonFit(reason, tuple(action for action in _ACTIONS if action in reason_actions(reason)))
        for reason in Reason
        if reason is not Reason.SUPERSEDED
    ]


def read_query(query: str, by: SearchBy | None = None) -> tuple[SearchBy, str]:
    """How a search box's `query` is read, and the key to look up.

    Without `by`: a valid GB 11643 identity number is one; else letters, digits and dashes are
    the beginning of a certificate number (upper-cased: numbers are written in capitals); else
    letters (any script), spaces and the marks of names (·, ', -) are a name. Full-width letters
    and digits count as their ASCII forms for numbers and identity numbers. An 18-digit text
    that fails the identity check character is read as a number; ``by`` overrides the guess.
    Anything else is refused (``search.query``) rather than searched.
    """
    text = unicodedata.normalize("NFC", query).strip()
    if not text or len(text) > MAX_QUERY:
        raise InvalidRequestError(f"q: 1 to {MAX_QUERY} characters", code="search.query")
    upper = unicodedata.normalize("NFKC", text).upper()  # full-width digits, as IMEs type them
    if by == "identity" or (by is None and _IDENTITY.match(upper) and identity_number_problem(upper) is None):
        problem = identity_number_problem(upper)
        if problem is not None:
            raise InvalidRequestError(f"q: {problem}", code="search.identity")
        return "identity", upper
    if by in (None, "number") and _NUMBER_PREFIX.match(upper):
        return "number", upper
    if by in (None, "name") and _is_name(text):
        return "name", text
    wanted = {
        "number": "the beginning of a certificate number: letters, digits and '-'",
        "name": "a name: letters, spaces and the marks · ' -",
        None: "an identity number, the beginning of a certificate number, or a name",
    }[by]
    raise InvalidRequestError(f"q: not {wanted}", code="search.query")


def mask_name(name: str) -> str:
    """A name with all but its first and (from three characters) last character hidden: 张* for
    张三, 张*丰 for 张三丰. Spaces are dropped, as the name hash drops them."""
    letters = "".join(name.split())
    if len(letters) <= 1:
        return "*" * len(letters)
    if len(letters) == 2:
        return letters[0] + "*"
    return letters[0] + "*" * (len(letters) - 2) + letters[-1]


def _is_name(text: str) -> bool:
    letters = [character for character in text if not character.isspace()]
    return (
        any(character.isalpha() for character in letters)
        and all(character.isalpha() or character in _NAME_MARKS for character in letters)
        and letters[0].isalpha()
    )


def _masked_holder(
    context: WalletContext, row: Any, claims: dict[str, Any] | None
) -> tuple[str | None, str | None]:
    """The holder's identity number and name, masked, from the claims; None for what the type
    does not carry (a type without ``holderNameField`` shows no name)."""
    if claims is None:
        return None, None
    try:
        certificate_type = context.catalog.get(row.type_id, row.schema_version)
    except CertificateTypeError:
        return None, None
    identity = claims.get(certificate_type.holder_id_field)
    name_field = certificate_type.schema.get("x-certledger", {}).get("holderNameField")
    name = claims.get(name_field) if isinstance(name_field, str) else None
    return (
        mask(identity) if isinstance(identity, str) else None,
        mask_name(name) if isinstance(name, str) and name.strip() else None,
    )


def _label(reason: int | None) -> str | None:
    return Reason(reason).label if reason else None


_HITS = (
    sa.select(
        certificates.c.id,
        certificates.c.certificate_no,
        certificates.c.revision,
        certificates.c.type_id,
        certificates.c.schema_version,
        certificates.c.citizen_id,
        certificates.c.issued_on,
        certificates.c.valid_until,
        certificates.c.status,
        certificates.c.status_reason,
        certificates.c.body,
        certificates.c.body_version,
        certificates.c.created_at,
        batches.c.state,
        data_keys.c.wrapped_key,
        data_keys.c.master_key_id,
        data_keys.c.erased_at,
    )
    .outerjoin(batches, batches.c.id == certificates.c.batch_id)
    .join(data_keys, data_keys.c.citizen_id == certificates.c.citizen_id)
)
