"""Issuing certificates: claims in, sealed and encrypted certificates and their outbox rows out.

Each chunk of documents is written in one database transaction: the citizens and data keys it
needs, the certificates and, for each, its row in the anchoring outbox. A crash loses at most
the chunk in flight, and a re-run skips what was committed: a certificate number already issued
with the same content is "already issued", with different content it is refused.
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import islice
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from issuer._intake import InputRow
from issuer._models import (
    anchor_outbox,
    certificates,
    citizens,
    data_keys,
    new_id,
)
from issuer._pipeline import PreparedRow
from issuer._rejections import Rejection, refused, without_rows
from issuer._safe import KeyedHasher, Safe, WrappedKey, encrypt_body, holder_name_hash
from issuer._states import CertificateState
from ledger import (
    CanonicalJSONError,
    CertificateType,
    Clock,
    Header,
    beijing_date,
    bulk_insert,
    encode_claims,
    seal,
    system_clock,
)

CHUNK = 1000


@dataclass(slots=True)
class IssueReport:
    """What one issuance run did."""

    read: int = 0
    issued: int = 0
    already_issued: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    issued_ids: list[str] = field(default_factory=list)

    @property
    def refused(self) -> int:
        """How many documents were refused."""
        return len(self.rejected)


@dataclass(frozen=True, slots=True)
class CitizenKey:
    """A citizen, their wallet address when bound, and their unwrapped data key."""

    id: str
    wallet_address: str | None
    data_key: bytes


class IssuanceService:
    """Turns validated claims into stored certificates waiting to be anchored."""

    def __init__(
        self,
        engine: Engine,
        safe: Safe,
        hasher: KeyedHasher,
        *,
        office_id: int,
        clock: Clock = system_clock,
    ) -> None:
        self.engine = engine
        self.safe = safe
        self.hasher = hasher
        self.office_id = office_id
        self.clock = clock

    def issue(
        self,
        documents: Iterable[InputRow | PreparedRow | Rejection],
        certificate_type: CertificateType,
        *,
        progress: Callable[[int], None] | None = None,
        on_rejection: Callable[[Rejection], None] | None = None,
        chunk_size: int = CHUNK,
    ) -> IssueReport:
        """Issues every valid document; rejected ones are reported with their line and reason —
        in the report, and to `on_rejection` as each chunk is done (with the file's lines that a
        `RefusedRows` writes back, which the report does not keep)."""
        report = IssueReport()
        for chunk in _chunks(documents, chunk_size):
            reported = len(report.rejected)
            rows: list[InputRow | PreparedRow] = []
            for item in chunk:
                report.read += 1
                if isinstance(item, Rejection):
                    report.rejected.append(item)
                else:
                    rows.append(item)
            if rows:
                # A number seen in an earlier chunk is in the database by now (each chunk commits):
                # only the chunk's own numbers are held, so memory does not grow with the file.
                self._issue_chunk(rows, certificate_type, report, {})
            if on_rejection is not None:
                for rejection in report.rejected[reported:]:
                    on_rejection(rejection)
            # The report keeps every refusal, but not the lines of the file it carried for
            # `on_rejection`: thousands of refused rows must not stay in memory.
            report.rejected[reported:] = [without_rows(rejection) for rejection in report.rejected[reported:]]
            if progress is not None:
                progress(len(chunk))
        return report

    def _issue_chunk(
        self,
        rows: list[InputRow | PreparedRow],
        certificate_type: CertificateType,
        report: IssueReport,
        digests_this_chunk: dict[str, bytes],
    ) -> None:
        # A concurrent run may commit the same numbers or citizens first: the retry sees them.
        for attempt in range(3):
            snapshot = (report.issued, report.already_issued, len(report.rejected), len(report.issued_ids))
            try:
                with _collector_paused(), self.engine.begin() as connection:
                    self._write_chunk(connection, rows, certificate_type, report, digests_this_chunk)
                return
            except IntegrityError:
                report.issued, report.already_issued = snapshot[0], snapshot[1]
                del report.rejected[snapshot[2] :]
                del report.issued_ids[snapshot[3] :]
                digests_this_chunk.clear()
                if attempt == 2:
                    raise

    def _write_chunk(
        self,
        connection: sa.Connection,
        rows: list[InputRow | PreparedRow],
        certificate_type: CertificateType,
        report: IssueReport,
        digests_this_chunk: dict[str, bytes],
    ) -> None:
        # Each field's canonical encoding serves both the commitments and the input digest (the
        # encodings are self-delimiting JSON arrays, taken in name order).
        encodings: dict[int, Mapping[str, bytes]] = {}
        encodable = []
        for row in rows:
            try:
                encodings[id(row)] = (
                    row.encodings if isinstance(row, PreparedRow) else encode_claims(row.claims)
                )
                encodable.append(row)
            except CanonicalJSONError as error:  # e.g. a lone surrogate escaped in a JSON string
                report.rejected.append(
                    refused(
                        row.line,
                        row.number,
                        f"cannot be hashed as canonical JSON: {error}",
                        code="canonical_json",
                        params={"why": str(error)},
                    )
                )
        rows = encodable
        digests = {
            id(row): self.hasher.input_digest(
                certificate_type.key.encode()
                + b"".join(value for _name, value in sorted(encodings[id(row)].items()))
            )
            for row in rows
        }
        existing = dict(
            connection.execute(
                sa.select(certificates.c.certificate_no, certificates.c.input_digest).where(
                    certificates.c.certificate_no.in_([row.number for row in rows])
                )
            ).all()
        )
        fresh: list[InputRow | PreparedRow] = []
        for row in rows:
            digest = digests[id(row)]
            earlier = existing.get(row.number, digests_this_chunk.get(row.number))
            if earlier is None:
                digests_this_chunk[row.number] = digest
                fresh.append(row)
            elif earlier == digest:
                report.already_issued += 1
            else:
                report.rejected.append(
                    refused(
                        row.line,
                        row.number,
                        "certificate number already issued with different content; "
                        "revoke it and issue a new number instead of changing it",
                        code="different_content",
                        params={"number": row.number},
                    )
                )
        if not fresh:
            return
        citizens = citizens_for(
            connection,
            [row.claims[certificate_type.holder_id_field] for row in fresh],
            safe=self.safe,
            hasher=self.hasher,
            now=self.clock(),
        )
        today = beijing_date(self.clock())
        now = self.clock()
        records: list[dict[str, Any]] = []
        outbox: list[dict[str, Any]] = []
        field_count = len(certificate_type.fields)
        for row in fresh:
            citizen = citizens[row.claims[certificate_type.holder_id_field]]
            header = Header(
                type_id=certificate_type.type_id,
                version=certificate_type.version,
                office_id=self.office_id,
                issued=today.isoformat(),
                valid_until=_valid_until(today, certificate_type.validity_days),
                holder=citizen.wallet_address,
            )
            certificate = seal(header, row.claims, field_count=field_count, encoded=encodings[id(row)])
            record_id = new_id()
            # The body is stored, not hashed: compact JSON is enough (the root is already fixed).
            body = encrypt_body(
                citizen.data_key, certificate.body_bytes(encodings[id(row)]), record_id=record_id, version=1
            )
            records.append(
                {
                    "id": record_id,
                    "certificate_no": row.number,
                    "type_id": certificate_type.type_id,
                    "schema_version": certificate_type.version,
                    "office_id": self.office_id,
                    "citizen_id": citizen.id,
                    "holder_name_hash": holder_name_hash(self.hasher, certificate_type, row.claims),
                    "input_digest": digests[id(row)],
                    "document_root": certificate.root,
                    "body": body,
                    "body_version": 1,
                    "issued_on": today,
                    "valid_until": date.fromisoformat(header.valid_until) if header.valid_until else None,
                    "status": CertificateState.VALID,
                    "created_at": now,
                }
            )
            outbox.append(
                {
                    "certificate_id": record_id,
                    "type_id": certificate_type.type_id,
                    "office_id": self.office_id,
                    "created_at": now,
                }
            )
        bulk_insert(connection, certificates, records)
        bulk_insert(connection, anchor_outbox, outbox)
        report.issued += len(fresh)
        report.issued_ids.extend(record["id"] for record in records)


def citizens_for(
    connection: sa.Connection,
    identity_numbers: list[str],
    *,
    safe: Safe,
    hasher: KeyedHasher,
    now: datetime,
) -> dict[str, CitizenKey]:
    """The citizen (with unwrapped data key) of every identity number, created when new."""
    hashes = {number: hasher.identity(number) for number in set(identity_numbers)}
    found = connection.execute(
        sa.select(
            citizens.c.lookup_hash,
            citizens.c.id,
            citizens.c.wallet_address,
            data_keys.c.wrapped_key,
            data_keys.c.master_key_id,
        )
        .join(data_keys, data_keys.c.citizen_id == citizens.c.id)
        .where(citizens.c.lookup_hash.in_(list(hashes.values())))
    ).all()
    by_hash: dict[bytes, CitizenKey] = {}
    for lookup_hash, citizen_id, wallet, wrapped, master_id in found:
        if wrapped is None:
            continue  # erased: a new certificate starts a new key below (erased_at stays)
        key = safe.unwrap(citizen_id, WrappedKey(master_id, wrapped))
        by_hash[lookup_hash] = CitizenKey(citizen_id, wallet, key)
    erased = {row[0] for row in found if row[3] is None}
    new_citizens, new_keys = [], []
    for lookup_hash in set(hashes.values()) - set(by_hash):
        if lookup_hash in erased:
            citizen_id = next(row[1] for row in found if row[0] == lookup_hash)
            data_key, wrapped_key = safe.new_data_key(citizen_id)
            connection.execute(
                sa.update(data_keys)
                .where(data_keys.c.citizen_id == citizen_id)
                .values(wrapped_key=wrapped_key.blob, master_key_id=wrapped_key.master_key_id)
            )
            wallet = next(row[2] for row in found if row[0] == lookup_hash)
            by_hash[lookup_hash] = CitizenKey(citizen_id, wallet, data_key)
            continue
        citizen_id = new_id()
        data_key, wrapped_key = safe.new_data_key(citizen_id)
        new_citizens.append({"id": citizen_id, "lookup_hash": lookup_hash, "created_at": now})
        new_keys.append(
            {
                "citizen_id": citizen_id,
                "wrapped_key": wrapped_key.blob,
                "master_key_id": wrapped_key.master_key_id,
                "created_at": now,
            }
        )
        by_hash[lookup_hash] = CitizenKey(citizen_id, None, data_key)
    if new_citizens:
        bulk_insert(connection, citizens, new_citizens)
        bulk_insert(connection, data_keys, new_keys)
    return {number: by_hash[lookup_hash] for number, lookup_hash in hashes.items()}


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pauses the cycle collector while a chunk is built: its thousands of short-lived dicts form
    no cycles, and scanning the heap for them costs a tenth of the issuing time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _valid_until(issued: date, days: int | None) -> str | None:
    return None if days is None else (issued + timedelta(days=days)).isoformat()


def _chunks(
    items: Iterable[InputRow | PreparedRow | Rejection], size: int
) -> Iterator[list[InputRow | PreparedRow | Rejection]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk
