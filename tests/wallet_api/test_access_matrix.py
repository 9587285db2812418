"""Who may do what: every route that takes an object id or does something privileged, called by
every kind of caller — citizens A and B, units X and Y, the operator, the auditor, anonymous — and
with random ids. Exactly the intended cells succeed, and no answer carries another party's data."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest
from web3 import Web3

from scripts.demo_wallet import DemoCitizen
from tests.wallet_api.conftest import DATABASES, WalletWorld, module_world

CALLERS = ("citizen_a", "citizen_b", "unit_x", "unit_y", "operator", "auditor", "anonymous")


@pytest.fixture(scope="module", params=DATABASES)
def world(
    request: pytest.FixtureRequest, w3: Web3, chain: Any, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WalletWorld]:
    """One populated service for the whole matrix, on SQLite and on PostgreSQL."""
    yield from module_world(request, w3, chain.rpc_url, tmp_path_factory)


@pytest.fixture(scope="module")
def credentials(world: WalletWorld) -> dict[str, dict[str, str]]:
    """Each caller's headers."""
    return {
        "citizen_a": world.citizen_headers(world.citizens[0]),
        "citizen_b": world.citizen_headers(world.citizens[1]),
        "unit_x": world.unit_headers(world.units[0]),
        "unit_y": world.unit_headers(world.units[1]),
        "operator": world.staff_headers("operator"),
        "auditor": world.staff_headers("auditor"),
        "anonymous": {},
    }


@dataclass(frozen=True)
class Target:
    """Citizen A's objects, fresh for one call: a certificate, a grant to unit X with its key."""

    certificate_id: str
    grant_id: str
    grant_link: str
    grant_key: str
    unit_id: str
    other_number: str  # a certificate of a citizen outside the matrix, for the office's routes


def _fresh_target(world: WalletWorld, headers: dict[str, str]) -> Target:
    citizen = world.citizens[0]
    certificate_id = world.certificate_ids(headers)[0]
    created = world.grant(citizen, headers, world.terms(certificate_id, world.units[0]))
    unit = world.client.post(
        "/v1/units",
        json={"name": "矩阵测试单位", "creditCode": _credit_code()},
        headers=world.staff_headers("operator"),
    )
    return Target(
        certificate_id,
        created["grant"]["id"],
        created["link"],
        created["key"],
        unit.json()["unit"]["id"],
        world.citizens[2].certificates[-1],
    )


def _credit_code() -> str:
    from ledger._identifiers import credit_code_check_character  # noqa: PLC0415

    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    first17 = "91371000" + "".join(alphabet[b % len(alphabet)] for b in os.urandom(9))
    return first17 + credit_code_check_character(first17)


Call = Callable[[WalletWorld, Target, dict[str, str]], httpx2.Response]


@dataclass(frozen=True)
class Route:
    """A route, who may call it, and what the others get."""

    name: str
    call: Call
    kind: str  # citizen-owned, citizen-own, operator, auditor, unit, citizen-or-operator, any-token
    ok: int = 200


def _get(path: Callable[[Target], str]) -> Call:
    return lambda world, target, headers: world.client.get(path(target), headers=headers)


def _post(
    path: Callable[[Target], str], body: Callable[[WalletWorld, Target], Any] = lambda w, t: None
) -> Call:
    return lambda world, target, headers: world.client.post(
        path(target), json=body(world, target), headers=headers
    )


def _terms(world: WalletWorld, target: Target) -> dict[str, Any]:
    return world.terms(target.certificate_id, world.units[0])


STAND_REQUEST: dict[str, Any] = {
    "fields": ["certificate_no", "holder_name"],
    "purpose": "矩阵测试",
    "grantSeconds": 3600,
}

