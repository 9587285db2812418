"""Session-wide fixtures: one real anvil node for the whole run, snapshots per test."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from hypothesis import settings
from web3 import Web3
from web3.types import RPCEndpoint

from ledger import BEIJING, FixedClock, ManagedChain, TransactionSender, beijing_date, connect, system_clock

pytest_plugins = ["tests.world", "tests.databases", "tests.issuing", "tests.hardhat"]

# pytest-xdist's workers inherit COLUMNS=80, which a command's console would keep from its import
# on; the command-line tests choose their own width.
os.environ.pop("COLUMNS", None)

# The suite's property tests try the same examples on every run, so that a red run is the code's
# doing and can be repeated; `make fuzz` explores (CERTLEDGER_FUZZ_EXAMPLES set).
settings.register_profile("suite", derandomize=True, database=None)
settings.register_profile("explore")
settings.load_profile("explore" if os.environ.get("CERTLEDGER_FUZZ_EXAMPLES") else "suite")

NOW = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
"""The suite's moment (10:00 in Beijing). Every date a test checks counts from it, never from the
calendar: the suite passes on any day, as `make test`'s second pass under faketime proves."""
TODAY = beijing_date(NOW)


def pytest_sessionstart(session: pytest.Session) -> None:
    """In `make test`'s faketime pass, the calendar really is that far ahead: measured against the
    commit under test, whose time no clock can move."""
    del session
    ahead = os.environ.get("CERTLEDGER_CALENDAR_AHEAD_DAYS")
    if not ahead:
        return
    committed = subprocess.run(
        ["git", "log", "-1", "--format=%ct"], capture_output=True, text=True, check=True, timeout=30
    ).stdout.strip()
    shift = system_clock() - datetime.fromtimestamp(int(committed), UTC)
    if shift < timedelta(days=int(ahead) - 1):
        raise pytest.UsageError(
            f"the calendar is {shift} after the commit, not {ahead} days: is faketime on?"
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    """A test marked ``no_cover`` runs untraced: pytest-cov pauses only its own measurement, while
    an xdist worker also carries the one `patch = subprocess` starts in every Python process
    (docs/testing.md says which tests, and why)."""
    if item.get_closest_marker("no_cover") is None:
        return (yield)
    import coverage  # noqa: PLC0415 — only the coverage run gets here with anything to pause

    running = [instance for instance in coverage.Coverage._instances if instance._started]
    for instance in reversed(running):  # the newest first: coverage keeps its collectors in a stack
        instance.stop()
    try:
        return (yield)
    finally:
        # pytest-cov may have resumed its own meanwhile: stop it again, then start every one in
        # the order they ran, so that the stack is what it was.
        for instance in reversed(running):
            if instance._started:
                instance.stop()
        for instance in running:
            instance.start()


def clock_on(day: date) -> FixedClock:
    """A clock standing at 10:00 in Beijing on `day`."""
    return FixedClock(datetime(day.year, day.month, day.day, 10, tzinfo=BEIJING))


@pytest.fixture
def clock() -> FixedClock:
    """A clock standing at the suite's moment, for this test to move."""
    return FixedClock(NOW)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="session")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ManagedChain]:
    """A real anvil node on a free loopback port, stopped at the end of the session."""
    node = ManagedChain(tmp_path_factory.mktemp("session-chain"), port=free_port())
    node.up()
    yield node
    node.down()


@pytest.fixture(scope="session")
def w3(chain: ManagedChain) -> Web3:
    """A connection to the session's node."""
    return connect(chain.rpc_url)


@pytest.fixture
def snapshot(w3: Web3) -> Iterator[None]:
    """Rolls the chain back to where it was before the test."""
    snapshot_id = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    yield
    w3.provider.make_request("evm_revert", [snapshot_id])  # type: ignore[arg-type]


def funded_account(w3: Web3) -> LocalAccount:
    """A fresh account with 10,000 ether on the development node."""
    account: LocalAccount = Account.create()
    w3.provider.make_request("anvil_setBalance", [account.address, hex(10_000 * 10**18)])  # type: ignore[arg-type]
    return account


def rpc_call(w3: Web3, method: str, params: list[Any]) -> Any:
    """The raw result of a JSON-RPC call (development methods such as ``evm_snapshot``)."""
    return w3.provider.make_request(RPCEndpoint(method), params)["result"]


def latest_timestamp(w3: Web3) -> int:
    """The timestamp of the latest block."""
    return int(w3.eth.get_block("latest")["timestamp"])


def set_next_timestamp(w3: Web3, timestamp: int) -> None:
    """Pins the next block's timestamp (estimates already see it)."""
    w3.provider.make_request("evm_setNextBlockTimestamp", [timestamp])  # type: ignore[arg-type]


def new_sender(w3: Web3, account: LocalAccount) -> TransactionSender:
    """A sender of its own, so that no nonce survives a snapshot rollback."""
    return TransactionSender(w3, account, poll_interval=0.005)


def wait_for_state_dump(chain: ManagedChain, *, timeout: float = 15.0) -> None:
    """Waits until the node has written its state twice more: the second dump began after the call.

    File times are compared with each other, never with the clock (which a test may shift)."""
    deadline = time.monotonic() + timeout
    seen = _dump_stamp(chain)
    for _ in range(2):
        while (stamp := _dump_stamp(chain)) == seen:
            assert time.monotonic() < deadline, "the node never dumped its state"
            time.sleep(0.05)
        seen = stamp


@pytest.fixture
def own_chain(tmp_path: Path) -> Iterator[ManagedChain]:
    """A node of the test's own, started and stopped afterwards: for tests that stop, restart,
    kill or compare it with another, which the session's node must never be."""
    chain = ManagedChain(tmp_path / "node", port=free_port())
    chain.up()
    yield chain
    chain.down()


def kill_9(chain: ManagedChain, *, timeout: float = 10.0) -> None:
    """Kills the node with SIGKILL once its state holds everything done so far (a hard kill loses
    what was not dumped, which is not what the callers test), and waits until it is gone."""
    wait_for_state_dump(chain)
    pid = chain.status().pid
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + timeout
    while chain.status().running:
        assert time.monotonic() < deadline, "the node outlived SIGKILL"
        time.sleep(0.05)


def _dump_stamp(chain: ManagedChain) -> tuple[int, int] | None:
    try:
        status = chain.state_file.stat()
    except FileNotFoundError:
        return None
    return status.st_mtime_ns, status.st_size


@pytest.fixture(scope="session")
def project_root() -> Path:
    """The repository's root folder."""
    return Path(__file__).resolve().parent.parent
