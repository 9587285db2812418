"""Bodies nested deep enough to overflow a recursive parser are refused before any parser runs.

An outside test killed the API with one 200 KB body of brackets sent to `POST /v1/verify`. Every
operation that takes a JSON body is tried here with depths of 100,000 and 1,000,000, with and
without a content type, anonymously; the service must refuse each with 422 `request.too_deep`
and go on serving. (`tests/verifier/test_cli.py` does the same to a real `certledger serve`.)
"""

from __future__ import annotations

import io
import json

from tests.wallet_api.conftest import WalletWorld

# 1,000,000 brackets that never close fit under the 1 MiB body limit; closed, they would not.
BODIES = {
    "100,000 arrays": b"[" * 100_000 + b"]" * 100_000,
    "100,000 objects": b'{"a":' * 100_000 + b"}" * 100_000,
    "1,000,000 arrays, never closed": b"[" * 1_000_000,
}
CONTENT_TYPES = [None, "application/json", "application/merge-patch+json; charset=utf-8"]


def _json_body_operations(world: WalletWorld) -> list[tuple[str, str]]:
    document = world.client.app.openapi()  # type: ignore[attr-defined]
    return [
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if "application/json" in operation.get("requestBody", {}).get("content", {})
    ]


def test_every_json_body_operation_refuses_deep_nesting_and_the_service_lives_on(
    wallet: WalletWorld,
) -> None:
    operations = _json_body_operations(wallet)
    assert ("POST", "/v1/verify") in operations
    assert ("POST", "/v1/auth/login") in operations
    assert ("POST", "/v1/redemptions") in operations
    for method, template in operations:
        path = template.replace("{", "").replace("}", "")  # any id: the body is refused first
        for name, body in BODIES.items():
            for content_type in CONTENT_TYPES:
                headers = {} if content_type is None else {"Content-Type": content_type}
                answer = wallet.client.request(method, path, content=body, headers=headers)
                where = f"{method} {template} with {name} as {content_type}"
                assert answer.status_code == 422, where
                assert answer.headers["content-type"] == "application/problem+json", where
                problem = answer.json()
                assert problem["code"] == "request.too_deep", where
                assert problem["detail"] == "the JSON nests arrays and objects more than 64 deep"
    citizen = wallet.citizens[0]
    assert wallet.certificate_ids(wallet.citizen_headers(citizen))  # still serving
    assert wallet.client.get("/v1/health").status_code == 200


def test_a_deep_body_of_another_media_type_is_left_to_its_route(wallet: WalletWorld) -> None:
    """Only what FastAPI parses as JSON is scanned: plain text is refused for its media type."""
    answer = wallet.client.post(
        "/v1/verify", content=BODIES["100,000 arrays"], headers={"Content-Type": "text/plain"}
    )
    assert answer.status_code == 422
    assert answer.json()["code"] == "request.invalid"


def test_an_uploaded_file_with_a_deep_row_refuses_that_row_and_issues_the_rest(
    wallet: WalletWorld,
) -> None:
    good = {"certificate_no": "X", "holder_id": "Y"}
    # 200 KB and 600 KB rows of brackets: refused at their lines, and given back as they came.
    lines = [json.dumps(good), "[" * 100_000 + "]" * 100_000, "[" * 600_000]
    upload = ("\n".join(lines) + "\n").encode()
    answer = wallet.client.post(
        "/v1/office/issuance",
        headers=wallet.staff_headers("operator"),
        files={"file": ("deep.jsonl", io.BytesIO(upload), "application/x-ndjson")},
        data={"type": "pension-qualification"},
    )
    assert answer.status_code == 200, answer.text
    events = [json.loads(line) for line in answer.text.splitlines()]
    rejected = {event["line"]: event["reason"] for event in events if event["event"] == "rejected"}
    deep = "not a JSON document: the JSON nests arrays and objects more than 64 deep"
    assert rejected[2] == deep
    assert rejected[3] == deep
    assert events[-1]["event"] == "done"
    upload = events[0]["upload"]
    refused = wallet.client.get(
        f"/v1/office/uploads/{upload}/refused-rows", headers=wallet.staff_headers("operator")
    )
    assert refused.status_code == 200, refused.text
    back = [json.loads(line) for line in refused.text.splitlines()]
    assert [row["_refusal"]["line"] for row in back] == [1, 2, 3]  # line 1 is shallow, but no certificate
    assert back[0]["certificate_no"] == "X"
    assert [len(row["_original"]) for row in back[1:]] == [200_000, 600_000]
