"""The auditor page's API: the last reconciliation judged against now (stale when older than its
interval, when the chain has batches it did not cover, or when the chain is away), a reconciliation
run on request (one at a time across processes), the batches a page at a time with a batch's
certificates, and answers from the index — saying so — while the chain is down."""

from __future__ import annotations

import os
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from audit import KINDS, PHASES, RECONCILE_NOW_LEASE, Reconciler, freshness_bound
from issuer import Reason, acquire_lease, batches, certificates, release_lease
from ledger import FixedClock, ManagedChain, connect
from tests.wallet_api.conftest import WalletWorld, build_world
from wallet_api.pages._i18n import MESSAGES

STANDING = "/v1/audit/reconciliations/standing"
RUN = "/v1/audit/reconciliations/run"


def _finished_run(world: WalletWorld, headers: dict[str, str]) -> dict[str, Any]:
    """Polls the requested run until it has ended (a functional bound, not a timing)."""
    deadline = time.monotonic() + 120
    while True:
        status: dict[str, Any] = world.client.get(RUN, headers=headers).json()
        if status["state"] != "running":
            return status
        assert time.monotonic() < deadline, status
        time.sleep(0.05)


def test_the_standing_is_stale_when_old_or_short_of_the_chain_and_reconcile_now_refreshes_it(
    wallet: WalletWorld,
) -> None:
    headers = wallet.staff_headers("auditor")
    before = wallet.client.get(STANDING, headers=headers)
    assert before.status_code == 200, before.text
    assert (before.json()["verdict"], before.json()["latest"], before.json()["stale"]) == (
        "none",
        None,
        False,
    )

    context = wallet.context
    Reconciler(context.engine, context.chain_index, reader=context.reader, clock=context.clock).run()
    fresh = wallet.client.get(STANDING, headers=headers).json()
    assert (fresh["verdict"], fresh["stale"], fresh["reasons"]) == ("clean", False, [])
    assert fresh["batchesCovered"] == fresh["batchesOnChain"] > 0
    assert fresh["chain"]["state"] == "reachable"
    assert fresh["maxAgeSeconds"] == freshness_bound(context.settings.reconcile_interval) == 3630

    # A batch anchored after the run: the result no longer covers the chain.
    context.chain.ledger("issuer").anchor(os.urandom(32), count=2, type_id=2)
    short = wallet.client.get(STANDING, headers=headers).json()
    assert (short["verdict"], short["stale"]) == ("clean", True)
    assert [reason["code"] for reason in short["reasons"]] == ["batches_not_covered"]
    assert short["batchesOnChain"] == short["batchesCovered"] + 1

    # Reconcile now, a minute later: the run finds the batch anchored by hand, and the standing
    # is current again.
    assert isinstance(context.clock, FixedClock)
    context.clock.advance(timedelta(minutes=1))
    started = wallet.client.post(RUN, headers=headers)
    assert started.status_code == 202, started.text
    assert started.json()["state"] == "running"
    assert started.json()["here"] is True
    done = _finished_run(wallet, headers)
    assert done["state"] == "finished", done
    assert done["phase"] == "storing"
    again = wallet.client.get(STANDING, headers=headers).json()
    assert again["latest"]["id"] == done["reconciliationId"]
    assert (again["verdict"], again["stale"]) == ("differences", False)
    assert again["latest"]["counts"]["batch_not_in_database"] == 1

    # Time passes beyond the interval (and the loop's pause): stale, whatever it found.
    context.clock.advance(timedelta(seconds=3631))
    old = wallet.client.get(STANDING, headers=wallet.staff_headers("auditor")).json()
    assert old["stale"] is True
    assert [reason["code"] for reason in old["reasons"]] == ["older_than_interval"]
    assert old["ageSeconds"] == 3631


