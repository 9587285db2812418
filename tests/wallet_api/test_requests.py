"""The scan stand (扫码墩): a unit's presentation request, the citizen's consent, the verdict —
and every refusal on the way, with its exact code."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from ledger import FixedClock
from scripts.demo_wallet import DemoCitizen, DemoUnit
from tests.wallet_api.conftest import WalletWorld, sign_typed
from wallet_api._errors import ServiceUnavailableError
from wallet_api._models import presentation_requests
from wallet_api._requests import open_sealed, seal_to

FIELDS = ["certificate_no", "holder_name", "pension"]
# What a request for a contribution certificate asks for: the fields, and whose record it is.
ASKED = ["certificate_no", "holder_id", "holder_name", "pension"]
BASE = "/v1/presentation-requests"


def _ask(world: WalletWorld, unit: DemoUnit, **overrides: Any) -> dict[str, Any]:
    body = {
        "fields": FIELDS,
        "purpose": "入职核验参保情况",
        "grantSeconds": 3600,
        "type": "contribution-certificate",
    } | overrides
    response = world.client.post(BASE, json=body, headers=world.unit_headers(unit))
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _contribution(world: WalletWorld, headers: dict[str, str]) -> str:
    listed = world.client.get("/v1/certificates", headers=headers).json()
    return str(next(item["id"] for item in listed if item["type"].startswith("contribution-certificate")))


def _grant_with_id(
    world: WalletWorld, citizen: DemoCitizen, headers: dict[str, str], terms: dict[str, Any], grant_id: str
) -> dict[str, Any]:
    """A grant the citizen's device signs with an id of its choosing (what a hostile or
    confused wallet could do): the ordinary draft, its id replaced before signing."""
    draft = world.client.post("/v1/grants/draft", json=terms, headers=headers).json()
    typed = draft["typedData"]
    typed["message"]["grant"] = "0x" + grant_id
    signature = sign_typed(typed, citizen.private_key)
    response = world.client.post(
        "/v1/grants", json={**terms, "grantId": grant_id, "signature": signature}, headers=headers
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def _consent(
    world: WalletWorld, citizen: DemoCitizen, headers: dict[str, str], request_id: str
) -> dict[str, Any]:
    """What the wallet page does: read the request, draft, sign, create the grant, answer."""
    asked = world.client.get(f"{BASE}/{request_id}/object", headers=headers)
    assert asked.status_code == 200, asked.text
    certificate_id = asked.json()["certificates"][0]["id"]
    draft = world.client.post(
        f"{BASE}/{request_id}/draft", json={"certificateId": certificate_id}, headers=headers
    )
    assert draft.status_code == 200, draft.text
    drafted = draft.json()
    signature = sign_typed(drafted["typedData"], citizen.private_key)
    created = world.client.post(
        "/v1/grants",
        json={**drafted["terms"], "grantId": drafted["grantId"], "signature": signature},
        headers=headers,
    )
    assert created.status_code == 201, created.text
    grant = created.json()
    answered = world.client.post(
        f"{BASE}/{request_id}/answer",
        json={"reference": grant["reference"], "key": grant["key"]},
        headers=headers,
    )
    assert answered.status_code == 200, answered.text
    made: dict[str, Any] = grant
    return made


def _problem(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["code"] == code, response.text


def test_the_unit_asks_the_citizen_consents_and_the_unit_sees_the_verdict(wallet_on: WalletWorld) -> None:
    world = wallet_on
    unit, citizen = world.units[0], world.citizens[0]
    headers = world.citizen_headers(citizen)
    created = _ask(world, unit)
    request_id = created["id"]
    assert created["link"] == f"https://wallet.test/q/{request_id}"
    assert created["qrSvg"].startswith("<?xml") or created["qrSvg"].startswith("<svg")
    assert created["state"] == "pending"
    assert created["clientId"] == unit.credit_code
    assert created["responseUri"] == f"https://wallet.test{BASE}/{request_id}/answer"
    created_at = datetime.fromisoformat(created["createdAt"])
    assert created_at == world.context.clock()
    assert datetime.fromisoformat(created["expiresAt"]) - created_at == timedelta(minutes=5)

    # The citizen sees who asks, from the service's records, with the fields' Chinese labels.
    asked = world.client.get(f"{BASE}/{request_id}/object", headers=headers).json()
    request = asked["request"]
    assert request["client"] == {"id": unit.id, "name": unit.name, "creditCode": unit.credit_code}
    assert request["purpose"] == "入职核验参保情况"
    labels = {field["name"]: field["label"]["zh"] for field in request["presentationDefinition"]["fields"]}
    # Whose record it is comes with every request for a type: the holder's identity number too.
    assert labels == {
        "certificate_no": "证明编号",
        "holder_id": "公民身份号码",
        "holder_name": "姓名",
        "pension": "养老保险",
    }
    assert list(labels) == ASKED  # in the schema's order
    assert [c["type"] for c in asked["certificates"]] == ["contribution-certificate/v1"]

    # The draft carries the nonce as the grant's id: the citizen signs it.
    certificate_id = asked["certificates"][0]["id"]
    drafted = world.client.post(
        f"{BASE}/{request_id}/draft", json={"certificateId": certificate_id}, headers=headers
    ).json()
    assert drafted["grantId"] == created["nonce"]
    assert drafted["typedData"]["message"]["grant"] == "0x" + created["nonce"]
    assert drafted["terms"]["unitId"] == unit.id
    assert drafted["terms"]["fields"] == ASKED
    assert drafted["terms"]["expires"] == int(world.context.clock().timestamp()) + 3600

    # Before the consent, a poll waits and sees the request pending.
    collect = {**world.unit_headers(unit), "X-Collect-Key": created["collectKey"]}
    pending = world.client.get(f"{BASE}/{request_id}", params={"wait": 1}, headers=collect).json()
    assert (pending["request"]["state"], pending["result"]) == ("pending", None)

    grant = _consent(world, citizen, headers, request_id)

    # Without the collection key the unit sees that it was answered, and nothing else.
    bare = world.client.get(f"{BASE}/{request_id}", headers=world.unit_headers(unit)).json()
    assert (bare["request"]["state"], bare["result"]) == ("answered", None)
    # In the database the answer is sealed: the reference and key are nowhere in plain.
    with world.context.engine.connect() as connection:
        stored = connection.execute(
            select(presentation_requests.c.answer).where(presentation_requests.c.id == request_id)
        ).scalar_one()
    assert grant["key"].encode() not in stored and grant["reference"].encode() not in stored

    polled = world.client.get(f"{BASE}/{request_id}", params={"wait": 5}, headers=collect).json()
    assert polled["request"]["state"] == "collected"
    result = polled["result"]
    assert result["outcome"] == "redeemed"
    verification = result["redemption"]["verification"]
    assert verification["verdict"] == "VALID"
    assert set(verification["disclosed"]) == set(ASKED)
    assert verification["view"] is not None
    assert result["redemption"]["grant"]["id"] == created["nonce"]

    # The redemption went the ordinary way: one use spent, logged for the citizen to see.
    seen = world.client.get(f"/v1/grants/{created['nonce']}", headers=headers).json()
    assert (seen["usesLeft"], seen["state"]) == (0, "used_up")

    # Collected once: a later poll has no result, and the request cannot be answered again.
    again = world.client.get(f"{BASE}/{request_id}", headers=collect).json()
    assert (again["request"]["state"], again["result"]) == ("collected", None)
    _problem(
        world.client.post(
            f"{BASE}/{request_id}/answer",
            json={"reference": grant["reference"], "key": grant["key"]},
            headers=headers,
        ),
        409,
        "request.used",
    )
    _problem(
        world.client.post(
            f"{BASE}/{request_id}/draft",
            json={"certificateId": grant["grant"]["certificateId"]},
            headers=headers,
        ),
        409,
        "request.used",
    )


def test_an_answer_survives_a_redemption_that_could_not_run(
    wallet: WalletWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the redemption cannot run (the chain is away), the answer is put back: the next
    poll redeems it; and a grant revoked before the unit collects is shown as refused."""
    world = wallet
    unit, citizen = world.units[0], world.citizens[0]
    headers = world.citizen_headers(citizen)
    created = _ask(world, unit)
    _consent(world, citizen, headers, created["id"])
    collect = {**world.unit_headers(unit), "X-Collect-Key": created["collectKey"]}

    async def unavailable(*args: Any, **kwargs: Any) -> Any:
        raise ServiceUnavailableError("the chain cannot be reached", code="chain.unavailable")

    monkeypatch.setattr("wallet_api.routers.presentation_requests.redeem_link", unavailable)
    _problem(world.client.get(f"{BASE}/{created['id']}", headers=collect), 503, "chain.unavailable")
    monkeypatch.undo()
    polled = world.client.get(f"{BASE}/{created['id']}", headers=collect).json()
    assert polled["result"]["redemption"]["verification"]["verdict"] == "VALID"

    # Revoked between the consent and the collection: the desk is told, with the grant's code.
    second = _ask(world, unit)
    _consent(world, citizen, headers, second["id"])
    assert world.client.post(f"/v1/grants/{second['nonce']}/revoke", headers=headers).status_code == 200
    collect = {**world.unit_headers(unit), "X-Collect-Key": second["collectKey"]}
    polled = world.client.get(f"{BASE}/{second['id']}", headers=collect).json()
    assert polled["result"] == {
        "outcome": "refused",
        "redemption": None,
        "problem": {"status": 410, "code": "grant.revoked", "detail": "the citizen revoked this grant"},
    }
    assert polled["request"]["state"] == "collected"


