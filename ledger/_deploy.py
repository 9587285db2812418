"""Deploying the contracts once per chain, and finding them again from a manifest."""

from __future__ import annotations

import hashlib
import itertools
import json
import os
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from eth_abi.abi import encode
from eth_typing import ChecksumAddress
from web3 import Web3

from ledger._canonical import JSONTooDeepError, check_json_depth
from ledger._compiler import load_artifact
from ledger._errors import ChainMismatchError, DeploymentError, LedgerConfigError
from ledger._files import write_json_atomically
from ledger._hashing import keccak256
from ledger._paths import ARTIFACTS_DIR
from ledger._sender import TransactionSender

LEDGER = "CertificateLedger"
ACCESS_LOG = "AccessLogAnchor"
MANIFEST_GENERATOR = "certledger deploy (ledger/_deploy.py)"


@dataclass(frozen=True, slots=True)
class DeployedContract:
    """One deployed contract and where its deployment is recorded on chain."""

    address: ChecksumAddress
    transaction_hash: str
    block_number: int
    code_hash: str


@dataclass(frozen=True, slots=True)
class Deployment:
    """The certledger contracts on one chain, as recorded in ``deployments/<chain id>.json``."""

    chain_id: int
    genesis_hash: str
    governor: ChecksumAddress
    deployed_at: str
    artifacts_digest: str
    contracts: dict[str, DeployedContract]

    @property
    def ledger(self) -> ChecksumAddress:
        """The certificate ledger, which is also the issuer registry."""
        return self.contracts[LEDGER].address

    @property
    def access_log(self) -> ChecksumAddress:
        """The access log anchor."""
        return self.contracts[ACCESS_LOG].address

    @property
    def start_block(self) -> int:
        """The first block that can hold events of these contracts."""
        return min(contract.block_number for contract in self.contracts.values())

    def to_json(self) -> dict[str, Any]:
        """The manifest document."""
        document = asdict(self)
        return {"_generated": f"Written by {MANIFEST_GENERATOR}.", **document}

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> Deployment:
        """Reads a manifest document."""
        try:
            contracts = {
                name: DeployedContract(
                    address=Web3.to_checksum_address(entry["address"]),
                    transaction_hash=entry["transaction_hash"],
                    block_number=int(entry["block_number"]),
                    code_hash=entry["code_hash"],
                )
                for name, entry in document["contracts"].items()
            }
            deployment = cls(
                chain_id=int(document["chain_id"]),
                genesis_hash=document["genesis_hash"],
                governor=Web3.to_checksum_address(document["governor"]),
                deployed_at=document["deployed_at"],
                artifacts_digest=document["artifacts_digest"],
                contracts=contracts,
            )
        except (KeyError, TypeError, ValueError) as error:
            raise LedgerConfigError(f"the deployment manifest is malformed: {error}") from error
        if {LEDGER, ACCESS_LOG} - contracts.keys():
            raise LedgerConfigError("the deployment manifest lacks a contract")
        return deployment


def manifest_path(data_dir: Path, chain_id: int) -> Path:
    """Where the manifest of chain `chain_id` lives."""
    return data_dir / "deployments" / f"{chain_id}.json"


def load_manifest(path: Path) -> Deployment:
    """Reads a deployment manifest file."""
    try:
        text = path.read_text(encoding="utf-8")
        check_json_depth(text)
        document = json.loads(text)
    except FileNotFoundError as error:
        raise LedgerConfigError(f"no deployment manifest at {path}") from error
    except (json.JSONDecodeError, JSONTooDeepError) as error:
        raise LedgerConfigError(f"{path} is not JSON: {error}") from error
    return Deployment.from_json(document)


def artifacts_digest() -> str:
    """A digest of the committed artifacts, recorded so that a stale deployment can be noticed."""
    digest = hashlib.sha256()
    for name in (LEDGER, ACCESS_LOG):
        digest.update((ARTIFACTS_DIR / f"{name}.json").read_bytes())
    return digest.hexdigest()


def genesis_hash(w3: Web3) -> str:
    """The hash of block 0, which tells two chains with the same chain id apart."""
    return "0x" + bytes(w3.eth.get_block(0)["hash"]).hex()


