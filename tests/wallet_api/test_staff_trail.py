"""The staff audit trail: one row per counter action, written in the action's own transaction,
nothing personal in it, and only auditors may read it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner
from web3 import Web3

from issuer import find_citizen
from ledger._identifiers import credit_code_check_character
from scripts.demo_data import identity_number
from tests.wallet_api.conftest import DATABASES, WalletWorld, module_world
from wallet_api._models import enrolment_codes, staff_actions, units
from wallet_api._principal import Principal
from wallet_api._security import API_KEY_PREFIX
from wallet_api._staff_trail import StaffActionKind, record_staff_action

TRAIL = "/v1/audit/staff-actions"


@pytest.fixture(scope="module", params=DATABASES)
def world(
    request: pytest.FixtureRequest, w3: Web3, chain: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WalletWorld]:
    """One populated service for the module, on SQLite and on PostgreSQL."""
    yield from module_world(request, w3, chain.rpc_url, tmp_path_factory)


def _credit_code(seed: int) -> str:
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    digits = f"{seed:09d}"
    first17 = "91371000" + "".join(alphabet[int(d) * 3 % len(alphabet)] for d in digits)
    return first17 + credit_code_check_character(first17)


def _fresh_number(world: WalletWorld, salt: str) -> str:
    import random  # noqa: PLC0415

    return identity_number(random.Random(f"trail:{salt}:{world.context.settings.database_url}"))


def _tick(world: WalletWorld) -> None:
    """The world's clock stands still; each action here gets its own second."""
    clock: Any = world.context.clock
    clock.advance(timedelta(seconds=1))


def _rows(world: WalletWorld) -> list[Any]:
    with world.context.engine.connect() as connection:
        return list(connection.execute(sa.select(staff_actions).order_by(staff_actions.c.at)).all())


def _trail(world: WalletWorld, query: str = "") -> dict[str, Any]:
    response = world.client.get(f"{TRAIL}{query}", headers=world.staff_headers("auditor"))
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


def test_each_counter_action_writes_one_row_that_auditors_read(world: WalletWorld) -> None:
    operator = world.staff_headers("operator")
    before = len(_rows(world))
    new_number = _fresh_number(world, "new")
    enrolled = world.citizens[0]

    _tick(world)
    issued = world.client.post("/v1/enrolment-codes", json={"identityNumber": new_number}, headers=operator)
    assert issued.status_code == 201, issued.text
    _tick(world)
    reset = world.client.post(
        "/v1/reset-codes", json={"identityNumber": enrolled.identity_number}, headers=operator
    )
    assert reset.status_code == 201, reset.text
    code = _credit_code(before + 1)
    _tick(world)
    registered = world.client.post(
        "/v1/units", json={"name": "威海市住房公积金中心", "creditCode": code}, headers=operator
    )
    assert registered.status_code == 201, registered.text
    unit_id = registered.json()["unit"]["id"]
    _tick(world)
    rotated = world.client.post(f"/v1/units/{unit_id}/key", headers=operator)
    assert rotated.status_code == 200, rotated.text
    _tick(world)
    disabled = world.client.delete(f"/v1/units/{unit_id}", headers=operator)
    assert disabled.status_code == 200, disabled.text
    _tick(world)
    again = world.client.delete(f"/v1/units/{unit_id}", headers=operator)
    assert again.status_code == 200, again.text  # nothing changes, nothing is recorded

    page = _trail(world, f"?limit={5}")
    newest = page["actions"]
    assert [entry["action"] for entry in newest] == [
        "unit.disabled",
        "unit.key_rotated",
        "unit.registered",
        "citizen.reset",
        "enrolment_code.issued",
    ]
    assert len(_rows(world)) == before + 5
    assert {entry["username"] for entry in newest} == {"operator"}
    citizen_id = find_citizen(world.context.engine, world.context.hasher, enrolled.identity_number)
    assert newest[3]["subject"] == citizen_id
    assert newest[4]["subject"] is None  # the bureau has never seen this citizen: no id yet
    assert newest[2]["subject"] == unit_id
    assert newest[2]["detail"] == {"creditCode": code}
    assert newest[0]["subject"] == newest[1]["subject"] == unit_id
    assert newest[3]["detail"]["expiresAt"].startswith(reset.json()["expiresAt"][:16])
    assert all(entry["at"].endswith("Z") or "+00:00" in entry["at"] for entry in newest)

    # Older pages follow the cursor without overlap; filters narrow by action and by username.
    first = _trail(world, "?limit=2")
    second = _trail(world, f"?limit=2&before={first['next']}")
    assert [e["id"] for e in first["actions"] + second["actions"]] == [e["id"] for e in newest[:4]]
    only = _trail(world, "?action=unit.registered&limit=100")["actions"]
    assert only and {entry["action"] for entry in only} == {"unit.registered"}
    assert unit_id in {entry["subject"] for entry in only}
    assert _trail(world, "?username=auditor")["actions"] == []
    assert len(_trail(world, "?username=operator&limit=100")["actions"]) == len(_rows(world))
    unknown = world.client.get(f"{TRAIL}?before={'0' * 32}", headers=world.staff_headers("auditor"))
    assert (unknown.status_code, unknown.json()["code"]) == (404, "staff_action.not_found")
    bad_kind = world.client.get(f"{TRAIL}?action=unit.deleted", headers=world.staff_headers("auditor"))
    assert bad_kind.status_code == 422