def test_answers_are_refused_for_another_unit_other_fields_and_an_unbound_grant(wallet: WalletWorld) -> None:
    world = wallet
    unit, other = world.units[0], world.units[1]
    citizen = world.citizens[0]
    headers = world.citizen_headers(citizen)
    certificate_id = _contribution(world, headers)
    created = _ask(world, unit)
    request_id, nonce = created["id"], created["nonce"]
    answer = f"{BASE}/{request_id}/answer"

    # A grant of the citizen's, for the right unit and fields, but not drafted for this request.
    loose = world.grant(citizen, headers, world.terms(certificate_id, unit, fields=FIELDS))
    _problem(
        world.client.post(
            answer, json={"reference": loose["reference"], "key": loose["key"]}, headers=headers
        ),
        422,
        "request.not_bound",
    )
    # Bound by the nonce, but addressed to another unit.
    elsewhere = _grant_with_id(
        world, citizen, headers, world.terms(certificate_id, other, fields=FIELDS), nonce
    )
    _problem(
        world.client.post(
            answer, json={"reference": elsewhere["reference"], "key": elsewhere["key"]}, headers=headers
        ),
        403,
        "grant.wrong_unit",
    )
    # Fields not covered: a second request, its nonce on a grant for fewer fields.
    second = _ask(world, unit)
    fewer = _grant_with_id(
        world, citizen, headers, world.terms(certificate_id, unit, fields=["holder_name"]), second["nonce"]
    )
    _problem(
        world.client.post(
            f"{BASE}/{second['id']}/answer",
            json={"reference": fewer["reference"], "key": fewer["key"]},
            headers=headers,
        ),
        422,
        "request.fields_not_covered",
    )
    # A third request answered by a revoked grant of its own nonce.
    third = _ask(world, unit)
    revoked = _grant_with_id(
        world, citizen, headers, world.terms(certificate_id, unit, fields=ASKED), third["nonce"]
    )
    assert world.client.post(f"/v1/grants/{third['nonce']}/revoke", headers=headers).status_code == 200
    _problem(
        world.client.post(
            f"{BASE}/{third['id']}/answer",
            json={"reference": revoked["reference"], "key": revoked["key"]},
            headers=headers,
        ),
        409,
        "request.grant_inactive",
    )
    # A fourth, answered with its own grant but a key that does not open it.
    fourth = _ask(world, unit)
    keyed = _grant_with_id(
        world, citizen, headers, world.terms(certificate_id, unit, fields=ASKED), fourth["nonce"]
    )
    _problem(
        world.client.post(
            f"{BASE}/{fourth['id']}/answer",
            json={"reference": keyed["reference"], "key": "A" * 43},
            headers=headers,
        ),
        422,
        "grant.bad_key",
    )
    # Someone else's grant link: not found, as one that does not exist.
    neighbour = world.citizens[1]
    _problem(
        world.client.post(
            answer,
            json={"reference": loose["reference"], "key": loose["key"]},
            headers=world.citizen_headers(neighbour),
        ),
        404,
        "grant.not_found",
    )
    # None of these answered anything.
    states = [
        world.client.get(f"{BASE}/{r}", headers=world.unit_headers(unit)).json()["request"]["state"]
        for r in (request_id, second["id"], third["id"], fourth["id"])
    ]
    assert states == ["pending"] * 4


