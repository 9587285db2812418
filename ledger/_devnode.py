"""Development nodes (anvil, Hardhat): recognising one, and calling its own methods.

The two differ in what they accept: anvil answers ``anvil_setBalance`` and Hardhat refuses it
(-32004, "not supported"), while both answer ``hardhat_getAutomine`` and ``evm_mine``. Any
other node (geth, Besu, Nethermind, Erigon) is a real network: nothing is minted there.
"""

from __future__ import annotations

from enum import StrEnum

from eth_typing import ChecksumAddress
from web3 import Web3

from ledger._errors import ChainError
from ledger._rpc import RPCError, rpc


class DevNode(StrEnum):
    """A development node certledger knows how to fund and to mine."""

    ANVIL = "anvil"
    HARDHAT = "hardhat"


_SET_BALANCE = {DevNode.ANVIL: "anvil_setBalance", DevNode.HARDHAT: "hardhat_setBalance"}


def development_node(w3: Web3) -> DevNode | None:
    """Which development node answers, from its ``web3_clientVersion``; None for any other
    (including a node that does not say)."""
    try:
        version = str(rpc(w3, "web3_clientVersion", [])).lower()
    except RPCError:
        return None
    if version.startswith("anvil"):
        return DevNode.ANVIL
    if version.startswith("hardhat"):  # "HardhatNetwork/2.29.1/@nomicfoundation/edr/…"
        return DevNode.HARDHAT
    return None


def set_balance(w3: Web3, node: DevNode, address: ChecksumAddress, wei: int) -> None:
    """Sets `address`'s balance with the node's own method, and reads it back."""
    method = _SET_BALANCE[node]
    try:
        rpc(w3, method, [address, hex(wei)])
    except RPCError as error:
        raise ChainError(error.unreadable(f"the {node} node refused {method} for {address}")) from error
    balance = w3.eth.get_balance(address)
    if balance != wei:
        raise ChainError(
            f"the {node} node accepted {method} for {address}, but the balance reads {balance} wei, "
            f"not {wei}: fund the address by a transfer from one of the node's own accounts"
        )


def mines_on_demand(w3: Web3) -> bool:
    """Whether the node is a development node that mines a block only when sent a transaction
    (automine), so that no block comes by itself. False for any other node."""
    if development_node(w3) is None:
        return False
    try:
        return bool(rpc(w3, "hardhat_getAutomine", []))
    except RPCError:
        return False


def mine(w3: Web3, blocks: int) -> None:
    """Mines `blocks` empty blocks on a development node."""
    for _ in range(blocks):
        rpc(w3, "evm_mine", [])