def test_the_trail_holds_nothing_personal(world: WalletWorld) -> None:
    operator = world.staff_headers("operator")
    secrets: list[str] = []
    for citizen in world.citizens:
        answer = world.client.post(
            "/v1/reset-codes", json={"identityNumber": citizen.identity_number}, headers=operator
        )
        assert answer.status_code == 201, answer.text
        code = answer.json()["code"]
        secrets += [citizen.identity_number, citizen.name, citizen.phone, code, code.replace("-", "")]
    new_number = _fresh_number(world, "personal")
    answer = world.client.post("/v1/enrolment-codes", json={"identityNumber": new_number}, headers=operator)
    secrets += [new_number, answer.json()["code"], answer.json()["code"].replace("-", "")]
    registered = world.client.post(
        "/v1/units", json={"name": "隐私测试单位", "creditCode": _credit_code(777)}, headers=operator
    )
    if registered.status_code == 201:
        unit_key = registered.json()["apiKey"]
        rotated = world.client.post(f"/v1/units/{registered.json()['unit']['id']}/key", headers=operator)
        secrets += [unit_key, _secret_of(unit_key), _secret_of(rotated.json()["apiKey"])]
    secrets += [_secret_of(unit.api_key) for unit in world.units]

    stored = json.dumps([[str(value) for value in row] for row in _rows(world)], ensure_ascii=False)
    assert stored.count('"') > 0
    leaked = [value for value in secrets if value in stored]
    assert leaked == [], "the staff trail holds personal data, codes or keys"
    assert new_number.lower() not in stored.lower()


def test_a_reset_needs_an_enrolled_citizen(world: WalletWorld) -> None:
    before = len(_rows(world))
    with world.context.engine.connect() as connection:
        codes = connection.execute(sa.select(sa.func.count()).select_from(enrolment_codes)).scalar_one()
    answer = world.client.post(
        "/v1/reset-codes",
        json={"identityNumber": _fresh_number(world, "never")},
        headers=world.staff_headers("operator"),
    )
    assert (answer.status_code, answer.json()["code"]) == (404, "citizen.not_enrolled")
    assert len(_rows(world)) == before
    with world.context.engine.connect() as connection:
        assert (
            connection.execute(sa.select(sa.func.count()).select_from(enrolment_codes)).scalar_one() == codes
        )