def test_only_the_requesting_unit_reads_a_request(wallet: WalletWorld) -> None:
    world = wallet
    unit, other = world.units[0], world.units[1]
    created = _ask(world, unit)
    request_id = created["id"]
    unknown = os.urandom(16).hex()
    for path in (f"{BASE}/{request_id}", f"{BASE}/{unknown}"):
        refused = world.client.get(
            path, headers=world.unit_headers(other) if request_id in path else world.unit_headers(unit)
        )
        _problem(refused, 404, "request.not_found")
    # Even with the right collection key, another unit finds nothing.
    _problem(
        world.client.get(
            f"{BASE}/{request_id}",
            headers={**world.unit_headers(other), "X-Collect-Key": created["collectKey"]},
        ),
        404,
        "request.not_found",
    )
    citizen_headers = world.citizen_headers(world.citizens[0])
    _problem(world.client.get(f"{BASE}/{unknown}/object", headers=citizen_headers), 404, "request.not_found")
    _problem(
        world.client.post(
            f"{BASE}/{unknown}/answer", json={"reference": "A" * 16, "key": "A" * 43}, headers=citizen_headers
        ),
        404,
        "request.not_found",
    )
    # Another request's collection key does not open this one; a malformed one is refused too.
    stranger = _ask(world, unit)
    headers = world.unit_headers(unit)
    _problem(
        world.client.get(
            f"{BASE}/{request_id}", headers={**headers, "X-Collect-Key": stranger["collectKey"]}
        ),
        403,
        "request.bad_collect_key",
    )
    _problem(
        world.client.get(f"{BASE}/{request_id}", headers={**headers, "X-Collect-Key": "short"}),
        422,
        "request.bad_collect_key",
    )
    # The roles: a unit key makes requests and a citizen answers, not the other way round.
    _problem(
        world.client.post(
            BASE, json={"fields": FIELDS, "purpose": "x", "grantSeconds": 60}, headers=citizen_headers
        ),
        401,
        "auth.required",
    )
    _problem(world.client.get(f"{BASE}/{request_id}/object", headers=headers), 401, "auth.required")