ROUTES = [
    Route("certificate", _get(lambda t: f"/v1/certificates/{t.certificate_id}"), "citizen-owned"),
    Route(
        "certificate document",
        _get(lambda t: f"/v1/certificates/{t.certificate_id}/document"),
        "citizen-owned",
    ),
    Route("grant draft", _post(lambda t: "/v1/grants/draft", _terms), "citizen-owned"),
    Route("grant", _get(lambda t: f"/v1/grants/{t.grant_id}"), "citizen-owned"),
    Route("grant revoke", _post(lambda t: f"/v1/grants/{t.grant_id}/revoke"), "citizen-owned"),
    Route(
        "grant qr",
        _post(lambda t: f"/v1/grants/{t.grant_id}/qr", lambda w, t: {"key": t.grant_key}),
        "citizen-owned",
    ),
    Route(
        "certificate pdf",
        _post(lambda t: f"/v1/certificates/{t.certificate_id}/pdf", lambda w, t: {"link": t.grant_link}),
        "citizen-owned",
    ),
    Route("my certificates", _get(lambda t: "/v1/certificates"), "citizen-own"),
    Route("my grants", _get(lambda t: "/v1/grants"), "citizen-own"),
    Route("my profile", _get(lambda t: "/v1/me"), "citizen-own"),
    Route("my key backup", _get(lambda t: "/v1/me/key-backup"), "citizen-own"),
    Route("my access log", _get(lambda t: "/v1/me/access-log"), "citizen-own"),
    Route(
        "enrolment code",
        _post(lambda t: "/v1/enrolment-codes", lambda w, t: {"identityNumber": "110101199003077774"}),
        "operator",
        201,
    ),
    Route(
        "register unit",
        _post(lambda t: "/v1/units", lambda w, t: {"name": "新单位", "creditCode": _credit_code()}),
        "operator",
        201,
    ),
    Route("unit key", _post(lambda t: f"/v1/units/{t.unit_id}/key"), "operator"),
    Route("office reasons", _get(lambda t: "/v1/office/reasons"), "operator"),
    Route("office find", _get(lambda t: f"/v1/office/certificates/{t.other_number}"), "operator"),
    Route("office search", _get(lambda t: f"/v1/office/certificates?number={t.other_number}"), "operator"),
    Route(
        "office status",
        _post(
            lambda t: f"/v1/office/certificates/{t.other_number}/status",
            lambda w, t: {"action": "suspend", "reason": "under-review"},
        ),
        "operator",
    ),
    Route(
        "office issuance",
        lambda w, t, h: w.client.post(
            "/v1/office/issuance",
            data={"type": "pension-qualification"},
            files={"file": ("empty.jsonl", b"")},
            headers=h,
        ),
        "operator",
    ),
    Route(
        "office upload",
        _post(lambda t: "/v1/office/uploads", lambda w, t: {"filename": "x.jsonl", "size": 10, "key": "k"}),
        "operator",
        201,
    ),
    Route("reconciliation standing", _get(lambda t: "/v1/audit/reconciliations/standing"), "auditor"),
    Route("reconciliation run status", _get(lambda t: "/v1/audit/reconciliations/run"), "auditor"),
    Route("batch certificates", _get(lambda t: "/v1/audit/chain/batches/1/certificates"), "auditor"),
    Route("staff trail", _get(lambda t: "/v1/audit/staff-actions"), "auditor"),
    Route(
        "reset code",
        _post(lambda t: "/v1/reset-codes", lambda w, t: {"identityNumber": w.citizens[2].identity_number}),
        "operator",
        201,
    ),
    Route("disable unit", lambda w, t, h: w.client.delete(f"/v1/units/{t.unit_id}", headers=h), "operator"),
    Route("units", _get(lambda t: "/v1/units"), "citizen-or-operator"),
    Route("unit", _get(lambda t: f"/v1/units/{t.unit_id}"), "citizen-or-operator"),
    Route("this unit", _get(lambda t: "/v1/units/me"), "unit-own"),
    Route("unit verifications", _get(lambda t: "/v1/units/me/verifications"), "unit-own"),
    Route("redeem", _post(lambda t: "/v1/redemptions", lambda w, t: {"link": t.grant_link}), "unit"),
    # The scan stand: any unit asks; only the asking unit (X) reads its request; any citizen reads
    # a request, drafts with their own certificate and answers with their own grant.
    Route(
        "stand request",
        _post(lambda t: "/v1/presentation-requests", lambda w, t: STAND_REQUEST),
        "unit-own",
        201,
    ),
    Route("stand types", _get(lambda t: "/v1/presentation-requests/types"), "unit-own"),
    Route(
        "stand poll",
        lambda w, t, h: w.client.get(f"/v1/presentation-requests/{_stand(w)['id']}", headers=h),
        "unit-x-owned",
    ),
    Route(
        "stand object",
        lambda w, t, h: w.client.get(f"/v1/presentation-requests/{_stand(w)['id']}/object", headers=h),
        "citizen-own",
    ),
    Route(
        "stand draft",
        lambda w, t, h: w.client.post(
            f"/v1/presentation-requests/{_stand(w)['id']}/draft",
            json={"certificateId": t.certificate_id},
            headers=h,
        ),
        "citizen-owned",
    ),
    Route("stand answer", lambda w, t, h: _stand_answer(w, h), "citizen-owned"),
    # Printing with a 验证码: only the holder drafts, stores and withdraws the print grants of
    # their certificates; checking a code is anybody's (tests/wallet_api/test_print_codes.py).
    Route(
        "print draft",
        _post(
            lambda t: "/v1/prints/draft",
            lambda w, t: {"certificateId": t.certificate_id, "fields": ["holder_name"], "days": 30},
        ),
        "citizen-owned",
    ),
    Route("print store", lambda w, t, h: _print_grant(w, t, h)[0], "citizen-owned", 201),
    Route(
        "print revoke",
        lambda w, t, h: w.client.post(f"/v1/prints/{_print_grant(w, t, None)[1]}/revoke", headers=h),
        "citizen-owned",
    ),
    Route("my prints", _get(lambda t: "/v1/prints"), "citizen-own"),
    Route("log", _get(lambda t: "/v1/audit/log"), "auditor"),
    Route("log entries", _get(lambda t: "/v1/audit/log/entries"), "auditor"),
    Route("log check", _get(lambda t: "/v1/audit/log/check"), "auditor"),
    Route("log consistency", _get(lambda t: "/v1/audit/log/consistency?first=1&second=1"), "auditor"),
    Route("chain issuance", _get(lambda t: "/v1/audit/chain/issuance?by=month"), "auditor"),
    Route("chain batches", _get(lambda t: "/v1/audit/chain/batches"), "auditor"),
    Route("chain status", _get(lambda t: "/v1/audit/chain/status"), "auditor"),
    Route("chain trust", _get(lambda t: "/v1/audit/chain/trust"), "auditor"),
    Route("chain log anchors", _get(lambda t: "/v1/audit/chain/log-anchors"), "auditor"),
    # No reconciliation has run in this world: the auditor is told so, everyone else refused.
    Route("last reconciliation", _get(lambda t: "/v1/audit/reconciliations/latest"), "auditor", 404),
    Route("logout", _post(lambda t: "/v1/auth/logout"), "any-token", 204),
]


