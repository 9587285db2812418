"""Receiving units: registered by an operator with their unified social credit code and an API key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from issuer import new_id
from ledger import credit_code_problem
from wallet_api._context import WalletContext
from wallet_api._errors import ConflictError, InvalidRequestError, NotFoundError
from wallet_api._models import units
from wallet_api._principal import Principal
from wallet_api._staff_trail import StaffActionKind, record_staff_action


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit as others see it; an inactive one was disabled by an operator."""

    id: str
    name: str
    credit_code: str
    created_at: datetime
    active: bool


_COLUMNS = (units.c.id, units.c.name, units.c.credit_code, units.c.created_at, units.c.disabled_at)


def _unit(row: Any) -> Unit:
    return Unit(row.id, row.name, row.credit_code, row.created_at, active=row.disabled_at is None)


class Units:
    """Registering units, their keys, and the list citizens choose from."""

    def __init__(self, context: WalletContext) -> None:
        self.context = context
        self.clock = context.clock

    def register(self, *, name: str, credit_code: str, operator: Principal) -> tuple[Unit, str]:
        """A new unit and its API key (shown this once)."""
        name = name.strip()
        if not 2 <= len(name) <= 100:
            raise InvalidRequestError("name: from 2 to 100 characters", code="unit.name")
        problem = credit_code_problem(credit_code)
        if problem:
            raise InvalidRequestError(f"creditCode: {problem}", code="unit.credit_code")
        key = self.context.api_keys.new()
        unit_id = new_id()
        now = self.clock()
        try:
            with self.context.engine.begin() as connection:
                connection.execute(
                    sa.insert(units).values(
                        id=unit_id,
                        name=name,
                        credit_code=credit_code,
                        key_id=key.key_id,
                        key_hash=key.key_hash,
                        created_by=operator.id,
                        created_at=now,
                    )
                )
                record_staff_action(
                    connection,
                    operator,
                    StaffActionKind.UNIT_REGISTERED,
                    unit_id,
                    {"creditCode": credit_code},
                    at=now,
                )
        except IntegrityError:
            raise ConflictError(
                f"a unit with credit code {credit_code} is registered already", code="unit.exists"
            ) from None
        return Unit(unit_id, name, credit_code, now, active=True), key.text

    def rotate_key(self, unit_id: str, *, operator: Principal) -> str:
        """A new API key for the unit; the old one stops working at once."""
        key = self.context.api_keys.new()
        with self.context.engine.begin() as connection:
            changed = connection.execute(
                sa.update(units)
                .where(units.c.id == unit_id, units.c.disabled_at.is_(None))
                .values(key_id=key.key_id, key_hash=key.key_hash)
            )
            if changed.rowcount != 1:
                raise NotFoundError("no such active unit")
            record_staff_action(
                connection, operator, StaffActionKind.UNIT_KEY_ROTATED, unit_id, {}, at=self.clock()
            )
        self.context.unit_keys.forget_unit(unit_id)
        return key.text

    def disable(self, unit_id: str, *, operator: Principal) -> Unit:
        """Stops the unit's key from working; its grants can no longer be redeemed. Disabling a
        disabled unit changes nothing and records nothing."""
        now = self.clock()
        with self.context.engine.begin() as connection:
            changed = connection.execute(
                sa.update(units)
                .where(units.c.id == unit_id, units.c.disabled_at.is_(None))
                .values(disabled_at=now)
            )
            if changed.rowcount == 1:
                record_staff_action(connection, operator, StaffActionKind.UNIT_DISABLED, unit_id, {}, at=now)
        self.context.unit_keys.forget_unit(unit_id)
        return self.get(unit_id)

    def get(self, unit_id: str, *, active: bool = False) -> Unit:
        """One unit."""
        query = sa.select(*_COLUMNS).where(units.c.id == unit_id)
        if active:
            query = query.where(units.c.disabled_at.is_(None))
        with self.context.reader.connect() as connection:
            row = connection.execute(query).first()
        if row is None:
            raise NotFoundError("no such unit", code="unit.not_found")
        return _unit(row)

    def page(self, *, limit: int, after: str | None, active_only: bool) -> list[Unit]:
        """Units by name, `limit` at a time after the unit id `after`."""
        query = sa.select(*_COLUMNS).order_by(units.c.id).limit(limit)
        if after:
            query = query.where(units.c.id > after)
        if active_only:
            query = query.where(units.c.disabled_at.is_(None))
        with self.context.reader.connect() as connection:
            return [_unit(row) for row in connection.execute(query).all()]
