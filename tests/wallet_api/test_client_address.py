"""Client addresses and budgets: X-Forwarded-For only from trusted proxies, and one budget per
client however many API processes serve it."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import time
from collections.abc import Iterator
from ipaddress import ip_network
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from fastapi.testclient import TestClient
from httpx2 import Response
from pydantic import ValidationError
from web3 import Web3

from tests.conftest import free_port
from tests.issuing import CERTLEDGER
from tests.wallet_api.conftest import WalletWorld, build_world
from wallet_api import WalletContext, WalletSettings, create_app
from wallet_api._proxies import TrustedProxies
from wallet_api.cli import _UVICORN, _plain

LOOPBACK = ("127.0.0.1", 40000)  # the test client's socket peer: a client on this machine
WRONG = {"username": "nobody", "password": "wrong password"}


@pytest.mark.parametrize(
    ("trusted", "peer", "forwarded", "client"),
    [
        ((), "127.0.0.1", ["203.0.113.7"], "127.0.0.1"),  # no proxy trusted: the header is noise
        (("10.0.0.0/8",), "127.0.0.1", ["203.0.113.7"], "127.0.0.1"),  # the peer is no trusted proxy
        (("127.0.0.1",), "127.0.0.1", [], "127.0.0.1"),
        (("127.0.0.1",), "127.0.0.1", ["203.0.113.7"], "203.0.113.7"),
        # A forged chain: what the client wrote is left of what the proxy appended.
        (("127.0.0.1",), "127.0.0.1", ["198.51.100.1, 203.0.113.7"], "203.0.113.7"),
        # Trusted proxies on the way are skipped, from the right; the first other address is the client.
        (("127.0.0.1", "10.0.0.0/8"), "127.0.0.1", ["198.51.100.1, 203.0.113.7, 10.1.2.3"], "203.0.113.7"),
        (("127.0.0.1", "10.0.0.0/8"), "127.0.0.1", ["198.51.100.1, 203.0.113.7", "10.1.2.3"], "203.0.113.7"),
        # Every entry a trusted proxy: the left-most is the client.
        (("127.0.0.1", "10.0.0.0/8"), "127.0.0.1", ["10.9.9.9, 10.1.2.3"], "10.9.9.9"),
        # Ports, brackets and IPv4 written as IPv6 name the same address.
        (("127.0.0.1",), "127.0.0.1", ["203.0.113.7:4711"], "203.0.113.7"),
        (("127.0.0.1",), "127.0.0.1", ["[2001:db8::1]:4711"], "2001:db8::1"),
        (("127.0.0.1",), "127.0.0.1", ["2001:DB8:0::1"], "2001:db8::1"),
        (("127.0.0.1",), "::ffff:127.0.0.1", ["::ffff:203.0.113.7"], "203.0.113.7"),
        (("::1",), "::1", ["203.0.113.7"], "203.0.113.7"),
        # Malformed values are ignored: the peer stays the client.
        (("127.0.0.1",), "127.0.0.1", ["attacker-chosen"], "127.0.0.1"),
        (("127.0.0.1",), "127.0.0.1", [""], "127.0.0.1"),
        (("127.0.0.1",), "127.0.0.1", ["203.0.113.7,"], "127.0.0.1"),
        (("127.0.0.1",), "127.0.0.1", ["203.0.113.999"], "127.0.0.1"),
        (("127.0.0.1",), "127.0.0.1", ["203.0.113.7:http"], "127.0.0.1"),
        (("127.0.0.1",), "127.0.0.1", ["fe80::1%eth0"], "127.0.0.1"),
        # ... but only those the walk reaches: junk left of the client is never read.
        (("127.0.0.1",), "127.0.0.1", ["unknown, 203.0.113.7"], "203.0.113.7"),
        (("127.0.0.1",), None, ["203.0.113.7"], "unknown"),
    ],
)
def test_the_client_is_the_right_most_address_no_trusted_proxy_wrote(
    trusted: tuple[str, ...], peer: str | None, forwarded: list[str], client: str
) -> None:
    proxies = TrustedProxies(ip_network(network) for network in trusted)
    assert proxies.client(peer, forwarded) == client


def test_trusted_proxies_are_addresses_or_networks_and_reach_every_process() -> None:
    assert WalletSettings().trusted_proxies == ()
    settings = WalletSettings(trusted_proxies=" 127.0.0.1, 10.0.0.0/8,::1 ")
    assert settings.trusted_proxies == (ip_network("127.0.0.1"), ip_network("10.0.0.0/8"), ip_network("::1"))
    # `serve --processes N` hands the settings to its processes as environment values.
    handed = _plain(settings)["trusted_proxies"]
    assert handed == "127.0.0.1/32,10.0.0.0/8,::1/128"
    assert WalletSettings(trusted_proxies=handed).trusted_proxies == settings.trusted_proxies
    for wrong in ("proxy.example", "10.0.0.1/8"):
        with pytest.raises(ValidationError, match="valid IPv4 or IPv6 network"):
            WalletSettings(trusted_proxies=wrong)


def _world(w3: Web3, chain: Any, tmp_path: Path, **settings: Any) -> WalletWorld:
    return build_world(
        w3, chain.rpc_url, f"sqlite:///{tmp_path / 'wallet.db'}", tmp_path, rate_login=3, **settings
    )


@pytest.fixture
def untrusting(w3: Web3, chain: Any, tmp_path: Path, snapshot: None) -> Iterator[WalletWorld]:
    """A service that trusts no proxy (the default), with 3 logins a minute."""
    del snapshot
    world = _world(w3, chain, tmp_path)
    world.context.limiter.clock = lambda: 1_000_000.0  # no refill: exact Retry-After
    with world.client:
        yield world


@pytest.fixture
def behind_proxy(w3: Web3, chain: Any, tmp_path: Path, snapshot: None) -> Iterator[WalletWorld]:
    """A service behind a proxy on 127.0.0.1, with 3 logins a minute."""
    del snapshot
    world = _world(w3, chain, tmp_path, trusted_proxies=("127.0.0.1",))
    world.context.limiter.clock = lambda: 1_000_000.0
    with world.client:
        yield world


def _as_served(world: WalletWorld) -> TestClient:
    """The application as `certledger serve` runs it, wrapped in what uvicorn adds, reached from
    127.0.0.1."""
    config = uvicorn.Config(world.client.app, **_UVICORN)  # type: ignore[arg-type]
    config.load()
    return TestClient(config.loaded_app, client=LOOPBACK, raise_server_exceptions=False)


def _wrong_login(client: TestClient, forwarded_for: str | None = None) -> Response:
    headers = {} if forwarded_for is None else {"X-Forwarded-For": forwarded_for}
    return client.post("/v1/auth/staff-login", json=WRONG, headers=headers)


def _refused(answer: Response) -> tuple[int, str, str]:
    return answer.status_code, answer.json()["code"], answer.headers["retry-after"]


def test_a_local_client_rotating_x_forwarded_for_keeps_one_budget(untrusting: WalletWorld) -> None:
    local = _as_served(untrusting)
    answers = [_wrong_login(local, f"203.0.113.{i}") for i in range(5)]
    assert [answer.status_code for answer in answers] == [401, 401, 401, 429, 429]
    # 3 a minute: the next login is a third of a minute away.
    assert _refused(answers[3]) == (429, "rate_limited", "20")
    assert answers[3].json()["detail"] == "too many login requests: at most 3 a minute; retry in 20 s"
    # Another peer has a budget of its own.
    assert _wrong_login(untrusting.client).status_code == 401


def test_two_services_on_one_database_share_the_budget(untrusting: WalletWorld) -> None:
    """Two API processes in one: each with its own context, limiter and engine."""
    other = WalletContext(untrusting.context.settings, clock=untrusting.context.clock)
    other.limiter.clock = untrusting.context.limiter.clock
    first = TestClient(untrusting.client.app, client=LOOPBACK, raise_server_exceptions=False)
    with TestClient(
        create_app(other, background=False), client=LOOPBACK, raise_server_exceptions=False
    ) as second:
        answers = [_wrong_login(client) for client in (first, second, first, second, first)]
    other.engine.dispose()  # and the limiter's with it
    assert [answer.status_code for answer in answers] == [401, 401, 401, 429, 429]
    assert _refused(answers[3]) == _refused(answers[4]) == (429, "rate_limited", "20")


def test_behind_a_trusted_proxy_each_forwarded_client_has_its_budget(behind_proxy: WalletWorld) -> None:
    proxy = _as_served(behind_proxy)
    spent = [_wrong_login(proxy, "203.0.113.7") for _ in range(4)]
    assert [answer.status_code for answer in spent] == [401, 401, 401, 429]
    assert _refused(spent[3]) == (429, "rate_limited", "20")
    # Another client behind the proxy is not held back by the first.
    assert _wrong_login(proxy, "203.0.113.8").status_code == 401
    # A forged chain is the right-most untrusted address: the spent client, whatever it prepends.
    forged = [_wrong_login(proxy, f"198.51.100.{i}, 203.0.113.7") for i in range(3)]
    assert [_refused(answer) for answer in forged] == [(429, "rate_limited", "20")] * 3
    # The proxy itself, sending no header, is a client like any other.
    assert _wrong_login(proxy).status_code == 401
    # Only a trusted peer is believed: the test client's own peer is no proxy.
    assert _wrong_login(behind_proxy.client, "203.0.113.9").status_code == 401
    assert [_wrong_login(behind_proxy.client, "203.0.113.9").status_code for _ in range(3)] == [401, 401, 429]


# -- two processes ----------------------------------------------------------------------------


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # gone meanwhile
            # "pid (name) state ppid ...": the name may hold spaces and parentheses.
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _answering_process(connection: http.client.HTTPConnection, port: int, candidates: list[int]) -> int:
    """Which of `candidates` holds the server end of `connection` (accepted: it has answered)."""
    assert connection.sock is not None
    local = connection.sock.getsockname()[1]
    # /proc/net/tcp: "sl local remote state ... inode"; the server's end is local on `port`.
    server_end = (f"0100007F:{port:04X}", f"0100007F:{local:04X}")
    inode = next(
        fields[9]
        for fields in (line.split() for line in Path("/proc/net/tcp").read_text().splitlines()[1:])
        if (fields[1], fields[2]) == server_end
    )
    for pid in candidates:
        for descriptor in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if os.readlink(descriptor) == f"socket:[{inode}]":
                    return pid
            except OSError:
                continue
    raise AssertionError(f"no API process holds the connection from port {local}")


def _one_connection_to_each(server: subprocess.Popen[bytes], port: int) -> list[http.client.HTTPConnection]:
    """Keep-alive connections until two reach different API processes, each having answered once
    (so both processes serve). The kernel picks the process of each connection; waits on that."""
    reached: dict[int, http.client.HTTPConnection] = {}
    deadline = time.monotonic() + 180
    while len(reached) < 2:
        assert server.poll() is None, "the server exited while starting"
        assert time.monotonic() < deadline, f"connections reached {len(reached)} API process(es) only"
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        try:
            connection.request("GET", "/v1/health")
            connection.getresponse().read()
        except ConnectionError:
            connection.close()
            time.sleep(0.1)
            continue
        pid = _answering_process(connection, port, _children(server.pid))
        if pid in reached:
            connection.close()
        else:
            reached[pid] = connection
    return list(reached.values())


def _post(connection: http.client.HTTPConnection, path: str, body: object, headers: dict[str, str]) -> Any:
    connection.request("POST", path, json.dumps(body), {"Content-Type": "application/json", **headers})
    return connection.getresponse()


def test_the_login_budget_holds_across_served_processes(cli_office: dict[str, str]) -> None:
    """`certledger serve --processes 2` on 127.0.0.1, trusting no proxy: wrong logins alternate
    between the two processes, each from a new X-Forwarded-For address (which uvicorn on its own
    would believe from 127.0.0.1). The budget of 3 is spent once, whichever process answers."""
    port = free_port()
    environment = cli_office | {"CERTLEDGER_RATE_LOGIN": "3"}
    server = subprocess.Popen(
        [str(CERTLEDGER), "serve", "--port", str(port), "--processes", "2"],
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        first, second = _one_connection_to_each(server, port)
        answers = []
        for i, connection in enumerate([first, second, first, second, first, second]):
            answer = _post(connection, "/v1/auth/staff-login", WRONG, {"X-Forwarded-For": f"203.0.113.{i}"})
            answers.append(
                (answer.status, json.loads(answer.read())["code"], answer.getheader("Retry-After"))
            )
        for connection in (first, second):
            connection.close()
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=60)
    assert [status for status, _, _ in answers] == [401, 401, 401, 429, 429, 429], errors.decode()[-2000:]
    assert {code for _, code, _ in answers[3:]} == {"rate_limited"}
    # At most 20 s: 3 a minute refill one every 20 s, and a little of it has passed.
    assert all(1 <= int(retry) <= 20 for _, _, retry in answers[3:])
