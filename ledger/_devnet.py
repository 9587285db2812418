"""Setting up a development chain: funded keys, the contracts, an office and its key."""

from __future__ import annotations

from dataclasses import dataclass, field

from eth_typing import ChecksumAddress
from web3 import Web3

from ledger._deploy import Deployment, ensure_deployment
from ledger._hashing import keccak256
from ledger._keys import ROLES
from ledger._runtime import ChainContext

DEV_BALANCE_WEI = 10_000 * 10**18
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
    version = str(w3.client_version).lower()
    return version.startswith(("anvil", "hardhat"))


def fund(w3: Web3, addresses: list[ChecksumAddress], *, minimum: int = DEV_BALANCE_WEI // 2) -> list[str]:
    """Tops up `addresses` on a development node; returns what was funded."""
    funded = []
    for address in addresses:
        if w3.eth.get_balance(address) < minimum:
            w3.provider.make_request("anvil_setBalance", [address, hex(DEV_BALANCE_WEI)])  # type: ignore[arg-type]
            funded.append(f"funded {address}")
    return funded


def bootstrap_devnet(context: ChainContext, office: DevOffice | None = None) -> DevnetReport:
    """Makes the chain ready for development; every step is skipped when already done."""
    office = office or DevOffice()
    w3 = context.w3
    keys = {role: context.account(role).address for role in ROLES}
    actions: list[str] = []
    if is_development_chain(w3):
        actions += fund(w3, list(keys.values()))
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
