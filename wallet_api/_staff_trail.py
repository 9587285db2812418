"""The staff audit trail: who among the bureau's staff did what, and when.

Each action writes its row with `record_staff_action` on the connection of the action's own
transaction, so an action that fails leaves no row and a row that cannot be written undoes the
action. Nothing personal goes in: a citizen is named by their random id, a unit by its id and
credit code, a certificate by its number; never an identity number, a name, a phone, an
enrolment code or an API key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from issuer import new_id
from wallet_api._context import WalletContext
from wallet_api._errors import NotFoundError
from wallet_api._models import staff_accounts, staff_actions
from wallet_api._principal import Principal

_STAFF = frozenset({"operator", "auditor"})


class StaffActionKind(StrEnum):
    """What a member of staff did; the value is what the trail stores."""

    ENROLMENT_CODE_ISSUED = "enrolment_code.issued"
    CITIZEN_RESET = "citizen.reset"
    UNIT_REGISTERED = "unit.registered"
    UNIT_KEY_ROTATED = "unit.key_rotated"
    UNIT_DISABLED = "unit.disabled"
    CERTIFICATE_STATUS_CHANGED = "certificate.status_changed"
    FILE_ISSUED = "issuance.file_issued"


@dataclass(frozen=True, slots=True)
class StaffActionEntry:
    """One row of the trail as an auditor reads it."""

    id: str
    at: datetime
    staff_id: str
    username: str
    action: StaffActionKind
    subject: str | None
    detail: dict[str, Any]


def record_staff_action(
    connection: sa.Connection,
    principal: Principal,
    action: StaffActionKind,
    subject: str | None,
    detail: dict[str, Any],
    *,
    at: datetime,
) -> str | None:
    """Appends one row to the trail in the caller's transaction; returns its id.

    `at` is the action's own time from the service's clock. The username is read from the staff
    account in the same statement. A principal with no staff account behind it is the service
    acting for itself (the demonstration's seed, `scripts/demo_wallet.py`): no member of staff
    acted, so no row is written and None is returned. A signed-in operator always has an account
    (sessions are honoured only while their account's session row exists).
    """
    if principal.role not in _STAFF:
        raise ValueError(f"only staff actions are recorded, not a {principal.role}'s")
    action = StaffActionKind(action)
    row_id = new_id()
    text = json.dumps(detail, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    written = connection.execute(
        sa.insert(staff_actions).from_select(
            ["id", "at", "staff_id", "username", "action", "subject", "detail"],
            sa.select(
                sa.literal(row_id, sa.String(32)),
                sa.literal(at, staff_actions.c.at.type),
                staff_accounts.c.id,
                staff_accounts.c.username,
                sa.literal(action.value, sa.String(40)),
                sa.literal(subject, sa.String(64)),
                sa.literal(text, sa.Text()),
            ).where(staff_accounts.c.id == principal.id),
        )
    )
    return row_id if written.rowcount == 1 else None


class StaffTrail:
    """Reading the trail, newest first."""

    def __init__(self, context: WalletContext) -> None:
        self.context = context

    def page(
        self,
        *,
        limit: int,
        before: str | None = None,
        action: StaffActionKind | None = None,
        username: str | None = None,
    ) -> list[StaffActionEntry]:
        """Up to `limit` entries older than the entry `before` (newest first), of one kind or one
        member of staff when asked."""
        columns = staff_actions.c
        query = sa.select(staff_actions).order_by(columns.at.desc(), columns.id.desc()).limit(limit)
        if action is not None:
            query = query.where(columns.action == StaffActionKind(action).value)
        if username is not None:
            query = query.where(columns.username == username)
        with self.context.reader.connect() as connection:
            if before is not None:
                cursor_at = connection.execute(sa.select(columns.at).where(columns.id == before)).scalar()
                if cursor_at is None:
                    raise NotFoundError("no staff action has this id", code="staff_action.not_found")
                query = query.where(
                    sa.or_(columns.at < cursor_at, sa.and_(columns.at == cursor_at, columns.id < before))
                )
            rows = connection.execute(query).all()
        return [
            StaffActionEntry(
                row.id,
                row.at,
                row.staff_id,
                row.username,
                StaffActionKind(row.action),
                row.subject,
                json.loads(row.detail),
            )
            for row in rows
        ]
