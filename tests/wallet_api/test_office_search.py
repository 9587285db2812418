"""The office finds a person's certificates from one search box: by the beginning of a number in
any case, by identity number through its keyed hash alone, by name within the office only — with
the holder masked — and offers, and accepts, only the reasons that fit each status change."""

from __future__ import annotations

import logging
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner
from web3 import Web3

from certledger.cli import app
from issuer import (
    InputRow,
    IssuanceService,
    Reason,
    ReasonMismatchError,
    certificates,
    erase_citizen,
    find_citizen,
    status_changes,
)
from ledger import mask
from ledger._identifiers import identity_check_character
from tests.issuing import pension_claims
from tests.wallet_api.conftest import DATABASES, WalletWorld, module_world
from wallet_api._certificate_desk import mask_name, read_query

NAME = "司马相如"
OTHER_OFFICE = 2


@dataclass(frozen=True)
class Person:
    """A holder the module issued certificates to."""

    identity_number: str
    numbers: list[str]


@dataclass(frozen=True)
class Cast:
    """Who holds what: two namesakes in office 1, a third in office 2, and a run of numbers."""

    namesake: Person
    second_namesake: Person
    elsewhere: Person
    run: list[str]  # SRCH-A…, all held by `namesake`


@pytest.fixture(scope="module", params=DATABASES)
def world(
    request: pytest.FixtureRequest, w3: Web3, chain: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WalletWorld]:
    """One populated service for the module, on SQLite and on PostgreSQL."""
    yield from module_world(request, w3, chain.rpc_url, tmp_path_factory)


def _identity(rng: random.Random, *, ending_x: bool = False) -> str:
    while True:
        first17 = f"371002{rng.randint(1960, 2000)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
        check = identity_check_character(first17)
        if not ending_x or check == "X":
            return first17 + check


def _issue(world: WalletWorld, office: int, holder: str, name: str, numbers: list[str]) -> Person:
    context = world.context
    pension = context.catalog.find("pension-qualification")
    rng = random.Random(holder)
    rows = []
    for line, number in enumerate(numbers, start=1):
        claims = pension_claims(rng, number, holder_id=holder)
        claims["holder_name"] = name
        rows.append(InputRow(line, number, claims))
    service = IssuanceService(
        context.engine, context.safe, context.hasher, office_id=office, clock=context.clock
    )
    report = service.issue(rows, pension)
    assert report.issued == len(numbers), report.rejected
    return Person(holder, numbers)


@pytest.fixture(scope="module")
def cast(world: WalletWorld) -> Cast:
    """The module's holders, issued and (office 1's) anchored."""
    rng = random.Random(15)
    run = ["SRCH-A0001", "SRCH-A0002", "SRCH-AZ003"]
    namesake = _issue(world, 1, _identity(rng, ending_x=True), NAME, [*run, "SRCH-B0001"])
    second = _issue(world, 1, _identity(rng), "司马 相如", ["SRCHN-0000001"])
    elsewhere = _issue(world, OTHER_OFFICE, _identity(rng), NAME, ["SRCHO-0000001"])
    world.anchor()
    return Cast(namesake, second, elsewhere, run)


def _search(world: WalletWorld, **query: Any) -> tuple[list[dict[str, Any]], str]:
    response = world.client.get(
        "/v1/office/certificates", params=query, headers=world.staff_headers("operator")
    )
    assert response.status_code == 200, response.text
    return response.json(), response.headers["X-More-Results"]


