"""The anchoring worker: batches by size and by time, proofs that hold on chain, and recovery."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from issuer import (
    AnchoringWorker,
    acquire_lease,
    anchor_outbox,
    batch_metadata_hash,
    batches,
    certificates,
)
from ledger import BatchTree, ChainUnavailableError, verify_batch_proof
from ledger import connect as connect_chain
from tests.conftest import free_port, new_sender, rpc_call
from tests.issuing import OFFICE, IssuingWorld


def _batches(world: IssuingWorld) -> list[tuple[str, int, int | None]]:
    with world.engine.connect() as connection:
        return [
            (state, count, chain_id)
            for state, count, chain_id in connection.execute(
                sa.select(batches.c.state, batches.c.count, batches.c.chain_batch_id).order_by(
                    batches.c.created_at, batches.c.chain_batch_id
                )
            ).all()
        ]


def test_full_batches_go_at_once_and_the_rest_waits(issuing: IssuingWorld) -> None:
    pension = issuing.catalog.find("pension-qualification")
    issuing.issuance().issue(issuing.rows("pension-qualification", 7), pension)
    worker = issuing.worker(batch_size=3, batch_wait=3600)
    outcome = worker.step()
    assert (outcome.leader, outcome.anchored, outcome.pending) == (True, 2, 1)
    assert sorted(count for _state, count, _id in _batches(issuing)) == [3, 3]
    flushed = worker.step(flush=True)
    assert (flushed.anchored, flushed.pending, flushed.sending) == (1, 0, 0)
    assert sorted(count for _state, count, _id in _batches(issuing)) == [1, 3, 3]
    assert all(state == "anchored" for state, _c, _i in _batches(issuing))


def test_a_partial_batch_goes_once_its_oldest_member_has_waited(issuing: IssuingWorld) -> None:
    pension = issuing.catalog.find("pension-qualification")
    issuing.issuance().issue(issuing.rows("pension-qualification", 2), pension)
    worker = issuing.worker(batch_size=100, batch_wait=5)
    issuing.clock.advance(timedelta(seconds=4))
    assert worker.step().anchored == 0
    issuing.clock.advance(timedelta(seconds=2))
    assert worker.step().anchored == 1


def test_every_stored_proof_holds_on_chain(issuing: IssuingWorld) -> None:
    contribution = issuing.catalog.find("contribution-certificate")
    rows = issuing.rows("contribution-certificate", 9)
    issuing.issuance().issue(rows, contribution)
    issuing.worker(batch_size=4).drain()
    for row in rows:
        certificate = issuing.store().by_number(row.number).certificate
        anchor = certificate.anchor
        assert anchor is not None
        assert certificate.computed_root() == certificate.root
        assert verify_batch_proof(
            certificate.root, anchor.index, anchor.proof, root=anchor.batch_root, count=anchor.count
        )
        assert issuing.ledger.verify_inclusion(certificate.root, anchor.index, anchor.proof, anchor.batch_id)
        batch = issuing.ledger.batch(anchor.batch_root)
        assert batch is not None
        assert (batch.type_id, batch.office_id, batch.count) == (1, OFFICE, anchor.count)
        assert anchor.transaction is not None and anchor.block == batch.anchored_block


def test_a_batch_the_chain_already_has_is_recorded_not_sent_twice(issuing: IssuingWorld) -> None:
    pension = issuing.catalog.find("pension-qualification")
    issuing.issuance().issue(issuing.rows("pension-qualification", 3), pension)
    worker = issuing.worker(batch_size=10)
    worker.lease = acquire_lease(
        issuing.engine, worker.lease_name, worker.holder, seconds=30, now=issuing.clock()
    )
    batch_id = worker._form_batch(flush=True)  # the batch is written under the lease …
    assert batch_id is not None
    with issuing.engine.connect() as connection:
        root, count = connection.execute(
            sa.select(batches.c.root, batches.c.count).where(batches.c.id == batch_id)
        ).one()
    # … and sent, but the worker crashes before it records the receipt.
    sent = issuing.ledger.anchor(
        root,
        count=count,
        type_id=2,
        metadata_hash=batch_metadata_hash(type_id=2, office_id=OFFICE, count=count),
    )
    before = issuing.ledger.batch_count()
    outcome = worker.step()  # the restarted worker resends; the ledger refuses the duplicate root
    assert (outcome.resent, outcome.sending) == (1, 0)
    assert issuing.ledger.batch_count() == before
    with issuing.engine.connect() as connection:
        state, chain_id, transaction = connection.execute(
            sa.select(batches.c.state, batches.c.chain_batch_id, batches.c.transaction_hash).where(
                batches.c.id == batch_id
            )
        ).one()
    assert (state, chain_id, transaction) == ("anchored", sent.batch_id, sent.receipt.transaction_hash)


def test_a_chain_outage_leaves_the_batch_sending_until_the_chain_is_back(issuing: IssuingWorld) -> None:
    pension = issuing.catalog.find("pension-qualification")
    issuing.issuance().issue(issuing.rows("pension-qualification", 2), pension)
    down = connect_chain(f"http://127.0.0.1:{free_port()}", timeout=1)
    unreachable = issuing.ledger.with_sender(new_sender(down, issuing.issuer))
    assert unreachable.sender is not None
    unreachable.sender.unreachable_grace = 0.2
    offline = AnchoringWorker(issuing.engine, unreachable, office_id=OFFICE, batch_size=10)
    with pytest.raises(ChainUnavailableError):
        offline.step(flush=True)
    assert _batches(issuing) == [("sending", 2, None)]
    with issuing.engine.connect() as connection:
        error = connection.execute(sa.select(batches.c.last_error)).scalar_one()
    assert error.startswith("cannot reach the chain node at")
    online = issuing.worker(holder=offline.holder)
    outcome = online.step()
    assert (outcome.resent, outcome.sending, outcome.pending) == (1, 0, 0)
    assert _batches(issuing)[0][0] == "anchored"


def test_a_batch_that_vanishes_from_the_chain_is_anchored_again(issuing: IssuingWorld) -> None:
    pension = issuing.catalog.find("pension-qualification")
    rows = issuing.rows("pension-qualification", 3)
    issuing.issuance().issue(rows, pension)
    before = rpc_call(issuing.w3, "evm_snapshot", [])
    worker = issuing.worker(finality_window=600)
    worker.drain()
    assert _batches(issuing)[0][0] == "anchored"
    rpc_call(issuing.w3, "evm_revert", [before])  # the node loses the block
    assert issuing.ledger.batch(_roots(issuing)[0]) is None
    worker.sender.forget_nonce()
    outcome = worker.step()
    assert (outcome.reverted, outcome.resent, outcome.sending) == (1, 1, 0)
    certificate = issuing.store().by_number(rows[0].number).certificate
    assert certificate.anchor is not None
    assert issuing.ledger.verify_inclusion(
        certificate.root, certificate.anchor.index, certificate.anchor.proof, certificate.anchor.batch_id
    )


def _roots(world: IssuingWorld) -> list[bytes]:
    with world.engine.connect() as connection:
        return list(connection.execute(sa.select(batches.c.root)).scalars())


def test_only_one_worker_leads(issuing: IssuingWorld) -> None:
    pension = issuing.catalog.find("pension-qualification")
    issuing.issuance().issue(issuing.rows("pension-qualification", 2), pension)
    first, second = issuing.worker(), issuing.worker()
    assert first.step(flush=True).leader
    assert not second.step(flush=True).leader
    now = issuing.clock()
    assert not acquire_lease(issuing.engine, first.lease_name, second.holder, seconds=30, now=now)
    assert acquire_lease(
        issuing.engine, first.lease_name, second.holder, seconds=30, now=now + timedelta(seconds=31)
    )


def test_the_outbox_empties_into_batches_exactly_once(issuing: IssuingWorld) -> None:
    contribution = issuing.catalog.find("contribution-certificate")
    issuing.issuance().issue(issuing.rows("contribution-certificate", 25), contribution)
    issuing.worker(batch_size=6).drain()
    with issuing.engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(anchor_outbox)).scalar_one() == 0
        placed = connection.execute(
            sa.select(certificates.c.batch_id, certificates.c.leaf_index, certificates.c.document_root)
        ).all()
        roots_and_counts = {
            row[0]: row[1:]
            for row in connection.execute(sa.select(batches.c.id, batches.c.root, batches.c.count)).all()
        }
    assert len(placed) == 25
    by_batch: dict[str, dict[int, bytes]] = {}
    for batch_id, index, root in placed:
        by_batch.setdefault(batch_id, {})[index] = root
    for batch_id, members in by_batch.items():
        root, count = roots_and_counts[batch_id]
        assert sorted(members) == list(range(count))
        assert BatchTree.build([members[i] for i in range(count)]).root == root


def test_draining_ends_when_another_worker_has_anchored_everything(issuing: IssuingWorld) -> None:
    pension = issuing.catalog.find("pension-qualification")
    issuing.issuance().issue(issuing.rows("pension-qualification", 3), pension)
    leader, follower = issuing.worker(lease_seconds=600), issuing.worker(lease_seconds=600)
    assert leader.step(flush=True).leader
    outcome = follower.drain(timeout=30)
    assert (outcome.leader, outcome.pending, outcome.sending) == (False, 0, 0)