def deployment_problems(w3: Web3, deployment: Deployment) -> list[str]:
    """Why `deployment` is not (or no longer) on the chain `w3` talks to; empty when it is."""
    if w3.eth.chain_id != deployment.chain_id:
        return [f"the node is chain {w3.eth.chain_id}, the manifest is for chain {deployment.chain_id}"]
    genesis = genesis_hash(w3)
    if genesis != deployment.genesis_hash:
        return [
            f"the node's block 0 is {genesis} where the manifest's is {deployment.genesis_hash}: "
            "this is another chain, or the node was reset (Hardhat, and anvil without its state "
            "file, start a new chain at every start) or its history rewritten"
        ]
    problems = []
    for name, contract in deployment.contracts.items():
        code = bytes(w3.eth.get_code(contract.address))
        if not code:
            problems.append(f"no code at {contract.address} ({name}): the chain lost its state")
        elif "0x" + keccak256(code).hex() != contract.code_hash:
            problems.append(f"the code at {contract.address} is not the {name} that was deployed")
    return problems


def deploy_contracts(w3: Web3, governor: TransactionSender) -> Deployment:
    """Deploys a fresh ledger (governed by the sender's key) and access log anchor."""
    ledger = _deploy(w3, governor, LEDGER, ["address"], [governor.address])
    access_log = _deploy(w3, governor, ACCESS_LOG, ["address"], [ledger.address])
    # The chain's own time of the ledger's block: the deployment is a fact of the chain.
    mined = int(w3.eth.get_block(ledger.block_number)["timestamp"])
    return Deployment(
        chain_id=w3.eth.chain_id,
        genesis_hash=genesis_hash(w3),
        governor=governor.address,
        deployed_at=datetime.fromtimestamp(mined, UTC).isoformat(timespec="seconds"),
        artifacts_digest=artifacts_digest(),
        contracts={LEDGER: ledger, ACCESS_LOG: access_log},
    )


def _deploy(
    w3: Web3, sender: TransactionSender, name: str, types: list[str], arguments: list[Any]
) -> DeployedContract:
    artifact = load_artifact(name)
    receipt = sender.send(to=None, data=artifact.bytecode + encode(types, arguments))
    if receipt.contract_address is None:
        raise DeploymentError(f"deploying {name} created no contract")
    code = bytes(w3.eth.get_code(receipt.contract_address))
    return DeployedContract(
        address=receipt.contract_address,
        transaction_hash="0x" + receipt.transaction_hash.hex(),
        block_number=receipt.block_number,
        code_hash="0x" + keccak256(code).hex(),
    )


def write_manifest(path: Path, deployment: Deployment) -> None:
    """Writes the manifest atomically: a crash leaves the old file or the new one, never half."""
    write_json_atomically(path, deployment.to_json())


@dataclass(frozen=True, slots=True)
class DeploymentOutcome:
    """What `ensure_deployment` found or did."""

    deployment: Deployment
    created: bool
    notes: tuple[str, ...]


def ensure_deployment(
    w3: Web3, governor: TransactionSender, data_dir: Path, *, force: bool = False
) -> DeploymentOutcome:
    """The contracts of this chain: the recorded deployment, or a new one where none is recorded.

    A recorded deployment that does not match the chain is never replaced silently: that would
    leave every certificate anchored in it unverifiable. It is a `ChainMismatchError` saying what
    differs and how to proceed. `force` deploys anew regardless, and keeps the old manifest beside
    the new one. A deployment built from older artifacts is kept (anchored data lives in it), with
    a note.
    """
    path = manifest_path(data_dir, w3.eth.chain_id)
    notes: list[str] = []
    if path.is_file():
        deployment = load_manifest(path)
        problems = deployment_problems(w3, deployment)
        if not force:
            if problems:
                raise ChainMismatchError(_mismatch(path, problems))
            if deployment.artifacts_digest != artifacts_digest():
                notes.append(
                    "the deployed contracts were built from older artifacts; "
                    "`certledger deploy --force` deploys the current ones"
                )
            return DeploymentOutcome(deployment, created=False, notes=tuple(notes))
        notes.extend(f"replacing: {problem}" for problem in problems)
        kept = next(
            candidate
            for number in itertools.count(1)
            if not (candidate := path.with_name(f"{path.name}.replaced-{number}")).exists()
        )
        os.replace(path, kept)
        notes.append(f"the replaced manifest is kept as {kept}")
    deployment = deploy_contracts(w3, governor)
    write_manifest(path, deployment)
    return DeploymentOutcome(deployment, created=True, notes=tuple(notes))


def _mismatch(path: Path, problems: list[str]) -> str:
    return (
        f"the deployment manifest {path} does not match the chain: {'; '.join(problems)}. Nothing "
        "was deployed, since certificates anchored in the recorded contracts would no longer "
        "verify. If this is the wrong node, set CERTLEDGER_RPC_URL (or CERTLEDGER_CHAIN_PORT) to "
        "the right one; if the chain's state was lost, restore the data folder's chain/ from a "
        "backup; to start over on this chain, `certledger deploy --force` deploys new contracts "
        "and keeps this manifest beside the new one"
    )
