"""A wallet service on the session chain, populated with staff, citizens, certificates and units."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from fastapi.testclient import TestClient
from pydantic import SecretStr
from web3 import Web3

from ledger import (
    ACCESS_LOG_ID,
    AccessLogAnchorClient,
    CertificateLedgerClient,
    Clock,
    FixedClock,
    deploy_contracts,
    manifest_path,
    sign_digest,
    write_manifest,
)
from scripts.demo_wallet import DemoCitizen, DemoUnit, Population, seed_demo
from tests.conftest import NOW, funded_account, new_sender
from tests.databases import fresh_database_url
from wallet_api import WalletContext, WalletSettings, create_app

OFFICE = 1


@dataclass
class WalletWorld:
    """The service, its test client, and who is in it."""

    context: WalletContext
    client: TestClient
    population: Population
    governor: LocalAccount

    @property
    def citizens(self) -> list[DemoCitizen]:
        """The enrolled citizens."""
        return self.population.citizens

    @property
    def units(self) -> list[DemoUnit]:
        """The registered units."""
        return self.population.units

    def citizen_headers(self, citizen: DemoCitizen) -> dict[str, str]:
        """A fresh session of `citizen`."""
        response = self.client.post(
            "/v1/auth/login", json={"login": citizen.identity_number, "password": citizen.password}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['accessToken']}"}

    def staff_headers(self, role: str) -> dict[str, str]:
        """A fresh session of the operator or auditor."""
        member = next(m for m in self.population.staff if m.role == role)
        response = self.client.post(
            "/v1/auth/staff-login", json={"username": member.username, "password": member.password}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['accessToken']}"}

    @staticmethod
    def unit_headers(unit: DemoUnit) -> dict[str, str]:
        """The unit's API key header."""
        return {"X-API-Key": unit.api_key}

    def certificate_ids(self, headers: dict[str, str]) -> list[str]:
        """The ids of the caller's certificates."""
        response = self.client.get("/v1/certificates", headers=headers)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()]

    def terms(
        self,
        certificate_id: str,
        unit: DemoUnit,
        *,
        fields: list[str] | None = None,
        uses: int = 3,
        seconds: int = 3600,
        purpose: str = "办理住房贷款",
    ) -> dict[str, Any]:
        """Grant terms for a certificate and a unit."""
        return {
            "certificateId": certificate_id,
            "unitId": unit.id,
            "fields": fields or ["certificate_no", "holder_name"],
            "purpose": purpose,
            "expires": int(self.context.clock().timestamp()) + seconds,
            "uses": uses,
        }

    def grant(
        self, citizen: DemoCitizen, headers: dict[str, str], terms: dict[str, Any], *, key: str | None = None
    ) -> dict[str, Any]:
        """Drafts, signs on the 'device' (with `key`, the citizen's own by default) and creates a grant."""
        draft = self.client.post("/v1/grants/draft", json=terms, headers=headers)
        assert draft.status_code == 200, draft.text
        signed = sign_typed(draft.json()["typedData"], key or citizen.private_key)
        response = self.client.post(
            "/v1/grants",
            json={**terms, "grantId": draft.json()["grantId"], "signature": signed},
            headers=headers,
        )
        assert response.status_code == 201, response.text
        created: dict[str, Any] = response.json()
        return created

    def anchor(self) -> None:
        """Runs the anchoring worker until nothing waits."""
        self.context.worker().drain(timeout=60)


def sign_typed(typed_data: dict[str, Any], private_key: str) -> str:
    """What the citizen's device does with a draft: sign its EIP-712 digest."""
    from eth_account.messages import encode_typed_data  # noqa: PLC0415
    from eth_utils.crypto import keccak  # noqa: PLC0415

    message = encode_typed_data(full_message=typed_data)
    digest = keccak(b"\x19" + message.version + message.header + message.body)
    return "0x" + sign_digest(digest, bytes.fromhex(private_key[2:])).hex()


def build_world(
    w3: Web3, rpc_url: str, database_url: str, folder: Path, *, clock: Clock | None = None, **settings: Any
) -> WalletWorld:
    """A fresh deployment, office 1 with its issuer key, an operator on the access log, and the
    demonstration population — on its own data folder and database, and on `clock` (by default
    one standing at the suite's moment)."""
    governor, issuer, operator = funded_account(w3), funded_account(w3), funded_account(w3)
    governor_sender = new_sender(w3, governor)
    deployment = deploy_contracts(w3, governor_sender)
    data = folder / "data"
    write_manifest(manifest_path(data, deployment.chain_id), deployment)
    registry = CertificateLedgerClient(w3, deployment.ledger, sender=governor_sender)
    registry.register_office(
        OFFICE, region_code=371000, display_name="威海市社会保险事业中心", type_ids=[1, 2, 3]
    )
    registry.add_key(OFFICE, issuer.address)
    AccessLogAnchorClient(w3, deployment.access_log, sender=governor_sender).authorize_operator(
        ACCESS_LOG_ID, operator.address
    )
    options: dict[str, Any] = {
        "data_dir": data,
        "rpc_url": rpc_url,
        "database_url": database_url,
        "governor_key": SecretStr("0x" + bytes(governor.key).hex()),
        "issuer_key": SecretStr("0x" + bytes(issuer.key).hex()),
        "operator_key": SecretStr("0x" + bytes(operator.key).hex()),
        "batch_wait": 0.0,
        "head_ttl": 0.0,
        "rate_grants": 10_000,
        "rate_redeem": 10_000,
        "rate_login": 10_000,
        "rate_public": 10_000,
        "public_url": "https://wallet.test",
    } | settings
    context = WalletContext(WalletSettings(**options), clock=clock or FixedClock(NOW))
    population = seed_demo(context)
    client = TestClient(create_app(context, background=False), raise_server_exceptions=False)
    return WalletWorld(context, client, population, governor)


@pytest.fixture
def wallet(
    request: pytest.FixtureRequest, w3: Web3, chain: Any, tmp_path: Path, snapshot: None
) -> Iterator[WalletWorld]:
    """A populated service on SQLite, rolled back on chain after the test."""
    del snapshot
    world = build_world(w3, chain.rpc_url, f"sqlite:///{tmp_path / 'wallet.db'}", tmp_path)
    with world.client:
        yield world
    world.context.engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def wallet_on(
    request: pytest.FixtureRequest, w3: Web3, chain: Any, tmp_path: Path, snapshot: None
) -> Iterator[WalletWorld]:
    """A populated service on SQLite and on PostgreSQL."""
    del snapshot
    for url in fresh_database_url(str(request.param), tmp_path):
        world = build_world(w3, chain.rpc_url, url, tmp_path)
        with world.client:
            yield world
        world.context.engine.dispose()
        world.context.reader.dispose()


DATABASES = ["sqlite", "postgresql"]


def module_world(
    request: pytest.FixtureRequest, w3: Web3, rpc_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WalletWorld]:
    """One populated service for a whole module, on the database its parameter names (see
    `DATABASES`): routes that fail on PostgreSQL alone fail the suite. The chain is not rolled
    back: the world only grows."""
    folder = tmp_path_factory.mktemp(f"world-{request.param}")
    for url in fresh_database_url(str(request.param), folder):
        built = build_world(w3, rpc_url, url, folder)
        with built.client:
            yield built
        built.context.engine.dispose()
        built.context.reader.dispose()
