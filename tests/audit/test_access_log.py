"""The access log: proofs that verify against the roots on chain, and tampering that shows."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

import audit._logaudit
from audit import access_log, access_log_nodes, log_anchors, log_size
from ledger import (
    ACCESS_LOG_ID,
    MemorySubtreeStore,
    canonical_json,
    log_leaf_hash,
    log_root,
    verify_consistency,
    verify_inclusion,
)
from tests.wallet_api.conftest import WalletWorld


def _activity(world: WalletWorld, grants: int = 2) -> None:
    """Grants, a redemption each, and a revocation: entries in the log."""
    citizen = world.citizens[0]
    headers = world.citizen_headers(citizen)
    certificate_id = world.certificate_ids(headers)[0]
    for _ in range(grants):
        created = world.grant(citizen, headers, world.terms(certificate_id, world.units[0]))
        assert (
            world.client.post(
                "/v1/redemptions", json={"link": created["link"]}, headers=world.unit_headers(world.units[0])
            ).status_code
            == 200
        )
        world.client.post(f"/v1/grants/{created['grant']['id']}/revoke", headers=headers)


def _bytes(text: str) -> bytes:
    return bytes.fromhex(text[2:])


def test_inclusion_and_consistency_proofs_verify_against_the_chain(wallet_on: WalletWorld) -> None:
    world = wallet_on
    auditor = world.staff_headers("auditor")
    client = world.context.log_anchorer.client
    _activity(world)
    first = world.context.log_anchorer.step()
    assert first == 6
    assert world.context.log_anchorer.step() is None  # nothing new: nothing sent
    _activity(world, grants=1)
    second = world.context.log_anchorer.step()
    assert second == 9

    summary = world.client.get("/v1/audit/log", headers=auditor).json()
    assert summary["size"] == 9
    assert [anchor["size"] for anchor in summary["anchors"]] == [9, 6]
    for seq in range(9):
        proof = world.client.get(f"/v1/audit/log/entries/{seq}/proof?size=9", headers=auditor).json()
        assert proof["verified"] is True
        # Checked again here with nothing but the entry, the proof and the chain's root.
        entry = canonical_json(proof["entry"])
        anchored = client.root_at(ACCESS_LOG_ID, 9)
        assert anchored is not None
        assert verify_inclusion(
            log_leaf_hash(entry), seq, size=9, proof=[_bytes(p) for p in proof["proof"]], root=anchored
        )
    consistency = world.client.get("/v1/audit/log/consistency?first=6&second=9", headers=auditor).json()
    assert consistency["verified"] is True
    old_root, new_root = client.root_at(ACCESS_LOG_ID, 6), client.root_at(ACCESS_LOG_ID, 9)
    assert old_root is not None and new_root is not None
    assert verify_consistency(
        6, 9, old_root=old_root, new_root=new_root, proof=[_bytes(p) for p in consistency["proof"]]
    )
    # A proof for another pair of sizes does not pass for this one.
    assert not verify_consistency(
        5, 9, old_root=old_root, new_root=new_root, proof=[_bytes(p) for p in consistency["proof"]]
    )
    check = world.client.get("/v1/audit/log/check", headers=auditor).json()
    assert check == {"size": 9, "checkedAnchors": 2, "intact": True, "problems": []}


def test_entries_hold_no_personal_data(wallet: WalletWorld) -> None:
    _activity(wallet)
    with wallet.context.engine.connect() as connection:
        entries = [row[0].decode() for row in connection.execute(sa.select(access_log.c.entry))]
    text = "\n".join(entries)
    for citizen in wallet.citizens:
        for value in (
            citizen.name,
            citizen.identity_number,
            citizen.phone,
            citizen.address,
            *citizen.certificates,
        ):
            assert value not in text
    assert "办理住房贷款" not in text  # the purpose appears as its hash
    assert {json.loads(entry)["event"] for entry in entries} == {
        "grant.created",
        "grant.redeemed",
        "grant.revoked",
    }


def test_an_altered_entry_is_detected_even_with_its_hashes_rewritten(wallet_on: WalletWorld) -> None:
    world = wallet_on
    _activity(world)
    assert world.context.log_anchorer.step() == 6
    with world.context.engine.begin() as connection:
        entry = connection.execute(sa.select(access_log.c.entry).where(access_log.c.seq == 2)).scalar_one()
        value = json.loads(entry)
        value["unit"] = "0" * 32  # pretend another unit redeemed it
        forged = canonical_json(value)
        # A careful forger rewrites the leaf and every stored subtree hash too.
        connection.execute(
            sa.update(access_log)
            .where(access_log.c.seq == 2)
            .values(entry=forged, leaf_hash=log_leaf_hash(forged))
        )
        rows = connection.execute(sa.select(access_log.c.entry).order_by(access_log.c.seq)).scalars().all()
        tree = MemorySubtreeStore()
        for item in rows:
            tree.append(log_leaf_hash(item))
        for (level, index), node in tree.nodes(
            [
                tuple(key)
                for key in connection.execute(sa.select(access_log_nodes.c.level, access_log_nodes.c.idx))
            ]
        ).items():
            connection.execute(
                sa.update(access_log_nodes)
                .where(access_log_nodes.c.level == level, access_log_nodes.c.idx == index)
                .values(hash=node)
            )
        assert log_root(6, tree) != world.context.log_anchorer.client.root_at(ACCESS_LOG_ID, 6)
    check = world.client.get("/v1/audit/log/check", headers=world.staff_headers("auditor")).json()
    assert check["intact"] is False
    assert check["problems"] == [
        "the root of the first 6 entries is not the one anchored on chain (an entry was changed)"
    ]


def test_an_altered_entry_with_its_old_hashes_is_pinpointed(wallet: WalletWorld) -> None:
    _activity(wallet)
    wallet.context.log_anchorer.step()
    with wallet.context.engine.begin() as connection:
        connection.execute(
            sa.update(access_log)
            .where(access_log.c.seq == 3)
            .values(entry=b'{"v":1,"seq":3,"event":"nothing"}')
        )
    check = wallet.client.get("/v1/audit/log/check", headers=wallet.staff_headers("auditor")).json()
    assert check["problems"][0] == "entry 3: its content does not hash to its stored leaf (altered)"
    assert "not the one anchored on chain" in " ".join(check["problems"])


def test_deleted_entries_are_detected(wallet: WalletWorld) -> None:
    _activity(wallet)
    assert wallet.context.log_anchorer.step() == 6
    with wallet.context.engine.begin() as connection:
        connection.execute(sa.delete(access_log).where(access_log.c.seq == 5))
    auditor = wallet.staff_headers("auditor")
    check = wallet.client.get("/v1/audit/log/check", headers=auditor).json()
    assert check["problems"] == [
        "the chain anchors 6 entries but the database holds 5 (entries deleted?)",
        "2 stored subtree hash(es) do not match the entries, first at level 0, index 5",
    ]
    with wallet.context.engine.begin() as connection:
        connection.execute(sa.delete(access_log).where(access_log.c.seq == 1))
    check = wallet.client.get("/v1/audit/log/check", headers=auditor).json()
    assert check["problems"][0] == "entries 1 to 1 are missing (deleted?)"


def test_an_anchor_sent_but_not_recorded_is_recorded_not_sent_again(wallet: WalletWorld) -> None:
    """A crash between the anchoring transaction and the database: the next step only records it."""
    _activity(wallet, grants=1)
    anchorer = wallet.context.log_anchorer
    with wallet.context.engine.connect() as connection:
        size = log_size(connection)
        from audit import root_at  # noqa: PLC0415

        root = root_at(connection, size)
    anchorer.client.append(ACCESS_LOG_ID, root=root, size=size)  # sent; the process then died
    head_before = anchorer.client.head(ACCESS_LOG_ID)
    assert anchorer.step() is None
    assert anchorer.client.head(ACCESS_LOG_ID).checkpoints == head_before.checkpoints
    with wallet.context.engine.connect() as connection:
        assert connection.execute(sa.select(log_anchors.c.size, log_anchors.c.root)).all() == [(size, root)]


def test_activity_is_counted_page_by_page_on_every_database(
    wallet_on: WalletWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The auditor's activity chart reads the log in pages of sequence numbers: on PostgreSQL's
    transaction-less reader a server-side cursor would fail (NoActiveSqlTransaction)."""
    world = wallet_on
    auditor = world.staff_headers("auditor")
    _activity(world, grants=3)
    whole = world.client.get("/v1/audit/log/activity", headers=auditor)
    assert whole.status_code == 200, whole.text
    monkeypatch.setattr(audit._logaudit, "_PAGE", 2)
    paged = world.client.get("/v1/audit/log/activity", headers=auditor)
    assert paged.status_code == 200, paged.text
    assert paged.json() == whole.json()
    counts = {row["event"]: row["count"] for row in whole.json()["rows"]}
    assert counts == {"grant.created": 3, "grant.redeemed": 3, "grant.revoked": 3}
