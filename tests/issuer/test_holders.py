"""Binding certificates to a wallet key: a new revision is anchored, the old one revoked."""

from __future__ import annotations

import sqlalchemy as sa
from eth_account import Account

from issuer import HolderBinding, Reason, certificates, status_changes
from ledger import CertificateStatus
from tests.issuing import IssuingWorld


def _binding(issuing: IssuingWorld) -> HolderBinding:
    return HolderBinding(
        issuing.engine,
        issuing.safe,
        issuing.hasher,
        field_counts=lambda type_id, version: len(issuing.catalog.get(type_id, version).fields),
    )


def test_binding_reseals_anchors_and_supersedes(issuing: IssuingWorld) -> None:
    certificate_type = issuing.catalog.find("pension-qualification")
    rows = issuing.rows("pension-qualification", 3)
    issuing.issuance().issue(rows, certificate_type)
    issuing.worker().drain()
    store = issuing.store()
    first = store.by_number(rows[0].number)
    assert first.certificate.header.holder is None
    holder_id = rows[0].claims["holder_id"]
    wallet = Account.create()

    binding = _binding(issuing)
    citizen = binding.citizen(holder_id)
    assert citizen.id == first.citizen_id
    report = binding.bind(citizen.id, wallet.address)
    assert report.rebound == [rows[0].number]
    assert binding.bind(citizen.id, wallet.address).rebound == []  # idempotent

    outcome = issuing.worker().drain()
    assert (outcome.pending, outcome.sending, outcome.unsettled) == (0, 0, 0)
    current = store.by_number(rows[0].number)
    assert current.id != first.id
    assert current.certificate.header.holder == wallet.address
    assert current.certificate.claims == first.certificate.claims
    assert current.certificate.header.issued == first.certificate.header.issued
    assert current.certificate.root != first.certificate.root
    assert current.certificate.anchor is not None
    old_anchor = first.certificate.anchor
    assert old_anchor is not None
    assert issuing.ledger.status_of(old_anchor.batch_root, old_anchor.index) is CertificateStatus.REVOKED
    new_anchor = current.certificate.anchor
    assert issuing.ledger.status_of(new_anchor.batch_root, new_anchor.index) is CertificateStatus.VALID
    with issuing.engine.connect() as connection:
        revisions = connection.execute(
            sa.select(certificates.c.revision, certificates.c.status, certificates.c.status_reason)
            .where(certificates.c.certificate_no == rows[0].number)
            .order_by(certificates.c.revision)
        ).all()
        changes = connection.execute(
            sa.select(status_changes.c.action, status_changes.c.reason).where(
                status_changes.c.certificate_id == first.id
            )
        ).all()
    assert revisions == [(1, "superseded", int(Reason.SUPERSEDED)), (2, "valid", None)]
    assert changes == [("revoke", int(Reason.SUPERSEDED))]
    # The other citizens' certificates are untouched.
    assert store.by_number(rows[1].number).certificate.header.holder is None


def test_a_rebind_before_anchoring_anchors_both_and_revokes_the_first(issuing: IssuingWorld) -> None:
    certificate_type = issuing.catalog.find("pension-qualification")
    rows = issuing.rows("pension-qualification", 1, seed=8)
    issuing.issuance().issue(rows, certificate_type)
    binding = _binding(issuing)
    citizen = binding.citizen(rows[0].claims["holder_id"])
    assert binding.bind(citizen.id, Account.create().address).rebound == [rows[0].number]
    outcome = issuing.worker().drain()
    assert (outcome.pending, outcome.unsettled) == (0, 0)
    assert issuing.statuses().unsettled() == 0


def test_revoked_and_suspended_certificates_are_not_rebound(issuing: IssuingWorld) -> None:
    certificate_type = issuing.catalog.find("pension-qualification")
    rng_rows = issuing.rows("pension-qualification", 2, seed=9)
    same = rng_rows[0].claims["holder_id"]
    rng_rows[1].claims["holder_id"] = same
    issuing.issuance().issue(rng_rows, certificate_type)
    issuing.worker().drain()
    statuses = issuing.statuses()
    statuses.change([rng_rows[0].number], "revoke", Reason.FRAUD)
    statuses.change([rng_rows[1].number], "suspend", Reason.UNDER_REVIEW)
    binding = _binding(issuing)
    report = binding.bind(binding.citizen(same).id, Account.create().address)
    assert report.rebound == []
    assert sorted(report.skipped) == sorted(
        [(rng_rows[0].number, "it is revoked"), (rng_rows[1].number, "it is suspended")]
    )
    # Reinstated, the certificate is bound when binding runs again.
    statuses.change([rng_rows[1].number], "reinstate", Reason.REVIEW_CLEARED)
    address = Account.create().address
    assert binding.bind(binding.citizen(same).id, address).rebound == [rng_rows[1].number]


def test_status_changes_by_number_reach_the_current_revision(issuing: IssuingWorld) -> None:
    certificate_type = issuing.catalog.find("pension-qualification")
    rows = issuing.rows("pension-qualification", 1, seed=10)
    issuing.issuance().issue(rows, certificate_type)
    issuing.worker().drain()
    binding = _binding(issuing)
    binding.bind(binding.citizen(rows[0].claims["holder_id"]).id, Account.create().address)
    issuing.worker().drain()
    report = issuing.statuses().change([rows[0].number], "revoke", Reason.ISSUED_IN_ERROR)
    assert report.changed == [rows[0].number]
    current = issuing.store().by_number(rows[0].number)
    anchor = current.certificate.anchor
    assert anchor is not None
    assert current.status == "revoked"
    assert issuing.ledger.status_of(anchor.batch_root, anchor.index) is CertificateStatus.REVOKED
    # Issuing the same row again is still "already issued", not a conflict with revision 2.
    again = issuing.issuance().issue(rows, certificate_type)
    assert (again.issued, again.already_issued, again.refused) == (0, 1, 0)
