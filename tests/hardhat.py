"""A second real node for the suite: a Hardhat node, started on a free loopback port.

anvil is the embedded chain and the suite's session node; the chain-touching paths also run on
Hardhat (tests/ledger/test_hardhat_node.py, tests/issuer/test_on_hardhat.py), whose answers differ
where it matters: revert data nested in ``error.data.data``, ``hardhat_setBalance`` instead of
``anvil_setBalance``, and no state kept across restarts.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from ledger import ChainUnavailableError, connect
from ledger._paths import NODE_MODULES
from tests.conftest import free_port

CONFIG = "module.exports = { networks: { hardhat: { chainId: 31337 } } };\n"
HARDHAT_CLI = NODE_MODULES / "hardhat" / "internal" / "cli" / "cli.js"


class HardhatNode:
    """``hardhat node`` in a folder of its own, on 127.0.0.1 and a free port.

    The Node.js process is started directly (not through npx), so that a signal reaches the node
    itself. `stop` ends it with SIGTERM, then SIGKILL; a test that started one always stops it.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def rpc_url(self) -> str:
        """The node's JSON-RPC endpoint."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_file(self) -> Path:
        """What the node printed."""
        return self.folder / "hardhat.log"

    def start(self, *, timeout: float = 60.0) -> None:
        """Starts the node (on a new free port when restarted) and waits until it answers."""
        node = shutil.which("node")
        if node is None:
            pytest.fail("Node.js is not installed: run `make setup`")
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / "hardhat.config.js").write_text(CONFIG, encoding="utf-8")
        if not (self.folder / "node_modules").exists():
            (self.folder / "node_modules").symlink_to(NODE_MODULES)
        if self.process is not None:
            self.port = free_port()
        environment = {k: v for k, v in os.environ.items() if not k.startswith("CERTLEDGER_")}
        environment["HARDHAT_DISABLE_TELEMETRY_PROMPT"] = "true"
        with self.log_file.open("ab") as log:
            self.process = subprocess.Popen(
                [node, str(HARDHAT_CLI), "node", "--hostname", "127.0.0.1", "--port", str(self.port)],
                cwd=self.folder,
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                pytest.fail(f"hardhat node exited at start ({self.process.returncode}):\n{self._log_tail()}")
            try:
                connect(self.rpc_url, timeout=1).eth.chain_id  # noqa: B018 — answers, or raises
                return
            except ChainUnavailableError:
                if time.monotonic() >= deadline:
                    self.stop()
                    pytest.fail(f"hardhat node did not answer within {timeout:.0f} s:\n{self._log_tail()}")
                time.sleep(0.1)

    def stop(self, *, sig: int = signal.SIGTERM) -> None:
        """Stops the node (SIGKILL after 10 s, or at once when `sig` is SIGKILL)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def _log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(
                self.log_file.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
            )
        except FileNotFoundError:
            return "(no log)"


@pytest.fixture(scope="session")
def hardhat(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HardhatNode]:
    """One Hardhat node for the session (per xdist worker), stopped at the end. Tests that change
    its state roll back with `hardhat_snapshot`."""
    node = HardhatNode(tmp_path_factory.mktemp("hardhat-node"))
    node.start()
    yield node
    node.stop()


@pytest.fixture(scope="session")
def hardhat_w3(hardhat: HardhatNode) -> Web3:
    """A connection to the session's Hardhat node."""
    return connect(hardhat.rpc_url)


@pytest.fixture
def hardhat_snapshot(hardhat_w3: Web3) -> Iterator[Web3]:
    """The Hardhat node, rolled back to where it was before the test (``evm_snapshot`` works the
    same as on anvil)."""
    snapshot_id = hardhat_w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
    yield hardhat_w3
    hardhat_w3.provider.make_request("evm_revert", [snapshot_id])  # type: ignore[arg-type]


def hardhat_account(w3: Web3) -> LocalAccount:
    """A fresh account given 10,000 ether with Hardhat's own method (it refuses anvil's)."""
    account: LocalAccount = Account.create()
    w3.provider.make_request("hardhat_setBalance", [account.address, hex(10_000 * 10**18)])  # type: ignore[arg-type]
    return account
