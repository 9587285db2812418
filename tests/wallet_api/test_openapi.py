"""Schemathesis against the service's own OpenAPI document, in process.

Every operation is fuzzed with data that fits its documented request and with data that does not,
anonymously and with the credential its route asks for. Each answer must be no server error, a
documented status code and content type, and a body matching the documented schema — problem+json
error bodies included. Without credentials, every operation but the public ones must answer 401.
A walk through the service with real ids then checks the success bodies, which random ids rarely
reach.

The operations are parametrized from `CREDENTIALS` rather than by ``schema.parametrize()``: the
schema needs the module's world, and schemathesis' fixture-backed schema (``from_fixture``) renames
pytest nodes through ``Node._nodeid``, which pytest 9.2 no longer has. A test holds the table to the
document, so a new route cannot go untested.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Iterator
from typing import Any, Literal

import pytest
import schemathesis
import sqlalchemy as sa
from eth_account import Account
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st
from schemathesis import APIOperation, BaseSchema, Case, CheckFunction, GenerationMode, Response
from web3 import Web3

from audit import Reconciler, reconciliations
from ledger import ManagedChain, personal_message_digest, sign_digest
from tests.issuing import credit_code, identity_number
from tests.wallet_api.conftest import DATABASES, WalletWorld, module_world, sign_typed
from wallet_api import enrolment_message

Operation = APIOperation[Any, Any, Any, Any]
Credential = Literal["citizen", "operator", "auditor", "unit", "session"]

# Who may call each operation: None for anyone; "session" for any logged-in citizen or staff member.
CREDENTIALS: dict[str, Credential | None] = {
    "POST /v1/auth/login": None,
    "POST /v1/auth/staff-login": None,
    "POST /v1/auth/logout": "session",
    "POST /v1/enrolment-codes": "operator",
    "POST /v1/citizens": None,
    "GET /v1/me": "citizen",
    "GET /v1/me/key-backup": "citizen",
    "GET /v1/me/access-log": "citizen",
    "GET /v1/certificates": "citizen",
    "GET /v1/certificates/{certificate_id}": "citizen",
    "GET /v1/certificates/{certificate_id}/document": "citizen",
    "POST /v1/certificates/{certificate_id}/pdf": "citizen",
    "GET /v1/units": "citizen",
    "POST /v1/units": "operator",
    "GET /v1/units/me": "unit",
    "GET /v1/units/me/verifications": "unit",
    "GET /v1/units/me/verifications/{verification_id}/receipt": "unit",
    "GET /v1/units/{unit_id}": "operator",
    "DELETE /v1/units/{unit_id}": "operator",
    "POST /v1/units/{unit_id}/key": "operator",
    "POST /v1/grants/draft": "citizen",
    "POST /v1/grants": "citizen",
    "GET /v1/grants": "citizen",
    "GET /v1/grants/{grant_id}": "citizen",
    "POST /v1/grants/{grant_id}/revoke": "citizen",
    "POST /v1/grants/{grant_id}/qr": "citizen",
    "POST /v1/redemptions": "unit",
    "POST /v1/presentation-requests": "unit",
    "GET /v1/presentation-requests/types": "unit",
    "GET /v1/presentation-requests/{request_id}": "unit",
    "GET /v1/presentation-requests/{request_id}/object": "citizen",
    "POST /v1/presentation-requests/{request_id}/draft": "citizen",
    "POST /v1/presentation-requests/{request_id}/answer": "citizen",
    "GET /v1/audit/log": "auditor",
    "GET /v1/audit/log/entries": "auditor",
    "GET /v1/audit/log/entries/{seq}/proof": "auditor",
    "GET /v1/audit/log/consistency": "auditor",
    "GET /v1/audit/log/check": "auditor",
    "GET /v1/audit/log/activity": "auditor",
    "GET /v1/audit/reconciliations": "auditor",
    "GET /v1/office/reasons": "operator",
    "POST /v1/office/issuance": "operator",
    "POST /v1/office/uploads": "operator",
    "GET /v1/audit/reconciliations/standing": "auditor",
    "GET /v1/audit/reconciliations/run": "auditor",
    "POST /v1/audit/reconciliations/run": "auditor",
    "GET /v1/audit/chain/batches/{batch_id}/certificates": "auditor",
    "POST /v1/reset-codes": "operator",
    "GET /v1/audit/staff-actions": "auditor",
    "GET /v1/office/uploads/{upload_id}": "operator",
    "PATCH /v1/office/uploads/{upload_id}": "operator",
    "POST /v1/office/uploads/{upload_id}/issuance": "operator",
    "GET /v1/office/uploads/{upload_id}/issuance": "operator",
    "GET /v1/office/uploads/{upload_id}/refused-rows": "operator",
    "GET /v1/office/certificates": "operator",
    "GET /v1/office/certificates/{number}": "operator",
    "POST /v1/office/certificates/{number}/status": "operator",
    "GET /v1/audit/chain/issuance": "auditor",
    "GET /v1/audit/chain/batches": "auditor",
    "GET /v1/audit/chain/status": "auditor",
    "GET /v1/audit/chain/trust": "auditor",
    "GET /v1/audit/chain/log-anchors": "auditor",
    "GET /v1/audit/reconciliations/latest": "auditor",
    "GET /v1/health": None,
    "GET /v1/health/live": None,
    "GET /v1/health/ready": None,
    "GET /v1/types": None,
    "GET /v1/types/{name}/v{version}/schema": None,
    "POST /v1/verify": None,
    "POST /v1/verify/code": None,
    "POST /v1/verify/pdf": None,
    "POST /v1/prints/draft": "citizen",
    "POST /v1/prints": "citizen",
    "GET /v1/prints": "citizen",
    "POST /v1/prints/{print_id}/revoke": "citizen",
}
PUBLIC = sorted(label for label, credential in CREDENTIALS.items() if credential is None)
PROTECTED = sorted(label for label, credential in CREDENTIALS.items() if credential is not None)

# Conformance to the document, and data outside the schema refused with a 4xx. Not
# `positive_data_acceptance`: the service checks identity numbers, credit codes and log sizes more
# closely than the document says, and refuses such data with a documented 422.
CHECKS: list[CheckFunction] = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_headers_conformance,
    schemathesis.checks.response_schema_conformance,
    schemathesis.checks.negative_data_rejection,
]
# With a credential, every success is also replayed without it and with a made-up one.
CHECKS_WITH_CREDENTIAL = [*CHECKS, schemathesis.checks.ignored_auth]

# Inputs that fuzzing found to break the service once, sent first on every run; and to each
# operation with a body, a body that is not even UTF-8.
UNREADABLE = b"\xff"
EXAMPLES: dict[str, list[dict[str, Any]]] = {
    "POST /v1/auth/login": [{"body": {"login": "(╯°□°）╯︵ ┻━┻", "password": "secret"}}],
    "GET /v1/audit/log/entries": [{"query": {"start": 2**70}}],
    "GET /v1/me/access-log": [{"query": {"before": 2**70}}],
}

# Bounded so that the module runs in well under two minutes on two cores. No shrinking: a failing
# example is small enough to read as generated, and shrinking it would cost more than the run.
FUZZ = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module", params=DATABASES)
def world(
    request: pytest.FixtureRequest, w3: Web3, chain: ManagedChain, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WalletWorld]:
    """A populated service with contracts of its own, for the whole module, on SQLite and on
    PostgreSQL."""
    yield from module_world(request, w3, chain.rpc_url, tmp_path_factory)


@pytest.fixture(scope="module")
def api(world: WalletWorld) -> BaseSchema:
    """The service's OpenAPI document; schemathesis calls the application in process. Credentials
    are the tests' to send, so none are generated."""
    config = schemathesis.Config.from_dict({"generation": {"with-security-parameters": False}})
    return schemathesis.openapi.from_asgi("/openapi.json", world.client.app, config=config)


