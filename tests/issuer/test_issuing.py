"""Issuing: stored once, encrypted, idempotent by number, refused when changed; on both databases."""

from __future__ import annotations

import copy
import random

import sqlalchemy as sa
from sqlmodel import SQLModel
from web3 import Web3

from issuer import InputRow, Rejection, anchor_outbox, certificates, citizens, data_keys
from tests.issuing import IssuingWorld, pension_claims


def _count(world: IssuingWorld, table: sa.Table) -> int:
    with world.engine.connect() as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def test_issued_certificates_are_stored_encrypted_with_an_outbox_row(issuing: IssuingWorld) -> None:
    pension = issuing.catalog.find("pension-qualification")
    rows = issuing.rows("pension-qualification", 5)
    report = issuing.issuance().issue(rows, pension)
    assert (report.read, report.issued, report.already_issued, report.refused) == (5, 5, 0, 0)
    assert _count(issuing, certificates) == 5
    assert _count(issuing, anchor_outbox) == 5
    assert _count(issuing, citizens) == 5
    stored = issuing.store().by_number(rows[0].number)
    certificate = stored.certificate
    assert dict(certificate.claims) == rows[0].claims
    assert certificate.computed_root() == certificate.root
    assert certificate.anchor is None  # not anchored yet
    assert (certificate.header.type_id, certificate.header.version, certificate.header.office_id) == (2, 1, 1)
    assert len(certificate.decoys) == len(pension.fields) - len(rows[0].claims)


def test_rerunning_the_same_input_issues_nothing_new(issuing: IssuingWorld) -> None:
    pension = issuing.catalog.find("pension-qualification")
    rows = issuing.rows("pension-qualification", 4)
    issuing.issuance().issue(rows, pension)
    roots_before = _roots(issuing)
    again = issuing.issuance().issue(copy.deepcopy(rows), pension)
    assert (again.issued, again.already_issued, again.refused) == (0, 4, 0)
    assert _roots(issuing) == roots_before
    assert _count(issuing, anchor_outbox) == 4


def _roots(world: IssuingWorld) -> dict[str, bytes]:
    with world.engine.connect() as connection:
        return dict(
            connection.execute(sa.select(certificates.c.certificate_no, certificates.c.document_root)).all()
        )


def test_a_changed_row_for_an_issued_number_is_refused_not_reissued(issuing: IssuingWorld) -> None:
    pension = issuing.catalog.find("pension-qualification")
    rows = issuing.rows("pension-qualification", 3)
    issuing.issuance().issue(rows, pension)
    changed = copy.deepcopy(rows[1].claims)
    changed["authentication_method"] = "home_visit"
    report = issuing.issuance().issue([InputRow(9, rows[1].number, changed), rows[2]], pension)
    assert report.issued == 0
    assert report.already_issued == 1
    assert report.rejected == [
        Rejection(
            9,
            rows[1].number,
            "certificate number already issued with different content; "
            "revoke it and issue a new number instead of changing it",
        )
    ]
    assert dict(issuing.store().by_number(rows[1].number).certificate.claims) == rows[1].claims


def test_duplicates_within_one_file(issuing: IssuingWorld) -> None:
    pension = issuing.catalog.find("pension-qualification")
    (row,) = issuing.rows("pension-qualification", 1)
    changed = copy.deepcopy(row.claims) | {"benefit_type": "urban_rural_resident"}
    report = issuing.issuance().issue(
        [row, InputRow(3, row.number, copy.deepcopy(row.claims)), InputRow(4, row.number, changed)],
        pension,
        chunk_size=2,
    )
    assert (report.issued, report.already_issued) == (1, 1)
    assert [(r.line, r.number) for r in report.rejected] == [(4, row.number)]
    assert _count(issuing, certificates) == 1


def test_rejected_rows_write_nothing_and_good_rows_go_on(issuing: IssuingWorld) -> None:
    pension = issuing.catalog.find("pension-qualification")
    rows = issuing.rows("pension-qualification", 2)
    refused = Rejection(
        3, "BAD000001", "holder_id: the check character is 1, GB 11643 gives X (110*************21)"
    )
    report = issuing.issuance().issue([rows[0], refused, rows[1]], pension)
    assert report.issued == 2
    assert report.rejected == [refused]
    with issuing.engine.connect() as connection:
        numbers = set(connection.execute(sa.select(certificates.c.certificate_no)).scalars())
    assert numbers == {rows[0].number, rows[1].number}


