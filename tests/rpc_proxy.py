"""A JSON-RPC proxy in front of a real node that answers chosen methods the way another client
would: the node's own error objects, rewritten into geth's, Besu's, Nethermind's, Hardhat's or
Ganache's shape, or into one that no client uses."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests

Rewrite = Callable[[dict[str, Any]], dict[str, Any]]
"""Turns the upstream node's error object into the one the proxy answers."""


@contextmanager
def rewriting_proxy(
    upstream: str,
    rewrites: dict[str, Rewrite],
    *,
    results: dict[str, Any] | None = None,
    errors: dict[str, dict[str, Any]] | None = None,
) -> Iterator[str]:
    """Serves on 127.0.0.1 (a free port) until the block ends; yields its URL. Requests pass to
    `upstream`; an error answer to a method in `rewrites` has its error object rewritten, a
    method in `results` is answered with that result, and one in `errors` with that error object,
    without asking upstream."""
    answered = results or {}
    refused = errors or {}
    session = requests.Session()
    session.trust_env = False

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            request = json.loads(body)
            method = request.get("method")
            if method in answered:
                answer = {"jsonrpc": "2.0", "id": request.get("id"), "result": answered[method]}
            elif method in refused:
                answer = {"jsonrpc": "2.0", "id": request.get("id"), "error": refused[method]}
            else:
                answer = session.post(
                    upstream, data=body, headers={"Content-Type": "application/json"}, timeout=30
                ).json()
            if isinstance(answer, dict) and "error" in answer and method in rewrites:
                answer["error"] = rewrites[method](answer["error"])
            payload = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            del format, args

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
        session.close()
