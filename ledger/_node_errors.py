"""Reading a JSON-RPC error object the way each EVM client writes it.

A contract's revert data (the custom error's selector and arguments) travels in the error
object, but every client puts it somewhere else:

=========================  ======================================================================
client                     where the revert data is
=========================  ======================================================================
geth, Erigon, reth, anvil  ``data``: a hex string (code 3, "execution reverted…"; before 2022
                           geth and Erigon said -32000)
Besu                       ``data``: a hex string (code -32000, "Execution reverted"; since 23.7
                           the decoded reason follows in the message)
Nethermind                 ``data``: a hex string in 1.26 and later (code 3 or -32000); before,
                           code -32015 "VM execution error." with ``data`` "Reverted 0x…" or
                           "err: 0x… (supplied gas …)"
Hardhat, EDR               ``data.data``: a hex string (code -32603), and ``data.txHash`` when
                           ``eth_sendRawTransaction`` mined the reverting transaction anyway
Ganache 7                  ``data.result`` (and ``data.hash``)
Ganache 6                  ``data["0x<transaction hash>"].return``
wallets, proxies           the node's object nested in ``data`` once more
=========================  ======================================================================

`revert_data` finds it in any of these; None means the answer carries none (the node refused for
another reason, or speaks a shape not listed here — then callers say so, quoting the answer).
tests/ledger/rpc_answers/ holds a recorded answer of each client.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

_MAX_NESTING = 4  # the deepest shape above nests the data three levels down
# Text forms that name the revert data: Nethermind's "Reverted 0x…" and "err: 0x… (supplied gas
# …)", Hardhat's message "(return data: 0x…)".
_IN_TEXT = re.compile(r"(?:^|\b)(?:reverted|err:|return data:)\s*(0x[0-9a-f]*)(?![0-9a-z])", re.IGNORECASE)
_TRANSACTION_HASH = re.compile(r"^0x[0-9a-fA-F]{64}$")


def revert_data(error: Mapping[str, Any]) -> bytes | None:
    """The revert data a JSON-RPC error object carries (``b""`` for a revert without data), or
    None when it carries none in any known shape."""
    found = _data_in(error.get("data"), _MAX_NESTING)
    if found is None:
        found = _from_text(error.get("message"))
    return found


def reverted_transaction(error: Mapping[str, Any]) -> bytes | None:
    """The hash of the transaction that was mined although the node answered with an error
    (Hardhat's ``data.txHash``, Ganache's ``data.hash``), or None."""
    data = error.get("data")
    if not isinstance(data, Mapping):
        return None
    for key in ("txHash", "hash"):
        value = data.get(key)
        if isinstance(value, str) and _TRANSACTION_HASH.match(value):
            return bytes.fromhex(value[2:])
    return None


def describe(error: object, *, limit: int = 400) -> str:
    """The node's answer as compact JSON, cut at `limit` characters, for error messages."""
    text = json.dumps(error, ensure_ascii=False, separators=(",", ":"), default=str)  # it came as JSON
    return text if len(text) <= limit else text[:limit] + "…"


def _data_in(value: object, depth: int) -> bytes | None:
    if isinstance(value, str):
        return _hex(value) if value.startswith(("0x", "0X")) else _from_text(value)
    if not isinstance(value, Mapping) or depth == 0:
        return None
    for key in ("data", "result", "return"):
        if key in value:
            found = _data_in(value[key], depth - 1)
            if found is not None:
                return found
    for key, entry in value.items():  # Ganache 6: the result under the transaction's hash
        if isinstance(key, str) and _TRANSACTION_HASH.match(key) and isinstance(entry, Mapping):
            found = _data_in(entry, depth - 1)
            if found is not None:
                return found
    return None


def _from_text(text: object) -> bytes | None:
    if not isinstance(text, str):
        return None
    match = _IN_TEXT.search(text)
    return _hex(match.group(1)) if match else None


def _hex(value: str) -> bytes | None:
    digits = value[2:]
    if len(digits) % 2:
        return None
    try:
        return bytes.fromhex(digits)
    except ValueError:
        return None
