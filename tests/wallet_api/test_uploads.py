"""Large records files through the console's routes: sent whole past the 1 MiB body limit, or in
resumable pieces; issued in the background, followed again after a dropped stream, issued again
after a failure without issuing anything twice; their refused rows downloaded."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest
from web3 import Web3

from ledger import FixedClock
from scripts.demo_data import generate
from tests.conftest import NOW
from tests.wallet_api.conftest import WalletWorld, build_world
from wallet_api import _office
from wallet_api._errors import NotFoundError
from wallet_api._office import OfficeDesk

TYPE = "pension-qualification"


@pytest.fixture
def small(
    w3: Web3, chain: Any, tmp_path: Path, snapshot: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[WalletWorld]:
    """A service whose ordinary bodies may have 1 KiB, and pieces 4 KiB, on a clock tests move.
    No worker anchors: the stream hands the anchoring over at once."""
    del snapshot
    monkeypatch.setattr(_office, "ANCHOR_WAIT", 0.0)
    world = build_world(
        w3,
        chain.rpc_url,
        f"sqlite:///{tmp_path / 'wallet.db'}",
        tmp_path,
        clock=FixedClock(NOW),
        max_body_bytes=1024,
        max_piece_bytes=4096,
        max_upload_bytes=1 << 20,
    )
    with world.client:
        yield world
    world.context.engine.dispose()


def records(
    count: int, *, bad: tuple[int, ...] = (), prefix: str = "YLUP"
) -> tuple[bytes, list[dict[str, Any]]]:
    documents = list(generate(TYPE, count, seed=count, prefix=prefix))
    for index in bad:
        number = documents[index]["holder_id"]
        documents[index]["holder_id"] = number[:-1] + ("3" if number[-1] != "3" else "4")
    return "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in documents).encode(), documents


def events(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    return [orjson.loads(line) for line in response.text.splitlines() if line.strip()]


def send(
    world: WalletWorld, content: bytes, *, key: str = "k1", piece: int = 4096, headers: Any = None
) -> str:
    headers = headers or world.staff_headers("operator")
    opened = world.client.post(
        "/v1/office/uploads",
        json={"filename": "export.jsonl", "size": len(content), "key": key},
        headers=headers,
    )
    assert opened.status_code == 201, opened.text
    upload = opened.json()
    while not upload["complete"]:
        start = upload["received"]
        answer = world.client.patch(
            f"/v1/office/uploads/{upload['id']}",
            content=content[start : start + piece],
            headers={**headers, "Upload-Offset": str(start), "Content-Type": "application/octet-stream"},
        )
        assert answer.status_code == 200, answer.text
        upload = answer.json()
    return str(upload["id"])


def test_a_file_past_the_body_limit_is_taken_whole_and_issued(small: WalletWorld) -> None:
    content, _ = records(40)
    assert len(content) > 10 * 1024  # ten times the body limit
    response = small.client.post(
        "/v1/office/issuance",
        data={"type": TYPE},
        files={"file": ("export.jsonl", content)},
        headers=small.staff_headers("operator"),
    )
    issued = next(event for event in events(response) if event["event"] == "issued")
    assert (issued["issued"], issued["refused"]) == (40, 0)
    # An ordinary JSON body is still held to its 1 KiB.
    big = small.client.post("/v1/auth/staff-login", json={"username": "x" * 2000, "password": "y"})
    assert (big.status_code, big.json()["code"]) == (413, "request.too_large")


def test_a_file_past_the_upload_limit_is_refused_even_without_a_declared_length(small: WalletWorld) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'--b\r\nContent-Disposition: form-data; name="type"\r\n\r\n' + TYPE.encode() + b"\r\n"
        yield b'--b\r\nContent-Disposition: form-data; name="file"; filename="x.jsonl"\r\n\r\n'
        for _ in range(40):
            yield b"{}\n" * 10_000  # 1.2 MB in all: past the 1 MiB upload limit
        yield b"\r\n--b--\r\n"

    response = small.client.post(
        "/v1/office/issuance",
        content=chunks(),
        headers={**small.staff_headers("operator"), "Content-Type": "multipart/form-data; boundary=b"},
    )
    assert (response.status_code, response.json()["code"]) == (413, "request.too_large")
    folder = small.context.settings.data_dir / "uploads"
    assert not [path for path in folder.glob("*.jsonl") if path.stat().st_size], "nothing half-written kept"


def test_a_file_goes_up_in_pieces_and_is_issued_with_its_refusals(small: WalletWorld) -> None:
    content, documents = records(30, bad=(4, 17))
    upload = send(small, content)
    response = small.client.post(
        f"/v1/office/uploads/{upload}/issuance", json={"type": TYPE}, headers=small.staff_headers("operator")
    )
    stream = events(response)
    assert stream[0] == {"event": "started", "type": f"{TYPE}/v1", "total": len(content), "upload": upload}
    issued = next(event for event in stream if event["event"] == "issued")
    assert (issued["read"], issued["issued"], issued["refused"]) == (30, 28, 2)
    assert [event["line"] for event in stream if event["event"] == "rejected"] == [5, 18]

    rejected = [event for event in stream if event["event"] == "rejected"]
    assert rejected[0]["code"] == "format.id_number", rejected[0]
    assert rejected[0]["reasonZh"].startswith(rejected[0]["label"] + " "), rejected[0]
    assert documents[4]["holder_id"] not in json.dumps(stream, ensure_ascii=False), "identity numbers masked"
    # The refused rows, as sent (a JSON Lines file gives JSON Lines), each with its refusal.
    refused = small.client.get(
        f"/v1/office/uploads/{upload}/refused-rows", headers=small.staff_headers("operator")
    )
    assert refused.status_code == 200, refused.text
    assert refused.headers["content-type"].startswith("application/x-ndjson")
    back = [json.loads(line) for line in refused.text.splitlines()]
    assert [(row["_refusal"]["line"], row["certificate_no"]) for row in back] == [
        (5, documents[4]["certificate_no"]),
        (18, documents[17]["certificate_no"]),
    ]
    assert back[0]["holder_id"] == documents[4]["holder_id"], "the operator's own rows come back unmasked"
    # Issued: its bytes are gone; the upload cannot be issued again, only sent again.
    gone = small.client.get(f"/v1/office/uploads/{upload}", headers=small.staff_headers("operator"))
    assert (gone.status_code, gone.json()["code"]) == (404, "upload.not_found")


def test_a_piece_at_the_wrong_offset_is_refused_with_where_to_go_on(small: WalletWorld) -> None:
    headers = small.staff_headers("operator")
    content, _ = records(20)
    upload = small.client.post(
        "/v1/office/uploads", json={"filename": "e.jsonl", "size": len(content), "key": "k"}, headers=headers
    ).json()
    url = f"/v1/office/uploads/{upload['id']}"
    assert (
        small.client.patch(url, content=content[:1000], headers={**headers, "Upload-Offset": "0"}).json()[
            "received"
        ]
        == 1000
    )
    # The same piece again (its answer was lost): refused, nothing written twice.
    again = small.client.patch(url, content=content[:1000], headers={**headers, "Upload-Offset": "0"})
    assert (again.status_code, again.json()["code"]) == (409, "upload.offset_mismatch")
    assert "go on from 1000" in again.json()["detail"]
    # A piece past the file's end is refused whole.
    short = small.client.post(
        "/v1/office/uploads", json={"filename": "s.jsonl", "size": 1500, "key": "s"}, headers=headers
    ).json()
    short_url = f"/v1/office/uploads/{short['id']}"
    small.client.patch(short_url, content=b"x" * 1000, headers={**headers, "Upload-Offset": "0"})
    past = small.client.patch(short_url, content=b"y" * 1000, headers={**headers, "Upload-Offset": "1000"})
    assert (past.status_code, past.json()["code"]) == (422, "upload.too_long")
    assert small.client.get(short_url, headers=headers).json()["received"] == 1000
    # A piece larger than a piece may be never reaches the route.
    huge = small.client.patch(url, content=b"x" * 5000, headers={**headers, "Upload-Offset": "1000"})
    assert (huge.status_code, huge.json()["code"]) == (413, "request.too_large")
    # Not issued before it is whole.
    early = small.client.post(f"{url}/issuance", json={"type": TYPE}, headers=headers)
    assert (early.status_code, early.json()["code"]) == (409, "upload.incomplete")


def test_the_same_file_opened_again_goes_on_where_it_stopped(small: WalletWorld) -> None:
    headers = small.staff_headers("operator")
    content, _ = records(20)
    body = {"filename": "export.jsonl", "size": len(content), "key": "export.jsonl|1234|1700000000"}
    first = small.client.post("/v1/office/uploads", json=body, headers=headers).json()
    small.client.patch(
        f"/v1/office/uploads/{first['id']}", content=content[:2048], headers={**headers, "Upload-Offset": "0"}
    )
    # The tab was closed; the operator chooses the same file again.
    again = small.client.post("/v1/office/uploads", json=body, headers=headers).json()
    assert (again["id"], again["received"]) == (first["id"], 2048)
    # Another file, or another operator, gets an upload of its own.
    other = small.client.post("/v1/office/uploads", json={**body, "key": "other"}, headers=headers).json()
    assert (other["id"] != first["id"], other["received"]) == (True, 0)


def test_an_upload_larger_than_allowed_or_than_the_disk_is_refused_before_a_byte(
    small: WalletWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = small.staff_headers("operator")
    body = {"filename": "e.csv", "size": (1 << 20) + 1, "key": "k"}
    refused = small.client.post("/v1/office/uploads", json=body, headers=headers)
    assert (refused.status_code, refused.json()["code"]) == (422, "upload.too_large")
    wrong = small.client.post(
        "/v1/office/uploads", json={**body, "filename": "e.pdf", "size": 10}, headers=headers
    )
    assert (wrong.status_code, wrong.json()["code"]) == (422, "issuance.bad_file")

    class Full:
        free = 1000

    monkeypatch.setattr("wallet_api._uploads.shutil.disk_usage", lambda path: Full())
    full = small.client.post("/v1/office/uploads", json={**body, "size": 10_000}, headers=headers)
    assert (full.status_code, full.json()["code"]) == (503, "upload.no_space")


def test_an_upload_untouched_for_a_week_is_swept_away(small: WalletWorld) -> None:
    # The store on the service's clock (tokens are checked against the real one, so the routes
    # are not used once the clock has moved days ahead).
    store = OfficeDesk(small.context).uploads
    first = store.open("operator-1", "e.jsonl", 1400, "k")
    store.append(first.id, 0, [b"x" * 100])
    clock = small.context.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(days=6))
    store.open("operator-1", "e.jsonl", 1400, "x")  # opening sweeps
    assert store.get(first.id).received == 100
    clock.advance(timedelta(days=2))
    store.open("operator-1", "e.jsonl", 1400, "y")
    with pytest.raises(NotFoundError) as gone:
        store.get(first.id)
    assert gone.value.error_code == "upload.not_found"
    assert not list(store.folder.glob(f"{first.id}*")), "its bytes and its companions are gone"


def test_an_issuance_that_fails_midway_is_issued_again_without_issuing_anything_twice(
    small: WalletWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = small.staff_headers("operator")
    content, _ = records(25)
    upload = send(small, content)
    issuance = small.context.issuance()
    real = issuance._issue_chunk  # the fault goes in after the first chunk
    calls = 0

    def failing(*args: Any, **kwargs: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise OSError("the disk went away")
        real(*args, **kwargs)

    monkeypatch.setattr(issuance, "_issue_chunk", failing)
    monkeypatch.setattr(small.context, "issuance", lambda: issuance)

    def issue_in_chunks_of_ten(documents: Any, certificate_type: Any, **options: Any) -> Any:
        return type(issuance).issue(issuance, documents, certificate_type, chunk_size=10, **options)

    monkeypatch.setattr(issuance, "issue", issue_in_chunks_of_ten)
    failed = events(
        small.client.post(f"/v1/office/uploads/{upload}/issuance", json={"type": TYPE}, headers=headers)
    )
    assert failed[-1] == {
        "event": "error",
        "code": "internal",
        "detail": "the issuance stopped; see the service log",
        "detailZh": _office._INTERNAL_ZH,
    }
    followed = events(small.client.get(f"/v1/office/uploads/{upload}/issuance", headers=headers))
    assert followed[-1]["event"] == "error"
    # The upload is kept: issuing it again skips the ten issued and issues the fifteen others.
    monkeypatch.setattr(issuance, "_issue_chunk", real)
    again = events(
        small.client.post(f"/v1/office/uploads/{upload}/issuance", json={"type": TYPE}, headers=headers)
    )
    issued = next(event for event in again if event["event"] == "issued")
    assert (issued["issued"], issued["alreadyIssued"]) == (15, 10)
    with small.context.engine.connect() as connection:
        numbers = (
            connection.exec_driver_sql(
                "SELECT certificate_no FROM certificates WHERE certificate_no LIKE 'YLUP%'"
            )
            .scalars()
            .all()
        )
    assert len(numbers) == len(set(numbers)) == 25


def test_an_issuance_is_followed_again_and_runs_once_at_a_time(
    small: WalletWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = small.staff_headers("operator")
    content, _ = records(12)
    upload = send(small, content)
    release = threading.Event()
    issuance = small.context.issuance()
    real = type(issuance).issue

    def held(documents: Any, certificate_type: Any, **options: Any) -> Any:
        release.wait(30)
        return real(issuance, documents, certificate_type, **options)

    monkeypatch.setattr(issuance, "issue", held)
    monkeypatch.setattr(small.context, "issuance", lambda: issuance)
    monkeypatch.setattr(_office, "ANCHOR_WAIT", 0.0)
    streams: dict[str, list[dict[str, Any]]] = {}

    def read(name: str, method: str, url: str, **options: Any) -> None:
        streams[name] = events(small.client.request(method, url, headers=headers, **options))

    url = f"/v1/office/uploads/{upload}/issuance"
    first = threading.Thread(target=read, args=("first", "POST", url), kwargs={"json": {"type": TYPE}})
    first.start()
    state = small.context.settings.data_dir / "uploads" / f"{upload}.issuance.json"
    for _ in range(300):
        if state.exists():
            break
        threading.Event().wait(0.05)
    # A second tab issuing the same file is refused; it follows the running one instead.
    twice = small.client.post(url, json={"type": TYPE}, headers=headers)
    assert (twice.status_code, twice.json()["code"]) == (409, "issuance.running")
    follower = threading.Thread(target=read, args=("follower", "GET", url))
    follower.start()
    release.set()
    first.join(60)
    follower.join(60)
    for name in ("first", "follower"):
        stream = streams[name]
        assert stream[0]["event"] == "started", name
        issued = next(event for event in stream if event["event"] == "issued")
        assert (issued["issued"], issued["refused"]) == (12, 0), name
        assert stream[-1]["event"] == "done", name


def test_an_issuance_whose_process_went_away_is_reported_interrupted(small: WalletWorld) -> None:
    headers = small.staff_headers("operator")
    content, _ = records(3)
    upload = send(small, content)
    state = small.context.settings.data_dir / "uploads" / f"{upload}.issuance.json"
    state.write_text(
        json.dumps({"type": f"{TYPE}/v1", "total": len(content), "phase": "reading", "bytes": 10})
    )
    followed = events(small.client.get(f"/v1/office/uploads/{upload}/issuance", headers=headers))
    assert followed[0]["event"] == "started"
    assert followed[-1]["code"] == "issuance.interrupted"
    never = small.client.get("/v1/office/uploads/" + "0" * 32 + "/issuance", headers=headers)
    assert (never.status_code, never.json()["code"]) == (404, "issuance.not_started")
