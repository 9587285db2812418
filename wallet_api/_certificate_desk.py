"""The office's certificates: find them, change their status. What the console's search card does,
over the same services as `certledger status`."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from issuer import BatchState, Reason, batches, certificates
from ledger import TransactionError
from wallet_api._context import WalletContext
from wallet_api._errors import ConflictError, InvalidRequestError, NotFoundError
from wallet_api._render import type_titles

log = logging.getLogger("certledger.office")


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
class StatusChangeOutcome:
    """An operator's status change: whether it changed anything, its transactions, and the
    certificate's revisions after it."""

    changed: bool
    transactions: tuple[str, ...]
    revisions: tuple[CertificateRevision, ...]


class CertificateDesk:
    """Search and status changes for operators."""

    def __init__(self, context: WalletContext) -> None:
        self.context = context

    def find(self, number: str) -> list[CertificateRevision]:
        """Every revision of certificate `number`, newest first: where it is anchored and its
        status. Nothing personal: the body stays sealed in the safe."""
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
                .where(certificates.c.certificate_no == number)
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
            status_reason=Reason(row.status_reason).label if row.status_reason else None,
            status_changed_at=row.status_changed_at,
            anchored=row.state == BatchState.ANCHORED,
            batch=row.chain_batch_id,
            index=row.leaf_index,
            transaction="0x" + row.transaction_hash.hex() if row.transaction_hash else None,
            block=row.block_number,
            anchored_at=row.anchored_at,
        )

    def change_status(self, number: str, action: str, reason: str) -> StatusChangeOutcome:
        """Revokes, suspends or reinstates certificate `number` on chain, with a reason code."""
        try:
            code = Reason.parse(reason)
        except (KeyError, ValueError):
            known = ", ".join(item.label for item in reasons())
            raise InvalidRequestError(
                f"reason: {reason!r} is not a reason code; one of {known}", code="status.bad_reason"
            ) from None
        try:
            report = self.context.statuses().change([number], action, code)
        except TransactionError as error:  # an unreachable chain is a ChainError, answered upstream
            raise ConflictError(
                f"the ledger refused the change: {error}", code="status.not_applied"
            ) from None
        if report.refused:
            (_, why), *_ = report.refused
            if why.startswith("no certificate"):  # the number is the operator's own query
                raise NotFoundError(f"no certificate numbered {number}", code="certificate.not_found")
            raise ConflictError(why, code="status.refused")
        log.info("status changed", extra={"fields": {"action": action, "reason": code.label}})
        return StatusChangeOutcome(
            changed=bool(report.changed),
            transactions=tuple("0x" + tx.hex() for tx in report.transactions),
            revisions=tuple(self.find(number)),
        )


def reasons() -> list[Reason]:
    """The reason codes an operator may give (SUPERSEDED is the service's own)."""
    return [reason for reason in Reason if reason is not Reason.SUPERSEDED]
