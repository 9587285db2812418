"""The unit's side of a redemption: the verdict as its clerk reads it, and the unit's own history.

Each redemption a unit makes is recorded in `unit_verifications` in the transaction that spends
the grant's use and appends its access-log entry (the group writer hands the entry's sequence
number to `UnitHistory.record` once the group's entries are numbered, so the log is still
appended once per group): a receipt names that entry, so an auditor can find the same redemption
in the log and prove it against the roots anchored on chain.

What is kept is what the unit may file without the service holding personal data for it: the
time, the certificate's type, its document root (as in the log and on chain), its number only
when the holder disclosed it (an undisclosed field stays undisclosed, even in the unit's own
history), the issuing office's registered name, the verdict and the check that decided it, and
the *names* of the disclosed fields. The values themselves — the holder's name and identity
number, amounts — are never stored: the unit saw them once, on its screen.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from issuer import new_id
from ledger import (
    CertificateType,
    CertificateTypeError,
    Presentation,
    TypeCatalog,
    hex0x,
    mask,
)
from verifier import CheckStatus, Verification
from wallet_api._context import WalletContext
from wallet_api._errors import NotFoundError
from wallet_api._models import unit_verifications
from wallet_api._principal import Principal
from wallet_api._render import field_label, type_titles, verification_view

Text = dict[str, str]


# ---------------------------------------------------------------- the verdict as the unit reads it


def _type_of(catalog: TypeCatalog, presentation: Presentation) -> CertificateType | None:
    try:
        return catalog.get(presentation.header.type_id, presentation.header.version)
    except CertificateTypeError:
        return None


def unit_view(
    result: Mapping[str, Any], presentation: Presentation, catalog: TypeCatalog
) -> dict[str, Any] | None:
    """The view model of what a unit was shown (`wallet_api._render`), with what its verdict
    page puts first: the holder's name and masked identity number, the certificate's number and
    dates, and how many of the type's fields the holder did not disclose.

    The identity number is masked in the document too: the clerk needs to see whose record it is,
    not to copy the number off the screen (the API's `disclosed` still carries it whole).
    """
    certificate_type = _type_of(catalog, presentation)
    view = verification_view(result, catalog, hidden=0)
    if view is None or certificate_type is None:
        return view
    claims = presentation.claims
    name = claims.get(certificate_type.holder_name_field)
    identity = claims.get(certificate_type.holder_id_field)
    masked = mask(identity) if isinstance(identity, str) else None
    for section in view["sections"]:
        for row in section.get("rows", []) if section["kind"] == "fields" else section["summary"]:
            if row.get("field") == certificate_type.holder_id_field:
                row["value"] = masked
    number = claims.get(certificate_type.number_field)
    undisclosed = len(set(certificate_type.fields) - set(claims))
    view.update(
        hidden=undisclosed,
        undisclosed=undisclosed,
        holder={"name": name if isinstance(name, str) else None, "id": masked},
        number=number if isinstance(number, str) else None,
        issued=presentation.header.issued,
        validUntil=presentation.header.valid_until,
    )
    return view


# ---------------------------------------------------------------- the unit's history


@dataclass(frozen=True, slots=True)
class FieldName:
    """A disclosed field by name, with its label from the type's schema."""

    name: str
    label: Text


@dataclass(frozen=True, slots=True)
class UnitVerificationEntry:
    """One redemption as the unit's history and receipt show it."""

    id: str
    at: datetime
    certificate_number: str | None
    document_root: str
    type_key: str
    type_title: Text
    office_id: int
    office_name: str | None
    verdict: str
    decisive: str | None
    fields: tuple[FieldName, ...]
    log_seq: int


def _decisive(verification: Verification) -> str | None:
    for status in (CheckStatus.FAILED, CheckStatus.UNKNOWN):
        found = next((check for check in verification.checks if check.status is status), None)
        if found is not None:
            return found.name
    return None


def _field_label(certificate_type: CertificateType | None, name: str) -> Text:
    """A field's label from its schema title; a type the catalog lost shows the name itself."""
    if certificate_type is None:
        return {"zh": name, "en": name.replace("_", " ").capitalize()}
    return field_label(certificate_type, name)


# One statement for every row, its values bound as parameters: `.values(...)` per call costs more
# in SQLAlchemy's coercion and cache key than the insert itself, inside the writer's transaction.
_INSERT = sa.insert(unit_verifications)


class UnitHistory:
    """The verifications a unit made: recorded with each redemption, read back by that unit only."""

    def __init__(self, context: WalletContext) -> None:
        self.context = context

    def record(
        self,
        connection: sa.Connection,
        *,
        seq: int,
        at: datetime,
        unit_id: str,
        grant_id: str,
        presentation: Presentation,
        verification: Verification,
    ) -> None:
        """Writes the unit's history row of a redemption whose access-log entry is `seq`, in the
        transaction that appended that entry."""
        header = presentation.header
        certificate_type = _type_of(self.context.catalog, presentation)
        number = (
            presentation.claims.get(certificate_type.number_field) if certificate_type is not None else None
        )
        key, _title = type_titles(self.context.catalog, header.type_id, header.version)
        connection.execute(
            _INSERT,
            {
                "id": new_id(),
                "unit_id": unit_id,
                "at": at,
                "grant_id": grant_id,
                "document_root": presentation.root,
                "certificate_no": number if isinstance(number, str) else None,
                "type_key": key[:80],
                "office_id": header.office_id,
                "office_name": verification.office_name[:200] if verification.office_name else None,
                "verdict": str(verification.verdict),
                "decisive": _decisive(verification),
                "fields": json.dumps(sorted(presentation.disclosed)),
                "log_seq": seq,
            },
        )

    def page(self, unit: Principal, *, limit: int, before: int | None) -> list[UnitVerificationEntry]:
        """The unit's verifications, newest first, `limit` at a time before log entry `before`."""
        query = (
            sa.select(unit_verifications)
            .where(unit_verifications.c.unit_id == unit.id)
            .order_by(unit_verifications.c.log_seq.desc())
            .limit(limit)
        )
        if before is not None:
            query = query.where(unit_verifications.c.log_seq < before)
        with self.context.reader.connect() as connection:
            rows = connection.execute(query).all()
        return [self._entry(row) for row in rows]

    def get(self, unit: Principal, verification_id: str) -> UnitVerificationEntry:
        """One of the unit's verifications; another unit's is not found, exactly like none."""
        with self.context.reader.connect() as connection:
            row = connection.execute(
                sa.select(unit_verifications).where(
                    unit_verifications.c.id == verification_id, unit_verifications.c.unit_id == unit.id
                )
            ).first()
        if row is None:
            raise NotFoundError("this unit made no such verification", code="verification.not_found")
        return self._entry(row)

    def _entry(self, row: Any) -> UnitVerificationEntry:
        type_name, _, version = row.type_key.partition("/v")
        certificate_type: CertificateType | None
        try:
            certificate_type = self.context.catalog.find(row.type_key)
            _key, title = type_titles(
                self.context.catalog, certificate_type.type_id, certificate_type.version
            )
        except CertificateTypeError:
            certificate_type, title = None, {"zh": type_name, "en": f"{type_name} v{version}"}
        names: Sequence[str] = json.loads(row.fields)
        return UnitVerificationEntry(
            id=row.id,
            at=row.at,
            certificate_number=row.certificate_no,
            document_root=hex0x(bytes(row.document_root)),
            type_key=row.type_key,
            type_title=title,
            office_id=row.office_id,
            office_name=row.office_name,
            verdict=row.verdict,
            decisive=row.decisive,
            fields=tuple(FieldName(name, _field_label(certificate_type, name)) for name in names),
            log_seq=row.log_seq,
        )