def test_an_expired_request_cannot_be_answered(wallet: WalletWorld) -> None:
    world = wallet
    clock = world.context.clock
    assert isinstance(clock, FixedClock)
    unit, citizen = world.units[0], world.citizens[0]
    headers = world.citizen_headers(citizen)
    certificate_id = _contribution(world, headers)
    created = _ask(world, unit, lifetimeSeconds=60)
    request_id = created["id"]
    drafted = world.client.post(
        f"{BASE}/{request_id}/draft", json={"certificateId": certificate_id}, headers=headers
    ).json()
    signature = sign_typed(drafted["typedData"], citizen.private_key)
    grant = world.client.post(
        "/v1/grants",
        json={**drafted["terms"], "grantId": drafted["grantId"], "signature": signature},
        headers=headers,
    ).json()
    clock.advance(timedelta(seconds=60))
    _problem(
        world.client.post(
            f"{BASE}/{request_id}/answer",
            json={"reference": grant["reference"], "key": grant["key"]},
            headers=headers,
        ),
        409,
        "request.expired",
    )
    _problem(
        world.client.post(
            f"{BASE}/{request_id}/draft", json={"certificateId": certificate_id}, headers=headers
        ),
        409,
        "request.expired",
    )
    polled = world.client.get(
        f"{BASE}/{request_id}", headers={**world.unit_headers(unit), "X-Collect-Key": created["collectKey"]}
    )
    assert (polled.json()["request"]["state"], polled.json()["result"]) == ("expired", None)


REFUSED_REQUESTS: list[tuple[dict[str, Any], int, str]] = [
    ({"fields": ["no_such_field"]}, 422, "request.fields"),
    (
        {"fields": ["injury"]},
        422,
        "request.fields",
    ),  # a work-injury field, asked of a contribution certificate
    ({"type": "no-such-type"}, 422, "request.type"),
    ({"purpose": "   "}, 422, "request.purpose"),
    ({"grantSeconds": 31 * 86_400}, 422, "request.grant_term"),
    ({"grantSeconds": 59}, 422, "request.invalid"),
    ({"lifetimeSeconds": 601}, 422, "request.invalid"),
    ({"lifetimeSeconds": 29}, 422, "request.invalid"),
    ({"fields": []}, 422, "request.invalid"),
    ({"fields": ["pension"] * 65}, 422, "request.invalid"),
    ({"fields": ["<script>"]}, 422, "request.invalid"),
    ({"purpose": "长" * 201}, 422, "request.invalid"),
    ({"uses": 0}, 422, "request.invalid"),
    ({"extra": 1}, 422, "request.invalid"),
]


