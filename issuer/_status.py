"""Revoking, suspending and reinstating certificates: one ledger transaction per batch touched.

The chain is asked first which of the named certificates still need the change, so running the
same command again after a crash (transaction sent, database not yet updated) sends nothing
twice and brings the database in line with the chain.

Each action takes only the reasons that fit it (`ACTION_REASONS`): a revocation "because the
review cleared it" is a mistake the chain would record for good, so it is refused here, where the
console, the API and `certledger revoke` all pass.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from issuer._errors import IssuerError
from issuer._models import batches, certificates, new_id, status_changes
from issuer._states import CHAIN_STATUS, BatchState, CertificateState
from ledger import CertificateLedgerClient, CertificateStatus, Clock, Reason, system_clock

ACTIONS = {
    "revoke": ({CertificateStatus.VALID, CertificateStatus.SUSPENDED}, CertificateState.REVOKED),
    "suspend": ({CertificateStatus.VALID}, CertificateState.SUSPENDED),
    "reinstate": ({CertificateStatus.SUSPENDED}, CertificateState.VALID),
}
"""Each action: the statuses on chain it applies to, and the state it leaves in the database."""
_PARTICIPLE = {"revoke": "revoked", "suspend": "suspended", "reinstate": "reinstated"}

ACTION_REASONS: dict[str, frozenset[Reason]] = {
    # For good: the certificate was wrong, obtained by fraud, or its holder or key is gone.
    # SUPERSEDED is the service's own (a newer revision replaced the certificate): operators are
    # not offered it (see `operator_reasons`), but re-running a revocation the worker began
    # must be able to name it.
    "revoke": frozenset(
        {
            Reason.ISSUED_IN_ERROR,
            Reason.DATA_CORRECTED,
            Reason.SUPERSEDED,
            Reason.FRAUD,
            Reason.HOLDER_DECEASED,
            Reason.KEY_COMPROMISE,
            Reason.COURT_ORDER,
            Reason.OTHER,
        }
    ),
    # Until a question is answered.
    "suspend": frozenset({Reason.UNDER_REVIEW, Reason.DISPUTED, Reason.COURT_ORDER, Reason.OTHER}),
    # The question was answered in the holder's favour.
    "reinstate": frozenset({Reason.REVIEW_CLEARED, Reason.COURT_ORDER, Reason.OTHER}),
}
"""The reasons each action accepts; every other reason is refused with `ReasonMismatchError`."""


class ReasonMismatchError(IssuerError, ValueError):
    """The reason does not fit the action (a revocation "review cleared", say): nothing was sent."""

    def __init__(self, action: str, reason: Reason) -> None:
        fitting = ", ".join(item.label for item in operator_reasons(action))
        super().__init__(f"the reason {reason.label} does not fit {action}; it takes {fitting}")
        self.action = action
        self.reason = reason


def operator_reasons(action: str) -> list[Reason]:
    """The reasons an operator may give for `action`, in code order (SUPERSEDED, the service's
    own, is never one)."""
    return sorted(reason for reason in ACTION_REASONS[action] if reason is not Reason.SUPERSEDED)


def reason_actions(reason: Reason) -> list[str]:
    """The actions `reason` fits, in the order revoke, suspend, reinstate."""
    return [action for action, fitting in ACTION_REASONS.items() if reason in fitting]


@dataclass(frozen=True, slots=True)
class _Target:
    number: str
    id: str
    index: int
    root: bytes
    batch_state: str | None
    status: str

    def state_after(self, done: CertificateState) -> CertificateState:
        """The state to record once the chain has the change: a superseded revision stays so."""
        return CertificateState.SUPERSEDED if self.status == CertificateState.SUPERSEDED else done


_TARGETS = sa.select(
    certificates.c.certificate_no,
    certificates.c.id,
    certificates.c.leaf_index,
    batches.c.root,
    batches.c.state,
    certificates.c.status,
).outerjoin(batches, batches.c.id == certificates.c.batch_id)

# Superseded, anchored, and no revocation recorded for it yet.
_UNSETTLED = _TARGETS.where(
    certificates.c.status == CertificateState.SUPERSEDED,
    batches.c.state == BatchState.ANCHORED,
    ~sa.exists().where(
        status_changes.c.certificate_id == certificates.c.id, status_changes.c.action == "revoke"
    ),
)


def _unsettled(office_id: int | None) -> sa.Select[Any]:
    return _UNSETTLED if office_id is None else _UNSETTLED.where(certificates.c.office_id == office_id)


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
        self, engine: Engine, ledger: CertificateLedgerClient, *, clock: Clock = system_clock
    ) -> None:
        self.engine = engine
        self.ledger = ledger
        self.clock = clock

    def change(self, numbers: Iterable[str], action: str, reason: Reason) -> StatusReport:
        """Applies `action` (revoke, suspend, reinstate) to the certificates numbered `numbers`.

        A `reason` that does not fit the action raises `ReasonMismatchError` before anything is
        read or sent. A number's current revision is the one changed; superseded revisions are revoked by
        `settle_superseded` already.
        """
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action}")
        if reason not in ACTION_REASONS[action]:
            raise ReasonMismatchError(action, reason)
        wanted = list(dict.fromkeys(number.strip() for number in numbers if number.strip()))
        with self.engine.connect() as connection:
            rows = connection.execute(
                _TARGETS.where(
                    certificates.c.certificate_no.in_(wanted),
                    certificates.c.status != CertificateState.SUPERSEDED,
                )
            ).all()
        found = {row[0]: row for row in rows}
        report = StatusReport()
        targets = []
        for number in wanted:
            row = found.get(number)
            if row is None:
                report.refused.append((number, "no certificate has this number"))
            elif row.state != BatchState.ANCHORED:
                report.refused.append((number, "not anchored yet; try again once its batch is on chain"))
            else:
                targets.append(_Target(*row))
        return self._apply(targets, action, reason, report)

    def unsettled(self, *, office_id: int | None = None) -> int:
        """Superseded revisions not yet revoked on chain (of one office, when given)."""
        query = sa.select(sa.func.count()).select_from(_unsettled(office_id).subquery())
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar_one())

    def settle_superseded(self, *, office_id: int | None = None, limit: int = 1000) -> StatusReport:
        """Revokes on chain (reason SUPERSEDED) the superseded revisions that are anchored.

        The database says a revision is superseded first; its revocation follows once its batch
        is on chain, and is recorded as a status change — so a crash in between only delays it.
        """
        with self.engine.connect() as connection:
            rows = connection.execute(_unsettled(office_id).limit(limit)).all()
        return self._apply([_Target(*row) for row in rows], "revoke", Reason.SUPERSEDED, StatusReport())

    def _apply(
        self, targets: list[_Target], action: str, reason: Reason, report: StatusReport
    ) -> StatusReport:
        allowed, new_status = ACTIONS[action]
        by_batch: dict[bytes, list[_Target]] = defaultdict(list)
        for target in targets:  # all anchored: the callers select only those
            by_batch[target.root].append(target)
        for root, members in by_batch.items():
            statuses = self.ledger.statuses_of([(root, target.index) for target in members])
            to_send = []
            for target, status in zip(members, statuses, strict=True):
                # "Valid" on chain only means "reinstated" if we had it suspended: a crash
                # between the transaction and the database. Otherwise it was never suspended.
                caught_up = action != "reinstate" or target.status == CertificateState.SUSPENDED
                if status == CHAIN_STATUS[new_status] and caught_up:
                    report.unchanged.append(target.number)
                    self._record(target.id, target.state_after(new_status), action, reason, None)
                elif status in allowed:
                    to_send.append(target)
                else:
                    report.refused.append(
                        (target.number, f"it is {status.name.lower()}, so it cannot be {_PARTICIPLE[action]}")
                    )
            if not to_send:
                continue
            receipt = getattr(self.ledger, action)(root, [t.index for t in to_send], reason=int(reason))
            report.transactions.append(receipt.transaction_hash)
            for target in to_send:
                self._record(
                    target.id, target.state_after(new_status), action, reason, receipt.transaction_hash
                )
                report.changed.append(target.number)
        return report

    def _record(
        self,
        certificate_id: str,
        status: CertificateState,
        action: str,
        reason: Reason,
        transaction: bytes | None,
    ) -> None:
        now = self.clock()
        with self.engine.begin() as connection:
            current = connection.execute(
                sa.select(certificates.c.status).where(certificates.c.id == certificate_id)
            ).scalar_one()
            if current == status and transaction is None and status != CertificateState.SUPERSEDED:
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


_CHAIN_ACTION = {  # the states the chain's status can give, and the action that leads to each
    CertificateState.VALID: "reinstate",
    CertificateState.REVOKED: "revoke",
    CertificateState.SUSPENDED: "suspend",
}


def record_chain_status(
    connection: sa.Connection,
    certificate_id: str,
    *,
    was: CertificateState,
    status: CertificateStatus,
    reason: int | None,
    changed_at: datetime,
    transaction_hash: bytes | None,
) -> bool:
    """Records the chain's `status` of a certificate revision that the database has as `was`
    (reconciliation's repair: the chain is the truth for statuses); returns whether it did.

    Nothing is written when the row is no longer `was` (a status change got there first) or is
    superseded: a later revision replaced it, and making it current again is no repair. The
    chain's change, when there is one (`transaction_hash`), is kept as a status change.
    """
    state = next(s for s in _CHAIN_ACTION if CHAIN_STATUS[s] == status)
    if was in (CertificateState.SUPERSEDED, state):
        return False
    updated = connection.execute(
        sa.update(certificates)
        .where(certificates.c.id == certificate_id, certificates.c.status == was)
        .values(status=state, status_reason=reason, status_changed_at=changed_at)
    )
    if updated.rowcount != 1:
        return False
    if transaction_hash is not None and reason is not None:
        connection.execute(
            sa.insert(status_changes).values(
                id=new_id(),
                certificate_id=certificate_id,
                action=_CHAIN_ACTION[state],
                reason=reason,
                transaction_hash=transaction_hash,
                created_at=changed_at,
            )
        )
    return True
