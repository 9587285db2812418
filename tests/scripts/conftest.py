"""The benchmarks' node fixture: the session's anvil, posing as a bureau's own node."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from typer.testing import Result
from web3 import Web3

from ledger import ROLES, ManagedChain

CREDENTIALS = "bureau:s3cret"
"""In the URL the benchmarks are given: they must never print it."""


@dataclass(frozen=True, slots=True)
class ExternalNode:
    """The node ``CERTLEDGER_RPC_URL`` names during a test, and its head before the test."""

    url: str  # without the credentials, as the benchmarks print it
    w3: Web3
    start_block: int

    def assert_measured(self, result: Result) -> dict[str, Any]:
        """The figures of a benchmark run's JSON output, once the run has exited 0, its ``node``
        entry names this node, the node has new blocks, and no output shows the credentials."""
        assert result.exit_code == 0, result.output
        assert CREDENTIALS not in result.output
        figures: dict[str, Any] = json.loads(result.stdout)
        assert figures.pop("node") == {
            "url": self.url,
            "chain_id": self.w3.eth.chain_id,
            "client_version": self.w3.client_version,
            "external": True,
        }
        assert self.w3.eth.block_number > self.start_block
        return figures


@pytest.fixture
def external_node(
    chain: ManagedChain, w3: Web3, snapshot: None, monkeypatch: pytest.MonkeyPatch
) -> ExternalNode:
    """The session's node as the one ``CERTLEDGER_RPC_URL`` names (with credentials in the URL),
    rolled back after the test; an embedded node started in this process fails the test."""
    del snapshot
    monkeypatch.setenv("CERTLEDGER_RPC_URL", chain.rpc_url.replace("http://", f"http://{CREDENTIALS}@", 1))
    monkeypatch.delenv("CERTLEDGER_TEST_DATABASE_URL", raising=False)  # SQLite only
    for role in ROLES:
        monkeypatch.delenv(f"CERTLEDGER_{role.upper()}_KEY", raising=False)

    def refuse(node: ManagedChain, **_: object) -> None:
        raise AssertionError(f"a benchmark started a node of its own in {node.directory}")

    monkeypatch.setattr(ManagedChain, "up", refuse)
    return ExternalNode(chain.rpc_url, w3, w3.eth.block_number)
