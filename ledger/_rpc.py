"""Connecting to a JSON-RPC node, with every transport failure turned into `ChainUnavailableError`."""

from __future__ import annotations

import json
import os
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

import requests
from web3 import HTTPProvider, Web3
from web3.middleware import ExtraDataToPOAMiddleware
from web3.types import RPCEndpoint, RPCResponse

from ledger._canonical import JSONTooDeepError, check_json_depth
from ledger._errors import ChainUnavailableError
from ledger._node_errors import describe, revert_data, reverted_transaction


def redact(url: str) -> str:
    """`url` without any user name or password, for messages and logs."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class _Provider(HTTPProvider):
    """An HTTP provider that fails loudly and uniformly when the node is not there."""

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        endpoint = redact(str(self.endpoint_uri))
        try:
            response = super().make_request(method, params)
        except requests.Timeout as error:
            raise ChainUnavailableError(f"the chain node at {endpoint} timed out ({method})") from error
        except requests.RequestException as error:
            raise ChainUnavailableError(f"cannot reach the chain node at {endpoint} ({method})") from error
        except JSONTooDeepError as error:
            raise ChainUnavailableError(
                f"the chain node at {endpoint} answered {method} with JSON nested more than "
                f"{error.limit} deep"
            ) from error
        except (ValueError, json.JSONDecodeError) as error:
            raise ChainUnavailableError(
                f"the chain node at {endpoint} answered {method} with something that is not JSON"
            ) from error
        if not isinstance(response, dict) or not ({"result", "error"} & response.keys()):
            raise ChainUnavailableError(
                f"the chain node at {endpoint} answered {method} with something that is not JSON-RPC"
            )
        return response

    def decode_rpc_response(self, raw_response: bytes) -> RPCResponse:  # type: ignore[override]
        """The node's answer parsed, once its nesting is known to be within bounds: a hostile
        node must not overflow the parser (see `ledger._limits`)."""
        check_json_depth(raw_response)
        return HTTPProvider.decode_rpc_response(raw_response)


def connect(url: str, *, timeout: float = 10.0) -> Web3:
    """A `Web3` on `url` whose every call fails within `timeout` seconds when the node is gone.

    Blocks of proof-of-authority networks (Besu QBFT, geth clique) carry long extra data, which
    the inserted middleware accepts; it changes nothing on other chains.
    """
    provider = _Provider(
        url, request_kwargs={"timeout": timeout}, session=_session(url), exception_retry_configuration=None
    )
    w3 = Web3(provider)
    w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    return w3


def _session(url: str) -> requests.Session:
    """One HTTP session for every thread that calls the node, with the environment read once.

    By default `requests` reads the proxy variables on every request by iterating `os.environ`,
    which raises `KeyError` in a background thread (the anchoring worker, the log anchorer) when
    another thread changes the environment meanwhile. So the proxies and the CA bundle the
    environment names are taken here, once, and the session does not look again.
    """
    session = requests.Session()
    session.trust_env = False
    session.proxies.update(requests.utils.get_environ_proxies(url))
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        session.verify = bundle
    return session


class RPCError(Exception):
    """A JSON-RPC error object returned by the node.

    `data` is the revert data it carries, read from whichever shape the client uses
    (`ledger._node_errors`), or None when it carries none; `answer` is the object as the node
    sent it, for messages; `transaction_hash` names a transaction the node mined although it
    answered with an error (Hardhat does so for a reverting ``eth_sendRawTransaction``).
    """

    def __init__(
        self,
        code: int,
        message: str,
        data: bytes | None,
        *,
        answer: object = None,
        transaction_hash: bytes | None = None,
    ) -> None:
        super().__init__(f"{message} (code {code})")
        self.code = code
        self.message = message
        self.data = data
        self.answer = answer
        self.transaction_hash = transaction_hash

    def unreadable(self, what: str) -> str:
        """A message for an answer without revert data that certledger can read: what was
        refused, the node's answer itself, and how to proceed."""
        return (
            f"{what}: {self.message} (code {self.code}), and its answer carries no revert data "
            f"that certledger can read: {describe(self.answer)}. If the node refused for a reason "
            "of its own (funds, gas, nonce), fix that and try again; if it is a contract's refusal "
            "in a shape certledger does not know, report this answer (docs/chain.md lists the "
            "shapes read)"
        )


def rpc(w3: Web3, method: str, params: list[Any]) -> Any:
    """Calls `method` directly, returning the raw result or raising `RPCError` with its data.

    Used where the error's revert data matters (estimates and calls), which web3's formatters
    would otherwise turn into a string.
    """
    response = w3.provider.make_request(RPCEndpoint(method), params)
    error = response.get("error")
    if error is not None:
        if not isinstance(error, dict):
            raise RPCError(-1, str(error), None, answer=error)
        try:
            code = int(error.get("code", -1))
        except (TypeError, ValueError):
            code = -1
        return _raise(
            RPCError(
                code,
                str(error.get("message", "")),
                revert_data(error),
                answer=error,
                transaction_hash=reverted_transaction(error),
            )
        )
    return cast(Any, response.get("result"))


def _raise(error: RPCError) -> Any:
    raise error