def _stand(world: WalletWorld) -> dict[str, Any]:
    """A fresh request of unit X's at the scan stand."""
    response = world.client.post(
        "/v1/presentation-requests", json=STAND_REQUEST, headers=world.unit_headers(world.units[0])
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _stand_answer(world: WalletWorld, headers: dict[str, str]) -> httpx2.Response:
    """`headers` answer a fresh request of unit X's with citizen A's grant drafted for it."""
    from tests.wallet_api.conftest import sign_typed  # noqa: PLC0415

    citizen = world.citizens[0]
    a = world.citizen_headers(citizen)
    request_id = _stand(world)["id"]
    certificate_id = next(
        item["id"]
        for item in world.client.get(f"/v1/presentation-requests/{request_id}/object", headers=a).json()[
            "certificates"
        ]
    )
    draft = world.client.post(
        f"/v1/presentation-requests/{request_id}/draft", json={"certificateId": certificate_id}, headers=a
    ).json()
    grant = world.client.post(
        "/v1/grants",
        json={
            **draft["terms"],
            "grantId": draft["grantId"],
            "signature": sign_typed(draft["typedData"], citizen.private_key),
        },
        headers=a,
    ).json()
    return world.client.post(
        f"/v1/presentation-requests/{request_id}/answer",
        json={"reference": grant["reference"], "key": grant["key"]},
        headers=headers,
    )


def _print_grant(
    world: WalletWorld, target: Target, headers: dict[str, str] | None
) -> tuple[httpx2.Response, str | None]:
    """Citizen A's print grant for the target certificate, drafted by A and stored with `headers`
    (by A when None), and its id when it was stored."""
    from tests.wallet_api.conftest import sign_typed  # noqa: PLC0415

    citizen = world.citizens[0]
    a = world.citizen_headers(citizen)
    terms = {"certificateId": target.certificate_id, "fields": ["holder_name"]}
    draft = world.client.post("/v1/prints/draft", json={**terms, "days": 30}, headers=a).json()
    stored = world.client.post(
        "/v1/prints",
        json={
            **terms,
            "expires": draft["expires"],
            "code": draft["code"],
            "signature": sign_typed(draft["typedData"], citizen.private_key),
        },
        headers=a if headers is None else headers,
    )
    return stored, stored.json().get("id") if stored.status_code == 201 else None


def expected(route: Route, caller: str) -> tuple[int, str | None]:
    """The status (and problem code) `caller` must get from `route` on citizen A's objects."""
    if route.kind in {"unit", "unit-own", "unit-x-owned"}:
        return _unit_route(route, caller)
    if caller not in {"citizen_a", "citizen_b", "operator", "auditor"}:
        return 401, "auth.required"
    citizen = caller.startswith("citizen")
    allowed = {
        "citizen-owned": citizen,
        "citizen-own": citizen,
        "operator": caller == "operator",
        "auditor": caller == "auditor",
        "citizen-or-operator": citizen or caller == "operator",
        "any-token": True,
    }[route.kind]
    if not allowed:
        return 403, "auth.wrong_role"
    if route.kind == "citizen-owned" and caller == "citizen_b":
        return 404, None
    return route.ok, None  # including B's own key backup, profile and lists


def _unit_route(route: Route, caller: str) -> tuple[int, str | None]:
    if not caller.startswith("unit"):
        return 401, "auth.required"
    if route.kind == "unit" and caller == "unit_y":
        return 403, "grant.wrong_unit"
    if route.kind == "unit-x-owned" and caller == "unit_y":
        return 404, "request.not_found"
    return route.ok, None


def _private_values(citizen: DemoCitizen) -> list[str]:
    return [citizen.name, citizen.identity_number, citizen.phone, *citizen.certificates, citizen.address]


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.name)
def test_the_access_matrix(
    world: WalletWorld, credentials: dict[str, dict[str, str]], route: Route, caller: str
) -> None:
    headers = credentials[caller]
    if route.name == "logout" and caller != "anonymous":
        headers = _fresh_headers(world, caller)
    target = _fresh_target(world, credentials["citizen_a"])
    response = route.call(world, target, headers)
    status, code = expected(route, caller)
    assert response.status_code == status, (route.name, caller, response.text)
    if code is not None:
        assert response.json()["code"] == code
    if status >= 400:
        assert response.headers["content-type"] == "application/problem+json"
    citizen_a = world.citizens[0]
    if caller not in {"citizen_a"}:
        body = response.text
        leaked = [value for value in _private_values(citizen_a) if value in body]
        if route.name == "redeem" and caller == "unit_x":
            # The addressed unit sees exactly the disclosed fields: the number the citizen chose and
            # whose record it is (name and identity number, always disclosed), nothing else.
            assert sorted(response.json()["presentation"]["disclosed"]) == [
                "certificate_no",
                "holder_id",
                "holder_name",
            ]
            disclosed = {
                citizen_a.name,
                citizen_a.identity_number,
                *citizen_a.certificates,
                citizen_a.address,
            }
            leaked = [v for v in leaked if v not in disclosed]
        if route.name == "unit verifications" and caller == "unit_x":
            # Unit X's own history names the certificates it verified by the number their holder
            # disclosed to it (the grants here disclose it); nothing else of the holder's.
            leaked = [v for v in leaked if v not in citizen_a.certificates]
        if route.name == "batch certificates" and caller == "auditor":
            # An auditor sees a batch's certificates by number, leaf and status, to point the
            # office to the record; never a name or an identity number.
            leaked = [v for v in leaked if v not in citizen_a.certificates]
        assert leaked == [], (route.name, caller, leaked)


