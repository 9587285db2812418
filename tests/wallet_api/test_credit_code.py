"""Registering a unit refuses a unified social credit code that GB 32100 does not accept: a wrong
check character with its own code and a message naming the character and the one GB 32100 gives,
a wrong shape before the service is reached; and it writes no trail row for either."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from ledger import credit_code_problem
from ledger._identifiers import credit_code_check_character
from tests.wallet_api.conftest import WalletWorld
from wallet_api._models import staff_actions

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
GOOD = "91350100M000100Y4"  # the first 17 of a code often given as GB 32100's example


def _trail_rows(world: WalletWorld) -> int:
    with world.context.engine.connect() as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(staff_actions)).scalar_one())


def test_a_known_code_and_its_check_character() -> None:
    assert credit_code_check_character(GOOD) == "3"
    assert credit_code_problem(GOOD + "3") is None


@pytest.mark.parametrize("offset", [1, 7, 30])
def test_a_wrong_check_character_is_refused_by_name(wallet: WalletWorld, offset: int) -> None:
    wrong = ALPHABET[(ALPHABET.index("3") + offset) % len(ALPHABET)]
    before = _trail_rows(wallet)
    answer = wallet.client.post(
        "/v1/units",
        json={"name": "校验码测试单位", "creditCode": GOOD + wrong},
        headers=wallet.staff_headers("operator"),
    )
    assert answer.status_code == 422
    assert answer.json()["code"] == "unit.credit_code"
    assert answer.json()["detail"] == f"creditCode: the check character is {wrong}, GB 32100 gives 3"
    assert _trail_rows(wallet) == before


@pytest.mark.parametrize(
    "code",
    [
        GOOD,  # 17 characters
        GOOD + "33",  # 19
        GOOD.lower() + "3",  # lower case
        "9I350100M000100Y43",  # I is not in the alphabet
        "91350100M000100Y4O",  # nor O
    ],
)
def test_a_code_of_the_wrong_shape_is_refused_before_the_service(wallet: WalletWorld, code: str) -> None:
    before = _trail_rows(wallet)
    answer = wallet.client.post(
        "/v1/units",
        json={"name": "形状测试单位", "creditCode": code},
        headers=wallet.staff_headers("operator"),
    )
    assert answer.status_code == 422
    assert answer.json()["code"] == "request.invalid"
    assert [error["location"] for error in answer.json()["errors"]] == [["body", "creditCode"]]
    assert code not in answer.text  # the value is not echoed
    assert _trail_rows(wallet) == before


def test_letters_in_the_region_code_are_refused_by_the_service(wallet: WalletWorld) -> None:
    """The document's pattern admits any alphabet character anywhere; GB 32100 wants digits in
    characters 3 to 8, which the service checks."""
    first17 = "91AB1000MA3C8XKJ4"
    answer = wallet.client.post(
        "/v1/units",
        json={"name": "区划码测试单位", "creditCode": first17 + credit_code_check_character(first17)},
        headers=wallet.staff_headers("operator"),
    )
    assert (answer.status_code, answer.json()["code"]) == (422, "unit.credit_code")
    assert "18 characters" in answer.json()["detail"]
