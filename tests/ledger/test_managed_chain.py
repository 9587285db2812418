"""The embedded node starts, stops, and keeps its state across a clean stop and a hard kill."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Sequence
from pathlib import Path

import pytest

from ledger import (
    BatchTree,
    CertificateLedgerClient,
    ChainProcessError,
    KeyStore,
    ManagedChain,
    connect,
    deployment_problems,
    ensure_deployment,
    load_manifest,
    manifest_path,
)
from ledger._devnet import fund
from ledger._genesis import header_hash
from tests.conftest import free_port, kill_9, new_sender, wait_for_state_dump


def _anchor_one(chain: ManagedChain, data: Path) -> tuple[CertificateLedgerClient, bytes]:
    w3 = connect(chain.rpc_url)
    keys = KeyStore(data / "keys")
    governor, issuer = keys.account("governor"), keys.account("issuer")
    fund(w3, [governor.address, issuer.address])
    deployment = ensure_deployment(w3, new_sender(w3, governor), data).deployment
    ledger = CertificateLedgerClient(w3, deployment.ledger, sender=new_sender(w3, governor))
    ledger.register_office(1, region_code=371000, display_name="测试", type_ids=[1])
    ledger.add_key(1, issuer.address)
    tree = BatchTree.build([os.urandom(32) for _ in range(5)])
    ledger.with_sender(new_sender(w3, issuer)).anchor(tree.root, count=5, type_id=1)
    return ledger, tree.root


def _still_there(chain: ManagedChain, data: Path, root: bytes) -> None:
    w3 = connect(chain.rpc_url)
    deployment = ensure_deployment(w3, new_sender(w3, KeyStore(data / "keys").account("governor")), data)
    assert not deployment.created
    assert deployment_problems(w3, deployment.deployment) == []
    ledger = CertificateLedgerClient(w3, deployment.deployment.ledger)
    batch = ledger.batch(root)
    assert batch is not None and batch.count == 5
    events = list(ledger.events.read(from_block=0, names=["BatchAnchored"]))
    assert [event.args["root"] for event in events] == [root]


def test_up_status_down(tmp_path: Path) -> None:
    chain = ManagedChain(tmp_path, port=free_port())
    assert not chain.status().running
    status = chain.up()
    assert status.running and status.chain_id == 31337 and status.block_number == 0
    assert chain.up().pid == status.pid  # already running: nothing new is started
    assert chain.down()
    assert not chain.status().running
    assert not chain.down()
    assert chain.state_file.is_file()


@pytest.mark.slow
def test_state_survives_a_clean_stop(tmp_path: Path) -> None:
    chain = ManagedChain(tmp_path, port=free_port())
    chain.up()
    try:
        _, root = _anchor_one(chain, tmp_path)
        chain.down()
        chain.up()
        _still_there(chain, tmp_path, root)
    finally:
        chain.down()


@pytest.mark.slow
def test_state_survives_kill_9(tmp_path: Path) -> None:
    chain = ManagedChain(tmp_path, port=free_port())
    chain.up()
    try:
        _, root = _anchor_one(chain, tmp_path)
        kill_9(chain)
        chain.up()
        _still_there(chain, tmp_path, root)
    finally:
        chain.down()


def test_a_taken_port_is_refused_with_the_way_out(tmp_path: Path) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        chain = ManagedChain(tmp_path, port=port)
        with pytest.raises(ChainProcessError, match="CERTLEDGER_CHAIN_PORT"):
            chain.up()


def _history(chain: ManagedChain, contracts: Sequence[str]) -> tuple[list[str], list[dict[str, object]]]:
    """Every block hash from 0 to the head, and every log of `contracts` with its receipt's place."""
    w3 = connect(chain.rpc_url)
    head = w3.eth.block_number
    hashes = ["0x" + bytes(w3.eth.get_block(number)["hash"]).hex() for number in range(head + 1)]
    logs = [
        {
            "block": log["blockNumber"],
            "blockHash": bytes(log["blockHash"]).hex(),
            "transaction": bytes(log["transactionHash"]).hex(),
            "index": log["logIndex"],
            "address": log["address"],
            "topics": [bytes(topic).hex() for topic in log["topics"]],
            "data": bytes(log["data"]).hex(),
            "status": w3.eth.get_transaction_receipt(log["transactionHash"])["status"],
        }
        for log in w3.eth.get_logs({"fromBlock": 0, "toBlock": head, "address": contracts})  # type: ignore[typeddict-item]
    ]
    return hashes, logs


