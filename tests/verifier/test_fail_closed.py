"""When the chain cannot answer, a genuine certificate is INDETERMINATE — never VALID, never INVALID."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests

from ledger import ManagedChain, TypeCatalog, connect
from tests.conftest import TODAY, clock_on, free_port, rpc_call
from tests.verifier.conftest import Issued
from verifier import ChainView, CheckStatus, Verdict, Verification, Verifier


def _verifier(url: str, issued: Issued, *, timeout: float = 2.0, chain_id: int = 31337) -> Verifier:
    chain = ChainView(connect(url, timeout=timeout), ledger=issued.ledger, chain_id=chain_id)
    return Verifier(chain, TypeCatalog.load(), clock=clock_on(TODAY))


def _verify_within(verifier: Verifier, document: Any, seconds: float = 60) -> Verification:
    """Verifies in a thread that must end: the bound is liveness, not speed."""
    outcome: list[Verification] = []
    thread = threading.Thread(target=lambda: outcome.append(verifier.verify(document)), daemon=True)
    thread.start()
    thread.join(seconds)
    assert outcome, "the verification did not end"
    return outcome[0]


def _assert_indeterminate(result: Verification, reason: str) -> None:
    assert result.verdict is Verdict.INDETERMINATE
    assert [check.status for check in result.checks] == [
        CheckStatus.PASSED, CheckStatus.PASSED, CheckStatus.PASSED,  # format, fields, inclusion
        CheckStatus.UNKNOWN, CheckStatus.SKIPPED, CheckStatus.SKIPPED,  # anchor, issuer, status
        CheckStatus.PASSED,  # validity
    ]  # fmt: skip
    assert result.check("anchor").reason.startswith("cannot be decided: ")
    assert reason in result.reason, result.reason


class _Proxy:
    """A JSON-RPC endpoint on loopback that forwards to a node, or misbehaves as told."""

    def __init__(self, upstream: str, behave: Callable[[dict[str, Any], bytes], bytes | None]) -> None:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                request = json.loads(body)
                forwarded = requests.post(
                    upstream, data=body, headers={"Content-Type": "application/json"}, timeout=10
                )
                answer = behave(request, forwarded.content)
                if answer is None:  # hang until the client gives up
                    proxy.release.wait(30)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *_: Any) -> None:
                pass

        self.release = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> _Proxy:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


def test_a_stopped_node(issued: Issued) -> None:
    port = free_port()
    result = _verify_within(_verifier(f"http://127.0.0.1:{port}", issued), issued.genuine[0].to_json())
    _assert_indeterminate(result, f"cannot reach the chain node at http://127.0.0.1:{port}")


@pytest.fixture
def other_chain(tmp_path: Path) -> Iterator[ManagedChain]:
    node = ManagedChain(tmp_path, port=free_port(), chain_id=1337)
    node.up()
    yield node
    node.down()


def test_a_node_of_another_chain(issued: Issued, other_chain: ManagedChain) -> None:
    result = _verify_within(_verifier(other_chain.rpc_url, issued), issued.genuine[0].to_json())
    _assert_indeterminate(result, "the node is chain 1337, not the configured chain 31337")


def test_a_node_answering_garbage(issued: Issued, chain: ManagedChain) -> None:
    with _Proxy(chain.rpc_url, lambda _request, _answer: b"<html>502 Bad Gateway</html>") as proxy:
        result = _verify_within(_verifier(proxy.url, issued), issued.genuine[0].to_json())
    _assert_indeterminate(result, "answered eth_chainId with something that is not JSON")


def test_a_node_answering_well_formed_nonsense(issued: Issued, chain: ManagedChain) -> None:
    def corrupt(request: dict[str, Any], answer: bytes) -> bytes:
        if request.get("method") == "eth_call":
            return json.dumps({"jsonrpc": "2.0", "id": request["id"], "result": "0x1234"}).encode()
        return answer

    with _Proxy(chain.rpc_url, corrupt) as proxy:
        result = _verify_within(_verifier(proxy.url, issued), issued.genuine[0].to_json())
    _assert_indeterminate(result, "could not read the batch from the chain")


def test_a_node_that_hangs(issued: Issued, chain: ManagedChain) -> None:
    def hang_on_calls(request: dict[str, Any], answer: bytes) -> bytes | None:
        return None if request.get("method") == "eth_call" else answer

    with _Proxy(chain.rpc_url, hang_on_calls) as proxy:
        result = _verify_within(_verifier(proxy.url, issued, timeout=1.0), issued.genuine[0].to_json())
    _assert_indeterminate(result, "timed out")


def test_a_tampered_certificate_is_invalid_even_with_the_chain_down(issued: Issued) -> None:
    tampered = issued.genuine[0].to_json()
    tampered["claims"]["holder_name"] += "甲"
    result = _verify_within(_verifier(f"http://127.0.0.1:{free_port()}", issued), tampered)
    assert (result.verdict, result.failed.name if result.failed else None) == (Verdict.INVALID, "fields")


def test_a_revocation_is_seen_by_the_next_verification(issued: Issued) -> None:
    verifier = issued.verifier(head_ttl=0)
    certificate = issued.genuine[5]
    assert certificate.anchor is not None
    assert verifier.verify(certificate.to_json()).verdict is Verdict.VALID
    snapshot = rpc_call(issued.w3, "evm_snapshot", [])
    try:
        issued.governor.revoke(certificate.anchor.batch_root, [certificate.anchor.index], reason=4)
        result = verifier.verify(certificate.to_json())
        assert (result.verdict, result.failed.name if result.failed else None) == (Verdict.INVALID, "status")
    finally:
        rpc_call(issued.w3, "evm_revert", [snapshot])
    assert verifier.verify(certificate.to_json()).verdict is Verdict.VALID
