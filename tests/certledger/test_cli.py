"""The `certledger` command as a person runs it: the main job, the chain commands, errors."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from ledger import ManagedChain
from scripts.demo_data import generate, write_jsonl
from tests.conftest import free_port, kill_9
from tests.issuing import certledger

CERTLEDGER = Path(sys.executable).parent / "certledger"


def _environment(data: Path, port: int) -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CERTLEDGER_")}
    return environment | {
        "CERTLEDGER_DATA_DIR": str(data),
        "CERTLEDGER_CHAIN_PORT": str(port),
        "COLUMNS": "200",
    }


def _run(environment: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CERTLEDGER), *arguments],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never a proxy


def _answers(url: str) -> bool:
    try:
        with _DIRECT.open(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


@pytest.mark.slow
def test_run_detach_sets_everything_up_once(tmp_path: Path) -> None:
    environment = _environment(tmp_path / "data", free_port())
    _run = certledger  # in this process: the console script's own start is tested below
    try:
        first = _run(environment, "run", "--detach")
        assert first.returncode == 0, first.stderr
        assert "CertificateLedger" in first.stdout and "AccessLogAnchor" in first.stdout
        assert "registered office 1" in first.stdout
        assert "威海市社会保险事业中心" in first.stdout
        second = _run(environment, "run", "--detach")
        assert second.returncode == 0, second.stderr
        assert "nothing — everything was in place" in second.stdout
        status = _run(environment, "chain", "status")
        assert status.returncode == 0 and "running" in status.stdout
    finally:
        down = _run(environment, "chain", "down")
    assert "state saved" in down.stdout
    assert _run(environment, "chain", "status").returncode == 1


@pytest.mark.slow
@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_run_in_the_foreground_stops_its_chain_on_ctrl_c_or_sigterm(
    tmp_path: Path, stop: signal.Signals
) -> None:
    """Ctrl-C, or SIGTERM as a service manager sends it: the service stops, then the chain it
    started (uvicorn raises SIGTERM again after its shutdown, which once ended the process there
    and left the node running)."""
    port = free_port()
    environment = _environment(tmp_path / "data", free_port()) | {"CERTLEDGER_PORT": str(port)}
    process = subprocess.Popen(
        [str(CERTLEDGER), "run"], env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        # Ctrl-C once the service answers: by then it is in its serving loop.
        deadline = time.monotonic() + 120
        while not _answers(f"http://127.0.0.1:{port}/v1/health"):
            assert time.monotonic() < deadline and process.poll() is None, (
                process.stderr.read() if process.stderr else ""
            )
            time.sleep(0.1)
        process.send_signal(stop)
        output, errors = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, errors
    assert "certledger is running" in output
    assert "stopped the local chain" in output
    assert _run(environment, "chain", "status").returncode == 1


def test_chain_commands_refuse_an_external_node_clearly(tmp_path: Path) -> None:
    environment = _environment(tmp_path, free_port()) | {"CERTLEDGER_RPC_URL": "http://127.0.0.1:9"}
    result = certledger(environment, "chain", "up")
    assert result.returncode == 1
    assert "manages only the embedded node" in result.stderr


def test_an_unreachable_external_node_is_one_readable_line(tmp_path: Path) -> None:
    environment = _environment(tmp_path, free_port()) | {
        "CERTLEDGER_RPC_URL": f"http://127.0.0.1:{free_port()}"
    }
    result = _run(environment, "deploy")
    assert result.returncode == 1
    assert result.stderr.startswith("error: cannot reach the chain node at http://127.0.0.1:")
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_a_certificate_verifies_after_five_restarts_and_nothing_redeploys(tmp_path: Path) -> None:
    """Before block 0 was pinned, the second or third restart made a new genesis; `run` then
    deployed new contracts over the manifest and every certificate verified INVALID."""
    environment = _environment(tmp_path / "data", free_port())
    chain = ManagedChain(tmp_path / "data", port=int(environment["CERTLEDGER_CHAIN_PORT"]))
    try:
        assert certledger(environment, "run", "--detach").returncode == 0
        manifest = tmp_path / "data" / "deployments" / "31337.json"
        recorded = manifest.read_bytes()
        documents = list(generate("pension-qualification", 1, seed=71))
        write_jsonl(tmp_path / "one.jsonl", documents)
        issued = certledger(environment, "issue", "-t", "pension-qualification", str(tmp_path / "one.jsonl"))
        assert issued.returncode == 0, issued.stdout + issued.stderr
        exported = tmp_path / "certificate.json"
        number = str(documents[0]["certificate_no"])
        assert certledger(environment, "export", number, "--out", str(exported)).returncode == 0
        for hard in (False, True, False, True, False):
            if hard:
                kill_9(chain)
            else:
                assert certledger(environment, "chain", "down").returncode == 0
            assert certledger(environment, "chain", "up").returncode == 0
        again = certledger(environment, "run", "--detach")
        assert again.returncode == 0, again.stderr
        assert "nothing — everything was in place" in again.stdout
        assert manifest.read_bytes() == recorded
        verdict = certledger(environment, "verify", str(exported))
        assert verdict.returncode == 0, verdict.stdout
        assert "VALID" in verdict.stdout
    finally:
        certledger(environment, "chain", "down")


@pytest.mark.slow
def test_run_and_deploy_refuse_a_manifest_of_another_chain(tmp_path: Path) -> None:
    environment = _environment(tmp_path / "data", free_port())
    try:
        assert certledger(environment, "run", "--detach").returncode == 0
        manifest = tmp_path / "data" / "deployments" / "31337.json"
        document = json.loads(manifest.read_text(encoding="utf-8"))
        node_genesis = document["genesis_hash"]
        document["genesis_hash"] = "0x" + "ab" * 32
        manifest.write_text(json.dumps(document, indent=2), encoding="utf-8")
        recorded = manifest.read_bytes()
        for command in (["run", "--detach"], ["deploy"]):
            refused = certledger(environment, *command)
            assert refused.returncode == 1, refused.stdout
            message = " ".join(refused.stderr.split())
            assert f"the node's block 0 is {node_genesis} where the manifest's is 0x{'ab' * 32}" in message
            assert "Nothing was deployed" in message and "certledger deploy --force" in message
            assert manifest.read_bytes() == recorded
        forced = certledger(environment, "deploy", "--force")
        assert forced.returncode == 0, forced.stderr
        assert (manifest.parent / "31337.json.replaced-1").read_bytes() == recorded
        assert json.loads(manifest.read_text(encoding="utf-8"))["genesis_hash"] == node_genesis
    finally:
        certledger(environment, "chain", "down")
