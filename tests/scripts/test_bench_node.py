"""A benchmark's settings, keys and funds on the configured node (`scripts.bench._node`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3
from web3.types import RPCEndpoint

from certledger import main
from issuer import IssuerSettings
from ledger import ROLES, ChainContext, LedgerConfigError, LedgerSettings, ManagedChain, max_fee_per_gas
from scripts.bench import _node
from scripts.bench._node import bench_settings, ensure_funded, node_environment
from tests.scripts.conftest import ExternalNode
from wallet_api import WalletSettings

GAS = 1_000_000


def test_only_the_node_and_its_keys_come_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = Account.create().key.hex()
    for name, value in {
        "RPC_URL": "https://user:pw@chain.bureau.example/rpc",
        "CONFIRMATIONS": "3",
        "ISSUER_KEY": key,
        # The bureau's own: none of these may reach a benchmark.
        "DATA_DIR": "/srv/certledger",
        "DATABASE_URL": "postgresql://bureau@db.bureau.example/certledger",
        "ENVIRONMENT": "production",
        "CHAIN_PORT": "18545",
    }.items():
        monkeypatch.setenv(f"CERTLEDGER_{name}", value)

    settings = bench_settings(WalletSettings, tmp_path, batch_size=7)

    assert settings.rpc_url == "https://user:pw@chain.bureau.example/rpc"
    assert settings.confirmations == 3
    assert settings.issuer_key is not None and settings.issuer_key.get_secret_value() == key
    assert settings.governor_key is None
    assert settings.data_dir == tmp_path
    assert settings.database_url is None
    assert settings.environment == "development"
    assert settings.chain_port != 18545
    assert settings.batch_size == 7
    assert node_environment(settings) == {
        "CERTLEDGER_RPC_URL": "https://user:pw@chain.bureau.example/rpc",
        "CERTLEDGER_CONFIRMATIONS": "3",
        "CERTLEDGER_RPC_TIMEOUT": "10.0",
        "CERTLEDGER_TRANSACTION_TIMEOUT": "120.0",
        "CERTLEDGER_ISSUER_KEY": key,
    }
    # A child process given that environment reads the same node and keys back.
    monkeypatch.delenv("CERTLEDGER_CONFIRMATIONS")
    for name, value in node_environment(settings).items():
        monkeypatch.setenv(name, value)
    assert bench_settings(IssuerSettings, tmp_path).model_dump(include=set(_node.NODE_SETTINGS)) == (
        settings.model_dump(include=set(_node.NODE_SETTINGS))
    )


@pytest.fixture
def real_network(external_node: ExternalNode, monkeypatch: pytest.MonkeyPatch) -> ExternalNode:
    """The configured node, taken for one that cannot mint balances."""
    monkeypatch.setattr(_node, "is_development_chain", lambda w3: False)
    return external_node


def _context(folder: Path) -> ChainContext:
    return ChainContext(bench_settings(LedgerSettings, folder))


def _need(w3: Web3) -> int:
    return GAS * max_fee_per_gas(w3)


def test_keys_made_for_the_run_are_refused_naming_their_address_and_the_setting(
    real_network: ExternalNode, tmp_path: Path
) -> None:
    context = _context(tmp_path)
    with pytest.raises(LedgerConfigError) as refused:
        ensure_funded(context, {"governor": GAS})
    message = str(refused.value)
    need = _need(real_network.w3)
    assert message.startswith(
        f"the benchmark cannot pay for its transactions on {real_network.w3.client_version}, chain 31337, "
        f"at {real_network.url} "
        "(external, CERTLEDGER_RPC_URL), which is not a development node that can fund keys: "
    )
    assert (
        f"the governor key {context.account('governor').address} was made for this run only, so nothing "
        f"can have funded it: set CERTLEDGER_GOVERNOR_KEY to a key of yours holding at least {need:,} wei"
    ) in message
    # The set-up registers the other roles' keys too, so they are named although they send nothing.
    assert (
        f"the issuer key {context.account('issuer').address} was made for this run only, so nothing "
        "can have funded it: set CERTLEDGER_ISSUER_KEY to a key of yours (registered, it sends nothing here)"
    ) in message
    assert "s3cret" not in message
    assert message.endswith("Nothing was sent")
    assert real_network.w3.eth.block_number == real_network.start_block


def test_a_short_key_of_the_settings_is_told_what_it_lacks_and_funded_ones_pass(
    real_network: ExternalNode, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    w3 = real_network.w3
    need = _need(w3)
    accounts = {role: Account.create() for role in ROLES}
    for role, wei in (("governor", need), ("issuer", need // 3), ("operator", 0)):
        w3.provider.make_request(RPCEndpoint("anvil_setBalance"), [accounts[role].address, hex(wei)])
        monkeypatch.setenv(f"CERTLEDGER_{role.upper()}_KEY", accounts[role].key.hex())
    context = _context(tmp_path)

    with pytest.raises(LedgerConfigError) as refused:
        ensure_funded(context, {"governor": GAS, "issuer": GAS})

    message = str(refused.value)
    assert (
        f"the issuer key {accounts['issuer'].address} (CERTLEDGER_ISSUER_KEY) holds {need // 3:,} wei"
    ) in message
    assert f"send it at least {need - need // 3:,} wei" in message
    assert accounts["governor"].address not in message
    assert accounts["operator"].address not in message  # it sends nothing in this benchmark
    assert ensure_funded(context, {"governor": GAS}) == []
    assert w3.eth.get_balance(accounts["governor"].address) == need  # checked, never topped up


def test_the_command_says_which_keys_to_set_and_deploys_nothing(
    real_network: ExternalNode, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["bench", "gas"])

    assert exited.value.code == 1
    error = " ".join(capsys.readouterr().err.split())
    assert error.startswith("error: the benchmark cannot pay for its transactions on anvil/")
    for role in ROLES:
        assert f"set CERTLEDGER_{role.upper()}_KEY to a key of yours holding at least" in error
    assert real_network.w3.eth.block_number == real_network.start_block


def test_on_a_development_node_the_keys_are_funded(external_node: ExternalNode, tmp_path: Path) -> None:
    context = _context(tmp_path)
    done = ensure_funded(context, {"governor": GAS, "issuer": GAS})
    assert len(done) == len(ROLES)  # the set-up registers every role's key
    for role in ROLES:
        assert external_node.w3.eth.get_balance(context.account(role).address) >= _need(external_node.w3)


def test_the_embedded_node_is_started_and_stopped_with_the_benchmark(tmp_path: Path) -> None:
    context = _context(tmp_path)
    assert context.managed_chain is not None
    with _node.bench_node(context) as node:
        assert context.managed_chain.status().running
        assert node.url == context.settings.endpoint and not node.external
    assert not ManagedChain(tmp_path, port=context.settings.chain_port).status().running