def test_a_second_reconcile_now_while_one_runs_elsewhere_is_refused(wallet_on: WalletWorld) -> None:
    wallet = wallet_on  # the lease on SQLite and on PostgreSQL
    headers = wallet.staff_headers("auditor")
    context = wallet.context
    elsewhere = acquire_lease(
        context.engine, RECONCILE_NOW_LEASE, "another-process", seconds=60, now=context.clock()
    )
    assert elsewhere is not None
    refused = wallet.client.post(RUN, headers=headers)
    assert refused.status_code == 409, refused.text
    assert refused.json()["code"] == "audit.reconcile_running"
    assert refused.headers["content-type"] == "application/problem+json"
    status = wallet.client.get(RUN, headers=headers).json()
    assert (status["state"], status["here"]) == ("running", False)
    assert release_lease(context.engine, elsewhere)
    assert wallet.client.get(RUN, headers=headers).json()["state"] == "idle"
    assert wallet.client.post(RUN, headers=headers).status_code == 202
    assert _finished_run(wallet, headers)["state"] == "finished"
    # Only the auditor may start one.
    assert wallet.client.post(RUN, headers=wallet.staff_headers("operator")).status_code == 403
    assert wallet.client.post(RUN).status_code == 401


def test_the_batches_page_newest_first_and_a_batch_lists_its_certificates_without_personal_data(
    wallet_on: WalletWorld,
) -> None:
    wallet = wallet_on  # on SQLite and on PostgreSQL
    headers = wallet.staff_headers("auditor")
    context = wallet.context
    citizen = wallet.citizens[0]
    revoked_number = citizen.certificates[0]
    changed = context.statuses().change([revoked_number], "revoke", Reason.ISSUED_IN_ERROR)
    assert changed.changed == [revoked_number]

    everything = wallet.client.get("/v1/audit/chain/batches?limit=100", headers=headers).json()
    total = everything["total"]
    assert total == len(everything["batches"]) >= 2
    newest = wallet.client.get("/v1/audit/chain/batches?limit=1&order=desc", headers=headers).json()
    assert (newest["total"], newest["order"], newest["offset"]) == (total, "desc", 0)
    assert newest["batches"] == everything["batches"][-1:]
    paged = [
        wallet.client.get(
            f"/v1/audit/chain/batches?limit=1&offset={offset}&order=desc", headers=headers
        ).json()["batches"][0]["batchId"]
        for offset in range(total)
    ]
    assert paged == [batch["batchId"] for batch in reversed(everything["batches"])]

    with context.engine.connect() as connection:
        root, leaf = connection.execute(
            sa.select(batches.c.root, certificates.c.leaf_index)
            .join(batches, batches.c.id == certificates.c.batch_id)
            .where(certificates.c.certificate_no == revoked_number)
        ).one()
    batch = next(b for b in everything["batches"] if b["root"] == "0x" + bytes(root).hex())
    listed = wallet.client.get(f"/v1/audit/chain/batches/{batch['batchId']}/certificates", headers=headers)
    assert listed.status_code == 200, listed.text
    body = listed.json()
    assert body["batch"] == batch
    assert body["total"] == batch["count"] == len(body["certificates"])
    assert [row["leafIndex"] for row in body["certificates"]] == list(range(batch["count"]))
    row = next(row for row in body["certificates"] if row["number"] == revoked_number)
    assert row["leafIndex"] == leaf
    assert (row["status"], row["reasonLabel"]) == ("revoked", "issued-in-error")
    assert (row["chainStatus"], row["chainReasonLabel"]) == ("revoked", "issued-in-error")
    assert set(row) == {
        "number",
        "revision",
        "leafIndex",
        "status",
        "reason",
        "reasonLabel",
        "chainStatus",
        "chainReason",
        "chainReasonLabel",
    }
    for person in wallet.citizens:
        assert person.name not in listed.text and person.identity_number not in listed.text
    second = wallet.client.get(
        f"/v1/audit/chain/batches/{batch['batchId']}/certificates?limit=1&offset=1", headers=headers
    ).json()
    assert second["certificates"] == body["certificates"][1:2]

    missing = wallet.client.get("/v1/audit/chain/batches/999999/certificates", headers=headers)
    assert (missing.status_code, missing.json()["code"]) == (404, "audit.no_batch")
    refused = wallet.client.get(
        f"/v1/audit/chain/batches/{batch['batchId']}/certificates", headers=wallet.staff_headers("operator")
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "auth.wrong_role")


