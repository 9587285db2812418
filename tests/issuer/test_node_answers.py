"""The anchoring worker facing a node whose refusal it cannot read: loud, recorded, then recovered."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from issuer import AnchoringWorker, batch_metadata_hash, batches
from ledger import CertificateLedgerClient, TransactionError, connect
from tests.conftest import new_sender
from tests.issuing import OFFICE, IssuingWorld
from tests.rpc_proxy import rewriting_proxy


def _unknown_shape(error: dict[str, Any]) -> dict[str, Any]:
    """A refusal in a shape no client is known to use: the revert data under a key of its own."""
    return {"code": -32099, "message": "call failed", "data": {"revert": {"bytes": error.get("data")}}}


def test_an_unreadable_refusal_is_recorded_on_the_batch_and_the_next_step_completes_it(
    issuing: IssuingWorld,
) -> None:
    pension = issuing.catalog.find("pension-qualification")
    issuing.issuance().issue(issuing.rows("pension-qualification", 2), pension)
    worker = issuing.worker(batch_size=10, batch_wait=3600)
    assert worker.step().anchored == 0  # takes the lease; the batch is not full yet
    batch_id = worker._form_batch(flush=True)
    assert batch_id is not None
    with issuing.engine.connect() as connection:
        root, count = connection.execute(
            sa.select(batches.c.root, batches.c.count).where(batches.c.id == batch_id)
        ).one()
    # The anchor was mined, but the process that sent it died before recording it.
    sent = issuing.ledger.anchor(
        root,
        count=count,
        type_id=2,
        metadata_hash=batch_metadata_hash(type_id=2, office_id=OFFICE, count=count),
    )
    upstream = issuing.w3.provider.endpoint_uri  # type: ignore[attr-defined]
    with rewriting_proxy(upstream, {"eth_estimateGas": _unknown_shape}) as url:
        w3 = connect(url)
        blind = AnchoringWorker(
            issuing.engine,
            CertificateLedgerClient(w3, issuing.deployment.ledger, sender=new_sender(w3, issuing.issuer)),
            office_id=OFFICE,
            clock=issuing.clock,
            batch_size=10,
            batch_wait=3600,
            holder=worker.holder,  # the same worker, through a node that answers oddly
        )
        with pytest.raises(TransactionError, match="carries no revert data that certledger can read"):
            blind.step()
    with issuing.engine.connect() as connection:
        state, last_error = connection.execute(
            sa.select(batches.c.state, batches.c.last_error).where(batches.c.id == batch_id)
        ).one()
    assert state == "sending"
    assert last_error.startswith(
        "the node refused to estimate the transaction: call failed (code -32099), and its answer carries "
        'no revert data that certledger can read: {"code":-32099,"message":"call failed","data":{"revert":'
    )
    outcome = worker.step(flush=True)  # a node that answers in a known shape: the duplicate is recognised
    assert outcome.resent == 1
    with issuing.engine.connect() as connection:
        state, chain_id, last_error = connection.execute(
            sa.select(batches.c.state, batches.c.chain_batch_id, batches.c.last_error).where(
                batches.c.id == batch_id
            )
        ).one()
    assert (state, chain_id, last_error) == ("anchored", sent.batch_id, None)
