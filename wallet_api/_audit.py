"""Reading the access log: a citizen's own history, and an auditor's proofs and checks."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import orjson
import sqlalchemy as sa

from issuer import certificates
from ledger import ACCESS_LOG_ID, BEIJING, LogTreeError, log_leaf_hash, verify_consistency, verify_inclusion
from wallet_api._accesslog import LogCheck, check_log, entry_proof, log_size, root_at, sizes_proof
from wallet_api._context import WalletContext
from wallet_api._errors import InvalidRequestError, NotFoundError
from wallet_api._models import access_log, access_log_nodes, grants, log_anchors, units
from wallet_api._principal import Principal

_PAGE = 5000  # log entries read per query when counting activity


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def _china_day(stamp: str) -> str:
    """The China-time day of an entry's UTC ``…Z`` time."""
    moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    return moment.astimezone(BEIJING).date().isoformat()


def _china_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=BEIJING)


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """An anchored size and root of the log."""

    size: int
    root: bytes
    transaction: bytes
    block: int

    def to_json(self) -> dict[str, Any]:
        """The checkpoint in API responses."""
        return {
            "size": self.size,
            "root": _hex(self.root),
            "transaction": _hex(self.transaction),
            "block": self.block,
        }


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

    def summary(self) -> dict[str, Any]:
        """The log's size and root now, and its anchored checkpoints (newest first)."""
        with self.context.reader.connect() as connection:
            size = log_size(connection)
            root = root_at(connection, size)
            anchors = [
                Checkpoint(*row).to_json()
                for row in connection.execute(
                    sa.select(
                        log_anchors.c.size,
                        log_anchors.c.root,
                        log_anchors.c.transaction_hash,
                        log_anchors.c.block_number,
                    ).order_by(log_anchors.c.size.desc())
                ).all()
            ]
        return {"logId": _hex(ACCESS_LOG_ID), "size": size, "root": _hex(root), "anchors": anchors}

    def entries(self, *, start: int, limit: int) -> list[dict[str, Any]]:
        """Entries from `start`, as stored: pseudonymous JSON and leaf hash."""
        with self.context.reader.connect() as connection:
            rows = connection.execute(
                sa.select(access_log.c.seq, access_log.c.entry, access_log.c.leaf_hash)
                .where(access_log.c.seq >= start)
                .order_by(access_log.c.seq)
                .limit(limit)
            ).all()
        return [{"seq": seq, "entry": json.loads(entry), "leafHash": _hex(leaf)} for seq, entry, leaf in rows]

    def activity(self, *, start: date | None = None, end: date | None = None) -> list[dict[str, Any]]:
        """Log events counted per day (China time) and kind, oldest day first: grants made,
        redeemed, revoked and refused. The entries carry no personal data; only their kind and
        time are read."""
        counts: Counter[tuple[str, str]] = Counter()
        query = sa.select(access_log.c.seq, access_log.c.entry).order_by(access_log.c.seq).limit(_PAGE)
        if start is not None:
            query = query.where(access_log.c.created_at >= _china_midnight(start))
        if end is not None:
            query = query.where(access_log.c.created_at < _china_midnight(end + timedelta(days=1)))
        # Pages by sequence number, not a server-side cursor: the reader runs without a
        # transaction (AUTOCOMMIT on PostgreSQL), where a cursor cannot be declared.
        after = -1
        with self.context.reader.connect() as connection:
            while rows := connection.execute(query.where(access_log.c.seq > after)).all():
                for _seq, entry in rows:
                    parsed = orjson.loads(entry)
                    counts[_china_day(parsed["time"]), parsed["event"]] += 1
                after = rows[-1][0]
        return [
            {"day": day, "event": event, "count": count} for (day, event), count in sorted(counts.items())
        ]

    def inclusion(self, seq: int, size: int | None) -> dict[str, Any]:
        """The proof that entry `seq` is in the log of `size` entries (the latest anchored size by
        default), with the root the chain holds for that size."""
        with self.context.reader.connect() as connection:
            size = size if size is not None else self._latest_anchor(connection)
            row = connection.execute(
                sa.select(access_log.c.entry).where(access_log.c.seq == seq)
            ).scalar_one_or_none()
            if row is None:
                raise NotFoundError(f"the log has no entry {seq}", code="log.no_entry")
            try:
                proof = entry_proof(connection, seq, size)
                root = root_at(connection, size)
            except LogTreeError as error:
                raise InvalidRequestError(str(error), code="log.bad_size") from None
        anchored = self.context.log_anchorer.client.root_at(ACCESS_LOG_ID, size)
        leaf = log_leaf_hash(row)
        return {
            "seq": seq,
            "size": size,
            "entry": json.loads(row),
            "leafHash": _hex(leaf),
            "proof": [_hex(node) for node in proof],
            "root": _hex(root),
            "anchoredRoot": _hex(anchored) if anchored else None,
            "verified": anchored is not None
            and verify_inclusion(leaf, seq, size=size, proof=proof, root=anchored),
        }

    def consistency(self, first: int, second: int) -> dict[str, Any]:
        """The proof that the log at `second` entries extends the log at `first`."""
        if not 0 < first <= second:
            raise InvalidRequestError("first and second: sizes with 0 < first <= second", code="log.bad_size")
        with self.context.reader.connect() as connection:
            try:
                proof = sizes_proof(connection, first, second)
                first_root, second_root = root_at(connection, first), root_at(connection, second)
            except LogTreeError as error:
                raise InvalidRequestError(str(error), code="log.bad_size") from None
        client = self.context.log_anchorer.client
        anchored = (client.root_at(ACCESS_LOG_ID, first), client.root_at(ACCESS_LOG_ID, second))
        return {
            "first": first,
            "second": second,
            "firstRoot": _hex(first_root),
            "secondRoot": _hex(second_root),
            "proof": [_hex(node) for node in proof],
            "anchoredRoots": [_hex(root) if root else None for root in anchored],
            "verified": None not in anchored
            and verify_consistency(
                first, second, old_root=anchored[0] or b"", new_root=anchored[1] or b"", proof=proof
            ),
        }

    def check(self) -> LogCheck:
        """Recomputes the whole log from its entries and compares it with every root on chain."""
        client = self.context.log_anchorer.client
        with self.context.reader.connect() as connection:
            sizes = [int(size) for size in connection.execute(sa.select(log_anchors.c.size)).scalars()]
            head = client.head(ACCESS_LOG_ID)
            if head.size and head.size not in sizes:
                sizes.append(head.size)
            anchors = {}
            for size in sizes:
                root = client.root_at(ACCESS_LOG_ID, size)
                if root is not None:
                    anchors[size] = root
            rows = connection.execute(
                sa.select(access_log.c.seq, access_log.c.entry, access_log.c.leaf_hash).order_by(
                    access_log.c.seq
                )
            ).all()
            nodes = {
                (level, index): node
                for level, index, node in connection.execute(
                    sa.select(access_log_nodes.c.level, access_log_nodes.c.idx, access_log_nodes.c.hash)
                ).all()
            }
        return check_log(((r[0], r[1], r[2]) for r in rows), anchors, stored_nodes=nodes)

    def _latest_anchor(self, connection: sa.Connection) -> int:
        latest = connection.execute(sa.select(sa.func.max(log_anchors.c.size))).scalar_one()
        if latest is None:
            raise NotFoundError("the log has not been anchored yet", code="log.not_anchored")
        return int(latest)
