"""Binding certificates to their holder's wallet key.

A certificate names its holder's wallet address in its header, so that a grant can be checked as
signed by the holder. Certificates issued before the citizen enrolled (or before they replaced a
lost key) name no key, or an old one. Binding re-seals each such certificate as a new revision —
the same number, claims, dates and office, a fresh salt for every field, the new holder — and
queues it for anchoring in the same transaction; the earlier revision is marked superseded and the
anchoring worker revokes it on chain (reason SUPERSEDED) once it is anchored itself.

Only current revisions that are valid are re-sealed: a revoked certificate stays revoked, and a
suspended one is bound when it is reinstated and binding runs again (it is idempotent).

The office finds a person's certificates by name through a keyed hash of the name on each
revision (`KeyedHasher.name`), written at issuance. `index_holder_names` fills it for revisions
issued before the hash existed (migration 0008), from their sealed bodies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from issuer._errors import CitizenNotFoundError, ErasedError, SafeError
from issuer._issuing import CitizenKey, citizens_for
from issuer._models import anchor_outbox, certificates, citizens, data_keys, new_id
from issuer._safe import KeyedHasher, Safe, WrappedKey, decrypt_body, encrypt_body, holder_name_hash
from issuer._states import CertificateState
from ledger import (
    Certificate,
    CertificateTypeError,
    Clock,
    Reason,
    TypeCatalog,
    is_checksum_address,
    parse_json,
    seal,
    system_clock,
)

NAME_INDEX_CHUNK = 500


@dataclass(slots=True)
class BindReport:
    """What binding did: the numbers re-sealed, and those left as they were with the reason."""

    rebound: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)


class HolderBinding:
    """Finds citizens by identity number and binds their certificates to a wallet key."""

    def __init__(
        self,
        engine: Engine,
        safe: Safe,
        hasher: KeyedHasher,
        *,
        field_counts: Callable[[int, int], int],
        clock: Clock = system_clock,
    ) -> None:
        self.engine = engine
        self.safe = safe
        self.hasher = hasher
        self.field_counts = field_counts
        self.clock = clock

    def citizen(self, identity_number: str) -> CitizenKey:
        """The citizen with this identity number, created (with a data key) when new."""
        with self.engine.begin() as connection:
            return citizens_for(
                connection, [identity_number], safe=self.safe, hasher=self.hasher, now=self.clock()
            )[identity_number]

    def data_key(self, citizen_id: str) -> bytes:
        """The citizen's unwrapped data key; ErasedError once it was erased."""
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(data_keys.c.wrapped_key, data_keys.c.master_key_id).where(
                    data_keys.c.citizen_id == citizen_id
                )
            ).first()
        if row is None:
            raise CitizenNotFoundError(f"no citizen {citizen_id}")
        if row[0] is None:
            raise ErasedError("the citizen's data key was erased")
        return self.safe.unwrap(citizen_id, WrappedKey(row[1], row[0]))

    def bind(self, citizen_id: str, address: str) -> BindReport:
        """Makes `address` the citizen's wallet key and re-seals their current certificates for it."""
        if not is_checksum_address(address):
            raise ValueError(f"{address} is not a checksummed address")
        data_key = self.data_key(citizen_id)
        report = BindReport()
        now = self.clock()
        with self.engine.begin() as connection:
            updated = connection.execute(
                sa.update(citizens).where(citizens.c.id == citizen_id).values(wallet_address=address)
            )
            if updated.rowcount != 1:
                raise CitizenNotFoundError(f"no citizen {citizen_id}")
            rows = connection.execute(
                sa.select(
                    certificates.c.id,
                    certificates.c.certificate_no,
                    certificates.c.revision,
                    certificates.c.type_id,
                    certificates.c.schema_version,
                    certificates.c.office_id,
                    certificates.c.holder_name_hash,
                    certificates.c.input_digest,
                    certificates.c.body,
                    certificates.c.body_version,
                    certificates.c.issued_on,
                    certificates.c.valid_until,
                    certificates.c.status,
                    certificates.c.created_at,
                ).where(
                    certificates.c.citizen_id == citizen_id,
                    certificates.c.status != CertificateState.SUPERSEDED,
                )
            ).all()
            erased_at = connection.execute(
                sa.select(data_keys.c.erased_at).where(data_keys.c.citizen_id == citizen_id)
            ).scalar_one_or_none()
            for row in rows:
                if erased_at is not None and row.created_at < erased_at:
                    report.skipped.append((row.certificate_no, "it was erased"))
                    continue
                if row.status != CertificateState.VALID:
                    report.skipped.append((row.certificate_no, f"it is {row.status}"))
                    continue
                old = Certificate.from_json(
                    parse_json(decrypt_body(data_key, row.body, record_id=row.id, version=row.body_version))
                )
                if old.header.holder == address:
                    continue
                self._reseal(
                    connection, row, old, citizen_id=citizen_id, address=address, data_key=data_key, now=now
                )
                report.rebound.append(row.certificate_no)
        return report

    def _reseal(
        self,
        connection: sa.Connection,
        row: Any,
        old: Certificate,
        *,
        citizen_id: str,
        address: str,
        data_key: bytes,
        now: datetime,
    ) -> None:
        header = replace(old.header, holder=address)
        certificate = seal(header, old.claims, field_count=self.field_counts(header.type_id, header.version))
        record_id = new_id()
        body = encrypt_body(data_key, certificate.body_bytes(), record_id=record_id, version=1)
        connection.execute(
            sa.insert(certificates).values(
                id=record_id,
                certificate_no=row.certificate_no,
                revision=row.revision + 1,
                type_id=row.type_id,
                schema_version=row.schema_version,
                office_id=row.office_id,
                citizen_id=citizen_id,
                holder_name_hash=row.holder_name_hash,  # the same claims, so the same name
                input_digest=row.input_digest,
                document_root=certificate.root,
                body=body,
                body_version=1,
                issued_on=row.issued_on,
                valid_until=row.valid_until,
                status=CertificateState.VALID,
                created_at=now,
            )
        )
        connection.execute(
            sa.insert(anchor_outbox).values(
                certificate_id=record_id, type_id=row.type_id, office_id=row.office_id, created_at=now
            )
        )
        connection.execute(
            sa.update(certificates)
            .where(certificates.c.id == row.id)
            .values(
                status=CertificateState.SUPERSEDED,
                status_reason=int(Reason.SUPERSEDED),
                status_changed_at=now,
            )
        )


