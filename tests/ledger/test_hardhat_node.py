"""The ledger kernel on a second real node, Hardhat: funding, deployment, refusals, confirmations
and a reset, where anvil's answers would hide a difference."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from ledger import (
    CertificateLedgerClient,
    ChainMismatchError,
    ContractRevertError,
    KeyStore,
    TransactionSender,
    TransactionUnconfirmedError,
    connect,
    deploy_contracts,
    ensure_deployment,
    load_artifact,
)
from ledger._devnet import DEV_BALANCE_WEI, fund
from tests.conftest import funded_account
from tests.hardhat import HardhatNode, hardhat_account


def test_funding_uses_hardhats_own_method_and_reads_the_balance_back(hardhat_snapshot: Web3) -> None:
    w3 = hardhat_snapshot
    empty: LocalAccount = Account.create()
    rich = hardhat_account(w3)
    assert fund(w3, [empty.address, rich.address]) == [
        f"funded {empty.address} with 10,000 ETH on the hardhat node"
    ]
    assert w3.eth.get_balance(empty.address) == DEV_BALANCE_WEI
    assert fund(w3, [empty.address]) == []  # enough already


def test_a_contracts_refusal_is_named_from_hardhats_nested_answer(hardhat_snapshot: Web3) -> None:
    w3 = hardhat_snapshot
    governor = TransactionSender(w3, hardhat_account(w3))
    deployment = deploy_contracts(w3, governor)
    ledger = CertificateLedgerClient(w3, deployment.ledger, sender=governor)
    ledger.register_office(1, region_code=371000, display_name="威海市社会保险事业中心", type_ids=[1])
    issuer = hardhat_account(w3)
    ledger.add_key(1, issuer.address)
    office = CertificateLedgerClient(w3, deployment.ledger, sender=TransactionSender(w3, issuer))
    root = bytes.fromhex("5a" * 32)
    first = office.anchor(root, count=2, type_id=1)
    # The estimate refuses the resend (Hardhat: code -32603, the data in error.data.data).
    with pytest.raises(ContractRevertError) as refused:
        office.anchor(root, count=2, type_id=1)
    assert (refused.value.error, refused.value.arguments) == (
        "CertificateLedgerDuplicateRoot",
        {"root": root, "batchId": first.batch_id},
    )
    # Without an estimate Hardhat mines the transaction and answers with an error naming it: the
    # sender recognises its own transaction, and explains the failed receipt.
    abi = load_artifact("CertificateLedger").abi
    data = w3.eth.contract(address=deployment.ledger, abi=abi).encode_abi(
        "anchor", args=[root, 2, 1, bytes(32)]
    )
    before = w3.eth.get_transaction_count(issuer.address)
    with pytest.raises(ContractRevertError) as failed:
        TransactionSender(w3, issuer).send(to=deployment.ledger, data=bytes.fromhex(data[2:]), gas=200_000)
    assert failed.value.error == "CertificateLedgerDuplicateRoot"
    assert w3.eth.get_transaction_count(issuer.address) == before + 1  # it was mined, and failed
    # A read refused by the contract is named too.
    with pytest.raises(ContractRevertError) as unknown:
        office.status_of(bytes(32), 0)
    assert (unknown.value.error, unknown.value.arguments) == (
        "CertificateLedgerUnknownBatch",
        {"root": bytes(32)},
    )


@pytest.fixture(params=["anvil", "hardhat"])
def automining(request: pytest.FixtureRequest) -> Iterator[tuple[Web3, LocalAccount]]:
    """A development node that mines a block only when sent a transaction, and a funded key."""
    if request.param == "anvil":
        w3 = request.getfixturevalue("w3")
        request.getfixturevalue("snapshot")
        yield w3, funded_account(w3)
    else:
        w3 = request.getfixturevalue("hardhat_snapshot")
        yield w3, hardhat_account(w3)


def test_confirmations_on_a_node_that_mines_on_demand_are_mined(
    automining: tuple[Web3, LocalAccount],
) -> None:
    """`revoke` with CERTLEDGER_CONFIRMATIONS=3 said "did not reach 3 confirmations in time" for a
    revocation that was on chain: no block was coming on such a node. The sender mines them."""
    w3, account = automining
    sender = TransactionSender(w3, account, confirmations=3, timeout=30)
    receipt = sender.send(to=account.address, data=b"")
    assert w3.eth.block_number == receipt.block_number + 2


def test_a_mined_transaction_short_of_confirmations_is_reported_as_mined(hardhat_snapshot: Web3) -> None:
    """A node that mines on its own schedule (automine off, as a consortium chain): the
    transaction is mined, the blocks on top do not come in time. The error says it happened."""
    w3 = hardhat_snapshot
    account = hardhat_account(w3)
    w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
    try:
        sender = TransactionSender(w3, account, confirmations=3, timeout=5, resend_after=60)
        outcome: dict[str, BaseException] = {}

        def send() -> None:
            try:
                sender.send(to=account.address, data=b"")
            except BaseException as error:
                outcome["error"] = error

        thread = threading.Thread(target=send)
        thread.start()
        deadline = time.monotonic() + 10
        while w3.eth.get_transaction_count(account.address, "pending") == 0:
            assert time.monotonic() < deadline, "the transaction never reached the pool"
            time.sleep(0.02)
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        mined_in = w3.eth.block_number
        thread.join(timeout=30)
    finally:
        w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]
    error = outcome["error"]
    assert isinstance(error, TransactionUnconfirmedError)
    assert error.block_number == mined_in
    assert w3.eth.get_transaction_receipt(error.transaction_hash)["status"] == 1  # type: ignore[arg-type]
    assert str(error).startswith(
        f"transaction 0x{error.transaction_hash.hex()} was mined in block {mined_in} and succeeded, but "
        "has 1 of the 3 confirmations asked for (CERTLEDGER_CONFIRMATIONS) after 5 s"
    )
    assert "It is on chain: do not send it again" in str(error)


@pytest.mark.slow
def test_a_restarted_hardhat_node_is_refused_as_reset_never_redeployed(tmp_path: Path) -> None:
    """Hardhat keeps no state across restarts: the recorded deployment is then gone, and that is
    reported as a reset, not repaired by deploying new contracts over the manifest."""
    node = HardhatNode(tmp_path / "node")
    node.start()
    try:
        data = tmp_path / "data"
        governor = KeyStore(data / "keys").account("governor")
        w3 = connect(node.rpc_url)
        assert fund(w3, [governor.address])
        first = ensure_deployment(w3, TransactionSender(w3, governor), data)
        assert first.created
        recorded = (data / "deployments" / "31337.json").read_bytes()
        node.stop()
        node.start()
        w3 = connect(node.rpc_url)
        fund(w3, [governor.address])
        with pytest.raises(ChainMismatchError) as refused:
            ensure_deployment(w3, TransactionSender(w3, governor), data)
        message = str(refused.value)
        assert "does not match the chain" in message and "Nothing was deployed" in message
        assert "the node was reset" in message or "the chain lost its state" in message
        assert (data / "deployments" / "31337.json").read_bytes() == recorded
    finally:
        node.stop()
