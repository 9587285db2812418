"""Reconciliation: drift of every kind seeded at once, found and classified by one run; the safe
cases repaired (vanished batches anchored again exactly once, proofs rewritten), the others still
reported; and the audit figures agreeing with what was issued, revoked and accessed."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from web3 import Web3

from audit import KINDS, ChainAudit, Reconciler, access_log, latest_reconciliation, log_size
from issuer import InputRow, Reason, acquire_lease, batches, certificates, status_changes
from ledger import ACCESS_LOG_ID, Anchored, FixedClock
from tests.conftest import rpc_call
from tests.databases import fresh_database_url
from tests.issuing import pension_claims
from tests.wallet_api.conftest import WalletWorld, build_world
from verifier import Verdict
from wallet_api import create_app
from wallet_api._models import grants


@pytest.fixture(params=["sqlite", "postgresql"])
def office(
    request: pytest.FixtureRequest, w3: Web3, chain: Any, tmp_path: Path, snapshot: None
) -> Iterator[WalletWorld]:
    """A populated service whose worker does not watch anchored batches itself (finality window
    0), so that only reconciliation notices a batch vanishing."""
    del snapshot
    for url in fresh_database_url(str(request.param), tmp_path):
        world = build_world(w3, chain.rpc_url, url, tmp_path, finality_window=0.0)
        with world.client:
            yield world
        world.context.engine.dispose()
        world.context.reader.dispose()
        world.context.chain_index.engine.dispose()


def _issue_pensions(world: WalletWorld, count: int, *, seed: int) -> list[str]:
    rng = random.Random(seed)
    numbers = [f"R{seed:03d}{i:05d}" for i in range(count)]
    rows = [InputRow(line=i + 2, number=n, claims=pension_claims(rng, n)) for i, n in enumerate(numbers)]
    context = world.context
    report = context.issuance().issue(rows, context.catalog.find("pension-qualification"))
    assert report.issued == count
    world.anchor()
    return numbers


def _access(world: WalletWorld, grants_count: int = 2) -> None:
    """Grants and redemptions: entries in the access log, then anchored."""
    citizen = world.citizens[0]
    headers = world.citizen_headers(citizen)
    certificate_id = world.certificate_ids(headers)[0]
    for _ in range(grants_count):
        created = world.grant(citizen, headers, world.terms(certificate_id, world.units[0]))
        response = world.client.post(
            "/v1/redemptions", json={"link": created["link"]}, headers=world.unit_headers(world.units[0])
        )
        assert response.status_code == 200, response.text
    assert world.context.log_anchorer.step() is not None


def _batch_of(world: WalletWorld, number: str) -> tuple[str, bytes]:
    with world.context.engine.connect() as connection:
        row = connection.execute(
            sa.select(batches.c.id, batches.c.root)
            .join(certificates, certificates.c.batch_id == batches.c.id)
            .where(certificates.c.certificate_no == number)
        ).one()
    return row[0], bytes(row[1])


def _forget_nonces(world: WalletWorld) -> None:
    for role in ("issuer", "operator", "governor"):
        world.context.chain.sender(role).forget_nonce()


def test_one_run_finds_every_kind_of_drift_and_the_repair_leaves_only_what_cannot_be_repaired(
    office: WalletWorld,
) -> None:
    world, context = office, office.context
    _access(world)
    kept = _issue_pensions(world, 3, seed=1)  # a batch that stays on chain: its proof gets altered
    index = context.chain_index
    fork_point = rpc_call(context.chain.w3, "evm_snapshot", [])
    vanishing = _issue_pensions(world, 4, seed=2)
    vanished_id, vanished_root = _batch_of(world, vanishing[0])
    index.sync()  # the index saw the batch before the node lost it
    rpc_call(context.chain.w3, "evm_revert", [fork_point])  # the node restarts from an older state
    _forget_nonces(world)
    ledger = context.chain.ledger("issuer")
    assert ledger.batch(vanished_root) is None

    # A batch anchored by hand with the office's key, unknown to the database.
    by_hand = os.urandom(32)
    ledger.anchor(by_hand, count=2, type_id=2)
    with context.engine.begin() as connection:
        # A certificate row deleted (one no grant points at).
        in_use = sa.select(grants.c.certificate_id)
        deleted_id, deleted_batch = connection.execute(
            sa.select(certificates.c.id, certificates.c.batch_id)
            .where(
                certificates.c.id.not_in(in_use),
                certificates.c.certificate_no.not_in(kept + vanishing),
                certificates.c.id.not_in(sa.select(status_changes.c.certificate_id)),
            )
            .limit(1)
        ).one()
        connection.execute(sa.delete(certificates).where(certificates.c.id == deleted_id))
        # A certificate's proof altered.
        altered_id, proof = connection.execute(
            sa.select(certificates.c.id, certificates.c.proof).where(certificates.c.certificate_no == kept[1])
        ).one()
        flipped = bytes([proof[0] ^ 1]) + bytes(proof[1:])
        connection.execute(
            sa.update(certificates).where(certificates.c.id == altered_id).values(proof=flipped)
        )
        # A log entry changed after its root was anchored.
        entry = connection.execute(sa.select(access_log.c.entry).where(access_log.c.seq == 1)).scalar_one()
        connection.execute(
            sa.update(access_log)
            .where(access_log.c.seq == 1)
            .values(entry=entry.replace(b'"event":"', b'"event":"x'))
        )
    deleted_root = _root_of(world, deleted_batch)

    first = Reconciler(context.engine, index).run(repair=True)
    kinds = {(d.kind, d.subject) for d in first.differences}
    assert ("batch_not_on_chain", "0x" + vanished_root.hex()) in kinds
    assert ("batch_not_in_database", "0x" + by_hand.hex()) in kinds
    assert ("count_mismatch", "0x" + deleted_root.hex()) in kinds
    assert ("proof_mismatch", altered_id) in kinds
    assert first.counts == {
        "batch_not_on_chain": 1,
        "batch_sent_unrecorded": 0,
        "batch_stuck_sending": 0,
        "batch_not_in_database": 1,
        "count_mismatch": 1,
        "proof_mismatch": 1,
        "status_mismatch": 0,
        "log_root_mismatch": first.counts["log_root_mismatch"],
    }
    assert first.counts["log_root_mismatch"] >= 1
    assert any("entry 1" in d.detail for d in first.differences if d.kind == "log_root_mismatch")
    repaired = {d.kind for d in first.differences if d.repaired}
    assert repaired == {"batch_not_on_chain", "proof_mismatch"}

    # The worker anchors the re-queued batch again: the same root, once.
    batches_before = ledger.batch_count()
    world.anchor()
    assert ledger.batch_count() == batches_before + 1
    on_chain = ledger.batch(vanished_root)
    assert on_chain is not None and on_chain.count == 4
    with context.engine.connect() as connection:
        state, chain_batch_id = connection.execute(
            sa.select(batches.c.state, batches.c.chain_batch_id).where(batches.c.id == vanished_id)
        ).one()
    assert (state, chain_batch_id) == ("anchored", on_chain.batch_id)
    rewritten = context.store().by_id(altered_id).certificate.anchor
    assert rewritten is not None
    assert ledger.verify_inclusion(
        context.store().by_id(altered_id).certificate.root,
        rewritten.index,
        rewritten.proof,
        rewritten.batch_id,
    )

    second = Reconciler(context.engine, index).run(repair=True)
    assert second.counts["batch_not_on_chain"] == 0
    assert second.counts["proof_mismatch"] == 0
    # Not repairable: the chain cannot forget a batch, a deleted row cannot be made up, and the log
    # is append-only.
    assert second.counts["batch_not_in_database"] == 1
    assert second.counts["count_mismatch"] == 1
    assert second.counts["log_root_mismatch"] == first.counts["log_root_mismatch"]
    assert second.repaired == 0

    latest = latest_reconciliation(context.engine)
    assert latest is not None and latest.id == second.id
    assert latest.counts == second.counts
    assert latest.differences == len(second.differences)
    stored = "\n".join(d.detail + d.subject for d in latest.details)
    assert not any(number in stored for number in kept + vanishing)


def _root_of(world: WalletWorld, batch_id: str) -> bytes:
    with world.context.engine.connect() as connection:
        return bytes(
            connection.execute(sa.select(batches.c.root).where(batches.c.id == batch_id)).scalar_one()
        )


def test_a_clean_database_reconciles_clean_and_the_figures_agree(wallet: WalletWorld) -> None:
    world, context = wallet, wallet.context
    numbers = _issue_pensions(world, 5, seed=3)
    report = context.statuses().change(numbers[:2], "revoke", Reason.ISSUED_IN_ERROR)
    assert sorted(report.changed) == sorted(numbers[:2])
    context.statuses().change(numbers[2:3], "suspend", Reason.UNDER_REVIEW)
    _access(world, grants_count=3)

    result = Reconciler(context.engine, context.chain_index).run()
    assert result.clean, result.differences
    assert set(result.counts) == set(KINDS)

    audit = ChainAudit(context.chain_index)
    with context.engine.connect() as connection:
        issued: dict[int, int] = dict(
            connection.execute(
                sa.select(certificates.c.type_id, sa.func.count())
                .where(certificates.c.batch_id.is_not(None))
                .group_by(certificates.c.type_id)
            ).all()
        )
        entries = log_size(connection)
    assert {int(r.group): r.certificates for r in audit.issuance(by="type")} == issued
    assert sum(r.certificates for r in audit.issuance(by="day")) == sum(issued.values())
    summary = {(s.action, s.reason): s.certificates for s in audit.status_summary()}
    assert summary == {
        ("revoked", int(Reason.ISSUED_IN_ERROR)): 2,
        ("suspended", int(Reason.UNDER_REVIEW)): 1,
    }
    anchors = audit.log_anchors(log_id=ACCESS_LOG_ID)
    assert anchors[-1].size == entries  # every grant and redemption is covered by the latest root


def test_the_service_reconciles_by_itself(w3: Web3, chain: Any, tmp_path: Path, snapshot: None) -> None:
    """`certledger serve` stores a reconciliation soon after it starts, for the auditor's view."""
    del snapshot
    world = build_world(
        w3, chain.rpc_url, f"sqlite:///{tmp_path / 'wallet.db'}", tmp_path, reconcile_interval=0.2
    )
    assert latest_reconciliation(world.context.engine) is None
    with TestClient(create_app(world.context, background=True)):
        deadline = time.monotonic() + 60
        while (found := latest_reconciliation(world.context.engine)) is None and time.monotonic() < deadline:
            time.sleep(0.1)
    assert found is not None, "no reconciliation was stored"
    assert found.differences == 0
    assert found.certificates_checked == sum(len(c.certificates) for c in world.citizens)
    world.context.engine.dispose()