@dataclass(frozen=True, slots=True)
class NameIndexReport:
    """What filling the name hashes did: revisions `indexed`, and those left without a hash —
    `nameless` (their type names no holder-name field, or the name is empty) and `unreadable`
    (their citizen's data key was erased, or the body fails the safe's integrity check)."""

    indexed: int
    nameless: int
    unreadable: int


def unindexed_names(engine: Engine) -> int:
    """How many certificate revisions have no name hash yet (at most: some have no name)."""
    with engine.connect() as connection:
        return int(
            connection.execute(
                sa.select(sa.func.count())
                .select_from(certificates)
                .where(certificates.c.holder_name_hash.is_(None))
            ).scalar_one()
        )


def index_holder_names(
    engine: Engine,
    safe: Safe,
    hasher: KeyedHasher,
    catalog: TypeCatalog,
    *,
    chunk: int = NAME_INDEX_CHUNK,
    progress: Callable[[int], None] | None = None,
) -> NameIndexReport:
    """Fills `certificates.holder_name_hash` of every revision that has none, from its sealed body.

    A chunk a transaction, walking the revisions by id: an interrupted run resumes where it
    stopped, and a second run writes nothing (it reads again only the revisions that cannot have
    a hash). A row is written only while it still has none, so a concurrent write is never
    overwritten. Nothing is logged: the names stay in memory only as long as it takes to hash
    them. Revisions whose body cannot be read — erased, or failing the safe's integrity check —
    are counted `unreadable` and left without a hash.
    """
    indexed = nameless = unreadable = 0
    after = ""
    while True:
        with engine.begin() as connection:
            rows = connection.execute(
                sa.select(
                    certificates.c.id,
                    certificates.c.citizen_id,
                    certificates.c.type_id,
                    certificates.c.schema_version,
                    certificates.c.body,
                    certificates.c.body_version,
                    certificates.c.created_at,
                    data_keys.c.wrapped_key,
                    data_keys.c.master_key_id,
                    data_keys.c.erased_at,
                )
                .join(data_keys, data_keys.c.citizen_id == certificates.c.citizen_id)
                .where(certificates.c.holder_name_hash.is_(None), certificates.c.id > after)
                .order_by(certificates.c.id)
                .limit(chunk)
            ).all()
            if not rows:
                break
            keys: dict[str, bytes] = {}
            for row in rows:
                if row.wrapped_key is None or (row.erased_at is not None and row.created_at < row.erased_at):
                    unreadable += 1
                    continue
                try:
                    if row.citizen_id not in keys:
                        keys[row.citizen_id] = safe.unwrap(
                            row.citizen_id, WrappedKey(row.master_key_id, row.wrapped_key)
                        )
                    plaintext = decrypt_body(
                        keys[row.citizen_id], row.body, record_id=row.id, version=row.body_version
                    )
                except SafeError:  # altered or moved: reconciliation's business, not this index's
                    unreadable += 1
                    continue
                body = parse_json(plaintext)
                try:
                    certificate_type = catalog.get(row.type_id, row.schema_version)
                except CertificateTypeError:
                    nameless += 1  # a type this installation no longer knows names no field
                    continue
                name_hash = holder_name_hash(hasher, certificate_type, body.get("claims") or {})
                if name_hash is None:
                    nameless += 1
                    continue
                connection.execute(
                    sa.update(certificates)
                    .where(certificates.c.id == row.id, certificates.c.holder_name_hash.is_(None))
                    .values(holder_name_hash=name_hash)
                )
                indexed += 1
        after = rows[-1].id
        if progress is not None:
            progress(len(rows))
    return NameIndexReport(indexed, nameless, unreadable)
