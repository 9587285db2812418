"""Revert data read from every client's error object: recorded answers, then the real sender.

tests/ledger/rpc_answers/ holds one file per client. Each says where its answers come from:
recorded here against anvil 1.7.1 and Hardhat 2.29.1, or quoted from public threads for the
clients the suite does not run (geth, Erigon, Besu, Nethermind, Ganache).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from web3 import Web3

from ledger import CertificateLedgerClient, ContractRevertError, TransactionError, connect
from ledger._compiler import all_abis
from ledger._node_errors import describe, revert_data, reverted_transaction
from ledger._revert import RevertDecoder
from tests.conftest import new_sender
from tests.rpc_proxy import Rewrite, rewriting_proxy
from tests.world import TYPE_CONTRIBUTION, World

ANSWERS = Path(__file__).parent / "rpc_answers"


def _recorded() -> list[Any]:
    cases = []
    for path in sorted(ANSWERS.glob("*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        assert document["source"] and document["version"], f"{path.name} must say where it comes from"
        for number, answer in enumerate(document["answers"]):
            cases.append(pytest.param(answer, id=f"{path.stem}-{number}"))
    return cases


@pytest.mark.parametrize("answer", _recorded())
def test_each_clients_answer_gives_its_revert_data(answer: dict[str, Any]) -> None:
    expected = answer["revert_data"]
    found = revert_data(answer["error"])
    assert found == (None if expected is None else bytes.fromhex(expected[2:])), answer["what"]
    transaction = answer.get("transaction_hash")
    assert reverted_transaction(answer["error"]) == (
        None if transaction is None else bytes.fromhex(transaction[2:])
    )
    if "decodes_to" in answer:
        assert found is not None
        assert RevertDecoder(all_abis().values()).decode(found).error == answer["decodes_to"]


@pytest.mark.parametrize(
    ("error", "why"),
    [
        ({"code": 3, "message": "execution reverted", "data": "0x123"}, "odd number of digits"),
        ({"code": 3, "message": "execution reverted", "data": "0xzz"}, "not hex"),
        ({"code": -32000, "message": "nonce too low: address 0xf39f…, tx: 5 state: 7"}, "not a revert"),
        ({"code": -32000, "message": "execution reverted", "data": None}, "no data"),
        (
            {
                "code": -32000,
                "message": "x",
                "data": {"data": {"data": {"data": {"data": {"data": "0x01"}}}}},
            },
            "too deep",
        ),
    ],
)
def test_what_is_not_revert_data_is_none(error: dict[str, Any], why: str) -> None:
    assert revert_data(error) is None, why


def test_a_long_answer_is_cut_for_messages() -> None:
    text = describe({"code": 3, "data": "0x" + "ab" * 400})
    assert len(text) == 401 and text.endswith("…") and text.startswith('{"code":3,"data":"0xabab')


# ---------------------------------------------------------------- through the real sender


def _shapes() -> dict[str, Rewrite]:
    """anvil's error objects rewritten into each client's shape, carrying anvil's revert data."""

    def geth(e: dict[str, Any]) -> dict[str, Any]:
        return {"code": 3, "message": "execution reverted", "data": e["data"]}

    def besu(e: dict[str, Any]) -> dict[str, Any]:
        return {"code": -32000, "message": "Execution reverted", "data": e["data"]}

    def nethermind(e: dict[str, Any]) -> dict[str, Any]:
        return {"code": -32015, "message": "VM execution error.", "data": f"Reverted {e['data']}"}

    def nethermind_gas(e: dict[str, Any]) -> dict[str, Any]:
        return {
            "code": -32015,
            "message": "VM execution error.",
            "data": f"err: {e['data']} (supplied gas 36000000)",
        }

    def hardhat(e: dict[str, Any]) -> dict[str, Any]:
        message = f"Error: VM Exception while processing transaction: reverted with an unrecognized custom error (return data: {e['data']})"
        return {"code": -32603, "message": message, "data": {"message": message, "data": e["data"]}}

    def ganache6(e: dict[str, Any]) -> dict[str, Any]:
        entry = {"error": "revert", "program_counter": 92, "return": e["data"]}
        return {
            "code": -32000,
            "message": "VM Exception while processing transaction: revert",
            "data": {"0x" + "2f" * 32: entry},
        }

    def ganache7(e: dict[str, Any]) -> dict[str, Any]:
        inner = {
            "hash": None,
            "message": "revert",
            "programCounter": 889,
            "reason": None,
            "result": e["data"],
        }
        return {
            "code": -32603,
            "message": "Internal JSON-RPC error.",
            "data": {"code": -32000, "data": inner},
        }

    return {f.__name__: f for f in (geth, besu, nethermind, nethermind_gas, hardhat, ganache6, ganache7)}


@pytest.mark.parametrize("shape", list(_shapes()))
def test_a_duplicate_root_is_named_whatever_the_clients_shape(fresh: World, shape: str) -> None:
    """The worker's recovery after a crash rests on this refusal being recognised: the estimate
    of a resent anchor comes back as CertificateLedgerDuplicateRoot with its batch id."""
    rewrite = _shapes()[shape]
    with rewriting_proxy(fresh.w3.provider.endpoint_uri, {"eth_estimateGas": rewrite}) as url:  # type: ignore[attr-defined]
        ledger = _office_a(connect(url), fresh)
        with pytest.raises(ContractRevertError) as refused:
            ledger.anchor(fresh.root, count=fresh.tree.count, type_id=TYPE_CONTRIBUTION)
    assert (refused.value.error, refused.value.arguments) == (
        "CertificateLedgerDuplicateRoot",
        {"root": fresh.root, "batchId": 1},
    )


def test_an_answer_in_no_known_shape_is_an_error_that_quotes_it(fresh: World) -> None:
    def unknown(e: dict[str, Any]) -> dict[str, Any]:
        return {"code": -32099, "message": "call failed", "data": {"revert": {"bytes": e["data"]}}}

    upstream = fresh.w3.provider.endpoint_uri  # type: ignore[attr-defined]
    with rewriting_proxy(upstream, {"eth_estimateGas": unknown, "eth_call": unknown}) as url:
        w3 = connect(url)
        with pytest.raises(TransactionError) as refused:
            _office_a(w3, fresh).anchor(fresh.root, count=fresh.tree.count, type_id=TYPE_CONTRIBUTION)
        message = str(refused.value)
        assert message.startswith(
            "the node refused to estimate the transaction: call failed (code -32099), and its answer "
            "carries no revert data that certledger can read: "
            '{"code":-32099,"message":"call failed","data":{"revert":{"bytes":"0x95a78924'
        )
        assert "report this answer" in message
        # A read refused in an unknown shape is an unknown revert quoting the answer.
        with pytest.raises(ContractRevertError) as unread:
            _office_a(w3, fresh).status_of(bytes(32), 0)
        assert unread.value.error == "UnknownRevert"
        assert (
            "its answer carries no revert data that certledger can read" in unread.value.arguments["message"]
        )
    with pytest.raises(ContractRevertError) as named:  # the node itself, for comparison
        fresh.ledger().status_of(bytes(32), 0)
    assert named.value.error == "CertificateLedgerUnknownBatch"


def _office_a(w3: Web3, world: World) -> CertificateLedgerClient:
    return CertificateLedgerClient(
        w3, world.deployment.ledger, sender=new_sender(w3, world.accounts["office_key"])
    )