class _Killed(BaseException):
    """Stands for a kill -9 of the process where it is raised."""


def _issue_unanchored(world: WalletWorld, count: int, *, seed: int) -> list[str]:
    rng = random.Random(seed)
    numbers = [f"S{seed:03d}{i:05d}" for i in range(count)]
    rows = [InputRow(line=i + 2, number=n, claims=pension_claims(rng, n)) for i, n in enumerate(numbers)]
    context = world.context
    assert context.issuance().issue(rows, context.catalog.find("pension-qualification")).issued == count
    return numbers


def _killed_while_sending(
    world: WalletWorld, monkeypatch: pytest.MonkeyPatch, *, after_the_send: bool
) -> list[Anchored]:
    """Runs a worker step that is killed in its send: after the chain took the anchor, or before
    it went out. Returns the anchors that went out."""
    worker = world.context.worker()
    anchor = worker.ledger.anchor
    sent: list[Anchored] = []

    def killed(*args: Any, **options: Any) -> Anchored:
        if after_the_send:
            sent.append(anchor(*args, **options))
        raise _Killed

    monkeypatch.setattr(worker.ledger, "anchor", killed)
    with pytest.raises(_Killed):
        worker.step(flush=True)
    return sent


def _sending_batch(world: WalletWorld, number: str) -> tuple[str, bytes]:
    batch_id, root = _batch_of(world, number)
    with world.context.engine.connect() as connection:
        state = connection.execute(sa.select(batches.c.state).where(batches.c.id == batch_id)).scalar_one()
    assert state == "sending"
    return batch_id, root


