"""The contracts as their best peers check theirs: Hardhat builds the same bytecode offline, solhint
has nothing to say, and slither finds nothing high or medium and nothing untriaged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledger import load_artifact
from ledger._paths import ARTIFACTS_DIR
from scripts.contract_lint import (
    SLITHER,
    Finding,
    hardhat_build,
    out_of_line,
    slither_findings,
    solhint_problems,
    triaged,
)


@pytest.fixture(scope="module")
def hardhat(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One offline Hardhat build of ``contracts/`` for the module."""
    return hardhat_build(tmp_path_factory.mktemp("hardhat"))


@pytest.mark.slow
def test_hardhat_compiles_the_same_bytecode_offline(hardhat: Path) -> None:
    # Against the committed artifacts, which tests/ledger/test_compiler.py holds equal to a fresh
    # compile of ours: one solcjs build per run is enough, and together they prove both.
    names = sorted(path.stem for path in ARTIFACTS_DIR.glob("*.json"))
    assert names
    for name in names:
        ours = load_artifact(name)
        theirs = json.loads(
            (hardhat / "artifacts" / ours.source / f"{name}.json").read_text(encoding="utf-8")
        )
        assert theirs["bytecode"] == "0x" + ours.bytecode.hex(), name
        assert theirs["deployedBytecode"] == "0x" + ours.deployed_bytecode.hex(), name
        assert theirs["abi"] == ours.abi, name


def test_solhint_has_no_warning() -> None:
    assert solhint_problems() == []


@pytest.mark.slow
def test_slither_finds_nothing_high_medium_or_untriaged(hardhat: Path) -> None:
    if not SLITHER.is_file():
        pytest.skip("slither lives in .venv-slither, which `make setup` creates")
    findings = slither_findings(hardhat)
    assert findings, "slither reported nothing at all: it did not analyse the build"
    assert out_of_line(findings, triaged()) == []
    # Nothing is triaged that slither no longer reports: the table says what is there.
    assert triaged() == {(finding.check, finding.where) for finding in findings}


def test_the_gate_refuses_high_medium_and_untriaged_findings() -> None:
    accepted = {("timestamp", "IssuerRegistry._contains")}
    findings = [
        Finding("timestamp", "IssuerRegistry._contains", "Low", "uses timestamp"),
        Finding("reentrancy-eth", "CertificateLedger.anchor", "High", "reentrancy"),
        Finding("incorrect-equality", "CertificateLedger.statusOf", "Medium", "strict equality"),
        Finding("assembly", "BatchMerkle.leafHash", "Informational", "uses assembly"),
    ]
    assert out_of_line(findings, accepted) == [
        "High reentrancy-eth at CertificateLedger.anchor: reentrancy",
        "Medium incorrect-equality at CertificateLedger.statusOf: strict equality",
        "Informational assembly at BatchMerkle.leafHash is not triaged in docs/contracts.md",
    ]
