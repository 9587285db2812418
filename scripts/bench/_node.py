"""The node a benchmark runs on, and the benchmark's own settings, keys and funds on it.

With no ``CERTLEDGER_RPC_URL`` a benchmark starts an anvil of its own in its temporary folder
and stops it afterwards. With it, the benchmark runs on that node — a bureau measuring its own
network — but always on a fresh deployment recorded in the temporary folder, never on the
bureau's data folder, database or deployment manifest. Only the settings that name the node and
sign on it are taken from the environment (`NODE_SETTINGS`); everything else is the default.

Its role keys are the ones the settings give (``CERTLEDGER_GOVERNOR_KEY`` …) or, where none is
given, keys made in the temporary folder for the run. A development node (anvil, Hardhat) funds
them; on any other network each must already hold what its transactions may cost, and a key
that does not is refused before anything is sent, naming its address and the amount.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

from eth_typing import ChecksumAddress
from web3 import Web3

from ledger import (
    ROLES,
    ChainContext,
    LedgerConfigError,
    LedgerSettings,
    is_development_chain,
    max_fee_per_gas,
    redact,
)
from ledger._devnet import fund
from scripts.bench._report import Node

S = TypeVar("S", bound=LedgerSettings)

NODE_SETTINGS = (
    "rpc_url",
    "confirmations",
    "rpc_timeout",
    "transaction_timeout",
    "governor_key",
    "issuer_key",
    "operator_key",
)
"""The settings a benchmark takes from the environment: where the node is and how to sign on it."""

# Gas a role's key may have to pay for, as the gas limits its transactions carry: what the
# contracts use (docs/contracts.md) with the sender's 20 % estimate margin, and some room. A test
# holds `bench gas`'s transactions to these.
DEPLOY_GAS = 6_000_000  # both contracts, the office, its issuer key, the log's operator: 5.35 M
ANCHOR_GAS = 100_000  # one batch of any size: 69,000 to 90,000
REVOKE_GAS = 80_000  # one certificate in a transaction of its own: at most 72,000
LOG_APPEND_GAS = 100_000  # one checkpoint of the access log: at most 93,000


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bench_settings(settings_class: type[S], data_dir: Path, **fields: Any) -> S:
    """Settings of `settings_class` for a benchmark in `data_dir`: the node and its keys as the
    environment configures them, `fields`, and the defaults for everything else — every field is
    given, so no other ``CERTLEDGER_*`` variable (the bureau's database, secrets, limits) can
    reach the benchmark. An embedded node gets a free port."""
    configured = LedgerSettings()
    values: dict[str, Any] = {
        name: info.get_default(call_default_factory=True)
        for name, info in settings_class.model_fields.items()
    }
    values |= {name: getattr(configured, name) for name in NODE_SETTINGS}
    values |= {"data_dir": data_dir, "chain_port": free_port()}
    values |= fields
    return settings_class(**values)


def node_environment(settings: LedgerSettings) -> dict[str, str]:
    """The ``CERTLEDGER_*`` variables that hand `settings`' node and keys to a child process."""
    environment = {}
    for name in NODE_SETTINGS:
        value = getattr(settings, name)
        if value is None:
            continue
        text = value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)
        environment[f"CERTLEDGER_{name.upper()}"] = text
    return environment


def describe_node(w3: Web3, url: str, *, external: bool) -> Node:
    """What the node at `url` says it is."""
    return Node(redact(url), int(w3.eth.chain_id), str(w3.client_version), external)


@contextmanager
def bench_node(context: ChainContext) -> Iterator[Node]:
    """The node of `context`, answering: an anvil of the benchmark's own, started here and
    stopped on the way out, or the configured external node, which is only connected to."""
    chain = context.managed_chain
    if chain is None:
        yield describe_node(context.w3, context.settings.endpoint, external=True)
        return
    chain.up()
    try:
        yield describe_node(context.w3, context.settings.endpoint, external=False)
    finally:
        chain.down()


def ensure_funded(context: ChainContext, gas: Mapping[str, int]) -> list[str]:
    """Makes sure that every role's key can pay for the gas `gas` gives it (none where it names no
    role): topped up on a development node (returns what was done), checked on any other.

    There the keys that fall short are refused with a `LedgerConfigError` naming each address,
    what it needs and how to proceed. A key made for this run is refused whenever gas costs
    anything: nobody can have funded it, and the benchmark's set-up registers every role's key.
    """
    w3 = context.w3
    accounts = {role: context.account(role) for role in ROLES}
    if is_development_chain(w3):
        return fund(w3, [account.address for account in accounts.values()])
    price = max_fee_per_gas(w3)
    short = [
        problem
        for role, account in accounts.items()
        if (problem := _shortfall(context, role, account.address, gas=gas.get(role, 0), price=price))
    ]
    if short:
        node = describe_node(w3, context.settings.endpoint, external=not context.settings.managed)
        raise LedgerConfigError(
            f"the benchmark cannot pay for its transactions on {node.describe()}, which is not a "
            f"development node that can fund keys: {'; '.join(short)}. Nothing was sent"
        )
    return []


def _shortfall(
    context: ChainContext, role: str, address: ChecksumAddress, *, gas: int, price: int
) -> str | None:
    """Why `role`'s key cannot pay for `gas` at `price`, or None when it can."""
    need = gas * price
    variable = f"CERTLEDGER_{role.upper()}_KEY"
    if getattr(context.settings, f"{role}_key") is None:
        if price == 0:  # a network without fees: any key can send
            return None
        holding = f"holding at least {_amount(need)}" if need else "(registered, it sends nothing here)"
        return (
            f"the {role} key {address} was made for this run only, so nothing can have funded it: "
            f"set {variable} to a key of yours {holding}"
        )
    balance = int(context.w3.eth.get_balance(address))
    if balance >= need:
        return None
    return (
        f"the {role} key {address} ({variable}) holds {_amount(balance)} and needs about {_amount(need)} "
        f"({gas:,} gas at {price:,} wei): send it at least {_amount(need - balance)} more"
    )


def _amount(wei: int) -> str:
    ether = Decimal(wei) / Decimal(10**18)
    return f"{wei:,} wei ({ether.normalize():f} in the chain's coin)"