def test_one_citizen_one_data_key_for_all_their_certificates(issuing: IssuingWorld) -> None:
    pension = issuing.catalog.find("pension-qualification")
    rng = random.Random(3)
    holder = pension_claims(rng, "ZG0000001")["holder_id"]
    rows = [
        InputRow(i, f"ZG000000{i}", pension_claims(rng, f"ZG000000{i}", holder_id=holder))
        for i in range(1, 4)
    ]
    issuing.issuance().issue(rows, pension)
    assert _count(issuing, citizens) == 1
    assert _count(issuing, data_keys) == 1
    holders = {issuing.store().by_number(row.number).citizen_id for row in rows}
    assert len(holders) == 1


def test_identity_numbers_and_names_are_nowhere_in_the_clear(issuing: IssuingWorld) -> None:
    pension = issuing.catalog.find("pension-qualification")
    rows = issuing.rows("pension-qualification", 3)
    issuing.issuance().issue(rows, pension)
    secrets = [row.claims["holder_id"].encode() for row in rows] + [
        row.claims["holder_name"].encode() for row in rows
    ]
    with issuing.engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            for record in connection.execute(sa.select(table)).all():
                blob = b"|".join(
                    value if isinstance(value, bytes) else str(value).encode() for value in record
                )
                assert not any(secret in blob for secret in secrets), table.name


def test_the_holder_binding_comes_from_the_citizen_wallet(issuing: IssuingWorld) -> None:
    pension = issuing.catalog.find("pension-qualification")
    first, second = issuing.rows("pension-qualification", 2)
    issuing.issuance().issue([first], pension)
    citizen_id = issuing.store().by_number(first.number).citizen_id
    wallet = Web3.to_checksum_address("0x" + "ab" * 20)
    with issuing.engine.begin() as connection:
        connection.execute(
            sa.update(citizens).where(citizens.c.id == citizen_id).values(wallet_address=wallet)
        )
    same_holder = InputRow(
        5,
        "ZG-WALLET-01",
        pension_claims(random.Random(1), "ZG-WALLET-01", holder_id=first.claims["holder_id"]),
    )
    issuing.issuance().issue([same_holder, second], pension)
    assert issuing.store().by_number("ZG-WALLET-01").certificate.header.holder == wallet
    assert issuing.store().by_number(second.number).certificate.header.holder is None


def test_a_row_that_cannot_be_canonicalized_is_refused_alone(issuing: IssuingWorld) -> None:
    pension = issuing.catalog.find("pension-qualification")
    good, bad = issuing.rows("pension-qualification", 2)
    bad.claims["holder_name"] = "王\ud800"  # a lone surrogate, escaped in JSON as \ud800
    report = issuing.issuance().issue([bad, good], pension)
    assert report.issued == 1
    assert report.rejected == [
        Rejection(
            bad.line,
            bad.number,
            "cannot be hashed as canonical JSON: a string holds a lone surrogate, which is not Unicode text",
        )
    ]


def test_rejections_are_told_as_each_chunk_is_done(issuing: IssuingWorld) -> None:
    pension = issuing.catalog.find("pension-qualification")
    rows = issuing.rows("pension-qualification", 4)
    issuing.issuance().issue(rows[:1], pension)
    changed = copy.deepcopy(rows[0].claims)
    changed["authentication_method"] = "home_visit"
    intake = Rejection(3, "YL-BAD", "holder_id: not an identity number")
    told: list[tuple[Rejection, int]] = []
    issued_so_far: list[int] = []
    report = issuing.issuance().issue(
        [rows[1], InputRow(2, rows[0].number, changed), intake, rows[2], rows[3]],
        pension,
        chunk_size=2,
        progress=lambda _count: issued_so_far.append(1),
        on_rejection=lambda rejection: told.append((rejection, len(issued_so_far))),
    )
    # Each refusal once, in order, before the progress of its own chunk: live, not at the end.
    assert [rejection for rejection, _ in told] == report.rejected
    assert [rejection.line for rejection in report.rejected] == [2, 3]
    assert [chunks_done for _, chunks_done in told] == [0, 1]
    assert report.issued == 3