def test_a_request_is_checked_before_it_is_stored(wallet: WalletWorld) -> None:
    world = wallet
    for overrides, status, code in REFUSED_REQUESTS:
        body = {
            "fields": FIELDS,
            "purpose": "入职核验",
            "grantSeconds": 3600,
            "type": "contribution-certificate",
        } | overrides
        response = world.client.post(BASE, json=body, headers=world.unit_headers(world.units[0]))
        assert (response.status_code, response.json()["code"]) == (status, code), overrides
    with world.context.engine.connect() as connection:
        assert connection.execute(select(presentation_requests.c.id)).first() is None


def test_hostile_bodies_are_refused_with_stable_codes(wallet: WalletWorld) -> None:
    world = wallet
    headers = {**world.unit_headers(world.units[0]), "Content-Type": "application/json"}
    huge = b'{"fields":["pension"],"purpose":"' + b"x" * (2 << 20) + b'","grantSeconds":60}'
    _problem(world.client.post(BASE, content=huge, headers=headers), 413, "request.too_large")
    deep = b'{"fields":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    _problem(world.client.post(BASE, content=deep, headers=headers), 422, "request.too_deep")
    _problem(world.client.post(BASE, content=b"{not json", headers=headers), 400, "request.malformed")
    citizen = world.citizen_headers(world.citizens[0])
    created = _ask(world, world.units[0])
    _problem(
        world.client.post(
            f"{BASE}/{created['id']}/answer", json={"reference": "A" * 16, "key": "!" * 43}, headers=citizen
        ),
        422,
        "request.invalid",
    )
    _problem(
        world.client.get(f"{BASE}/{created['id']}", params={"wait": 21}, headers=headers),
        422,
        "request.invalid",
    )
    _problem(world.client.get(f"{BASE}/not-an-id", headers=headers), 422, "request.invalid")


def test_the_stand_form_gets_each_type_with_its_labelled_fields(wallet: WalletWorld) -> None:
    response = wallet.client.get(f"{BASE}/types", headers=wallet.unit_headers(wallet.units[0]))
    assert response.status_code == 200, response.text
    types = {item["key"]: item for item in response.json()}
    assert set(types) == {
        "contribution-certificate/v1",
        "pension-qualification/v1",
        "work-injury-determination/v1",
    }
    injury = types["work-injury-determination/v1"]
    assert injury["title"] == {"zh": "认定工伤决定书", "en": "Work-injury determination"}
    assert injury["always"] == ["injured_name", "injured_id"]
    labels = {field["name"]: field["label"]["zh"] for field in injury["fields"]}
    assert labels == {
        "certificate_no": "认定书编号",
        "determination": "认定结论",
        "employer": "用人单位",
        "injured_id": "公民身份号码",
        "injured_name": "受伤害职工姓名",
        "injury": "事故情况",
    }
    assert all(
        field["label"]["zh"] and field["label"]["en"] for item in types.values() for field in item["fields"]
    )


def test_the_stand_link_opens_the_wallet_on_the_request(wallet: WalletWorld) -> None:
    request_id = os.urandom(16).hex()
    response = wallet.client.get(f"/q/{request_id}", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"/wallet#/q/{request_id}"


def test_a_sealed_answer_opens_only_with_its_own_key_and_request() -> None:
    from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey  # noqa: PLC0415

    mine, theirs = X25519PrivateKey.generate(), X25519PrivateKey.generate()
    sealed = seal_to(mine.public_key().public_bytes_raw(), "a" * 32, b'{"reference":"R","key":"K"}')
    assert open_sealed(mine, "a" * 32, sealed) == b'{"reference":"R","key":"K"}'
    assert open_sealed(theirs, "a" * 32, sealed) is None
    assert open_sealed(mine, "b" * 32, sealed) is None
    assert open_sealed(mine, "a" * 32, sealed[:-1] + bytes([sealed[-1] ^ 1])) is None
    assert open_sealed(mine, "a" * 32, sealed[:20]) is None
