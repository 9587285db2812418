"""The issuer's own changes of a batch's state, for the anchoring worker and for reconciliation.

The worker and the auditor's repair reach the same conclusions (the chain has this root, the
chain lost that one, these proofs do not lead to the root): both write them through these
functions, so the issuer's tables are written by the issuer only, one way.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from issuer._models import batches, certificates
from issuer._states import BatchState
from ledger import BatchTree, bulk_update


def complete_batch(
    connection: sa.Connection,
    batch_id: str,
    *,
    chain_batch_id: int,
    block_number: int,
    transaction_hash: bytes | None,
    anchored_at: datetime,
    confirmed_until: datetime,
) -> bool:
    """Records a `sending` batch as anchored where the chain has it; False when the batch was not
    `sending` (someone recorded it already), and then nothing changes."""
    done = connection.execute(
        sa.update(batches)
        .where(batches.c.id == batch_id, batches.c.state == BatchState.SENDING)
        .values(
            state=BatchState.ANCHORED,
            chain_batch_id=chain_batch_id,
            transaction_hash=transaction_hash,
            block_number=block_number,
            anchored_at=anchored_at,
            confirmed_until=confirmed_until,
            attempts=batches.c.attempts + 1,
            last_error=None,
        )
    )
    return done.rowcount == 1


def requeue_batches(connection: sa.Connection, batch_ids: Collection[str], *, reason: str) -> int:
    """Sends `anchored` batches the chain no longer has back to `sending`, where the worker anchors
    them again (the same root: the ledger refuses a second copy); returns how many went back."""
    if not batch_ids:
        return 0
    requeued = connection.execute(
        sa.update(batches)
        .where(batches.c.id.in_(list(batch_ids)), batches.c.state == BatchState.ANCHORED)
        .values(
            state=BatchState.SENDING,
            chain_batch_id=None,
            transaction_hash=None,
            block_number=None,
            anchored_at=None,
            confirmed_until=None,
            last_error=reason[:500],
        )
    )
    return int(requeued.rowcount)


def rewrite_proofs(
    engine: Engine,
    batch_id: str,
    certificate_ids: Collection[str],
    *,
    count: int,
    reader: Engine | None = None,
) -> bool:
    """Rewrites the stored proofs of `certificate_ids` from the batch's tree rebuilt out of its
    members' document roots; False (nothing written) when the members are not leaves 0 to
    `count` - 1 or their tree does not reach the batch's root."""
    with (reader or engine).connect() as connection:
        root = connection.execute(sa.select(batches.c.root).where(batches.c.id == batch_id)).scalar_one()
        members = connection.execute(
            sa.select(certificates.c.id, certificates.c.leaf_index, certificates.c.document_root)
            .where(certificates.c.batch_id == batch_id)
            .order_by(certificates.c.leaf_index)
        ).all()
    if [index for _, index, _ in members] != list(range(count)):
        return False  # rows are missing or misplaced: the tree cannot be rebuilt
    tree = BatchTree.build([bytes(document_root) for _, _, document_root in members])
    if tree.root != bytes(root):
        return False
    wanted = set(certificate_ids)
    rows = [
        {"id": certificate_id, "proof": b"".join(tree.proof(index))}
        for certificate_id, index, _ in members
        if certificate_id in wanted
    ]
    with engine.begin() as connection:
        bulk_update(connection, certificates, key="id", rows=rows)
    return True
