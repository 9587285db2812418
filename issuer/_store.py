"""Reading certificates back out of the safe, and the safe's maintenance: rotation and erasure."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from issuer._errors import CertificateNotFoundError, CitizenNotFoundError, ErasedError
from issuer._models import batches, certificates, citizens, data_keys
from issuer._safe import KeyedHasher, MasterKeyring, Safe, WrappedKey, decrypt_body
from issuer._states import BatchState
from ledger import Anchor, Certificate, Clock, parse_json, system_clock

ROTATION_CHUNK = 500


@dataclass(frozen=True, slots=True)
class StoredCertificate:
    """A certificate as the operators' database holds it."""

    id: str
    number: str
    citizen_id: str
    status: str
    certificate: Certificate


class CertificateStore:
    """Certificates decrypted from the safe, with their anchors."""

    def __init__(self, engine: Engine, safe: Safe, *, chain_id: int, ledger_address: str) -> None:
        self.engine = engine
        self.safe = safe
        self.chain_id = chain_id
        self.ledger_address = ledger_address

    def by_number(self, number: str) -> StoredCertificate:
        """The current revision of certificate `number`, decrypted, with its anchor once it has one."""
        return self._load(certificates.c.certificate_no == number, number)

    def by_id(self, certificate_id: str) -> StoredCertificate:
        """The certificate revision with record id `certificate_id`."""
        return self._load(certificates.c.id == certificate_id, certificate_id)

    def _load(self, condition: sa.ColumnElement[bool], label: str) -> StoredCertificate:
        with self.engine.connect() as connection:
            row = connection.execute(
                sa.select(
                    certificates.c.id,
                    certificates.c.certificate_no,
                    certificates.c.citizen_id,
                    certificates.c.status,
                    certificates.c.body,
                    certificates.c.body_version,
                    certificates.c.leaf_index,
                    certificates.c.proof,
                    data_keys.c.wrapped_key,
                    data_keys.c.master_key_id,
                    data_keys.c.erased_at,
                    certificates.c.created_at,
                    batches.c.state,
                    batches.c.chain_batch_id,
                    batches.c.root,
                    batches.c.count,
                    batches.c.transaction_hash,
                    batches.c.block_number,
                )
                .join(data_keys, data_keys.c.citizen_id == certificates.c.citizen_id)
                .outerjoin(batches, batches.c.id == certificates.c.batch_id)
                .where(condition)
                .order_by(certificates.c.revision.desc())
                .limit(1)
            ).first()
        if row is None:
            raise CertificateNotFoundError(f"no certificate {label}")
        (record_id, number, citizen_id, status, body, version, index, proof, wrapped, master_id, erased_at,
         created_at, state, chain_batch_id, root, count, transaction, block) = row  # fmt: skip
        if wrapped is None or (erased_at is not None and created_at < erased_at):
            raise ErasedError(f"certificate {number} belongs to an erased citizen: its content is gone")
        data_key = self.safe.unwrap(citizen_id, WrappedKey(master_id, wrapped))
        certificate = Certificate.from_json(
            parse_json(decrypt_body(data_key, body, record_id=record_id, version=version))
        )
        if state == BatchState.ANCHORED:
            certificate = certificate.with_anchor(
                Anchor(
                    batch_id=chain_batch_id,
                    index=index,
                    count=count,
                    batch_root=root,
                    proof=tuple(proof[i : i + 32] for i in range(0, len(proof), 32)),
                    chain_id=self.chain_id,
                    ledger=self.ledger_address,
                    transaction=transaction,
                    block=block,
                )
            )
        return StoredCertificate(record_id, number, citizen_id, status, certificate)


@dataclass(frozen=True, slots=True)
class RotationReport:
    """What a master-key rotation did: `retired` keys wait in ``retired/`` for one rotation in
    case a process still wrapped with them; `purged` keys were deleted, unused since then."""

    current: str
    rewrapped: int
    remaining: int
    retired: tuple[str, ...]
    purged: tuple[str, ...] = ()