@pytest.fixture(scope="module")
def credentials(world: WalletWorld) -> dict[Credential, dict[str, str]]:
    """A caller of each role: a citizen, the operator, the auditor and a unit."""
    return {
        "citizen": world.citizen_headers(world.citizens[0]),
        "operator": world.staff_headers("operator"),
        "auditor": world.staff_headers("auditor"),
        "unit": world.unit_headers(world.units[0]),
    }


def _operation(api: BaseSchema, label: str) -> Operation:
    operation = api.find_operation_by_label(label)
    assert operation is not None, label
    return operation


def _fuzz(api: BaseSchema, label: str, send: Callable[[Case[Any]], object]) -> None:
    """Sends data that fits the operation and data that does not, the `EXAMPLES` first (inputs
    that once found bugs, and an unreadable body for every operation that takes one)."""
    operation = _operation(api, label)
    cases = st.one_of([operation.as_strategy(generation_mode=mode) for mode in GenerationMode])

    def attempt(case: Case[Any]) -> None:
        send(case)

    run = given(case=cases)(attempt)
    examples = [operation.Case(**parts) for parts in EXAMPLES.get(label, [])]
    if "requestBody" in operation.definition.raw:
        ids = {name: "0" * 32 for name in re.findall(r"{(\w+)}", operation.path)}  # only ids so far
        examples.append(operation.Case(path_parameters=ids, body=UNREADABLE))
    for case in examples:
        run = example(case=case)(run)
    FUZZ(run)()


