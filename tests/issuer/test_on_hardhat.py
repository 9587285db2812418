"""The main job end to end on a second real node: Hardhat as an external node (CERTLEDGER_RPC_URL).

Set-up with funding and deployment, issuance with the anchoring worker, a revocation waiting for
three confirmations, verification, the audit index and reconciliation — and the recovery after
`certledger issue` is killed with SIGKILL while its anchor is in the pool, mined after its death.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from web3 import Web3

from issuer import batches, certificates
from ledger import (
    CertificateLedgerClient,
    KeyStore,
    connect,
    create_database_engine,
    default_database_url,
    load_manifest,
)
from scripts.demo_data import generate, write_jsonl
from tests.hardhat import HardhatNode
from tests.issuing import CERTLEDGER, certledger


@pytest.fixture(scope="module")
def office_on_hardhat(hardhat: HardhatNode, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A data folder set up by `certledger run --detach` against the session's Hardhat node."""
    data = tmp_path_factory.mktemp("hardhat-office") / "data"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CERTLEDGER_")} | {
        "CERTLEDGER_DATA_DIR": str(data),
        "CERTLEDGER_RPC_URL": hardhat.rpc_url,
        "CERTLEDGER_WORKER_LEASE": "1.5",
        "CERTLEDGER_BATCH_WAIT": "0.1",
        "COLUMNS": "200",
    }
    started = certledger(environment, "run", "--detach", "--no-demo")
    assert started.returncode == 0, started.stdout + started.stderr
    environment["_RUN_OUTPUT"] = started.stdout
    return environment


def _ledger(environment: dict[str, str]) -> CertificateLedgerClient:
    deployment = load_manifest(Path(environment["CERTLEDGER_DATA_DIR"]) / "deployments" / "31337.json")
    return CertificateLedgerClient(connect(environment["CERTLEDGER_RPC_URL"]), deployment.ledger)


def _env(environment: dict[str, str]) -> dict[str, str]:
    return {name: value for name, value in environment.items() if not name.startswith("_")}


@pytest.mark.slow
def test_set_up_issue_revoke_verify_and_audit_on_hardhat(
    office_on_hardhat: dict[str, str], tmp_path: Path
) -> None:
    environment = _env(office_on_hardhat)
    keys = KeyStore(Path(environment["CERTLEDGER_DATA_DIR"]) / "keys")
    run_output = " ".join(office_on_hardhat["_RUN_OUTPUT"].split())
    for role in ("governor", "issuer", "operator"):
        # Funded with Hardhat's own method (it refuses anvil_setBalance), and said so.
        assert (
            f"funded {keys.account(role, create=False).address} with 10,000 ETH on the hardhat node"
            in run_output
        )
    assert (
        f"set up on the external node {environment['CERTLEDGER_RPC_URL']}; certledger leaves nothing running"
        in run_output
    )
    assert "`certledger chain down` stops it" not in run_output
    found = certledger(environment, "deploy")
    assert found.returncode == 0, found.stderr
    assert "funded" not in found.stdout and "found; manifest" in found.stdout  # all in place already
    refused = certledger(environment, "chain", "down")
    assert refused.returncode == 1
    assert "start and stop that node where it runs" in " ".join(refused.stderr.split())

    documents = list(generate("pension-qualification", 3, seed=181))
    write_jsonl(tmp_path / "three.jsonl", documents)
    issued = certledger(environment, "issue", "-t", "pension-qualification", str(tmp_path / "three.jsonl"))
    assert issued.returncode == 0, issued.stdout + issued.stderr
    number = str(documents[0]["certificate_no"])
    exported = tmp_path / "certificate.json"
    assert certledger(environment, "export", number, "--out", str(exported)).returncode == 0
    valid = certledger(environment, "verify", str(exported))
    assert valid.returncode == 0, valid.stdout
    assert "VALID" in valid.stdout

    # On a node that mines only when sent a transaction, three confirmations are mined for.
    revoked = certledger(
        environment | {"CERTLEDGER_CONFIRMATIONS": "3"}, "revoke", number, "--reason", "issued-in-error"
    )
    assert revoked.returncode == 0, revoked.stdout + revoked.stderr
    assert "revoked: 1, already revoked: 0, refused: 0" in revoked.stdout
    invalid = certledger(environment, "verify", str(exported))
    assert invalid.returncode != 0
    assert "INVALID" in invalid.stdout and "revoked" in invalid.stdout.lower()

    indexed = certledger(environment, "audit", "index")
    assert indexed.returncode == 0, indexed.stdout + indexed.stderr
    reconciled = certledger(environment, "audit", "reconcile")
    assert reconciled.returncode == 0, reconciled.stdout + reconciled.stderr
    assert "checked 1 batches, 3 certificates" in " ".join(reconciled.stdout.split())


