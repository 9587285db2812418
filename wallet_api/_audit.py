"""Reading the access log for the wallet's users: a citizen's own history, and the auditor's
proofs and checks (audit's `LogAudit`, with its errors as the wallet's)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from functools import cached_property
from typing import Any

import sqlalchemy as sa

import audit
from audit import AuditQueryError, LogCheck, LogEntryNotFoundError, LogNotAnchoredError, access_log
from issuer import certificates
from wallet_api._context import WalletContext
from wallet_api._errors import InvalidRequestError, NotFoundError
from wallet_api._models import grants, units
from wallet_api._principal import Principal


class AccessHistory:
    """Who saw which of a citizen's certificates, when and for what."""

    def __init__(self, context: WalletContext) -> None:
        self.context = context

    def page(self, principal: Principal, *, limit: int, before: int | None) -> list[dict[str, Any]]:
        """The citizen's log entries, newest first, `limit` at a time before entry `before`."""
        assert principal.citizen_id is not None  # noqa: S101
        subject = self.context.pseudonyms.of(principal.citizen_id)
        query = (
            sa.select(
                access_log.c.seq,
                access_log.c.entry,
                grants.c.purpose,
                grants.c.unit_id,
                certificates.c.certificate_no,
            )
            .join(grants, grants.c.id == access_log.c.grant_id)
            .join(certificates, certificates.c.id == grants.c.certificate_id)
            .where(access_log.c.subject == subject)
            .order_by(access_log.c.seq.desc())
            .limit(limit)
        )
        if before is not None:
            query = query.where(access_log.c.seq < before)
        with self.context.reader.connect() as connection:
            rows = connection.execute(query).all()
            values = [json.loads(row.entry) for row in rows]
            named = {value["unit"] for value in values} | {row.unit_id for row in rows}
            found = connection.execute(
                sa.select(units.c.id, units.c.name, units.c.credit_code).where(units.c.id.in_(named))
            ).all()
        who = {unit_id: {"name": name, "creditCode": code} for unit_id, name, code in found}
        history = []
        for (seq, _entry, purpose, addressed, number), value in zip(rows, values, strict=True):
            acted = value["unit"]  # the unit that acted, which may not be the one addressed
            history.append(
                {
                    "seq": seq,
                    "time": value["time"],
                    "event": value["event"],
                    "grant": value["grant"],
                    "unit": who[acted],
                    "addressedTo": None if acted == addressed else who[addressed],
                    "certificateNumber": number,
                    "fields": value["fields"],
                    "purpose": purpose,
                    "outcome": value["outcome"],
                }
            )
        return history


class LogAudit:
    """The auditor's view of the access log: checkpoints, entries, proofs, and a full check."""

    def __init__(self, context: WalletContext) -> None:
        self.context = context

    @cached_property
    def _log(self) -> audit.LogAudit:
        context = self.context
        return audit.LogAudit(context.reader, lambda: context.log_anchorer.client)

    def summary(self) -> audit.LogSummary:
        """The log's size and root now, and its anchored checkpoints (newest first)."""
        return self._log.summary()

    def entries(self, *, start: int, limit: int) -> list[audit.LogEntryOut]:
        """Entries from `start`, as stored: pseudonymous JSON and leaf hash."""
        return self._log.entries(start=start, limit=limit)

    def activity(self, *, start: date | None = None, end: date | None = None) -> list[audit.LogActivityRow]:
        """Log events counted per day (China time) and kind, oldest day first."""
        return self._log.activity(start=start, end=end)

    def inclusion(self, seq: int, size: int | None) -> audit.InclusionOut:
        """The proof that entry `seq` is in the log of `size` entries (the latest anchored size by
        default), with the root the chain holds for that size."""
        with _as_wallet_errors():
            return self._log.inclusion(seq, size)

    def consistency(self, first: int, second: int) -> audit.ConsistencyOut:
        """The proof that the log at `second` entries extends the log at `first`."""
        with _as_wallet_errors():
            return self._log.consistency(first, second)

    def check(self) -> LogCheck:
        """Recomputes the whole log from its entries and compares it with every root on chain."""
        return self._log.check()


_NOT_FOUND: dict[type[Exception], str] = {
    LogEntryNotFoundError: "log.no_entry",
    LogNotAnchoredError: "log.not_anchored",
}


@contextmanager
def _as_wallet_errors() -> Iterator[None]:
    try:
        yield
    except (LogEntryNotFoundError, LogNotAnchoredError) as error:
        raise NotFoundError(str(error), code=_NOT_FOUND[type(error)]) from None
    except AuditQueryError as error:
        raise InvalidRequestError(str(error), code="log.bad_size") from None
