"""Revoking, suspending and reinstating certificates: one ledger transaction per batch touched.

The chain is asked first which of the named certificates still need the change, so running the
same command again after a crash (transaction sent, database not yet updated) sends nothing
twice and brings the database in line with the chain.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from issuer._models import batches, certificates, new_id, status_changes, utc_now
from ledger import CertificateLedgerClient, CertificateStatus


class Reason(IntEnum):
    """Reason codes carried on chain with every status change."""

    ISSUED_IN_ERROR = 1
    DATA_CORRECTED = 2
    SUPERSEDED = 3
    FRAUD = 4
    HOLDER_DECEASED = 5
    KEY_COMPROMISE = 6
    UNDER_REVIEW = 10
    DISPUTED = 11
    COURT_ORDER = 12
    REVIEW_CLEARED = 20
    OTHER = 99

    @property
    def label(self) -> str:
        """The reason as written on the command line: ``issued-in-error``."""
        return self.name.lower().replace("_", "-")

    @classmethod
    def parse(cls, text: str) -> Reason:
        """A reason from its number or its label."""
        if text.isdigit():
            return cls(int(text))
        return cls[text.upper().replace("-", "_")]


ACTIONS = {
    "revoke": ({CertificateStatus.VALID, CertificateStatus.SUSPENDED}, "revoked"),
    "suspend": ({CertificateStatus.VALID}, "suspended"),
    "reinstate": ({CertificateStatus.SUSPENDED}, "valid"),
}
_PARTICIPLE = {"revoke": "revoked", "suspend": "suspended", "reinstate": "reinstated"}
_DONE = {
    "revoke": CertificateStatus.REVOKED,
    "suspend": CertificateStatus.SUSPENDED,
    "reinstate": CertificateStatus.VALID,
}


@dataclass(slots=True)
class StatusReport:
    """What a status change did, certificate by certificate."""

    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)
    transactions: list[bytes] = field(default_factory=list)


class StatusService:
    """Changes certificate statuses on the ledger and records them."""

    def __init__(
        self, engine: Engine, ledger: CertificateLedgerClient, *, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self.engine = engine
        self.ledger = ledger
        self.clock = clock

    def change(self, numbers: Iterable[str], action: str, reason: Reason) -> StatusReport:
        """Applies `action` (revoke, suspend, reinstate) to the certificates numbered `numbers`."""
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action}")
        allowed, new_status = ACTIONS[action]
        report = StatusReport()
        wanted = list(dict.fromkeys(number.strip() for number in numbers if number.strip()))
        with self.engine.connect() as connection:
            rows = connection.execute(
                sa.select(
                    certificates.c.certificate_no,
                    certificates.c.id,
                    certificates.c.leaf_index,
                    batches.c.root,
                    batches.c.state,
                    certificates.c.status,
                )
                .outerjoin(batches, batches.c.id == certificates.c.batch_id)
                .where(certificates.c.certificate_no.in_(wanted))
            ).all()
        found = {row[0]: row for row in rows}
        by_batch: dict[bytes, list[tuple[str, str, int]]] = defaultdict(list)
        recorded = {row[0]: row[5] for row in rows}
        for number in wanted:
            row = found.get(number)
            if row is None:
                report.refused.append((number, "no certificate has this number"))
            elif row[4] != "anchored":
                report.refused.append((number, "not anchored yet; try again once its batch is on chain"))
            else:
                by_batch[row[3]].append((number, row[1], row[2]))
        for root, members in by_batch.items():
            statuses = self.ledger.statuses_of([(root, index) for _n, _id, index in members])
            to_send = []
            for (number, certificate_id, index), status in zip(members, statuses, strict=True):
                # "Valid" on chain only means "reinstated" if we had it suspended: a crash
                # between the transaction and the database. Otherwise it was never suspended.
                caught_up = action != "reinstate" or recorded[number] == "suspended"
                if status == _DONE[action] and caught_up:
                    report.unchanged.append(number)
                    self._record(certificate_id, new_status, action, reason, None)
                elif status in allowed:
                    to_send.append((number, certificate_id, index))
                else:
                    report.refused.append(
                        (number, f"it is {status.name.lower()}, so it cannot be {_PARTICIPLE[action]}")
                    )
            if not to_send:
                continue
            indexes = [index for _n, _id, index in to_send]
            receipt = getattr(self.ledger, action)(root, indexes, reason=int(reason))
            report.transactions.append(receipt.transaction_hash)
            for number, certificate_id, _index in to_send:
                self._record(certificate_id, new_status, action, reason, receipt.transaction_hash)
                report.changed.append(number)
        return report

    def _record(
        self, certificate_id: str, status: str, action: str, reason: Reason, transaction: bytes | None
    ) -> None:
        now = self.clock()
        with self.engine.begin() as connection:
            current = connection.execute(
                sa.select(certificates.c.status).where(certificates.c.id == certificate_id)
            ).scalar_one()
            if current == status and transaction is None:
                return
            connection.execute(
                sa.update(certificates)
                .where(certificates.c.id == certificate_id)
                .values(status=status, status_reason=int(reason), status_changed_at=now)
            )
            connection.execute(
                sa.insert(status_changes).values(
                    id=new_id(),
                    certificate_id=certificate_id,
                    action=action,
                    reason=int(reason),
                    transaction_hash=transaction,
                    created_at=now,
                )
            )
