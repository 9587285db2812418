"""Limits: budgets per client on logins, grants and redemptions, shared by every process through
the database; body and page sizes; random ids."""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from web3 import Web3

from tests.wallet_api.conftest import WalletWorld, build_world
from wallet_api import RateLimitedError
from wallet_api._ratelimit import RateLimiter, budget_engine


@pytest.fixture
def strict(w3: Web3, chain: Any, tmp_path: Path, snapshot: None) -> Iterator[WalletWorld]:
    """A service with small budgets and a small body limit."""
    del snapshot
    world = build_world(
        w3,
        chain.rpc_url,
        f"sqlite:///{tmp_path / 'wallet.db'}",
        tmp_path,
        rate_login=3,
        rate_grants=2,
        rate_redeem=2,
        rate_public=2,
        max_body_bytes=4096,
    )
    with world.client:
        yield world


def test_logins_are_budgeted_per_client(strict: WalletWorld) -> None:
    citizen = strict.citizens[0]
    answers = [
        strict.client.post(
            "/v1/auth/login", json={"login": citizen.identity_number, "password": "wrong password"}
        )
        for _ in range(4)
    ]
    assert [answer.status_code for answer in answers] == [401, 401, 401, 429]
    refused = answers[-1]
    assert refused.json()["code"] == "rate_limited"
    assert int(refused.headers["retry-after"]) >= 1
    # Staff logins draw on the same budget: guessing moves to no other door.
    staff = strict.client.post("/v1/auth/staff-login", json={"username": "operator", "password": "x"})
    assert staff.status_code == 429


def test_grants_and_redemptions_are_budgeted(strict: WalletWorld) -> None:
    citizen = strict.citizens[0]
    headers = strict.citizen_headers(citizen)
    certificate_id = strict.certificate_ids(headers)[0]
    created = [
        strict.grant(citizen, headers, strict.terms(certificate_id, strict.units[0], uses=5))
        for _ in range(2)
    ]
    draft = strict.client.post(
        "/v1/grants/draft", json=strict.terms(certificate_id, strict.units[0]), headers=headers
    )
    third = strict.client.post(
        "/v1/grants",
        json={
            **strict.terms(certificate_id, strict.units[0]),
            "grantId": draft.json()["grantId"],
            "signature": "0x" + "1" * 130,
        },
        headers=headers,
    )
    assert (third.status_code, third.json()["code"]) == (429, "rate_limited")
    unit = strict.unit_headers(strict.units[0])
    answers = [
        strict.client.post("/v1/redemptions", json={"link": created[0]["link"]}, headers=unit)
        for _ in range(3)
    ]
    assert [answer.status_code for answer in answers] == [200, 200, 429]
    # Another unit has a budget of its own.
    other = strict.client.post(
        "/v1/redemptions", json={"link": created[0]["link"]}, headers=strict.unit_headers(strict.units[1])
    )
    assert other.json()["code"] == "grant.wrong_unit"


