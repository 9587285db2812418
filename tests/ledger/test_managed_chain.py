"""The embedded node starts, stops, and keeps its state across a clean stop and a hard kill."""

from __future__ import annotations

import os
import signal
import socket
import time
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
)
from ledger._devnet import fund
from tests.conftest import free_port, new_sender, wait_for_state_dump


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
        # The node dumps its state every second: wait for a dump that follows the anchor.
        wait_for_state_dump(chain)
        pid = chain.status().pid
        assert pid is not None
        os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while chain.status().running:
            assert time.monotonic() < deadline
            time.sleep(0.05)
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