def _refused(world: WalletWorld, **query: Any) -> dict[str, Any]:
    response = world.client.get(
        "/v1/office/certificates", params=query, headers=world.staff_headers("operator")
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    return problem


# ------------------------------------------------------------------ by number


@pytest.mark.parametrize("query", ["srch-a", "SRCH-A", "Srch-A", "  srch-a "])
def test_a_number_prefix_finds_in_any_case_one_row_a_certificate(
    world: WalletWorld, cast: Cast, query: str
) -> None:
    hits, more = _search(world, q=query)
    assert [hit["number"] for hit in hits] == cast.run  # not SRCH-B0001, SRCHN-…, SRCHO-…
    assert more == "false"
    assert {hit["matchedBy"] for hit in hits} == {"number"}
    assert all(hit["revision"] == 1 and hit["anchored"] and hit["status"] == "valid" for hit in hits)
    assert hits[0]["identityNumber"] == mask(cast.namesake.identity_number)
    assert hits[0]["holderName"] == "司**如"
    assert cast.namesake.identity_number not in str(hits) and NAME not in str(hits)


def test_the_range_ends_where_the_prefix_ends(world: WalletWorld, cast: Cast) -> None:
    assert [hit["number"] for hit in _search(world, q="srch-az")[0]] == ["SRCH-AZ003"]
    assert [hit["number"] for hit in _search(world, q="SRCH-")[0]] == [*cast.run, "SRCH-B0001"]
    assert _search(world, q="srch-a0001")[0][0]["number"] == "SRCH-A0001"  # a whole number
    assert _search(world, q="SRCH-A00011")[0] == []
    assert _search(world, number="srch-a")[0] == _search(world, q="srch-a", by="number")[0]


def test_the_range_is_exact_where_the_database_collates_by_locale(
    world: WalletWorld, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A locale that skips '-' would miss numbers in a plain range: there it compares as C."""
    desk = world.client.app.state.services.certificates  # type: ignore[attr-defined]
    assert desk._bytewise is True  # SQLite; PostgreSQL in the suite's C.UTF-8 database
    if world.context.reader.dialect.name == "sqlite":
        pytest.skip("SQLite compares bytes (BINARY) whatever the locale")
    monkeypatch.setitem(desk.__dict__, "_bytewise", False)
    assert [hit["number"] for hit in _search(world, q="srch-a")[0]] == cast.run
    assert [hit["number"] for hit in _search(world, q="SRCH-")[0]] == [*cast.run, "SRCH-B0001"]


def test_more_than_the_limit_says_so(world: WalletWorld, cast: Cast) -> None:
    hits, more = _search(world, q="srch-a", limit=2)
    assert [hit["number"] for hit in hits] == cast.run[:2] and more == "true"
    assert _search(world, q="srch-a", limit=3)[1] == "false"


@pytest.mark.parametrize("query", ["SRCH%", "SRCH_", "%", "_", "S%A", "SRCH-A*", "a\\b"])
def test_like_wildcards_are_refused_not_searched(world: WalletWorld, cast: Cast, query: str) -> None:
    del cast
    problem = _refused(world, q=query)
    assert problem["code"] == "search.query"


def test_a_query_is_bounded(world: WalletWorld, cast: Cast) -> None:
    del cast
    assert _refused(world, q="A" * 41)["code"] == "request.invalid"
    assert _refused(world, q="   ")["code"] == "search.query"
    assert _refused(world)["code"] == "search.query"
    assert _refused(world, q=NAME, by="number")["code"] == "search.query"


# ------------------------------------------------------------------ by identity number


def test_an_identity_number_finds_its_holders_certificates_through_the_keyed_hash(
    world: WalletWorld, cast: Cast, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="certledger")
    identity = cast.namesake.identity_number
    assert identity.endswith("X")
    full_width = "".join(chr(ord(character) + 0xFEE0) for character in identity)  # as an IME types
    for query in (identity, identity.lower(), full_width):
        hits, _ = _search(world, q=query)
        assert sorted(hit["number"] for hit in hits) == sorted(cast.namesake.numbers)
        assert {hit["matchedBy"] for hit in hits} == {"identity"}
        assert {hit["identityNumber"] for hit in hits} == {mask(identity)}
        assert identity not in str(hits)
    assert _search(world, q=identity, by="identity")[0]
    # The bureau's database holds no identity number in the clear, in any table, in any form.
    with world.context.engine.connect() as connection:
        metadata = sa.MetaData()
        metadata.reflect(connection)
        for table in metadata.sorted_tables:
            for row in connection.execute(sa.select(table)):
                for value in row:
                    if isinstance(value, bytes):
                        assert identity.encode() not in value, table.name
                    else:
                        assert identity not in str(value), table.name
    logged = "\n".join(record.getMessage() + str(record.__dict__) for record in caplog.records)
    assert identity not in logged and identity.lower() not in logged and NAME not in logged


def test_an_identity_number_with_a_wrong_check_character(world: WalletWorld, cast: Cast) -> None:
    identity = cast.namesake.identity_number
    wrong = identity[:-1] + ("0" if identity[-1] != "0" else "1")
    assert read_query(wrong) == ("number", wrong)  # 18 digits that are no identity number
    assert _search(world, q=wrong)[0] == []
    assert _refused(world, q=wrong, by="identity")["code"] == "search.identity"


# ------------------------------------------------------------------ by name


@pytest.mark.parametrize("query", [NAME, "司马 相如", "司马\u3000相如", " 司 马 相 如 "])
def test_a_name_finds_only_this_offices_certificates(world: WalletWorld, cast: Cast, query: str) -> None:
    hits, more = _search(world, q=query)
    found = sorted(hit["number"] for hit in hits)
    assert found == sorted([*cast.namesake.numbers, *cast.second_namesake.numbers])
    assert not set(found) & set(cast.elsewhere.numbers)  # the same name in office 2
    assert more == "false"
    assert {hit["matchedBy"] for hit in hits} == {"name"}
    assert {hit["holderName"] for hit in hits} == {"司**如"}
    assert {hit["identityNumber"] for hit in hits} == {
        mask(cast.namesake.identity_number),
        mask(cast.second_namesake.identity_number),
    }
    with world.context.engine.connect() as connection:
        hashes = connection.execute(
            sa.select(certificates.c.office_id, certificates.c.holder_name_hash).where(
                certificates.c.certificate_no.in_(cast.elsewhere.numbers)
            )
        ).all()
    assert hashes == [(OTHER_OFFICE, world.context.hasher.name(NAME))]  # hashed, and not found


def test_a_name_in_latin_letters_is_searched_by_name_when_asked(world: WalletWorld, cast: Cast) -> None:
    del cast
    assert read_query("Zhang San") == ("name", "Zhang San")
    assert read_query("zhang") == ("number", "ZHANG")  # one word of letters reads as a number
    assert read_query("zhang", "name") == ("name", "zhang")
    assert _search(world, q="Nobody Here")[0] == []


def test_an_erased_holder_is_listed_without_their_data(world: WalletWorld, cast: Cast) -> None:
    del cast
    person = _issue(world, 1, _identity(random.Random(99)), "钱八", ["SRCHE-0000001"])
    erase_citizen(
        world.context.engine, find_citizen(world.context.engine, world.context.hasher, person.identity_number)
    )
    (hit,) = _search(world, q="srche-")[0]
    assert (hit["number"], hit["readable"], hit["identityNumber"], hit["holderName"]) == (
        "SRCHE-0000001",
        False,
        None,
        None,
    )


def test_names_are_masked() -> None:
    assert [mask_name(name) for name in ("张", "张三", "张三丰", "买买提·艾力", "Li Na")] == [
        "*",
        "张*",
        "张*丰",
        "买****力",
        "L**a",
    ]


# ------------------------------------------------------------------ reasons and status changes


def test_the_reasons_say_which_actions_they_fit(world: WalletWorld) -> None:
    reasons = world.client.get("/v1/office/reasons", headers=world.staff_headers("operator")).json()
    fits = {reason["label"]: reason["actions"] for reason in reasons}
    assert fits == {
        "issued-in-error": ["revoke"],
        "data-corrected": ["revoke"],
        "fraud": ["revoke"],
        "holder-deceased": ["revoke"],
        "key-compromise": ["revoke"],
        "under-review": ["suspend"],
        "disputed": ["suspend"],
        "court-order": ["revoke", "suspend", "reinstate"],
        "review-cleared": ["reinstate"],
        "other": ["revoke", "suspend", "reinstate"],
    }
    assert {"code": 10, "label": "under-review", "actions": ["suspend"]} in reasons


@pytest.mark.parametrize(
    ("action", "reason"),
    [
        ("revoke", "review-cleared"),
        ("revoke", "under-review"),
        ("suspend", "fraud"),
        ("reinstate", "disputed"),
    ],
)
def test_a_reason_that_does_not_fit_is_refused_and_nothing_changes(
    world: WalletWorld, cast: Cast, action: str, reason: str
) -> None:
    number = cast.second_namesake.numbers[0]
    response = world.client.post(
        f"/v1/office/certificates/{number.lower()}/status",
        json={"action": action, "reason": reason},
        headers=world.staff_headers("operator"),
    )
    assert response.status_code == 422, response.text
    assert response.json()["code"] == "status.reason_mismatch"
    assert f"the reason {reason} does not fit {action}" in response.json()["detail"]
    with world.context.engine.connect() as connection:
        status, changes = connection.execute(
            sa.select(
                certificates.c.status,
                sa.select(sa.func.count())
                .where(status_changes.c.certificate_id == certificates.c.id)
                .scalar_subquery(),
            ).where(certificates.c.certificate_no == number)
        ).one()
    assert (status, changes) == ("valid", 0)


def test_the_issuer_refuses_it_for_every_caller(world: WalletWorld, cast: Cast) -> None:
    with pytest.raises(ReasonMismatchError) as refused:
        world.context.statuses().change(cast.second_namesake.numbers, "revoke", Reason.REVIEW_CLEARED)
    assert (refused.value.action, refused.value.reason) == ("revoke", Reason.REVIEW_CLEARED)
    assert str(refused.value) == (
        "the reason review-cleared does not fit revoke; it takes issued-in-error, data-corrected, fraud, "
        "holder-deceased, key-compromise, court-order, other"
    )


def test_the_command_refuses_it_before_reaching_the_chain() -> None:
    result = CliRunner().invoke(app, ["revoke", "SRCH-A0001", "--reason", "review-cleared"])
    assert result.exit_code == 2
    assert "the reason review-cleared does not fit revoke" in result.output


def test_a_found_certificate_is_suspended_and_reinstated_with_fitting_reasons(
    world: WalletWorld, cast: Cast
) -> None:
    headers = world.staff_headers("operator")
    number = cast.run[2]
    for action, reason, status in [
        ("suspend", "disputed", "suspended"),
        ("reinstate", "review-cleared", "valid"),
    ]:
        response = world.client.post(
            f"/v1/office/certificates/{number}/status",
            json={"action": action, "reason": reason},
            headers=headers,
        )
        assert response.status_code == 200, response.text
        assert response.json()["revisions"][0]["status"] == status
        (hit,) = _search(world, q=number.lower())[0]
        assert (hit["status"], hit["statusReason"]) == (status, reason)