def _fresh_headers(world: WalletWorld, caller: str) -> dict[str, str]:
    if caller == "citizen_a":
        return world.citizen_headers(world.citizens[0])
    if caller == "citizen_b":
        return world.citizen_headers(world.citizens[1])
    if caller in {"operator", "auditor"}:
        return world.staff_headers(caller)
    return world.unit_headers(world.units[0 if caller == "unit_x" else 1])


RANDOM_ROUTES = [
    ("citizen_a", lambda w, r: w.client.get(f"/v1/certificates/{r}")),
    ("citizen_a", lambda w, r: w.client.get(f"/v1/certificates/{r}/document")),
    ("citizen_a", lambda w, r: w.client.post(f"/v1/certificates/{r}/pdf", json={})),
    ("operator", lambda w, r: w.client.get(f"/v1/office/certificates/R{r[:20]}")),
    ("citizen_a", lambda w, r: w.client.get(f"/v1/grants/{r}")),
    ("citizen_a", lambda w, r: w.client.post(f"/v1/grants/{r}/revoke")),
    ("citizen_a", lambda w, r: w.client.post(f"/v1/grants/{r}/qr", json={"key": "A" * 43})),
    ("citizen_a", lambda w, r: w.client.get(f"/v1/units/{r}")),
    ("operator", lambda w, r: w.client.post(f"/v1/units/{r}/key")),
    ("operator", lambda w, r: w.client.delete(f"/v1/units/{r}")),
    ("unit_x", lambda w, r: w.client.post("/v1/redemptions", json={"reference": r[:16], "key": "A" * 43})),
    ("unit_x", lambda w, r: w.client.get(f"/v1/units/me/verifications/{r}/receipt")),
    ("unit_x", lambda w, r: w.client.get(f"/v1/presentation-requests/{r}")),
    ("citizen_a", lambda w, r: w.client.get(f"/v1/presentation-requests/{r}/object")),
    (
        "citizen_a",
        lambda w, r: w.client.post(f"/v1/presentation-requests/{r}/draft", json={"certificateId": r}),
    ),
]