def _fixed(world: WalletWorld) -> FixedClock:
    clock = world.context.clock
    assert isinstance(clock, FixedClock)
    return clock


def _verdicts(world: WalletWorld, numbers: list[str]) -> set[Verdict]:
    context = world.context
    return {
        context.verifier.verify(context.certificates.by_number(n).certificate.to_json()).verdict
        for n in numbers
    }


def test_a_batch_anchored_by_a_killed_worker_is_found_and_recorded(
    office: WalletWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    world, context = office, office.context
    numbers = _issue_unanchored(world, 4, seed=5)
    [sent] = _killed_while_sending(world, monkeypatch, after_the_send=True)
    batch_id, root = _sending_batch(world, numbers[0])
    reconciler = Reconciler(context.engine, context.chain_index, clock=context.clock)
    # While the killed worker's lease runs, the batch is a worker's business.
    assert reconciler.run().clean
    _fixed(world).advance(timedelta(seconds=context.settings.worker_lease + 1))

    found = reconciler.run()
    assert [(d.kind, d.subject, d.repaired) for d in found.differences] == [
        ("batch_sent_unrecorded", "0x" + root.hex(), False)
    ]
    [difference] = found.differences
    assert difference.detail == (
        f"the chain has this root anchored as batch {sent.batch_id} in block {sent.receipt.block_number}; "
        "the database has its 4 certificates still sending, and no anchoring worker holds a lease: "
        "--repair records it anchored"
    )
    assert found.counts["batch_sent_unrecorded"] == 1 and sum(found.counts.values()) == 1

    repaired = reconciler.run(repair=True)
    assert [(d.kind, d.repaired) for d in repaired.differences] == [("batch_sent_unrecorded", True)]
    with context.engine.connect() as connection:
        recorded = connection.execute(
            sa.select(
                batches.c.state, batches.c.chain_batch_id, batches.c.block_number, batches.c.transaction_hash
            ).where(batches.c.id == batch_id)
        ).one()
    assert tuple(recorded) == (
        "anchored",
        sent.batch_id,
        sent.receipt.block_number,
        sent.receipt.transaction_hash,
    )
    assert _verdicts(world, numbers) == {Verdict.VALID}
    again = reconciler.run()
    assert again.clean, again.differences
    assert context.chain.ledger().batch_count() == sent.batch_id  # anchored once, nothing sent since


def test_a_batch_a_killed_worker_never_sent_is_found_and_sent_again(
    office: WalletWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    world, context = office, office.context
    numbers = _issue_unanchored(world, 3, seed=6)
    assert _killed_while_sending(world, monkeypatch, after_the_send=False) == []
    batch_id, root = _sending_batch(world, numbers[0])
    clock = _fixed(world)
    clock.advance(timedelta(seconds=context.settings.worker_lease + 1))
    # Another worker (of another key) holds a lease: a young batch is still left to the workers,
    # one sending for longer than `stuck_after` is not.
    assert acquire_lease(context.engine, "anchoring:elsewhere", "elsewhere", seconds=3600, now=clock())
    reconciler = Reconciler(context.engine, context.chain_index, clock=context.clock, stuck_after=600)
    assert reconciler.run().clean
    clock.advance(timedelta(seconds=600))

    found = reconciler.run(repair=True)  # no issuer key given: it cannot be sent from here
    assert [(d.kind, d.subject, d.repaired) for d in found.differences] == [
        ("batch_stuck_sending", "0x" + root.hex(), False)
    ]
    assert found.differences[0].detail == (
        "the database has this batch of 3 certificates sending, the chain does not have its root, and "
        "it has been sending for 631 s (longer than 600 s): --repair sends it with the issuer key, "
        "or start `certledger worker`"
    )
    assert context.chain.ledger().batch(root) is None

    ledger = context.chain.ledger()
    before = ledger.batch_count()
    repairing = Reconciler(
        context.engine, context.chain_index, clock=context.clock, stuck_after=600, anchoring=context.worker
    )
    repaired = repairing.run(repair=True)
    assert [(d.kind, d.repaired) for d in repaired.differences] == [("batch_stuck_sending", True)]
    assert ledger.batch_count() == before + 1
    on_chain = ledger.batch(root)
    assert on_chain is not None and on_chain.count == 3
    with context.engine.connect() as connection:
        state, chain_batch_id = connection.execute(
            sa.select(batches.c.state, batches.c.chain_batch_id).where(batches.c.id == batch_id)
        ).one()
    assert (state, chain_batch_id) == ("anchored", on_chain.batch_id)
    assert _verdicts(world, numbers) == {Verdict.VALID}
    again = repairing.run(repair=True)
    assert again.clean, again.differences
    assert ledger.batch_count() == before + 1


def _ids_of(world: WalletWorld, numbers: list[str]) -> list[str]:
    with world.context.engine.connect() as connection:
        found = dict(
            connection.execute(
                sa.select(certificates.c.certificate_no, certificates.c.id).where(
                    certificates.c.certificate_no.in_(numbers)
                )
            ).all()
        )
    return [found[number] for number in numbers]


def _stored_statuses(world: WalletWorld, ids: list[str]) -> list[tuple[str, int | None]]:
    with world.context.engine.connect() as connection:
        found = {
            row[0]: (row[1], row[2])
            for row in connection.execute(
                sa.select(certificates.c.id, certificates.c.status, certificates.c.status_reason).where(
                    certificates.c.id.in_(ids)
                )
            )
        }
    return [found[certificate_id] for certificate_id in ids]


def test_a_status_changed_behind_the_chains_back_is_found_and_the_chains_status_recorded(
    office: WalletWorld,
) -> None:
    world, context = office, office.context
    numbers = _issue_pensions(world, 4, seed=4)
    statuses = context.statuses()
    assert statuses.change(numbers[:1], "revoke", Reason.FRAUD).changed == numbers[:1]
    assert statuses.change(numbers[1:2], "suspend", Reason.UNDER_REVIEW).changed == numbers[1:2]
    assert statuses.change(numbers[3:4], "revoke", Reason.SUPERSEDED).changed == numbers[3:4]
    ids = _ids_of(world, numbers)
    assert Reconciler(context.engine, context.chain_index).run().clean
    with context.engine.begin() as connection:
        for certificate_id, status in zip(ids, ["valid", "revoked", "revoked", "superseded"], strict=True):
            connection.execute(
                sa.update(certificates).where(certificates.c.id == certificate_id).values(status=status)
            )

    found = Reconciler(context.engine, context.chain_index).run()
    # A superseded revision revoked on chain (its revocation on record) is no difference.
    assert sorted((d.kind, d.subject, d.repaired) for d in found.differences) == [
        ("status_mismatch", certificate_id, False) for certificate_id in sorted(ids[:3])
    ]
    details = {d.subject: d.detail.split(" (leaf")[0] for d in found.differences}
    assert details == {
        ids[0]: "the database has it valid, the chain revoked",
        ids[1]: "the database has it revoked, the chain suspended",
        ids[2]: "the database has it revoked, the chain valid",
    }
    assert found.counts["status_mismatch"] == 3 and found.repaired == 0

    repaired = Reconciler(context.engine, context.chain_index).run(repair=True)
    assert sorted((d.kind, d.subject, d.repaired) for d in repaired.differences) == [
        ("status_mismatch", certificate_id, True) for certificate_id in sorted(ids[:3])
    ]
    assert repaired.repaired == 3
    assert _stored_statuses(world, ids) == [
        ("revoked", int(Reason.FRAUD)),
        ("suspended", int(Reason.UNDER_REVIEW)),
        ("valid", None),
        ("superseded", int(Reason.SUPERSEDED)),
    ]
    assert Reconciler(context.engine, context.chain_index).run().clean