def test_the_table_names_every_operation_and_its_security(api: BaseSchema) -> None:
    secured = {
        f"{method.upper()} {path}": bool(operation.get("security"))
        for path, operations in api.raw_schema["paths"].items()
        for method, operation in operations.items()
    }
    assert set(secured) == set(CREDENTIALS)
    assert sorted(label for label, needs in secured.items() if not needs) == PUBLIC
    assert PUBLIC == [
        "GET /v1/health",
        "GET /v1/health/live",
        "GET /v1/health/ready",
        "GET /v1/types",
        "GET /v1/types/{name}/v{version}/schema",
        "POST /v1/auth/login",
        "POST /v1/auth/staff-login",
        "POST /v1/citizens",
        "POST /v1/verify",
        "POST /v1/verify/code",
        "POST /v1/verify/pdf",
    ]


@pytest.mark.parametrize("label", sorted(CREDENTIALS))
def test_anonymous_calls_conform(api: BaseSchema, label: str) -> None:
    _fuzz(api, label, lambda case: case.call_and_validate(checks=CHECKS))


@pytest.mark.parametrize("label", PROTECTED)
def test_calls_with_the_right_credential_conform(
    api: BaseSchema, world: WalletWorld, credentials: dict[Credential, dict[str, str]], label: str
) -> None:
    credential = CREDENTIALS[label]
    assert credential is not None

    def send(case: Case[Any]) -> None:
        # Logging out ends the session, so each call logs in afresh.
        headers = (
            world.citizen_headers(world.citizens[1]) if credential == "session" else credentials[credential]
        )
        case.call_and_validate(headers=headers, checks=CHECKS_WITH_CREDENTIAL)

    _fuzz(api, label, send)


@pytest.mark.parametrize("label", PROTECTED)
def test_protected_operations_refuse_missing_credentials(api: BaseSchema, label: str) -> None:
    @settings(FUZZ, max_examples=5)
    @given(case=_operation(api, label).as_strategy(generation_mode=GenerationMode.POSITIVE))
    def run(case: Case[Any]) -> None:
        response = case.call_and_validate(checks=CHECKS)
        assert response.status_code == 401, response.text
        assert response.headers["content-type"] == ["application/problem+json"]
        assert response.json()["code"] == "auth.required"

    run()