def test_with_the_chain_down_the_auditor_is_answered_from_the_index_and_told(
    own_chain: ManagedChain, tmp_path: Path
) -> None:
    world = build_world(
        connect(own_chain.rpc_url), own_chain.rpc_url, f"sqlite:///{tmp_path / 'w.db'}", tmp_path
    )
    with world.client:
        headers = world.staff_headers("auditor")
        up = world.client.get("/v1/audit/chain/batches", headers=headers).json()
        assert up["chain"]["state"] == "reachable"
        assert up["chain"]["unreachableSince"] is None
        context = world.context
        Reconciler(context.engine, context.chain_index, reader=context.reader, clock=context.clock).run()

        own_chain.down()
        down = world.client.get("/v1/audit/chain/batches", headers=headers)
        assert down.status_code == 200, down.text
        chain = down.json()["chain"]
        assert chain["state"] == "unreachable"
        assert chain["unreachableSince"] == context.clock().isoformat()
        assert chain["lastReachedAt"] == up["chain"]["lastReachedAt"]
        assert chain["error"]
        assert down.json()["batches"] == up["batches"]  # the index as it stands
        assert down.json()["indexedTo"] == up["indexedTo"]
        for path in ("/v1/audit/chain/issuance", "/v1/audit/chain/status", "/v1/audit/chain/log-anchors"):
            answer = world.client.get(path, headers=headers)
            assert answer.status_code == 200, (path, answer.text)
            assert answer.json()["chain"]["state"] == "unreachable"
        assert world.client.get("/v1/audit/chain/trust", headers=headers).status_code == 200

        standing = world.client.get(STANDING, headers=headers).json()
        assert (standing["verdict"], standing["stale"]) == ("clean", True)
        assert [reason["code"] for reason in standing["reasons"]] == ["chain_unreachable"]

        check = world.client.get("/v1/audit/log/check", headers=headers)
        assert (check.status_code, check.json()["code"]) == (503, "chain.unavailable")

        # Reconcile now fails (it needs the chain) and says so; the lease is free again.
        assert world.client.post(RUN, headers=headers).status_code == 202
        failed = _finished_run(world, headers)
        assert failed["state"] == "failed"
        assert "IndexReadError" in failed["error"]

        own_chain.up()
        back = world.client.get("/v1/audit/chain/batches", headers=headers).json()
        assert back["chain"]["state"] == "reachable"
        assert back["chain"]["unreachableSince"] is None
    world.context.engine.dispose()


def test_every_difference_kind_phase_and_staleness_reason_has_words_in_both_languages() -> None:
    keys = [f"audit.kind.{kind}" for kind in KINDS]
    keys += [f"audit.explain.{kind}" for kind in KINDS]
    keys += [f"audit.phase.{phase}" for phase in PHASES]
    keys += [
        f"audit.stale.{code}" for code in ("older_than_interval", "batches_not_covered", "chain_unreachable")
    ]
    keys += [f"audit.chain.{state}" for state in ("syncing", "unreachable")]
    keys += ["code.audit.reconcile_running", "code.audit.no_batch"]
    for language in ("zh", "en"):
        missing = [key for key in keys if not MESSAGES[language].get(key, "").strip()]
        assert missing == [], language
    for kind in KINDS:
        explanation = MESSAGES["zh"][f"audit.explain.{kind}"]
        assert kind not in explanation and "_" not in explanation  # words, not the code
        assert explanation.endswith("。")