@pytest.mark.parametrize(("caller", "call"), RANDOM_ROUTES)
def test_random_ids_find_nothing(
    world: WalletWorld, credentials: dict[str, dict[str, str]], caller: str, call: Any
) -> None:
    world.client.headers.update(credentials[caller])
    try:
        response = call(world, os.urandom(16).hex())
    finally:
        for name in ("Authorization", "X-API-Key"):
            world.client.headers.pop(name, None)
    assert response.status_code == 404, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_lists_hold_only_the_callers_own(world: WalletWorld, credentials: dict[str, dict[str, str]]) -> None:
    a, b = credentials["citizen_a"], credentials["citizen_b"]
    _fresh_target(world, a)
    a_certificates = set(world.certificate_ids(a))
    b_certificates = set(world.certificate_ids(b))
    assert a_certificates and b_certificates and not a_certificates & b_certificates
    a_grants = {g["id"] for g in world.client.get("/v1/grants", headers=a).json()}
    b_grants = {g["id"] for g in world.client.get("/v1/grants", headers=b).json()}
    assert a_grants and not a_grants & b_grants
    b_log = world.client.get("/v1/me/access-log", headers=b).text
    assert not any(grant in b_log for grant in a_grants)
    ids = [value for value in (*a_certificates, *a_grants)]
    unit_me = world.client.get("/v1/units/me", headers=credentials["unit_y"]).text
    assert not any(value in unit_me for value in ids)
