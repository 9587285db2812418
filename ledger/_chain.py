"""The embedded chain: a local anvil node that certledger starts, stops and keeps on disk."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from ledger._clock import Clock, system_clock
from ledger._errors import ChainError, ChainProcessError, ChainUnavailableError
from ledger._genesis import Genesis, repair_state
from ledger._paths import anvil_executable
from ledger._rpc import connect, rpc
from ledger._settings import DEFAULT_CHAIN_ID


@dataclass(frozen=True, slots=True)
class ChainStatus:
    """What the managed node is doing."""

    running: bool
    pid: int | None
    rpc_url: str
    chain_id: int | None
    block_number: int | None
    state_file: Path
    state_bytes: int | None


class ManagedChain:
    """An anvil node whose state lives in ``<data_dir>/chain/state.json``.

    The state is loaded at start, dumped every `dump_interval` seconds while the node runs and
    once more when it stops, so a hard kill loses at most the last interval. Block 0 is pinned
    in ``genesis.json`` at the first start, so that no restart rewrites history
    (`ledger._genesis`). The node runs in its own session: it outlives the command that started
    it until `down` is called. `clock` sets the chain's time after a restart, since anvil would
    otherwise count on from the pinned genesis.
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 8545,
        chain_id: int = DEFAULT_CHAIN_ID,
        dump_interval: int = 1,
        clock: Clock = system_clock,
    ) -> None:
        self.directory = data_dir / "chain"
        self.clock = clock
        self.host = host
        self.port = port
        self.chain_id = chain_id
        self.dump_interval = dump_interval

    @property
    def rpc_url(self) -> str:
        """The node's JSON-RPC endpoint."""
        return f"http://{self.host}:{self.port}"

    @property
    def state_file(self) -> Path:
        """The node's persisted state."""
        return self.directory / "state.json"

    @property
    def genesis_file(self) -> Path:
        """Block 0's timestamp and hash, recorded at the first start."""
        return self.directory / "genesis.json"

    @property
    def pid_file(self) -> Path:
        """Records the running node's process id."""
        return self.directory / "anvil.pid"

    @property
    def log_file(self) -> Path:
        """The node's own output."""
        return self.directory / "anvil.log"

    def up(self, *, timeout: float = 30.0) -> ChainStatus:
        """Starts the node unless it is already running, and waits until it answers."""
        status = self.status()
        if status.running:
            return status
        self._clear_stale_pid()
        if not _port_free(self.host, self.port):
            raise ChainProcessError(
                f"{self.host}:{self.port} is taken by another program; "
                "set CERTLEDGER_CHAIN_PORT to another port or CERTLEDGER_RPC_URL to use that node"
            )
        self.directory.mkdir(parents=True, exist_ok=True)
        genesis = self._pinned_genesis()
        command = [
            str(anvil_executable()),
            "--host", self.host,
            "--port", str(self.port),
            "--chain-id", str(self.chain_id),
            "--state", str(self.state_file),
            "--state-interval", str(self.dump_interval),
            "--accounts", "1",
        ]  # fmt: skip
        if genesis is not None:
            command += ["--timestamp", str(genesis.timestamp)]
        with self.log_file.open("ab") as log:
            process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        _STARTED[process.pid] = process
        self.pid_file.write_text(json.dumps({"pid": process.pid, "port": self.port}), encoding="utf-8")
        self._wait_until_answering(timeout)
        self._settle_genesis(genesis)
        return self.status()

    def down(self, *, timeout: float = 20.0) -> bool:
        """Stops the node, letting it write its state; returns whether it was running."""
        pid = self._recorded_pid()
        if pid is None or not _alive(pid):
            self._clear_stale_pid()
            return False
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _alive(pid):
            if time.monotonic() >= deadline:
                os.kill(pid, signal.SIGKILL)
                break
            time.sleep(0.05)
        _reap(pid)
        self.pid_file.unlink(missing_ok=True)
        return True

    def status(self) -> ChainStatus:
        """Whether the node runs and, if it answers, its chain id and latest block."""
        pid = self._recorded_pid()
        running = pid is not None and _alive(pid)
        chain_id = block_number = None
        if running:
            try:
                w3 = connect(self.rpc_url, timeout=2)
                chain_id, block_number = w3.eth.chain_id, w3.eth.block_number
            except ChainUnavailableError:
                pass
        size = self.state_file.stat().st_size if self.state_file.is_file() else None
        return ChainStatus(
            running=running and chain_id is not None,
            pid=pid if running else None,
            rpc_url=self.rpc_url,
            chain_id=chain_id,
            block_number=block_number,
            state_file=self.state_file,
            state_bytes=size,
        )

    # ---------------------------------------------------------------- helpers

    def _pinned_genesis(self) -> Genesis | None:
        """The recorded genesis; for a state from before genesis was pinned, the one its block 1
        names (recorded now); None for a chain that has never run."""
        genesis = Genesis.load(self.genesis_file)
        if genesis is None and self.state_file.is_file():
            genesis = repair_state(self.state_file)
            if genesis is not None:
                genesis.save(self.genesis_file)
        return genesis

    def _settle_genesis(self, pinned: Genesis | None) -> None:
        """Records block 0 after the first start; after a restart, checks it is the pinned one
        and brings the chain's time up to the clock's."""
        w3 = connect(self.rpc_url, timeout=5)
        block = w3.eth.get_block(0)
        found = Genesis(int(block["timestamp"]), "0x" + bytes(block["hash"]).hex())
        if pinned is None:
            found.save(self.genesis_file)
            return
        if found.hash != pinned.hash:
            self.down()
            raise ChainProcessError(
                f"the chain in {self.directory} restarted with block 0 {found.hash}, but its history "
                f"was built on {pinned.hash}: the node was stopped rather than let it rewrite "
                f"history. Restore {self.state_file.name} and {self.genesis_file.name} from a backup"
            )
        head = int(w3.eth.get_block("latest")["timestamp"])
        rpc(w3, "anvil_setTime", [max(head, int(self.clock().timestamp()))])

    def _wait_until_answering(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            pid = self._recorded_pid()
            exited = _STARTED.get(pid) if pid is not None else None
            if exited is not None and exited.poll() is not None:
                self.pid_file.unlink(missing_ok=True)
                raise ChainProcessError(f"anvil exited at start ({exited.returncode}):\n{self._log_tail()}")
            try:
                chain_id = connect(self.rpc_url, timeout=1).eth.chain_id
            except ChainUnavailableError:
                if time.monotonic() >= deadline:
                    self.down()
                    raise ChainProcessError(
                        f"anvil did not answer within {timeout:.0f} s:\n{self._log_tail()}"
                    ) from None
                time.sleep(0.05)
                continue
            if chain_id != self.chain_id:
                self.down()
                raise ChainError(f"the node answered chain id {chain_id}, expected {self.chain_id}")
            return

    def _recorded_pid(self) -> int | None:
        try:
            return int(json.loads(self.pid_file.read_text(encoding="utf-8"))["pid"])
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            return None

    def _clear_stale_pid(self) -> None:
        pid = self._recorded_pid()
        if pid is not None and not _alive(pid):
            self.pid_file.unlink(missing_ok=True)

    def _log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(
                self.log_file.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
            )
        except FileNotFoundError:
            return "(no log)"


# The nodes this process started, by process id: kept beyond the ManagedChain that started one
# (a detached node outlives it), so that any instance can reap it once it stops.
_STARTED: dict[int, subprocess.Popen[bytes]] = {}


def _reap(pid: int) -> None:
    process = _STARTED.pop(pid, None)
    if process is not None:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=5)


def _alive(pid: int) -> bool:
    """Whether `pid` is a live anvil (not a zombie, not a recycled pid of another program)."""
    process = _STARTED.get(pid)
    if process is not None:
        return process.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc (macOS): trust the signal check
    state = stat.rsplit(")", 1)[1].split()[0]
    return state != "Z" and b"anvil" in command


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True
