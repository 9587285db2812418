"""Anchoring and certificate status: the refusals, the permanence rules and the events."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from ledger import BatchTree, CertificateStatus, ContractRevertError, Reason
from tests.world import OFFICE_A, TYPE_CONTRIBUTION, World


def refusal(error: ContractRevertError) -> tuple[str, dict[str, object]]:
    return error.error, error.arguments


def test_anchor_records_the_batch_and_emits_its_fields(fresh: World) -> None:
    office = fresh.ledger("office_key")
    before = office.batch_count()
    root, metadata = os.urandom(32), os.urandom(32)
    at = fresh.pin_next_block()
    anchored = office.anchor(root, count=1000, type_id=TYPE_CONTRIBUTION, metadata_hash=metadata)

    assert anchored.batch_id == before + 1
    batch = office.batch(root)
    assert batch is not None
    assert (batch.batch_id, batch.count, batch.type_id, batch.office_id) == (before + 1, 1000, 1, OFFICE_A)
    assert batch.anchored_at == at
    assert batch.anchored_block == anchored.receipt.block_number
    key = office.key_info(fresh.address("office_key"))
    assert key is not None
    assert batch.key_id == key.key_id
    (event,) = office.receipt_events(anchored.receipt)
    assert event.name == "BatchAnchored"
    assert dict(event.args) == {
        "root": root,
        "officeId": OFFICE_A,
        "batchId": before + 1,
        "typeId": TYPE_CONTRIBUTION,
        "count": 1000,
        "metadataHash": metadata,
        "key": fresh.address("office_key"),
    }


def test_batch_ids_are_sequential(fresh: World) -> None:
    office = fresh.ledger("office_key")
    first = office.batch_count() + 1
    ids = [office.anchor(os.urandom(32), count=1, type_id=1).batch_id for _ in range(3)]
    assert ids == [first, first + 1, first + 2]


def test_zero_root_empty_batch_and_duplicate_root_are_refused(fresh: World) -> None:
    office = fresh.ledger("office_key")
    with pytest.raises(ContractRevertError) as refused:
        office.anchor(bytes(32), count=1, type_id=1)
    assert refusal(refused.value) == ("CertificateLedgerZeroRoot", {})
    with pytest.raises(ContractRevertError) as refused:
        office.anchor(os.urandom(32), count=0, type_id=1)
    assert refusal(refused.value) == ("CertificateLedgerEmptyBatch", {})
    batch = office.batch(fresh.root)
    assert batch is not None
    with pytest.raises(ContractRevertError) as refused:
        office.anchor(fresh.root, count=8, type_id=1)
    assert refusal(refused.value) == (
        "CertificateLedgerDuplicateRoot",
        {"root": fresh.root, "batchId": batch.batch_id},
    )


def test_a_resent_anchor_is_a_duplicate_even_after_its_key_was_retired(fresh: World) -> None:
    # The retired key anchored nothing, but the rule is order: duplicate before authorization.
    with pytest.raises(ContractRevertError) as refused:
        fresh.ledger("retired_key").anchor(fresh.root, count=8, type_id=1)
    assert refused.value.error == "CertificateLedgerDuplicateRoot"


def test_unknown_batch_and_out_of_range_index(fresh: World) -> None:
    office = fresh.ledger("office_key")
    unknown = os.urandom(32)
    for call in (
        lambda: office.revoke(unknown, [0], reason=1),
        lambda: office.status_of(unknown, 0),
    ):
        with pytest.raises(ContractRevertError) as refused:
            call()
        assert refusal(refused.value) == ("CertificateLedgerUnknownBatch", {"root": unknown})
    for call in (
        lambda: office.revoke(fresh.root, [3, 8], reason=1),
        lambda: office.suspend(fresh.root, [8], reason=1),
        lambda: office.status_of(fresh.root, 8),
    ):
        with pytest.raises(ContractRevertError) as refused:
            call()
        assert refusal(refused.value) == (
            "CertificateLedgerIndexOutOfRange",
            {"root": fresh.root, "index": 8, "count": 8},
        )
    assert office.batch(unknown) is None


def test_status_changes_need_ascending_indexes_and_at_least_one(fresh: World) -> None:
    office = fresh.ledger("office_key")
    for indexes, expected in (
        ([], ("CertificateLedgerNoIndexes", {})),
        ([4, 3], ("CertificateLedgerIndexesNotAscending", {"previous": 4, "index": 3})),
        ([3, 3], ("CertificateLedgerIndexesNotAscending", {"previous": 3, "index": 3})),
    ):
        with pytest.raises(ContractRevertError) as refused:
            office._transact("revoke", fresh.root, indexes, 1)
        assert refusal(refused.value) == expected


def test_revocation_is_permanent(fresh: World) -> None:
    office = fresh.ledger("office_key")
    office.revoke(fresh.root, [0, 2], reason=4)  # 2 was suspended: revocation overrides it
    assert office.statuses_of([(fresh.root, i) for i in range(4)]) == [
        CertificateStatus.REVOKED,
        CertificateStatus.VALID,
        CertificateStatus.REVOKED,
        CertificateStatus.VALID,
    ]
    revoked_changes: list[Callable[[], object]] = [
        lambda: office.revoke(fresh.root, [0], reason=4),
        lambda: office.suspend(fresh.root, [0], reason=4),
        lambda: office.reinstate(fresh.root, [0], reason=4),
        lambda: fresh.ledger("governor").reinstate(fresh.root, [2], reason=4),
    ]
    for call in revoked_changes:
        with pytest.raises(ContractRevertError) as refused:
            call()
        assert refused.value.error == "CertificateLedgerRevoked"
    assert office.status_of(fresh.root, 0) is CertificateStatus.REVOKED


def test_suspension_is_reversible(fresh: World) -> None:
    office = fresh.ledger("office_key")
    assert office.status_of(fresh.root, 2) is CertificateStatus.SUSPENDED
    with pytest.raises(ContractRevertError) as refused:
        office.suspend(fresh.root, [2], reason=1)
    assert refusal(refused.value) == ("CertificateLedgerAlreadySuspended", {"root": fresh.root, "index": 2})
    office.reinstate(fresh.root, [2], reason=1)
    assert office.status_of(fresh.root, 2) is CertificateStatus.VALID
    with pytest.raises(ContractRevertError) as refused:
        office.reinstate(fresh.root, [2], reason=1)
    assert refusal(refused.value) == ("CertificateLedgerNotSuspended", {"root": fresh.root, "index": 2})
    office.suspend(fresh.root, [2, 3], reason=1)
    assert office.statuses_of([(fresh.root, 2), (fresh.root, 3)]) == [CertificateStatus.SUSPENDED] * 2


def test_a_refused_change_changes_nothing(fresh: World) -> None:
    office = fresh.ledger("office_key")
    with pytest.raises(ContractRevertError):
        office.suspend(fresh.root, [1, 2], reason=1)  # 2 is already suspended
    assert office.status_of(fresh.root, 1) is CertificateStatus.VALID


def test_status_events_carry_packed_indexes_reason_and_author(fresh: World) -> None:
    office = fresh.ledger("office_key")
    batch = office.batch(fresh.root)
    assert batch is not None
    receipt = office.revoke(fresh.root, [1, 6, 7], reason=int(Reason.COURT_ORDER))
    (event,) = office.receipt_events(receipt)
    assert event.name == "CertificatesRevoked"
    assert dict(event.args) == {
        "root": fresh.root,
        "reason": int(Reason.COURT_ORDER),
        "batchId": batch.batch_id,
        "indexes": b"".join(i.to_bytes(4, "big") for i in (1, 6, 7)),
        "by": fresh.address("office_key"),
    }


def test_a_large_batch_keeps_bits_apart_across_words(fresh: World) -> None:
    office = fresh.ledger("office_key")
    root = os.urandom(32)
    office.anchor(root, count=1000, type_id=1)
    touched = [0, 255, 256, 511, 512, 999]
    office.revoke(root, touched, reason=1)
    office.suspend(root, [254, 257], reason=1)
    probe = [*touched, 1, 253, 254, 257, 258, 998]
    statuses = office.statuses_of([(root, i) for i in probe])
    expected = {i: CertificateStatus.REVOKED for i in touched} | {
        254: CertificateStatus.SUSPENDED,
        257: CertificateStatus.SUSPENDED,
    }
    assert statuses == [expected.get(i, CertificateStatus.VALID) for i in probe]


def test_statuses_of_refuses_mismatched_lengths(fresh: World) -> None:
    with pytest.raises(ContractRevertError) as refused:
        fresh.ledger()._call("statusesOf", [fresh.root], [0, 1])
    assert refusal(refused.value) == ("CertificateLedgerLengthMismatch", {"roots": 1, "indexes": 2})


def test_verify_inclusion_accepts_exactly_the_anchored_leaves(fresh: World) -> None:
    ledger = fresh.ledger()
    batch = ledger.batch(fresh.root)
    assert batch is not None
    for index, document_root in enumerate(fresh.document_roots):
        proof = fresh.tree.proof(index)
        assert ledger.verify_inclusion(document_root, index, proof, batch.batch_id)
        assert not ledger.verify_inclusion(document_root, index, proof, batch.batch_id + 1)
    other = BatchTree.build([os.urandom(32)])
    assert not ledger.verify_inclusion(other.levels[0][0], 0, [], batch.batch_id)
