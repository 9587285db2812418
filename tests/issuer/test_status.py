"""Revoking, suspending and reinstating: one transaction per batch, idempotent, crash-safe."""

from __future__ import annotations

import sqlalchemy as sa

from issuer import Reason, certificates, status_changes
from ledger import CertificateStatus
from tests.issuing import IssuingWorld


def _issue_and_anchor(world: IssuingWorld, count: int, batch_size: int) -> list[str]:
    rows = world.rows("pension-qualification", count)
    world.issuance().issue(rows, world.catalog.find("pension-qualification"))
    world.worker(batch_size=batch_size).drain()
    return [row.number for row in rows]


def _chain_status(world: IssuingWorld, number: str) -> CertificateStatus:
    anchor = world.store().by_number(number).certificate.anchor
    assert anchor is not None
    return world.ledger.status_of(anchor.batch_root, anchor.index)


def _db_status(world: IssuingWorld, number: str) -> tuple[str, int | None]:
    with world.engine.connect() as connection:
        status, reason = connection.execute(
            sa.select(certificates.c.status, certificates.c.status_reason).where(
                certificates.c.certificate_no == number
            )
        ).one()
    return str(status), reason


def test_one_transaction_per_batch_touched(issuing: IssuingWorld) -> None:
    numbers = _issue_and_anchor(issuing, 6, batch_size=3)  # two batches of three
    report = issuing.statuses().change([numbers[0], numbers[2], numbers[4]], "revoke", Reason.FRAUD)
    assert sorted(report.changed) == sorted([numbers[0], numbers[2], numbers[4]])
    assert len(report.transactions) == 2
    for number in numbers:
        expected = CertificateStatus.REVOKED if number in report.changed else CertificateStatus.VALID
        assert _chain_status(issuing, number) == expected
    assert _db_status(issuing, numbers[0]) == ("revoked", int(Reason.FRAUD))
    assert _db_status(issuing, numbers[1]) == ("valid", None)


def test_running_it_again_sends_nothing(issuing: IssuingWorld) -> None:
    numbers = _issue_and_anchor(issuing, 2, batch_size=5)
    issuing.statuses().change(numbers, "suspend", Reason.UNDER_REVIEW)
    again = issuing.statuses().change(numbers, "suspend", Reason.UNDER_REVIEW)
    assert (again.changed, sorted(again.unchanged), again.transactions) == ([], sorted(numbers), [])


def test_a_change_that_reached_the_chain_but_not_the_database_is_caught_up(issuing: IssuingWorld) -> None:
    numbers = _issue_and_anchor(issuing, 3, batch_size=5)
    anchor = issuing.store().by_number(numbers[1]).certificate.anchor
    assert anchor is not None
    issuing.ledger.revoke(anchor.batch_root, [anchor.index], reason=int(Reason.SUPERSEDED))  # then a crash
    assert _db_status(issuing, numbers[1]) == ("valid", None)
    report = issuing.statuses().change([numbers[1]], "revoke", Reason.SUPERSEDED)
    assert (report.changed, report.unchanged, report.transactions) == ([], [numbers[1]], [])
    assert _db_status(issuing, numbers[1]) == ("revoked", int(Reason.SUPERSEDED))


def test_suspend_then_reinstate_and_what_cannot_be_done(issuing: IssuingWorld) -> None:
    numbers = _issue_and_anchor(issuing, 3, batch_size=5)
    statuses = issuing.statuses()
    statuses.change([numbers[0]], "suspend", Reason.UNDER_REVIEW)
    assert _chain_status(issuing, numbers[0]) == CertificateStatus.SUSPENDED
    report = statuses.change([numbers[0], numbers[1]], "reinstate", Reason.REVIEW_CLEARED)
    assert report.changed == [numbers[0]]
    assert report.refused == [(numbers[1], "it is valid, so it cannot be reinstated")]
    assert _chain_status(issuing, numbers[0]) == CertificateStatus.VALID
    statuses.change([numbers[2]], "revoke", Reason.ISSUED_IN_ERROR)
    refused = statuses.change([numbers[2]], "suspend", Reason.UNDER_REVIEW).refused
    assert refused == [(numbers[2], "it is revoked, so it cannot be suspended")]
    with issuing.engine.connect() as connection:
        actions = (
            connection.execute(sa.select(status_changes.c.action).order_by(status_changes.c.created_at))
            .scalars()
            .all()
        )
    assert actions == ["suspend", "reinstate", "revoke"]


def test_unknown_and_unanchored_certificates_are_refused(issuing: IssuingWorld) -> None:
    rows = issuing.rows("pension-qualification", 1, prefix="WAIT")
    issuing.issuance().issue(rows, issuing.catalog.find("pension-qualification"))
    report = issuing.statuses().change([rows[0].number, "NOPE00001"], "revoke", Reason.OTHER)
    assert report.refused == [
        (rows[0].number, "not anchored yet; try again once its batch is on chain"),
        ("NOPE00001", "no certificate has this number"),
    ]


def test_reason_codes_parse_from_labels_and_numbers() -> None:
    assert Reason.parse("issued-in-error") is Reason.ISSUED_IN_ERROR
    assert Reason.parse("12") is Reason.COURT_ORDER
    assert Reason.KEY_COMPROMISE.label == "key-compromise"
