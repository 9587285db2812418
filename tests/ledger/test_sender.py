"""The transaction sender: nonces, fee bumps, confirmations and clear failures."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3

from ledger import (
    ChainUnavailableError,
    ContractRevertError,
    ManagedChain,
    TransactionSender,
    TransactionTimeoutError,
    connect,
    load_artifact,
)
from tests.conftest import free_port, funded_account
from tests.rpc_proxy import rewriting_proxy


@pytest.fixture
def quiet_chain(tmp_path: Path) -> Iterator[Web3]:
    """A node of its own that mines only when told to."""
    chain = ManagedChain(tmp_path, port=free_port())
    chain.up()
    w3 = connect(chain.rpc_url)
    w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
    yield w3
    chain.down()


def _harness_bytecode() -> bytes:
    return load_artifact("BatchMerkleHarness").bytecode


def test_a_stale_local_nonce_is_resynchronized(w3: Web3) -> None:
    account = funded_account(w3)
    first, second = TransactionSender(w3, account), TransactionSender(w3, account)
    first.send(to=account.address, data=b"")
    second.send(to=account.address, data=b"")  # `first` does not know about this one
    receipt = first.send(to=account.address, data=b"")
    transaction = w3.eth.get_transaction(receipt.transaction_hash)  # type: ignore[arg-type]
    assert transaction["nonce"] == 2
    assert w3.eth.get_transaction_count(account.address) == 3


def test_an_unreachable_node_is_reported_with_its_address() -> None:
    port = free_port()
    sender = TransactionSender(connect(f"http://127.0.0.1:{port}", timeout=1), Account.create())
    with pytest.raises(
        ChainUnavailableError, match=f"cannot reach the chain node at http://127.0.0.1:{port}"
    ):
        sender.send(to=sender.address, data=b"")


def test_an_unmined_transaction_is_replaced_with_higher_fees(quiet_chain: Web3) -> None:
    w3 = quiet_chain
    account = funded_account(w3)
    sender = TransactionSender(w3, account, resend_after=0.3, poll_interval=0.02, timeout=30)
    result: dict[str, object] = {}
    thread = threading.Thread(
        target=lambda: result.setdefault("receipt", sender.send(to=None, data=_harness_bytecode()))
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not _pool_fees(w3, account.address):
        assert time.monotonic() < deadline, "the transaction never reached the pool"
        time.sleep(0.02)
    first_fee = min(_pool_fees(w3, account.address))
    # The sender resends with higher fees after each `resend_after` that the pool leaves it unmined.
    while max(_pool_fees(w3, account.address)) <= first_fee:
        assert time.monotonic() < deadline + 10, "the transaction was never replaced"
        time.sleep(0.02)
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    thread.join(timeout=10)
    receipt = result["receipt"]
    mined = w3.eth.get_transaction(receipt.transaction_hash)  # type: ignore[attr-defined]
    assert mined["nonce"] == 0
    assert mined["maxFeePerGas"] > first_fee
    assert w3.eth.get_transaction_count(account.address) == 1  # exactly one version executed


def _pool_fees(w3: Web3, address: str) -> list[int]:
    content = w3.provider.make_request("txpool_content", [])["result"]  # type: ignore[arg-type]
    pending = content.get("pending", {})
    entries: dict[str, dict[str, str]] = next(
        (v for k, v in pending.items() if k.lower() == address.lower()), {}
    )
    return [int(tx["maxFeePerGas"], 16) for tx in entries.values()]


def test_an_unmined_transaction_times_out(quiet_chain: Web3) -> None:
    sender = TransactionSender(quiet_chain, funded_account(quiet_chain), timeout=0.5, resend_after=0.2)
    with pytest.raises(TransactionTimeoutError, match="not mined within"):
        sender.send(to=sender.address, data=b"")


def test_confirmations_are_waited_for(w3: Web3) -> None:
    sender = TransactionSender(w3, funded_account(w3), confirmations=4, timeout=30)
    stop = threading.Event()

    def mine() -> None:
        while not stop.wait(0.05):
            w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]

    miner = threading.Thread(target=mine)
    miner.start()
    try:
        receipt = sender.send(to=sender.address, data=b"")
        assert w3.eth.block_number >= receipt.block_number + 3
    finally:
        stop.set()
        miner.join()


def test_a_transaction_that_fails_on_chain_is_explained(w3: Web3) -> None:
    # Skipping the estimate (explicit gas) lets the refusal happen on chain; the sender replays it.
    from ledger import deploy_contracts  # noqa: PLC0415

    governor = TransactionSender(w3, funded_account(w3))
    deployment = deploy_contracts(w3, governor)
    ledger = w3.eth.contract(address=deployment.ledger, abi=load_artifact("CertificateLedger").abi)
    stranger = TransactionSender(w3, funded_account(w3))
    data = bytes.fromhex(ledger.encode_abi("anchor", args=[b"\x01" * 32, 1, 1, bytes(32)])[2:])
    with pytest.raises(ContractRevertError) as refused:
        stranger.send(to=deployment.ledger, data=data, gas=200_000)
    assert (refused.value.error, refused.value.arguments) == (
        "IssuerRegistryUnknownKey",
        {"key": stranger.address},
    )
    assert w3.eth.get_transaction_count(stranger.address) == 1  # it was mined, and failed


def test_a_node_without_fee_suggestions_gets_a_tip_of_one_gwei(w3: Web3) -> None:
    """Some consortium nodes answer neither eth_maxPriorityFeePerGas nor eth_feeHistory: web3's
    fallback then raises an RPC error, which must not stop the transaction."""
    missing = {"code": -32601, "message": "the method does not exist/is not available"}
    upstream = w3.provider.endpoint_uri  # type: ignore[attr-defined]
    with rewriting_proxy(
        upstream, {}, errors={"eth_maxPriorityFeePerGas": missing, "eth_feeHistory": missing}
    ) as url:
        proxied = connect(url)
        account = funded_account(w3)
        receipt = TransactionSender(proxied, account).send(to=account.address, data=b"")
    transaction = w3.eth.get_transaction(receipt.transaction_hash)  # type: ignore[arg-type]
    assert transaction["maxPriorityFeePerGas"] == 10**9


def test_without_a_suggested_tip_the_median_of_recent_tips_is_offered(w3: Web3) -> None:
    missing = {"code": -32601, "message": "Method not found"}
    history = {
        "oldestBlock": "0x1",
        "baseFeePerGas": [],
        "gasUsedRatio": [],
        "reward": [["0x5"], ["0x7"], ["0x3"]],
    }
    upstream = w3.provider.endpoint_uri  # type: ignore[attr-defined]
    with rewriting_proxy(
        upstream, {}, errors={"eth_maxPriorityFeePerGas": missing}, results={"eth_feeHistory": history}
    ) as url:
        account = funded_account(w3)
        receipt = TransactionSender(connect(url), account).send(to=account.address, data=b"")
    transaction = w3.eth.get_transaction(receipt.transaction_hash)  # type: ignore[arg-type]
    assert transaction["maxPriorityFeePerGas"] == 5