def test_a_refused_action_writes_no_row(world: WalletWorld) -> None:
    operator = world.staff_headers("operator")
    before = len(_rows(world))
    taken = world.client.post(
        "/v1/units", json={"name": "重复单位", "creditCode": world.units[0].credit_code}, headers=operator
    )
    assert (taken.status_code, taken.json()["code"]) == (409, "unit.exists")
    wrong = _credit_code(5)[:17] + ("0" if _credit_code(5)[17] != "0" else "1")
    refused = world.client.post("/v1/units", json={"name": "错码单位", "creditCode": wrong}, headers=operator)
    assert (refused.status_code, refused.json()["code"]) == (422, "unit.credit_code")
    missing = world.client.post(f"/v1/units/{'ab' * 16}/key", headers=operator)
    assert missing.status_code == 404
    gone = world.client.delete(f"/v1/units/{'cd' * 16}", headers=operator)
    assert gone.status_code == 404
    number = world.citizens[0].identity_number
    bad_number = number[:17] + ("0" if number[17] != "0" else "1")
    invalid = world.client.post("/v1/enrolment-codes", json={"identityNumber": bad_number}, headers=operator)
    assert (invalid.status_code, invalid.json()["code"]) == (422, "identity.invalid")
    assert len(_rows(world)) == before


