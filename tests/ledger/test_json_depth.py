"""Nesting bounds: no JSON from outside reaches a parser that could run off the C stack."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger import (
    MAX_JSON_DEPTH,
    CanonicalJSONError,
    CertificateTypeError,
    ChainUnavailableError,
    JSONTooDeepError,
    LedgerConfigError,
    check_json_depth,
    connect,
    load_manifest,
    load_type,
    parse_json,
)
from ledger._limits import RECURSION_LIMIT

DEPTHS = [100_000, 1_000_000]


def _nested(depth: int, opener: str = "[", closer: str = "]") -> str:
    return opener * depth + closer * depth


def _depth(value: Any) -> int:
    if isinstance(value, list):
        return 1 + max((_depth(item) for item in value), default=0)
    if isinstance(value, dict):
        return 1 + max((_depth(item) for item in value.values()), default=0)
    return 0


def test_importing_the_command_leaves_a_recursion_limit_the_stack_holds() -> None:
    """The outside test's reproduction: before the fix this process died of SIGSEGV (-11)."""
    program = (
        "import json, sys\n"
        "import certledger\n"
        "print(sys.getrecursionlimit())\n"
        "try:\n"
        "    json.loads('[' * 100000 + ']' * 100000)\n"
        "except RecursionError:\n"
        "    print('refused')\n"
    )
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == [str(RECURSION_LIMIT), "refused"]


@pytest.mark.parametrize("depth", DEPTHS)
@pytest.mark.parametrize(("opener", "closer"), [("[", "]"), ('{"a":', "}")])
def test_deep_text_is_refused_before_parsing(depth: int, opener: str, closer: str) -> None:
    text = _nested(depth, opener, closer)
    with pytest.raises(JSONTooDeepError) as refused:
        parse_json(text)
    assert str(refused.value) == f"the JSON nests arrays and objects more than {MAX_JSON_DEPTH} deep"
    with pytest.raises(JSONTooDeepError):
        parse_json(text.encode())
    with pytest.raises(JSONTooDeepError):  # never closed: the parser would recurse all the same
        parse_json(opener * depth)
    assert isinstance(refused.value, CanonicalJSONError)  # every reader already refuses these


def test_the_limit_itself_is_allowed_and_one_more_is_not() -> None:
    assert parse_json(_nested(MAX_JSON_DEPTH)) is not None
    with pytest.raises(JSONTooDeepError):
        parse_json(_nested(MAX_JSON_DEPTH + 1))


def test_brackets_inside_strings_do_not_count() -> None:
    text = json.dumps({"note": "[" * 1000 + '\\"{{{' + "]" * 3, "list": [["]]]"]]})
    assert parse_json(text)["list"] == [["]]]"]]
    check_json_depth(text, limit=3)
    with pytest.raises(JSONTooDeepError):
        check_json_depth(text, limit=2)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(alphabet='[]{}"\\ab\u4e2d', max_size=6),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=3), children, max_size=3)
    ),
    max_leaves=40,
)


@given(json_values, st.integers(min_value=0, max_value=12))
def test_the_scan_agrees_with_the_nesting_of_the_value(value: Any, limit: int) -> None:
    text = json.dumps(value, ensure_ascii=bool(limit % 2))
    if _depth(value) > limit:
        with pytest.raises(JSONTooDeepError):
            check_json_depth(text, limit=limit)
    else:
        check_json_depth(text, limit=limit)


class _DeepNode(BaseHTTPRequestHandler):
    """A JSON-RPC "node" whose every answer nests a million deep."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        body = b'{"jsonrpc":"2.0","id":0,"result":' + b"[" * 1_000_000
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        del format, args


@pytest.fixture
def deep_node() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _DeepNode)  # the kernel picks a free port
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_node_answering_deep_json_is_an_unavailable_chain(deep_node: str) -> None:
    w3 = connect(deep_node, timeout=5)
    with pytest.raises(ChainUnavailableError) as refused:
        w3.eth.block_number  # noqa: B018
    assert str(refused.value) == (
        f"the chain node at {deep_node} answered eth_blockNumber with JSON nested more than "
        f"{MAX_JSON_DEPTH} deep"
    )


@pytest.mark.parametrize("depth", DEPTHS)
def test_deep_manifests_and_type_schemas_are_configuration_errors(depth: int, tmp_path: Path) -> None:
    deep = tmp_path / "deep.json"
    deep.write_text(_nested(depth), encoding="utf-8")
    with pytest.raises(LedgerConfigError, match=f"^{deep} is not JSON: the JSON nests"):
        load_manifest(deep)
    with pytest.raises(CertificateTypeError, match=f"^{deep}: not a readable JSON file \\(the JSON nests"):
        load_type(deep)
