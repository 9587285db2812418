"""Deploying once per chain, finding the deployment again, and noticing when it is gone."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from ledger import (
    ChainMismatchError,
    Deployment,
    KeyStore,
    LedgerConfigError,
    ManagedChain,
    connect,
    deployment_problems,
    ensure_deployment,
    genesis_hash,
    load_manifest,
    manifest_path,
)
from ledger._devnet import fund
from tests.conftest import free_port, new_sender


@pytest.fixture
def node(own_chain: ManagedChain) -> ManagedChain:
    return own_chain


def _ensure(chain: ManagedChain, data: Path, *, force: bool = False) -> tuple[bool, tuple[str, ...]]:
    w3 = connect(chain.rpc_url)
    governor = KeyStore(data / "keys").account("governor")
    fund(w3, [governor.address])
    outcome = ensure_deployment(w3, new_sender(w3, governor), data, force=force)
    return outcome.created, outcome.notes


def test_deploys_once_then_finds(node: ManagedChain, tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert _ensure(node, data) == (True, ())
    assert _ensure(node, data) == (False, ())
    document = json.loads(manifest_path(data, 31337).read_text(encoding="utf-8"))
    assert document["_generated"].startswith("Written by certledger deploy")
    assert set(document["contracts"]) == {"CertificateLedger", "AccessLogAnchor"}


def test_a_chain_that_lost_its_state_is_refused_until_forced(node: ManagedChain, tmp_path: Path) -> None:
    data = tmp_path / "data"
    _ensure(node, data)
    other = ManagedChain(tmp_path / "node-b", port=free_port())
    other.up()
    try:
        # A node restarted from a state saved before the deployment: its genesis is the
        # manifest's (two fresh anvil nodes share one only when started in the same second, so
        # the manifest is given the other node's), and it is the missing code that tells.
        path = manifest_path(data, 31337)
        document = json.loads(path.read_text(encoding="utf-8"))
        document["genesis_hash"] = genesis_hash(connect(other.rpc_url))
        path.write_text(json.dumps(document), encoding="utf-8")
        recorded = path.read_bytes()
        deployment = load_manifest(path)
        expected = [
            f"no code at {deployment.ledger} (CertificateLedger): the chain lost its state",
            f"no code at {deployment.access_log} (AccessLogAnchor): the chain lost its state",
        ]
        assert deployment_problems(connect(other.rpc_url), deployment) == expected
        with pytest.raises(ChainMismatchError) as refused:
            _ensure(other, data)
        message = str(refused.value)
        assert message.startswith(f"the deployment manifest {path} does not match the chain: {expected[0]}; ")
        assert "`certledger deploy --force` deploys new contracts" in message
        assert path.read_bytes() == recorded  # nothing replaced
        created, notes = _ensure(other, data, force=True)
        kept = path.with_name("31337.json.replaced-1")
        assert created
        assert notes == (
            *(f"replacing: {problem}" for problem in expected),
            f"the replaced manifest is kept as {kept}",
        )
        assert kept.read_bytes() == recorded
        assert load_manifest(path).genesis_hash == genesis_hash(connect(other.rpc_url))
    finally:
        other.down()


def test_another_chain_is_told_apart_by_its_genesis(node: ManagedChain, tmp_path: Path) -> None:
    data = tmp_path / "data"
    _ensure(node, data)
    path = manifest_path(data, 31337)
    document = json.loads(path.read_text(encoding="utf-8"))
    document["genesis_hash"] = "0x" + "ab" * 32
    path.write_text(json.dumps(document), encoding="utf-8")
    problems = deployment_problems(connect(node.rpc_url), load_manifest(path))
    assert problems == [
        f"the node's block 0 is {genesis_hash(connect(node.rpc_url))} where the manifest's is 0x{'ab' * 32}: "
        "this is another chain, or the node was reset (Hardhat, and anvil without its state file, "
        "start a new chain at every start) or its history rewritten"
    ]
    with pytest.raises(
        ChainMismatchError, match=r"^the deployment manifest .* does not match the chain: the node's block 0"
    ):
        _ensure(node, data)
    document["chain_id"] = 5
    assert deployment_problems(connect(node.rpc_url), load_manifest_from(document)) == [
        "the node is chain 31337, the manifest is for chain 5"
    ]


def load_manifest_from(document: dict[str, Any]) -> Deployment:
    return Deployment.from_json(document)


def test_older_artifacts_are_kept_with_a_note(node: ManagedChain, tmp_path: Path) -> None:
    data = tmp_path / "data"
    _ensure(node, data)
    path = manifest_path(data, 31337)
    document = json.loads(path.read_text(encoding="utf-8"))
    document["artifacts_digest"] = "0" * 64
    path.write_text(json.dumps(document), encoding="utf-8")
    created, notes = _ensure(node, data)
    assert not created
    assert "older artifacts" in notes[0]


def test_a_malformed_manifest_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "deployments" / "31337.json"
    path.parent.mkdir(parents=True)
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(LedgerConfigError, match="is not JSON"):
        load_manifest(path)
    path.write_text(json.dumps({"chain_id": 1}), encoding="utf-8")
    with pytest.raises(LedgerConfigError, match="malformed"):
        load_manifest(path)
    shutil.rmtree(path.parent)
    with pytest.raises(LedgerConfigError, match="no deployment manifest"):
        load_manifest(path)