def test_an_action_whose_row_cannot_be_written_is_undone(
    world: WalletWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The row and the action commit together: when writing the row fails, nothing was done."""

    def failing(*args: Any, **kwargs: Any) -> str:
        record_staff_action(*args, **kwargs)
        raise RuntimeError("the trail's row could not be written")

    monkeypatch.setattr("wallet_api._units.record_staff_action", failing)
    monkeypatch.setattr("wallet_api._accounts.record_staff_action", failing)
    operator = world.staff_headers("operator")
    before = len(_rows(world))
    with world.context.engine.connect() as connection:
        codes = connection.execute(sa.select(sa.func.count()).select_from(enrolment_codes)).scalar_one()
    code = _credit_code(4242)
    answer = world.client.post(
        "/v1/units", json={"name": "回滚测试单位", "creditCode": code}, headers=operator
    )
    assert answer.status_code == 500
    unit = world.units[1]
    rotated = world.client.post(f"/v1/units/{unit.id}/key", headers=operator)
    assert rotated.status_code == 500
    disabled = world.client.delete(f"/v1/units/{unit.id}", headers=operator)
    assert disabled.status_code == 500
    issued = world.client.post(
        "/v1/enrolment-codes", json={"identityNumber": _fresh_number(world, "undo")}, headers=operator
    )
    assert issued.status_code == 500

    assert len(_rows(world)) == before
    with world.context.engine.connect() as connection:
        assert connection.execute(sa.select(units.c.id).where(units.c.credit_code == code)).first() is None
        assert (
            connection.execute(sa.select(sa.func.count()).select_from(enrolment_codes)).scalar_one() == codes
        )
    # The unit's old key still works, and the unit is still active.
    me = world.client.get("/v1/units/me", headers=world.unit_headers(unit))
    assert me.status_code == 200, me.text
    assert me.json()["active"] is True


@pytest.mark.parametrize(
    ("caller", "status", "code"),
    [
        ("citizen", 403, "auth.wrong_role"),
        ("unit", 401, "auth.required"),  # an API key is no staff token (as in test_access_matrix)
        ("operator", 403, "auth.wrong_role"),
        ("anonymous", 401, "auth.required"),
        ("auditor", 200, None),
    ],
)
def test_only_auditors_read_the_trail(world: WalletWorld, caller: str, status: int, code: str | None) -> None:
    callers: dict[str, Callable[[], dict[str, str]]] = {
        "citizen": lambda: world.citizen_headers(world.citizens[1]),
        "unit": lambda: world.unit_headers(world.units[0]),
        "operator": lambda: world.staff_headers("operator"),
        "anonymous": lambda: {},
        "auditor": lambda: world.staff_headers("auditor"),
    }
    headers = callers[caller]()
    answer = world.client.get(TRAIL, headers=headers)
    assert answer.status_code == status, answer.text
    if code is not None:
        assert answer.json()["code"] == code
    if status != 200:
        assert "actions" not in answer.json()
        assert "operator" not in answer.text  # no username from the trail


def test_the_service_acting_for_itself_is_not_a_staff_action(world: WalletWorld) -> None:
    """The demonstration's seed acts with a principal that has no staff account: no row, no failure;
    and a citizen's or unit's principal is refused outright."""
    with world.context.engine.begin() as connection:
        written = record_staff_action(
            connection,
            Principal("operator", "demo-seed"),
            StaffActionKind.UNIT_DISABLED,
            None,
            {},
            at=world.context.clock(),
        )
        assert written is None
        with pytest.raises(ValueError, match="only staff actions"):
            record_staff_action(
                connection,
                Principal("citizen", "x"),
                StaffActionKind.UNIT_DISABLED,
                None,
                {},
                at=world.context.clock(),
            )


def test_the_command_prints_the_trail(world: WalletWorld, monkeypatch: pytest.MonkeyPatch) -> None:
    from wallet_api.cli import staff_app  # noqa: PLC0415

    settings = world.context.settings
    assert settings.database_url is not None
    monkeypatch.setenv("CERTLEDGER_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CERTLEDGER_DATA_DIR", str(settings.data_dir))
    _tick(world)
    made = world.client.post(
        "/v1/units",
        json={"name": "命令行测试单位", "creditCode": _credit_code(31337)},
        headers=world.staff_headers("operator"),
    )
    assert made.status_code == 201, made.text
    newest = _trail(world, "?limit=1")["actions"][0]
    assert newest["action"] == "unit.registered"
    result = CliRunner().invoke(staff_app, ["actions", "--limit", "1"], env={"COLUMNS": "240"})
    assert result.exit_code == 0, result.output
    assert "staff actions (Beijing time)" in result.output
    assert newest["action"] in result.output
    assert newest["id"] in result.output
    filtered = CliRunner().invoke(staff_app, ["actions", "--action", "unit.disabled", "--username", "nobody"])
    assert filtered.exit_code == 0, filtered.output
    assert "operator" not in filtered.output
    refused = CliRunner().invoke(staff_app, ["actions", "--action", "unit.deleted"])
    assert refused.exit_code == 2


@pytest.mark.parametrize(
    ("caller", "status"),
    [("citizen", 403), ("unit", 401), ("auditor", 403), ("anonymous", 401), ("operator", 201)],
)
def test_only_operators_issue_reset_codes(world: WalletWorld, caller: str, status: int) -> None:
    callers: dict[str, Callable[[], dict[str, str]]] = {
        "citizen": lambda: world.citizen_headers(world.citizens[2]),
        "unit": lambda: world.unit_headers(world.units[0]),
        "auditor": lambda: world.staff_headers("auditor"),
        "anonymous": lambda: {},
        "operator": lambda: world.staff_headers("operator"),
    }
    headers = callers[caller]()
    before = len(_rows(world))
    answer = world.client.post(
        "/v1/reset-codes", json={"identityNumber": world.citizens[2].identity_number}, headers=headers
    )
    assert answer.status_code == status, answer.text
    assert len(_rows(world)) == before + (1 if status == 201 else 0)
    if status != 201:
        assert "code" not in answer.json() or answer.json()["code"].startswith("auth.")


def _secret_of(api_key: str) -> str:
    """The secret part of a unit's API key (``clu_<key id>_<secret>``; the secret is base64url, so
    it may hold underscores of its own: splitting at the last one once gave a single letter)."""
    return api_key.removeprefix(API_KEY_PREFIX).partition("_")[2]