@pytest.mark.slow
def test_history_is_identical_across_five_stops_and_kills(tmp_path: Path) -> None:
    """The outside test's failure: after the second restart block 0 changed while block 1 still
    named the old one, and everything anchored looked like it was on another chain."""
    chain = ManagedChain(tmp_path, port=free_port())
    chain.up()
    try:
        ledger, root = _anchor_one(chain, tmp_path)
        deployment = load_manifest(manifest_path(tmp_path, 31337))
        contracts = [deployment.ledger, deployment.access_log]
        assert ledger.address == deployment.ledger
        recorded = json.loads(chain.genesis_file.read_text(encoding="utf-8"))
        for cycle, hard in enumerate([False, True, False, True, True]):
            before = _history(chain, contracts)
            if hard:
                kill_9(chain)
            else:
                chain.down()
            chain.up()
            after = _history(chain, contracts)
            assert after == before, f"cycle {cycle + 1} ({'kill -9' if hard else 'stop'}) rewrote history"
            assert after[0][0] == recorded["hash"]
            # New blocks follow the clock, not the pinned genesis's time.
            w3 = connect(chain.rpc_url)
            w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
            mined = int(w3.eth.get_block("latest")["timestamp"])
            assert mined >= int(chain.clock().timestamp()) - 5
        _still_there(chain, tmp_path, root)
    finally:
        chain.down()


def test_every_header_in_a_state_file_hashes_to_its_block(tmp_path: Path) -> None:
    chain = ManagedChain(tmp_path, port=free_port())
    chain.up()
    try:
        _anchor_one(chain, tmp_path)
        w3 = connect(chain.rpc_url)
        wait_for_state_dump(chain)
        state = json.loads(chain.state_file.read_text(encoding="utf-8"))
        headers = {int(block["header"]["number"], 16): block["header"] for block in state["blocks"]}
        assert len(headers) >= 5
        for number, header in headers.items():
            assert header_hash(header) == "0x" + bytes(w3.eth.get_block(number)["hash"]).hex()
    finally:
        chain.down()


def test_a_state_written_before_genesis_was_pinned_is_repaired(tmp_path: Path) -> None:
    """A data folder of the earlier release: its state file holds foreign block-0 entries beside
    the one block 1 names, and no genesis record. The right one is found and kept."""
    chain = ManagedChain(tmp_path, port=free_port())
    chain.up()
    try:
        _, root = _anchor_one(chain, tmp_path)
        before = _history(chain, [])[0]
        chain.down()
        state = json.loads(chain.state_file.read_text(encoding="utf-8"))
        genesis = next(block for block in state["blocks"] if block["header"]["number"] == "0x0")
        for later in (7, 3600):  # genesis blocks of later restarts, as the old release left them
            foreign = json.loads(json.dumps(genesis))
            foreign["header"]["timestamp"] = hex(int(genesis["header"]["timestamp"], 16) + later)
            state["blocks"].append(foreign)
        chain.state_file.write_text(json.dumps(state), encoding="utf-8")
        chain.genesis_file.unlink()
        for _ in range(2):
            chain.up()
            assert _history(chain, [])[0][: len(before)] == before
            chain.down()
        repaired = json.loads(chain.state_file.read_text(encoding="utf-8"))
        stamps = {b["header"]["timestamp"] for b in repaired["blocks"] if b["header"]["number"] == "0x0"}
        assert stamps == {genesis["header"]["timestamp"]}  # the foreign block-0 entries are gone
        assert json.loads(chain.genesis_file.read_text(encoding="utf-8"))["hash"] == before[0]
        chain.up()
        _still_there(chain, tmp_path, root)
    finally:
        chain.down()


def test_a_genesis_that_cannot_be_made_again_stops_the_node(tmp_path: Path) -> None:
    chain = ManagedChain(tmp_path, port=free_port())
    chain.up()
    chain.down()
    recorded = json.loads(chain.genesis_file.read_text(encoding="utf-8"))
    chain.genesis_file.write_text(json.dumps(recorded | {"hash": "0x" + "ab" * 32}), encoding="utf-8")
    with pytest.raises(ChainProcessError) as refused:
        chain.up()
    assert str(refused.value) == (
        f"the chain in {chain.directory} restarted with block 0 {recorded['hash']}, but its history was "
        f"built on 0x{'ab' * 32}: the node was stopped rather than let it rewrite history. Restore "
        "state.json and genesis.json from a backup"
    )
    assert not chain.status().running
