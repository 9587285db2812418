"""`certledger bench gas` prints every figure, and the contracts stay within their gas targets,
on an anvil of its own and on the configured node."""

from __future__ import annotations

import json
from collections import Counter
from typing import cast

import pytest
from eth_account import Account
from typer.testing import CliRunner
from web3.types import TxData

from certledger import app
from ledger import ROLES
from scripts.bench.gas import GAS
from tests.scripts.conftest import ExternalNode

FIGURES = {
    "deploy_certificate_ledger",
    "deploy_access_log_anchor",
    "anchor_batch",
    "revoke_1",
    "revoke_100_even_per_certificate",
    "revoke_100_random_per_certificate",
    "inclusion_check_depth_14",
}


@pytest.mark.slow
def test_gas_figures_meet_the_targets() -> None:
    result = CliRunner().invoke(app, ["bench", "gas", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    node = figures.pop("node")
    assert node["external"] is False
    assert node["client_version"].startswith("anvil/")
    assert figures.keys() >= FIGURES
    assert all(figure["unit"] == "gas" for figure in figures.values())
    # Gas is deterministic: these are the design targets of design.md §5.
    assert figures["anchor_batch"]["value"] <= 60_000
    assert figures["revoke_100_even_per_certificate"]["value"] <= 10_000
    assert figures["revoke_100_random_per_certificate"]["value"] <= 10_000


@pytest.mark.slow
def test_on_the_configured_node_with_its_keys_within_their_budgets(
    external_node: ExternalNode, monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts = {role: Account.create() for role in ROLES}
    for role, account in accounts.items():
        monkeypatch.setenv(f"CERTLEDGER_{role.upper()}_KEY", account.key.hex())

    result = CliRunner().invoke(app, ["bench", "gas", "--json"])

    assert result.exit_code == 0, result.output
    figures = external_node.assert_measured(result)
    assert figures.keys() >= FIGURES
    assert figures["anchor_batch"]["value"] <= 60_000
    # Every transaction was signed by a key of the settings, within what its role was checked for.
    w3 = external_node.w3
    gas_limits: Counter[str] = Counter()
    for number in range(external_node.start_block + 1, w3.eth.block_number + 1):
        block = w3.eth.get_block(number, full_transactions=True)
        for transaction in cast(list[TxData], block["transactions"]):
            gas_limits[transaction["from"]] += transaction["gas"]
    assert set(gas_limits) == {account.address for account in accounts.values()}
    for role, account in accounts.items():
        assert 0 < gas_limits[account.address] <= GAS[role], role


def test_lines_read_name_value_unit_after_the_node() -> None:
    from scripts.bench import Figures, Node  # noqa: PLC0415

    figures = Figures()
    figures.add("anchor_batch", 57395, "gas", target="<= 60000")
    figures.add("per_certificate", 9722.59, "gas")
    assert figures.as_lines().splitlines() == [
        "anchor_batch: 57395 gas  # target <= 60000",
        "per_certificate: 9722.59 gas",
    ]
    figures.node = Node("https://chain.example/rpc", 1337, "besu/v25.1.0", external=True)
    assert figures.as_lines().splitlines()[0] == (
        "# node: besu/v25.1.0, chain 1337, at https://chain.example/rpc (external, CERTLEDGER_RPC_URL)"
    )
