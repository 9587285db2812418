"""A deployed world with every kind of actor the trust rules tell apart."""

from __future__ import annotations

import os
from dataclasses import dataclass

import pytest
from eth_account.signers.local import LocalAccount
from web3 import Web3

from ledger import (
    AccessLogAnchorClient,
    BatchTree,
    CertificateLedgerClient,
    Deployment,
    Reason,
    deploy_contracts,
)
from tests.conftest import funded_account, latest_timestamp, new_sender, set_next_timestamp

OFFICE_A, OFFICE_B, OFFICE_C = 1, 2, 3
TYPE_CONTRIBUTION, TYPE_PENSION = 1, 2
LOG_ID = bytes.fromhex("ab" * 32)
ACTORS = (
    "governor",
    "office_key",
    "other_office_key",
    "retired_key",
    "suspended_office_key",
    "stranger",
    "operator",
)


@dataclass
class World:
    """The contracts with three offices and one account per actor.

    * office A (1) may issue type 1 with `office_key`; `retired_key` was its key until `retired_at`
    * office B (2) may issue type 2 only, with `other_office_key`
    * office C (3) may issue type 1 with `suspended_office_key` and is suspended from `suspended_from`
    * `operator` may append to the access log `LOG_ID` and has been offered the governor role
    * `root` is a batch of 8 certificates anchored by office A, whose certificate 2 is suspended;
      `root_c` is a batch of 4 anchored by office C before its suspension
    """

    w3: Web3
    deployment: Deployment
    accounts: dict[str, LocalAccount]
    tree: BatchTree
    document_roots: list[bytes]
    root: bytes
    root_c: bytes
    retired_from: int
    retired_at: int
    suspended_from: int
    started_at: int

    def address(self, actor: str) -> str:
        """The address of `actor`."""
        return self.accounts[actor].address

    def ledger(self, actor: str | None = None) -> CertificateLedgerClient:
        """The ledger, sending as `actor` with a fresh sender."""
        sender = new_sender(self.w3, self.accounts[actor]) if actor else None
        return CertificateLedgerClient(self.w3, self.deployment.ledger, sender=sender)

    def access_log(self, actor: str | None = None) -> AccessLogAnchorClient:
        """The access log anchor, sending as `actor` with a fresh sender."""
        sender = new_sender(self.w3, self.accounts[actor]) if actor else None
        return AccessLogAnchorClient(self.w3, self.deployment.access_log, sender=sender)

    def now(self) -> int:
        """The latest block's timestamp."""
        return latest_timestamp(self.w3)

    def pin_next_block(self, offset: int = 100) -> int:
        """Pins the next block `offset` seconds after the latest one and returns its time."""
        timestamp = self.now() + offset
        set_next_timestamp(self.w3, timestamp)
        return timestamp


@pytest.fixture(scope="session")
def world(w3: Web3) -> World:
    """Builds the world once per session; tests roll back their changes with `snapshot`."""
    accounts = {actor: funded_account(w3) for actor in ACTORS}
    governor = new_sender(w3, accounts["governor"])
    deployment = deploy_contracts(w3, governor)
    ledger = CertificateLedgerClient(w3, deployment.ledger, sender=governor)
    ledger.register_office(OFFICE_A, region_code=371000, display_name="威海市社会保险事业中心", type_ids=[1])
    ledger.register_office(OFFICE_B, region_code=370200, display_name="青岛市社会保险事业中心", type_ids=[2])
    ledger.register_office(OFFICE_C, region_code=370100, display_name="济南市社会保险事业中心", type_ids=[1])
    ledger.add_key(OFFICE_A, accounts["retired_key"].address)
    retired_from = ledger.key_info(accounts["retired_key"].address).valid_from  # type: ignore[union-attr]
    ledger.add_key(OFFICE_A, accounts["office_key"].address)
    ledger.add_key(OFFICE_B, accounts["other_office_key"].address)
    ledger.add_key(OFFICE_C, accounts["suspended_office_key"].address)

    document_roots = [os.urandom(32) for _ in range(8)]
    tree = BatchTree.build(document_roots)
    office_a = CertificateLedgerClient(w3, deployment.ledger, sender=new_sender(w3, accounts["office_key"]))
    office_a.anchor(tree.root, count=tree.count, type_id=TYPE_CONTRIBUTION)
    office_a.suspend(tree.root, [2], reason=int(Reason.DISPUTED))
    root_c = BatchTree.build([os.urandom(32) for _ in range(4)]).root
    office_c = CertificateLedgerClient(
        w3, deployment.ledger, sender=new_sender(w3, accounts["suspended_office_key"])
    )
    office_c.anchor(root_c, count=4, type_id=TYPE_CONTRIBUTION)

    retired_at = latest_timestamp(w3) + 1
    set_next_timestamp(w3, retired_at)
    ledger.retire_key(accounts["retired_key"].address, at=retired_at)
    suspended_from = latest_timestamp(w3) + 1
    set_next_timestamp(w3, suspended_from)
    ledger.suspend_office(OFFICE_C, since=suspended_from)

    access_log = AccessLogAnchorClient(w3, deployment.access_log, sender=governor)
    access_log.authorize_operator(LOG_ID, accounts["operator"].address)
    ledger.transfer_governance(accounts["operator"].address)
    return World(
        w3=w3,
        deployment=deployment,
        accounts=accounts,
        tree=tree,
        document_roots=document_roots,
        root=tree.root,
        root_c=root_c,
        retired_from=retired_from,
        retired_at=retired_at,
        suspended_from=suspended_from,
        started_at=latest_timestamp(w3),
    )


@pytest.fixture
def fresh(world: World, snapshot: None) -> World:
    """The world, rolled back after the test (by `snapshot`)."""
    del snapshot
    return world
