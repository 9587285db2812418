"""The citizen's safe as the wallet shows it: their own current certificates, decrypted."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa

from issuer import BatchState, CertificateState, StoredCertificate, batches, certificates, data_keys
from ledger import certificate_to_vc
from wallet_api._context import WalletContext
from wallet_api._errors import ConflictError, NotFoundError
from wallet_api._principal import Principal
from wallet_api._render import type_titles


@dataclass(frozen=True, slots=True)
class CertificateSummary:
    """A certificate as a card in the wallet's list."""

    id: str
    number: str
    type_key: str
    titles: dict[str, str]
    issued: date
    valid_until: date | None
    status: str
    anchored: bool


class SafeView:
    """Reads a citizen's own certificates; anybody else's look like they do not exist."""

    def __init__(self, context: WalletContext) -> None:
        self.context = context

    def list(self, principal: Principal) -> list[CertificateSummary]:
        """The citizen's current certificates, newest first; none that an erasure made unreadable."""
        with self.context.reader.connect() as connection:
            rows = connection.execute(
                sa.select(
                    certificates.c.id,
                    certificates.c.certificate_no,
                    certificates.c.type_id,
                    certificates.c.schema_version,
                    certificates.c.issued_on,
                    certificates.c.valid_until,
                    certificates.c.status,
                    batches.c.state,
                )
                .outerjoin(batches, batches.c.id == certificates.c.batch_id)
                .join(data_keys, data_keys.c.citizen_id == certificates.c.citizen_id)
                .where(
                    certificates.c.citizen_id == principal.citizen_id,
                    certificates.c.status != CertificateState.SUPERSEDED,
                    data_keys.c.wrapped_key.is_not(None),
                    sa.or_(
                        data_keys.c.erased_at.is_(None), certificates.c.created_at >= data_keys.c.erased_at
                    ),
                )
                .order_by(certificates.c.issued_on.desc(), certificates.c.certificate_no)
            ).all()
        return [self._summary(row) for row in rows]

    def _summary(self, row: Any) -> CertificateSummary:
        key, titles = type_titles(self.context.catalog, row.type_id, row.schema_version)
        return CertificateSummary(
            row.id,
            row.certificate_no,
            key,
            titles,
            row.issued_on,
            row.valid_until,
            row.status,
            row.state == BatchState.ANCHORED,
        )

    def get(self, principal: Principal, certificate_id: str) -> StoredCertificate:
        """One of the citizen's current certificates, decrypted from the safe."""
        with self.context.reader.connect() as connection:
            owner = connection.execute(
                sa.select(certificates.c.citizen_id, certificates.c.status).where(
                    certificates.c.id == certificate_id
                )
            ).first()
        if (
            owner is None
            or owner.citizen_id != principal.citizen_id
            or owner.status == CertificateState.SUPERSEDED
        ):
            raise NotFoundError("no such certificate in your safe", code="certificate.not_found")
        return self.context.certificates.by_id(certificate_id)

    def document(self, principal: Principal, certificate_id: str, *, form: str) -> dict[str, Any]:
        """The certificate as a file `certledger verify` accepts: certledger JSON or a VC 2.0."""
        stored = self.get(principal, certificate_id)
        certificate = stored.certificate
        if certificate.anchor is None:
            raise ConflictError(
                "the certificate is not anchored yet; it can be downloaded in a few seconds",
                code="certificate.not_anchored",
            )
        if form == "vc":
            header = certificate.header
            certificate_type = self.context.catalog.get(header.type_id, header.version)
            return certificate_to_vc(
                certificate,
                type_name=certificate_type.name,
                schema_id=str(certificate_type.schema.get("$id")),
            )
        return certificate.to_json()