def rotate_master_key(
    engine: Engine,
    keyring: MasterKeyring,
    *,
    start_new: bool = True,
    limit: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> RotationReport:
    """Wraps every data key under the current master key, a chunk per transaction.

    With `start_new` (and no rotation left unfinished) a fresh master key becomes current
    first. Interrupted — by a crash or by `limit` — it resumes where it stopped: each data key
    records which master key wraps it. When none is left under an old key, the old key files
    are retired (see `RotationReport`).
    """
    if start_new and _count_not_under(engine, keyring.current) == 0:
        keyring = keyring.add_new_current()
    safe = Safe(keyring)
    done = 0
    while limit is None or done < limit:
        size = ROTATION_CHUNK if limit is None else min(ROTATION_CHUNK, limit - done)
        with engine.begin() as connection:
            rows = connection.execute(
                sa.select(data_keys.c.citizen_id, data_keys.c.wrapped_key, data_keys.c.master_key_id)
                .where(data_keys.c.master_key_id != keyring.current, data_keys.c.wrapped_key.is_not(None))
                .limit(size)
            ).all()
            if not rows:
                break
            for citizen_id, blob, master_id in rows:
                fresh = safe.rewrap(citizen_id, WrappedKey(master_id, blob))
                connection.execute(
                    sa.update(data_keys)
                    .where(data_keys.c.citizen_id == citizen_id)
                    .values(wrapped_key=fresh.blob, master_key_id=fresh.master_key_id)
                )
        done += len(rows)
        if progress is not None:
            progress(len(rows))
    remaining = _count_not_under(engine, keyring.current)
    retired: tuple[str, ...] = ()
    purged: tuple[str, ...] = ()
    if remaining == 0:
        with engine.connect() as connection:
            in_use = set(
                connection.execute(
                    sa.select(data_keys.c.master_key_id)
                    .where(data_keys.c.wrapped_key.is_not(None))
                    .distinct()
                ).scalars()
            )
        unused = set(keyring.keys) - in_use - {keyring.current}
        _moved, deleted = keyring.retire(unused)
        retired, purged = tuple(sorted(unused - deleted)), tuple(sorted(deleted))
    return RotationReport(keyring.current, done, remaining, retired, purged)


def _count_not_under(engine: Engine, current: str) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                sa.select(sa.func.count())
                .select_from(data_keys)
                .where(data_keys.c.master_key_id != current, data_keys.c.wrapped_key.is_not(None))
            ).scalar_one()
        )


def find_citizen(engine: Engine, hasher: KeyedHasher, reference: str) -> str:
    """A citizen's id from their id or their identity number."""
    with engine.connect() as connection:
        if len(reference) == 18:
            citizen_id = connection.execute(
                sa.select(citizens.c.id).where(citizens.c.lookup_hash == hasher.identity(reference.upper()))
            ).scalar_one_or_none()
        else:
            citizen_id = connection.execute(
                sa.select(citizens.c.id).where(citizens.c.id == reference)
            ).scalar_one_or_none()
    if citizen_id is None:
        raise CitizenNotFoundError("no citizen has that id or identity number")
    return str(citizen_id)


def erase_citizen(engine: Engine, citizen_id: str, *, clock: Clock = system_clock) -> int:
    """Destroys the citizen's data key; returns how many certificates became unreadable."""
    with engine.begin() as connection:
        return erase_data_key(connection, citizen_id, now=clock())


def erase_data_key(connection: sa.Connection, citizen_id: str, *, now: datetime) -> int:
    """`erase_citizen` within the caller's transaction, so that the wallet can end the citizen's
    sessions and grants in the same commit."""
    erased = connection.execute(
        sa.update(data_keys)
        .where(data_keys.c.citizen_id == citizen_id, data_keys.c.wrapped_key.is_not(None))
        .values(wrapped_key=None, master_key_id=None, erased_at=now)
    ).rowcount
    if erased == 0:
        raise CitizenNotFoundError("no citizen with a data key has that id (already erased?)")
    return int(
        connection.execute(
            sa.select(sa.func.count())
            .select_from(certificates)
            .where(certificates.c.citizen_id == citizen_id)
        ).scalar_one()
    )