def test_successful_answers_conform(
    api: BaseSchema, world: WalletWorld, credentials: dict[Credential, dict[str, str]]
) -> None:
    """Each operation once with real ids and data, answered as documented."""

    def call(label: str, headers: dict[str, str] | None, status: int, **parts: Any) -> Response:
        case = _operation(api, label).Case(**parts)
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        assert response.status_code == status, response.text
        return response

    citizen, operator, auditor = credentials["citizen"], credentials["operator"], credentials["auditor"]
    holder = world.citizens[0]
    unit_x, unit_y = world.units
    rng = random.Random("openapi")

    call("GET /v1/health", None, 200)
    call("GET /v1/health/live", None, 200)
    assert call("GET /v1/health/ready", None, 200).json()["status"] == "ready"
    kind = call("GET /v1/types", None, 200).json()[0]
    path = {"name": kind["name"], "version": kind["version"]}
    call("GET /v1/types/{name}/v{version}/schema", None, 200, path_parameters=path)
    login = {"login": holder.identity_number, "password": holder.password}
    session = call("POST /v1/auth/login", None, 200, body=login).json()["accessToken"]
    staff = next(member for member in world.population.staff if member.role == "auditor")
    call(
        "POST /v1/auth/staff-login", None, 200, body={"username": staff.username, "password": staff.password}
    )

    call("GET /v1/me", citizen, 200)
    call("GET /v1/me/key-backup", citizen, 200)
    certificate_id = call("GET /v1/certificates", citizen, 200).json()[0]["id"]
    certificate = {"certificate_id": certificate_id}
    call("GET /v1/certificates/{certificate_id}", citizen, 200, path_parameters=certificate)
    document = call(
        "GET /v1/certificates/{certificate_id}/document", citizen, 200, path_parameters=certificate
    ).json()
    call(
        "GET /v1/certificates/{certificate_id}/document",
        citizen,
        200,
        path_parameters=certificate,
        query={"format": "vc"},
    )
    assert call("POST /v1/verify", None, 200, body={"document": document}).json()["verdict"] == "VALID"

    call("GET /v1/units", citizen, 200)
    call("GET /v1/units/{unit_id}", citizen, 200, path_parameters={"unit_id": unit_x.id})
    terms = world.terms(certificate_id, unit_x)
    draft = call("POST /v1/grants/draft", citizen, 200, body=terms).json()
    signature = sign_typed(draft["typedData"], holder.private_key)
    created = call(
        "POST /v1/grants", citizen, 201, body={**terms, "grantId": draft["grantId"], "signature": signature}
    ).json()
    grant = {"grant_id": created["grant"]["id"]}
    call("GET /v1/grants", citizen, 200)
    call("GET /v1/grants/{grant_id}", citizen, 200, path_parameters=grant)
    for image in ("png", "svg"):
        body = {"key": created["key"], "format": image}
        call("POST /v1/grants/{grant_id}/qr", citizen, 200, path_parameters=grant, body=body)

    link = {"link": created["link"]}
    call("GET /v1/units/me", world.unit_headers(unit_x), 200)
    call("POST /v1/redemptions", world.unit_headers(unit_x), 200, body=link)
    (verification, *_) = call("GET /v1/units/me/verifications", world.unit_headers(unit_x), 200).json()
    receipt = {"verification_id": verification["id"]}
    call(
        "GET /v1/units/me/verifications/{verification_id}/receipt",
        world.unit_headers(unit_x),
        200,
        path_parameters=receipt,
    )
    call(
        "GET /v1/units/me/verifications/{verification_id}/receipt",
        world.unit_headers(unit_y),
        404,
        path_parameters=receipt,
    )
    call("POST /v1/redemptions", world.unit_headers(unit_y), 403, body=link)
    call("POST /v1/grants/{grant_id}/revoke", citizen, 200, path_parameters=grant)
    call("POST /v1/redemptions", world.unit_headers(unit_x), 410, body=link)
    call("GET /v1/me/access-log", citizen, 200)

    world.context.log_anchorer.step()
    size = call("GET /v1/audit/log", auditor, 200).json()["size"]
    call("GET /v1/audit/log/entries", auditor, 200)
    call("GET /v1/audit/log/entries/{seq}/proof", auditor, 200, path_parameters={"seq": 0})
    call("GET /v1/audit/log/consistency", auditor, 200, query={"first": 1, "second": size})
    assert call("GET /v1/audit/log/check", auditor, 200).json()["intact"] is True
    issued = call("GET /v1/audit/chain/issuance", auditor, 200, query={"by": "day"}).json()
    assert issued["total"]["certificates"] > 0
    call("GET /v1/audit/chain/batches", auditor, 200)
    call("GET /v1/audit/chain/status", auditor, 200)
    call("GET /v1/audit/chain/trust", auditor, 200)
    assert call("GET /v1/audit/chain/log-anchors", auditor, 200).json()["anchors"]
    # Pydantic reads a number as seconds since 1970: fuzzing once had "0.0" taken for a day.
    for label in ("GET /v1/audit/chain/issuance", "GET /v1/audit/log/activity"):
        for day in ("0.0", "1700000000", "2026-1-1"):
            refused = call(label, auditor, 422, query={"from": day}).json()
            assert refused["code"] == "request.invalid", refused
    events = call("GET /v1/audit/log/activity", auditor, 200).json()["rows"]
    assert {row["event"] for row in events} >= {"grant.created", "grant.redeemed", "grant.revoked"}
    # The fuzzing before may have pressed "reconcile now" in this shared world: let that run end
    # and forget its result, so that the first answer is the one before any reconciliation.
    for _ in range(600):
        if call("GET /v1/audit/reconciliations/run", auditor, 200).json()["state"] != "running":
            break
        time.sleep(0.05)
    with world.context.engine.begin() as connection:
        connection.execute(sa.delete(reconciliations))
    call("GET /v1/audit/reconciliations/latest", auditor, 404)
    assert call("GET /v1/audit/reconciliations", auditor, 200).json() == []
    Reconciler(world.context.engine, world.context.chain_index).run()
    assert call("GET /v1/audit/reconciliations/latest", auditor, 200).json()["differences"] == 0
    assert len(call("GET /v1/audit/reconciliations", auditor, 200, query={"limit": 5}).json()) == 1

    call("POST /v1/certificates/{certificate_id}/pdf", citizen, 200, path_parameters=certificate, body={})
    printing = {"certificateId": certificate_id, "fields": ["certificate_no", "holder_name"]}
    drafted = call("POST /v1/prints/draft", citizen, 200, body={**printing, "days": 30}).json()
    signed = sign_typed(drafted["typedData"], holder.private_key)
    stored = call(
        "POST /v1/prints",
        citizen,
        201,
        body={**printing, "expires": drafted["expires"], "code": drafted["code"], "signature": signed},
    ).json()
    call("GET /v1/prints", citizen, 200)
    with_code = {"code": drafted["code"]}
    paper = call(
        "POST /v1/certificates/{certificate_id}/pdf",
        citizen,
        200,
        path_parameters=certificate,
        body=with_code,
    )
    assert call("POST /v1/verify/code", None, 200, body=with_code).json()["outcome"] == "verified"
    uploaded = call(
        "POST /v1/verify/pdf", None, 200, body=paper.content, media_type="application/octet-stream"
    ).json()
    assert uploaded["outcome"] == "verified"
    call("POST /v1/prints/{print_id}/revoke", citizen, 200, path_parameters={"print_id": stored["id"]})
    assert call("POST /v1/verify/code", None, 200, body=with_code).json()["code"] == "print.revoked"
    call("GET /v1/office/reasons", operator, 200)
    numbered = {"number": document["claims"]["certificate_no"]}
    call("GET /v1/office/certificates/{number}", operator, 200, path_parameters=numbered)
    assert (
        call("GET /v1/office/certificates", operator, 200, query=numbered).json()[0]["number"]
        == numbered["number"]
    )
    assert call("GET /v1/office/certificates", operator, 200, query={"number": "NONE-1"}).json() == []
    change = {"action": "suspend", "reason": "under-review"}
    call("POST /v1/office/certificates/{number}/status", operator, 200, path_parameters=numbered, body=change)

    number = identity_number(rng)
    code = call("POST /v1/enrolment-codes", operator, 201, body={"identityNumber": number}).json()["code"]
    wallet = Account.create()
    proof = sign_digest(personal_message_digest(enrolment_message(code, wallet.address)), bytes(wallet.key))
    enrolment = {
        "identityNumber": number,
        "code": code,
        "phone": "139" + "".join(str(rng.randrange(10)) for _ in range(8)),
        "password": "a long enough password",
        "walletAddress": wallet.address,
        "walletProof": "0x" + proof.hex(),
    }
    call("POST /v1/citizens", None, 201, body=enrolment)

    unit = call(
        "POST /v1/units", operator, 201, body={"name": "开放接口测试单位", "creditCode": credit_code(rng)}
    ).json()["unit"]
    call("GET /v1/units", operator, 200)
    call("POST /v1/units/{unit_id}/key", operator, 200, path_parameters={"unit_id": unit["id"]})
    call("DELETE /v1/units/{unit_id}", operator, 200, path_parameters={"unit_id": unit["id"]})
    call("POST /v1/auth/logout", {"Authorization": f"Bearer {session}"}, 204)
