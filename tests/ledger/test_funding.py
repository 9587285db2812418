"""Funding keys: each development node with its own method, and a plain refusal on a real network."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from ledger import ChainError, LedgerConfigError, connect
from ledger._devnet import DEV_BALANCE_WEI, SETUP_GAS, fund
from ledger._devnode import DevNode, development_node, set_balance
from tests.conftest import funded_account
from tests.rpc_proxy import rewriting_proxy

GETH = "Geth/v1.14.12-stable-293a300d/linux-amd64/go1.23.2"


def test_anvil_is_funded_with_its_own_method(w3: Web3, snapshot: None) -> None:
    del snapshot
    empty: LocalAccount = Account.create()
    assert development_node(w3) is DevNode.ANVIL
    assert fund(w3, [empty.address]) == [f"funded {empty.address} with 10,000 ETH on the anvil node"]
    assert w3.eth.get_balance(empty.address) == DEV_BALANCE_WEI


def test_a_real_network_is_never_said_to_be_funded(w3: Web3, snapshot: None) -> None:
    """Behind a geth's client version, nothing is minted: the key short of funds is named with
    the amount it lacks, and a key that holds enough passes."""
    del snapshot
    empty: LocalAccount = Account.create()
    rich = funded_account(w3)
    tip = 10**9
    upstream = w3.provider.endpoint_uri  # type: ignore[attr-defined]
    with rewriting_proxy(
        upstream, {}, results={"web3_clientVersion": GETH, "eth_maxPriorityFeePerGas": hex(tip)}
    ) as url:
        geth = connect(url)
        assert development_node(geth) is None
        with pytest.raises(LedgerConfigError) as refused:
            fund(geth, [rich.address, empty.address])
        # What the sender offers: twice the base fee plus the tip.
        price = 2 * int(w3.eth.get_block("latest")["baseFeePerGas"]) + tip
        needed = price * SETUP_GAS
        assert str(refused.value) == (
            f"{empty.address} holds 0 wei and needs {needed} wei more. Chain 31337 is not a development "
            f"node, so certledger cannot fund keys on it: each needs at least {needed} wei (5,000,000 gas "
            f"at {price} wei, the most a transaction offers now). Send them funds from an account of the "
            "network, then run the command again"
        )
        assert fund(geth, [rich.address]) == []
    assert w3.eth.get_balance(empty.address) == 0


def test_a_network_without_gas_fees_needs_no_funds(w3: Web3) -> None:
    """A Besu consortium without fees (``zeroBaseFee``, no tips): an empty key can send, so
    nothing is asked of it."""
    empty: LocalAccount = Account.create()
    upstream = w3.provider.endpoint_uri  # type: ignore[attr-defined]
    block = w3.provider.make_request("eth_getBlockByNumber", ["latest", False])["result"]  # type: ignore[arg-type]
    answers = {
        "web3_clientVersion": "besu/v24.12.2/linux-x86_64/openjdk-java-21",
        "eth_getBlockByNumber": {**block, "baseFeePerGas": "0x0"},
        "eth_maxPriorityFeePerGas": "0x0",
    }
    with rewriting_proxy(upstream, {}, results=answers) as url:
        assert fund(connect(url), [empty.address]) == []


def test_a_balance_that_does_not_take_is_an_error(w3: Web3) -> None:
    """A node that accepts the method but whose balance reads otherwise is not reported funded."""
    empty: LocalAccount = Account.create()
    upstream = w3.provider.endpoint_uri  # type: ignore[attr-defined]
    with (
        rewriting_proxy(upstream, {}, results={"anvil_setBalance": None}) as url,
        pytest.raises(ChainError) as refused,
    ):
        set_balance(connect(url), DevNode.ANVIL, empty.address, DEV_BALANCE_WEI)
    assert str(refused.value).startswith(
        f"the anvil node accepted anvil_setBalance for {empty.address}, but the balance reads 0 wei"
    )


def test_a_refused_balance_method_is_an_error_quoting_the_node(hardhat_w3: Web3) -> None:
    empty: LocalAccount = Account.create()
    with pytest.raises(ChainError) as refused:
        set_balance(hardhat_w3, DevNode.ANVIL, empty.address, DEV_BALANCE_WEI)
    assert str(refused.value).startswith(
        f"the anvil node refused anvil_setBalance for {empty.address}: Method anvil_setBalance is not "
        "supported (code -32004)"
    )
