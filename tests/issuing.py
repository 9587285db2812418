"""An issuing office on the session chain, with its own database (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from eth_account.signers.local import LocalAccount
from sqlalchemy.engine import Engine
from web3 import Web3

from certledger import main
from issuer import (
    AnchoringWorker,
    CertificateStore,
    InputRow,
    IssuanceService,
    KeyedHasher,
    MasterKeyring,
    Safe,
    StatusService,
)
from ledger import CertificateLedgerClient, Clock, Deployment, FixedClock, TypeCatalog, deploy_contracts
from ledger._identifiers import credit_code_check_character, identity_check_character
from tests.conftest import free_port, funded_account, new_sender

OFFICE = 1


def identity_number(rng: random.Random) -> str:
    """A valid GB 11643 identity number."""
    first17 = f"371002{rng.randint(1960, 2000)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}{rng.randint(0, 999):03d}"
    return first17 + identity_check_character(first17)


def credit_code(rng: random.Random) -> str:
    """A valid GB 32100 unified social credit code."""
    alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    first17 = "91371000" + "".join(rng.choice(alphabet) for _ in range(9))
    return first17 + credit_code_check_character(first17)


def pension_claims(rng: random.Random, number: str, *, holder_id: str | None = None) -> dict[str, Any]:
    """Valid claims of a pension-qualification certificate."""
    return {
        "certificate_no": number,
        "holder_name": rng.choice(["张伟", "王芳", "李娜", "刘洋", "陈静"]) + str(rng.randint(10, 99)),
        "holder_id": holder_id or identity_number(rng),
        "qualification_period": {"from": "2026-01-01", "to": "2026-12-31"},
        "authentication_method": "face_recognition",
        "authenticated_on": "2026-01-05",
        "benefit_type": "enterprise_employee",
    }


def contribution_claims(rng: random.Random, number: str, *, months: int = 12) -> dict[str, Any]:
    """Valid claims of a contribution certificate, derived totals included."""
    employer = credit_code(rng)
    base = rng.randint(400_000, 2_000_000)
    records = [
        {
            "month": f"2025-{month:02d}",
            "employer_code": employer,
            "employer_name": "威海华信精密机械有限公司",
            "base": base,
            "personal": base * 8 // 100,
            "employer": base * 16 // 100,
            "status": "paid",
        }
        for month in range(1, months + 1)
    ]
    return {
        "certificate_no": number,
        "holder_name": "赵" + rng.choice(["子涵", "一鸣", "雨桐"]),
        "holder_id": identity_number(rng),
        "period": {"from": records[0]["month"], "to": records[-1]["month"]},
        "pension": {
            "records": records,
            "months_paid": months,
            "months_owed": 0,
            "total_personal": sum(r["personal"] for r in records),
            "total_employer": sum(r["employer"] for r in records),
        },
    }


@dataclass
class IssuingWorld:
    """A deployed ledger with office 1 and its issuer key, and the issuer's services on a database."""

    w3: Web3
    engine: Engine
    deployment: Deployment
    governor: CertificateLedgerClient
    ledger: CertificateLedgerClient
    issuer: LocalAccount
    catalog: TypeCatalog
    keyring: MasterKeyring
    safe: Safe
    hasher: KeyedHasher
    clock: FixedClock

    def issuance(self, *, clock: Clock | None = None) -> IssuanceService:
        """The issuance service of office 1, on the world's clock unless given another."""
        return IssuanceService(
            self.engine, self.safe, self.hasher, office_id=OFFICE, clock=clock or self.clock
        )

    def worker(self, **options: Any) -> AnchoringWorker:
        """An anchoring worker with a sender of its own, on the world's clock unless given another."""
        ledger = self.ledger.with_sender(new_sender(self.w3, self.issuer))
        options.setdefault("clock", self.clock)
        return AnchoringWorker(self.engine, ledger, office_id=OFFICE, **options)

    def statuses(self) -> StatusService:
        """The status service."""
        return StatusService(
            self.engine, self.ledger.with_sender(new_sender(self.w3, self.issuer)), clock=self.clock
        )

    def store(self) -> CertificateStore:
        """Certificates read back from the safe."""
        return CertificateStore(self.engine, self.safe, chain_id=31337, ledger_address=self.deployment.ledger)

    def rows(self, type_name: str, count: int, *, seed: int = 7, prefix: str = "T") -> list[InputRow]:
        """`count` valid input rows of a type."""
        rng = random.Random(seed)
        build = pension_claims if type_name == "pension-qualification" else contribution_claims
        return [
            InputRow(
                line=i + 2,
                number=f"{prefix}{seed:03d}{i:06d}",
                claims=build(rng, f"{prefix}{seed:03d}{i:06d}"),
            )
            for i in range(count)
        ]


@pytest.fixture
def issuing(w3: Web3, engine: Engine, snapshot: None, tmp_path: Path, clock: FixedClock) -> IssuingWorld:
    """A fresh deployment with office 1 allowed types 1-3, rolled back after the test."""
    del snapshot
    governor_account, issuer = funded_account(w3), funded_account(w3)
    governor_sender = new_sender(w3, governor_account)
    deployment = deploy_contracts(w3, governor_sender)
    governor = CertificateLedgerClient(w3, deployment.ledger, sender=governor_sender)
    governor.register_office(
        OFFICE, region_code=371000, display_name="威海市社会保险事业中心", type_ids=[1, 2, 3]
    )
    governor.add_key(OFFICE, issuer.address)
    keyring = MasterKeyring.from_directory(tmp_path / "keys" / "master")
    return IssuingWorld(
        w3=w3,
        engine=engine,
        deployment=deployment,
        governor=governor,
        ledger=CertificateLedgerClient(w3, deployment.ledger, sender=new_sender(w3, issuer)),
        issuer=issuer,
        catalog=TypeCatalog.load(),
        keyring=keyring,
        safe=Safe(keyring),
        hasher=KeyedHasher(os.urandom(32)),
        clock=clock,
    )


CERTLEDGER = Path(sys.executable).parent / "certledger"


def certledger(environment: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    """Runs a ``certledger`` command in this process, as from a shell with `environment`: the same
    entry point, exit code and output as the console script, without starting an interpreter."""
    overrides: dict[str, str | None] = {
        name: None for name in os.environ if name.startswith("CERTLEDGER_") and name not in environment
    }
    overrides |= environment
    with CliRunner().isolation(env=overrides) as (stdout, stderr, _):
        try:
            main(list(arguments))
        except SystemExit as stopped:
            code = stopped.code if isinstance(stopped.code, int) else int(stopped.code is not None)
        else:
            code = 0
        sys.stdout.flush()
        sys.stderr.flush()
        return subprocess.CompletedProcess(
            ["certledger", *arguments], code, stdout.getvalue().decode(), stderr.getvalue().decode()
        )


def run_certledger(environment: dict[str, str], *arguments: str) -> subprocess.CompletedProcess[str]:
    """Runs the ``certledger`` console script in a process of its own, as an operator would."""
    return subprocess.run(
        [str(CERTLEDGER), *arguments],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="module")
def cli_office(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A data folder with a running chain, the contracts and the development office."""
    data = tmp_path_factory.mktemp("office")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CERTLEDGER_")} | {
        "CERTLEDGER_DATA_DIR": str(data / "data"),
        "CERTLEDGER_CHAIN_PORT": str(free_port()),
        "COLUMNS": "200",
    }
    started = certledger(environment, "run", "--detach")
    assert started.returncode == 0, started.stderr
    yield environment
    certledger(environment, "chain", "down")