def test_bodies_over_the_limit_are_refused(strict: WalletWorld) -> None:
    big = {"document": {"padding": "x" * 5000}}
    declared = strict.client.post("/v1/verify", json=big)
    assert declared.status_code == 413
    assert declared.headers["content-type"] == "application/problem+json"
    assert declared.json()["code"] == "request.too_large"

    def chunks() -> Iterator[bytes]:
        yield b'{"document": {"padding": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}}'

    streamed = strict.client.post(
        "/v1/verify", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert (streamed.status_code, streamed.json()["code"]) == (413, "request.too_large")


def test_pages_are_bounded(strict: WalletWorld) -> None:
    headers = strict.citizen_headers(strict.citizens[0])
    assert strict.client.get("/v1/grants?limit=100", headers=headers).status_code == 200
    response = strict.client.get("/v1/grants?limit=101", headers=headers)
    assert (response.status_code, response.json()["code"]) == (422, "request.invalid")
    assert response.json()["errors"][0]["location"] == ["query", "limit"]


def test_ids_are_random(strict: WalletWorld) -> None:
    citizen = strict.citizens[0]
    headers = strict.citizen_headers(citizen)
    certificate_ids = strict.certificate_ids(headers)
    grant = strict.grant(citizen, headers, strict.terms(certificate_ids[0], strict.units[0]))
    ids = [*certificate_ids, grant["grant"]["id"], *(unit.id for unit in strict.units)]
    assert all(re.fullmatch(r"[0-9a-f]{32}", value) for value in ids)
    numbers = sorted(int(value, 16) for value in ids)
    # 128 random bits: neighbours are nowhere near each other.
    assert all(b - a > 2**64 for a, b in itertools.pairwise(numbers))
    assert re.fullmatch(r"[a-z2-7]{16}", grant["reference"])


def test_request_ids_are_echoed_or_made(strict: WalletWorld) -> None:
    made = strict.client.get("/v1/types")
    assert re.fullmatch(r"[0-9a-f]{16}", made.headers["x-request-id"])
    given = strict.client.get("/v1/types", headers={"X-Request-ID": "abc-123-def-456"})
    assert given.headers["x-request-id"] == "abc-123-def-456"
    refused = strict.client.get("/v1/me", headers={"X-Request-ID": "abc-123-def-789"})
    assert refused.json()["requestId"] == "abc-123-def-789"
    odd = strict.client.get("/v1/types", headers={"X-Request-ID": "bad id\twith spaces"})
    assert odd.headers["x-request-id"] != "bad id\twith spaces"


class _Clock:
    """Seconds that move only when told."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _attempts(limiter: RateLimiter, count: int, *, client: str = "203.0.113.7") -> list[float | None]:
    """`count` takes of 10 a minute: None for each granted, the Retry-After of each refused."""
    outcomes: list[float | None] = []
    for _ in range(count):
        try:
            limiter.take("login", client, per_minute=10)
            outcomes.append(None)
        except RateLimitedError as refused:
            outcomes.append(refused.retry_after)
    return outcomes


@pytest.fixture
def clock() -> _Clock:
    """The limiters' clock."""
    return _Clock()


@pytest.fixture
def limiters(engine: Engine, clock: _Clock) -> list[RateLimiter]:
    """Two limiters on one migrated database (disposed with it), as two API processes have."""
    return [RateLimiter(budget_engine(engine), key=b"k" * 32, clock=clock) for _ in range(2)]


def test_processes_spend_one_budget_in_the_database(limiters: list[RateLimiter], clock: _Clock) -> None:
    """Four threads in each of two limiters race for 10 a minute."""
    outcomes: list[float | None] = []
    lock = threading.Lock()

    def spend(limiter: RateLimiter) -> None:
        mine = _attempts(limiter, 10)
        with lock:
            outcomes.extend(mine)

    threads = [threading.Thread(target=spend, args=(limiter,)) for limiter in limiters for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count(None) == 10
    assert sorted(outcome for outcome in outcomes if outcome is not None) == [6.0] * 70  # one per 6 s
    # It refills continuously, for every process: one more after 6 s, and another after 6 more.
    clock.now += 6.0
    assert _attempts(limiters[1], 2) == [None, 6.0]
    clock.now += 3.0
    assert _attempts(limiters[0], 1) == [3.0]
    # A clock stepped back refills nothing until it is where the bucket was last spent.
    clock.now -= 60.0
    assert _attempts(limiters[0], 1) == [63.0]
    # Other clients and other actions have budgets of their own.
    assert _attempts(limiters[0], 1, client="203.0.113.8") == [None]
    limiters[0].take("verify", "203.0.113.7", per_minute=1)


def test_idle_budgets_are_forgotten(limiters: list[RateLimiter], clock: _Clock, engine: Engine) -> None:
    limiter = limiters[0]
    _attempts(limiter, 11, client="203.0.113.7")
    clock.now += 100.0
    _attempts(limiter, 1, client="203.0.113.8")
    clock.now += 30.0  # the first idle for 130 s (full again after 60), the second for 30
    limiter.prune()
    with engine.connect() as connection:
        left = connection.execute(sa.text("SELECT client, tokens FROM rate_budgets")).all()
    assert [tuple(row) for row in left] == [(limiter.client_key("203.0.113.8"), 9.0)]
    assert "203.0.113" not in str(left)  # no address is stored
    # A forgotten budget is a full one.
    assert _attempts(limiter, 11, client="203.0.113.7") == [None] * 10 + [6.0]
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            persistence = connection.execute(
                sa.text("SELECT relpersistence FROM pg_class WHERE relname = 'rate_budgets'")
            ).scalar_one()
        assert persistence == "u"  # UNLOGGED: no WAL, no flush to wait for
