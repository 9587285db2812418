"""The grant lifecycle as a state machine: create, redeem (by the right unit or another), revoke,
let expire, use up — with the model's expectations checked after every step."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from audit import log_size
from ledger import FixedClock
from tests.wallet_api.conftest import WalletWorld

FIELDS = ["certificate_no", "holder_name", "holder_id", "period", "pension"]


@dataclass
class Model:
    """What the service should say about one grant."""

    id: str
    link: str
    uses_left: int
    expires: datetime
    revoked: bool = False

    def state(self, now: datetime) -> str:
        if self.revoked:
            return "revoked"
        if self.expires <= now:
            return "expired"
        if self.uses_left == 0:
            return "used_up"
        return "active"


class GrantLifecycle(RuleBasedStateMachine):
    grants = Bundle("grants")

    def __init__(self, world: WalletWorld, clock: FixedClock) -> None:
        super().__init__()
        self.world = world
        self.clock = clock
        self.citizen = world.citizens[0]
        self.headers = world.citizen_headers(self.citizen)
        self.certificate_id = next(
            item["id"]
            for item in world.client.get("/v1/certificates", headers=self.headers).json()
            if item["type"].startswith("contribution-certificate")
        )
        self.models: dict[str, Model] = {}
        with world.context.engine.connect() as connection:
            self.log_entries = log_size(connection)

    @rule(
        target=grants,
        uses=st.integers(1, 3),
        minutes=st.integers(2, 60 * 24 * 30),
        fields=st.sets(st.sampled_from(FIELDS), min_size=1, max_size=3),
    )
    def create(self, uses: int, minutes: int, fields: set[str]) -> str:
        terms = self.world.terms(self.certificate_id, self.world.units[0], fields=sorted(fields), uses=uses)
        terms["expires"] = int((self.clock() + timedelta(minutes=minutes)).timestamp())
        created = self.world.grant(self.citizen, self.headers, terms)
        grant_id = str(created["grant"]["id"])
        self.models[grant_id] = Model(
            grant_id, created["link"], uses, datetime.fromtimestamp(terms["expires"], UTC)
        )
        self.log_entries += 1
        return grant_id

    @rule(grant=grants, right_unit=st.booleans())
    def redeem(self, grant: str, right_unit: bool) -> None:
        model = self.models[grant]
        unit = self.world.units[0 if right_unit else 1]
        response = self.world.client.post(
            "/v1/redemptions", json={"link": model.link}, headers=self.world.unit_headers(unit)
        )
        state = model.state(self.clock())
        self.log_entries += 1
        if not right_unit:
            assert (response.status_code, response.json()["code"]) == (403, "grant.wrong_unit")
        elif state != "active":
            assert (response.status_code, response.json()["code"]) == (410, f"grant.{state}")
        else:
            assert response.status_code == 200, response.text
            body = response.json()
            model.uses_left -= 1
            assert body["grant"]["usesLeft"] == model.uses_left
            assert body["verification"]["verdict"] == "VALID"
            assert sorted(body["presentation"]["disclosed"]) == sorted(body["grant"]["fields"])

    @rule(grant=grants)
    def revoke(self, grant: str) -> None:
        model = self.models[grant]
        response = self.world.client.post(f"/v1/grants/{grant}/revoke", headers=self.headers)
        assert response.status_code == 200
        assert response.json()["state"] == "revoked"
        if not model.revoked:
            self.log_entries += 1  # revoking twice logs once
        model.revoked = True

    @rule(grant=grants)
    def let_expire(self, grant: str) -> None:
        model = self.models[grant]
        self.clock.advance(max(model.expires - self.clock(), timedelta(0)))

    @rule(minutes=st.integers(1, 120))
    def wait(self, minutes: int) -> None:
        self.clock.advance(timedelta(minutes=minutes))

    @invariant()
    def the_service_agrees_with_the_model(self) -> None:
        listed = {
            grant["id"]: grant
            for grant in self.world.client.get("/v1/grants?limit=100", headers=self.headers).json()
        }
        for grant_id, model in self.models.items():
            shown = listed[grant_id]
            assert shown["state"] == model.state(self.clock()), (shown, model)
            assert shown["usesLeft"] == model.uses_left >= 0

    @invariant()
    def every_step_is_logged_once(self) -> None:
        with self.world.context.engine.connect() as connection:
            assert log_size(connection) == self.log_entries


def test_the_grant_lifecycle(wallet: WalletWorld) -> None:
    clock = FixedClock(wallet.context.clock())
    services: Any = wallet.client.app.state.services  # type: ignore[attr-defined]
    services.grants.clock = clock
    # Sessions keep the world's clock; the grants' clock runs ahead on its own.
    run_state_machine_as_test(
        cast(Any, lambda: GrantLifecycle(wallet, clock)),  # a factory: the machine needs the world
        settings=settings(
            max_examples=12,
            stateful_step_count=12,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    # And the log they all went into is whole: anchored, then recomputed from its entries.
    assert wallet.context.log_anchorer.step() is not None
    report = services.audit.check()
    assert report.intact, report.problems
    assert report.checked_anchors == 1
