"""The batch and certificate states are stored as their lowercase values, however they are written.

A plain `Enum` in their place would reach psycopg as its name (``ANCHORED``): the raw reads here
catch that on PostgreSQL, and on SQLite alike.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from issuer import (
    CHAIN_STATUS,
    BatchState,
    CertificateState,
    batches,
    certificates,
    citizens,
    complete_batch,
)
from ledger import CertificateStatus, bulk_insert
from tests.conftest import NOW


def _certificate(record_id: str, status: CertificateState) -> dict[str, object]:
    return {
        "id": record_id,
        "certificate_no": f"N-{record_id}",
        "type_id": 1,
        "schema_version": 1,
        "office_id": 1,
        "citizen_id": "c1",
        "input_digest": b"\x01" * 32,
        "document_root": b"\x02" * 32,
        "body": b"\x03" * 64,
        "body_version": 1,
        "issued_on": NOW.date(),
        "status": status,
        "created_at": NOW,
    }


def test_states_are_stored_and_found_by_their_values(engine: Engine) -> None:
    batch = {"type_id": 1, "office_id": 1, "count": 1, "created_at": NOW}
    with engine.begin() as connection:
        connection.execute(sa.insert(citizens).values(id="c1", lookup_hash=b"\x00" * 32, created_at=NOW))
        # The bulk path: COPY on PostgreSQL, one prepared statement on SQLite.
        bulk_insert(
            connection,
            certificates,
            [_certificate("a", CertificateState.VALID), _certificate("b", CertificateState.SUPERSEDED)],
        )
        connection.execute(
            sa.update(certificates).where(certificates.c.id == "a").values(status=CertificateState.REVOKED)
        )
        connection.execute(sa.insert(batches).values(id="b1", root=b"\x11" * 32, **batch))  # the default
        connection.execute(
            sa.insert(batches).values(id="b2", root=b"\x12" * 32, state=BatchState.SENDING, **batch)
        )
        assert complete_batch(
            connection,
            "b2",
            chain_batch_id=1,
            block_number=1,
            transaction_hash=None,
            anchored_at=NOW,
            confirmed_until=NOW,
        )
    with engine.connect() as connection:
        states = connection.execute(sa.text("SELECT id, state FROM batches ORDER BY id")).all()
        statuses = connection.execute(sa.text("SELECT id, status FROM certificates ORDER BY id")).all()
        anchored = connection.execute(
            sa.select(batches.c.id).where(batches.c.state == BatchState.ANCHORED)
        ).scalar_one()
        superseded = connection.execute(
            sa.select(certificates.c.id).where(certificates.c.status == CertificateState.SUPERSEDED)
        ).scalar_one()
    assert [tuple(row) for row in states] == [("b1", "sending"), ("b2", "anchored")]
    assert [tuple(row) for row in statuses] == [("a", "revoked"), ("b", "superseded")]
    assert (anchored, superseded) == ("b2", "b")


def test_every_certificate_state_stands_for_one_status_on_chain() -> None:
    assert dict(CHAIN_STATUS) == {
        CertificateState.VALID: CertificateStatus.VALID,
        CertificateState.REVOKED: CertificateStatus.REVOKED,
        CertificateState.SUSPENDED: CertificateStatus.SUSPENDED,
        CertificateState.SUPERSEDED: CertificateStatus.REVOKED,
    }
