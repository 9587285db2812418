"""Setting up a development chain: funded keys, the contracts, an office and its key."""

from __future__ import annotations

from dataclasses import dataclass, field

from eth_typing import ChecksumAddress
from web3 import Web3

from ledger._deploy import Deployment, ensure_deployment
from ledger._devnode import development_node, set_balance
from ledger._errors import LedgerConfigError
from ledger._hashing import keccak256
from ledger._keys import ROLES
from ledger._runtime import ChainContext
from ledger._sender import max_fee_per_gas

DEV_BALANCE_WEI = 10_000 * 10**18
SETUP_GAS = 5_000_000  # deploying both contracts takes about 4 million
ACCESS_LOG_ID = keccak256(b"certledger/access-log/v1")


@dataclass(frozen=True, slots=True)
class DevOffice:
    """The issuing office registered on a development chain."""

    office_id: int = 1
    region_code: int = 371000  # 威海市 (Weihai), GB/T 2260
    display_name: str = "威海市社会保险事业中心（开发环境）"
    # The three social-insurance certificate types: contribution record, pension qualification,
    # work-injury determination.
    type_ids: tuple[int, ...] = (1, 2, 3)


@dataclass(slots=True)
class DevnetReport:
    """What `bootstrap_devnet` found in place and what it did."""

    deployment: Deployment
    office: DevOffice
    keys: dict[str, ChecksumAddress]
    actions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def is_development_chain(w3: Web3) -> bool:
    """Whether the node is a local development node that can mint balances."""
    return development_node(w3) is not None


def fund(w3: Web3, addresses: list[ChecksumAddress], *, minimum: int = DEV_BALANCE_WEI // 2) -> list[str]:
    """Makes sure each of `addresses` can pay for its transactions; returns what was done.

    On a development node an address below `minimum` is given `DEV_BALANCE_WEI` with the node's
    own method (anvil's or Hardhat's), and its balance is read back. Any other network cannot
    mint: there an address that cannot pay for `SETUP_GAS` at twice the node's gas price raises
    `LedgerConfigError` naming it and the amount it lacks (on a network without gas fees, such
    as a Besu consortium at gas price 0, nothing is needed).
    """
    node = development_node(w3)
    if node is None:
        _require_funds(w3, addresses)
        return []
    done = []
    for address in addresses:
        if w3.eth.get_balance(address) < minimum:
            set_balance(w3, node, address, DEV_BALANCE_WEI)
            done.append(f"funded {address} with {DEV_BALANCE_WEI // 10**18:,} ETH on the {node} node")
    return done


def _require_funds(w3: Web3, addresses: list[ChecksumAddress]) -> None:
    price = max_fee_per_gas(w3)
    needed = price * SETUP_GAS
    short = [(address, w3.eth.get_balance(address)) for address in addresses]
    short = [(address, balance) for address, balance in short if balance < needed]
    if not short:
        return
    lines = "; ".join(
        f"{address} holds {balance} wei and needs {needed - balance} wei more" for address, balance in short
    )
    raise LedgerConfigError(
        f"{lines}. Chain {w3.eth.chain_id} is not a development node, so certledger cannot fund keys "
        f"on it: each needs at least {needed} wei ({SETUP_GAS:,} gas at {price} wei, the most a "
        f"transaction offers now). Send them funds from an account of the network, then run the command again"
    )


def bootstrap_devnet(context: ChainContext, office: DevOffice | None = None) -> DevnetReport:
    """Makes the chain ready for development; every step is skipped when already done."""
    office = office or DevOffice()
    w3 = context.w3
    keys = {role: context.account(role).address for role in ROLES}
    # A development node funds every key; elsewhere only the governor, who sends the set-up's
    # transactions, must hold funds now (the others are refused by the node when they send).
    actions = fund(w3, list(keys.values()) if is_development_chain(w3) else [keys["governor"]])
    outcome = ensure_deployment(w3, context.sender("governor"), context.settings.data_dir)
    if outcome.created:
        actions.append(f"deployed the contracts on chain {outcome.deployment.chain_id}")
    governor = context.ledger("governor")
    if governor.office(office.office_id) is None:
        governor.register_office(
            office.office_id,
            region_code=office.region_code,
            display_name=office.display_name,
            type_ids=office.type_ids,
        )
        actions.append(f"registered office {office.office_id}")
    if governor.key_info(keys["issuer"]) is None:
        governor.add_key(office.office_id, keys["issuer"])
        actions.append(f"added the issuer key to office {office.office_id}")
    access_log = context.access_log("governor")
    if not access_log.is_operator(ACCESS_LOG_ID, keys["operator"]):
        access_log.authorize_operator(ACCESS_LOG_ID, keys["operator"])
        actions.append("authorized the operator key on the access log")
    return DevnetReport(outcome.deployment, office, keys, actions, list(outcome.notes))