@pytest.mark.slow
def test_an_issue_killed_before_its_mined_anchor_is_recorded_is_completed_by_the_worker(
    office_on_hardhat: dict[str, str], hardhat: HardhatNode, tmp_path: Path
) -> None:
    """`certledger issue` is killed with SIGKILL while its anchor waits in the pool; the anchor is
    mined after its death. The next worker's resend is refused as a duplicate root — in Hardhat's
    nested answer, which once went unread and left the batch `sending` for ever — and the worker
    records the batch with the transaction that anchored it, exactly once."""
    environment = _env(office_on_hardhat)
    w3 = connect(hardhat.rpc_url)
    issuer = (
        KeyStore(Path(environment["CERTLEDGER_DATA_DIR"]) / "keys").account("issuer", create=False).address
    )
    documents = list(generate("pension-qualification", 2, seed=182))
    write_jsonl(tmp_path / "two.jsonl", documents)
    _automine(w3, on=False)
    try:
        with (tmp_path / "issue.log").open("wb") as log:
            issue = subprocess.Popen(
                [str(CERTLEDGER), "issue", "-t", "pension-qualification", str(tmp_path / "two.jsonl")],
                env=environment,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        try:
            deadline = time.monotonic() + 60
            while w3.eth.get_transaction_count(issuer, "pending") == w3.eth.get_transaction_count(issuer):
                assert issue.poll() is None, (tmp_path / "issue.log").read_text(encoding="utf-8")
                assert time.monotonic() < deadline, "the anchor never reached the pool"
                time.sleep(0.05)
        finally:
            issue.send_signal(signal.SIGKILL)
            issue.wait(timeout=10)
        w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
    finally:
        _automine(w3, on=True)
    engine = create_database_engine(default_database_url(Path(environment["CERTLEDGER_DATA_DIR"])))
    try:
        root, state = _batch_of(engine, str(documents[0]["certificate_no"]))
        assert state == "sending"
        on_chain = _ledger(environment).batch(root)
        assert on_chain is not None  # mined anyway
        deadline = time.monotonic() + 60
        while state != "anchored":  # the killed process's lease lapses after 1.5 s
            step = certledger(environment, "worker", "--once")
            assert step.returncode == 0, step.stdout + step.stderr
            assert time.monotonic() < deadline, step.stdout
            _root, state = _batch_of(engine, str(documents[0]["certificate_no"]))
            time.sleep(0.2)
        events = list(_ledger(environment).events.read(from_block=0, names=["BatchAnchored"]))
        anchors = [event for event in events if bytes(event.args["root"]) == root]
        assert len(anchors) == 1
        with engine.connect() as connection:
            chain_id, transaction, error = connection.execute(
                sa.select(batches.c.chain_batch_id, batches.c.transaction_hash, batches.c.last_error).where(
                    batches.c.root == root
                )
            ).one()
        assert (chain_id, transaction, error) == (on_chain.batch_id, anchors[0].transaction_hash, None)
    finally:
        engine.dispose()
    exported = tmp_path / "certificate.json"
    assert (
        certledger(
            environment, "export", str(documents[1]["certificate_no"]), "--out", str(exported)
        ).returncode
        == 0
    )
    verdict = certledger(environment, "verify", str(exported))
    assert verdict.returncode == 0, verdict.stdout


def _automine(w3: Web3, *, on: bool) -> None:
    w3.provider.make_request("evm_setAutomine", [on])  # type: ignore[arg-type]


def _batch_of(engine: sa.Engine, number: str) -> tuple[bytes, str]:
    with engine.connect() as connection:
        root, state = connection.execute(
            sa.select(batches.c.root, batches.c.state)
            .join(certificates, certificates.c.batch_id == batches.c.id)
            .where(certificates.c.certificate_no == number)
        ).one()
    return bytes(root), str(state)
