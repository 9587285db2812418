"""The chain indexer: every event of the deployment in its own tables, resumable, and following the
chain back when it is reorganized; and the audit reports read from it."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from web3 import Web3

from audit import (
    AuditQueryError,
    ChainAudit,
    ChainIndex,
    chain_batches,
    chain_registry_changes,
    index_cursor,
)
from ledger import (
    BEIJING,
    MemorySubtreeStore,
    canonical_json,
    consistency_proof,
    inclusion_proof,
    log_leaf_hash,
    log_root,
    write_manifest,
)
from tests.conftest import rpc_call
from tests.issuing import CERTLEDGER
from tests.world import LOG_ID, OFFICE_A, OFFICE_B, OFFICE_C, TYPE_CONTRIBUTION, TYPE_PENSION, World

_opened: list[ChainIndex] = []


@pytest.fixture(autouse=True)
def _close_indexes() -> Iterator[None]:
    """Each test's index databases are closed after it (a PostgreSQL connection left open warns)."""
    yield
    while _opened:
        _opened.pop().engine.dispose()


def _index(world: World, url: str, **options: Any) -> ChainIndex:
    index = ChainIndex(world.w3, world.deployment, url=url, **options)
    _opened.append(index)
    return index


def _anchor(world: World, actor: str, count: int, type_id: int) -> bytes:
    root = os.urandom(32)
    world.ledger(actor).anchor(root, count=count, type_id=type_id)
    return root


def test_the_index_holds_every_event_and_the_reports_agree(fresh: World, database_url: str) -> None:
    world = fresh
    extra_a = _anchor(world, "office_key", 5, TYPE_CONTRIBUTION)
    extra_b = _anchor(world, "other_office_key", 3, TYPE_PENSION)
    world.ledger("office_key").revoke(extra_a, [0, 3], reason=1)
    world.ledger("office_key").suspend(extra_a, [1], reason=10)
    world.ledger("office_key").reinstate(extra_a, [1], reason=20)
    entries = [canonical_json({"seq": seq, "event": "grant"}) for seq in range(5)]
    leaves = [log_leaf_hash(entry) for entry in entries]
    tree = MemorySubtreeStore()
    for leaf in leaves[:3]:
        tree.append(leaf)
    log = world.access_log("operator")
    log.append(LOG_ID, root=log_root(3, tree), size=3)
    for leaf in leaves[3:]:
        tree.append(leaf)
    log.append(LOG_ID, root=log_root(5, tree), size=5)

    index = _index(world, database_url, page_size=7)
    report = index.sync()
    assert report.indexed_to == world.w3.eth.block_number
    assert report.pages >= 2 and report.reorgs == []
    audit = ChainAudit(index)

    by_office = {row.group: (row.batches, row.certificates) for row in audit.issuance(by="office")}
    # The world anchored 8 (office A) and 4 (office C) before; 5 and 3 now.
    assert by_office == {str(OFFICE_A): (2, 13), str(OFFICE_B): (1, 3), str(OFFICE_C): (1, 4)}
    assert {row.label for row in audit.issuance(by="office")} >= {"威海市社会保险事业中心"}
    by_type = {row.group: row.certificates for row in audit.issuance(by="type")}
    assert by_type == {str(TYPE_CONTRIBUTION): 17, str(TYPE_PENSION): 3}
    today = datetime.fromtimestamp(world.now(), BEIJING).date()  # the chain's day
    assert [(r.group, r.certificates) for r in audit.issuance(by="month")] == [(today.strftime("%Y-%m"), 20)]
    assert audit.issuance(start=today + timedelta(days=1), by="day") == []
    with pytest.raises(AuditQueryError, match="ends"):
        audit.issuance(start=today, end=today - timedelta(days=1))
    assert [b.root for b in audit.batches(office_id=OFFICE_A)] == [world.root, extra_a]
    assert extra_b in {b.root for b in audit.batches()}

    changes = [(c.action, c.reason, c.certificates, c.office_id) for c in audit.status_changes()]
    assert changes == [
        ("suspended", 11, 1, OFFICE_A),  # the world's own suspension
        ("revoked", 1, 2, OFFICE_A),
        ("suspended", 10, 1, OFFICE_A),
        ("reinstated", 20, 1, OFFICE_A),
    ]
    summary = {(s.action, s.reason_label): s.certificates for s in audit.status_summary()}
    assert summary[("revoked", "issued-in-error")] == 2
    assert summary[("suspended", "under-review")] == 1

    anchors = audit.log_anchors(log_id=LOG_ID)
    assert [(a.size, a.sequence) for a in anchors] == [(3, 1), (5, 2)]
    proof = inclusion_proof(4, 5, store=tree)
    good = audit.check_inclusion(log_id=LOG_ID, seq=4, size=5, entry=entries[4], proof=proof)
    assert good.verified, good.reason
    altered = audit.check_inclusion(log_id=LOG_ID, seq=4, size=5, entry=b'{"seq":4}', proof=proof)
    assert not altered.verified and "does not lead" in altered.reason
    unanchored = audit.check_inclusion(log_id=LOG_ID, seq=0, size=4, entry=entries[0], proof=[])
    assert (unanchored.verified, unanchored.reason) == (False, "no root is anchored for size 4")
    consistent = audit.check_consistency(
        log_id=LOG_ID, first=3, second=5, proof=consistency_proof(3, 5, store=tree)
    )
    assert consistent.verified, consistent.reason


def test_trust_is_the_registry_as_of_any_block(fresh: World, tmp_path: Path) -> None:
    world = fresh
    index = _index(world, f"sqlite:///{tmp_path / 'index.db'}")
    index.sync()
    audit = ChainAudit(index)
    now = audit.trust()
    offices = {office.office_id: office for office in now.offices}
    keys = {key.key: key for key in now.keys}
    assert list(offices) == [OFFICE_A, OFFICE_B, OFFICE_C]
    assert offices[OFFICE_C].suspended_from == world.suspended_from
    assert [(t.type_id, t.start, t.until) for t in offices[OFFICE_A].types] == [
        (TYPE_CONTRIBUTION, offices[OFFICE_A].registered_at, None)
    ]
    retired = keys[world.address("retired_key")]
    assert (retired.valid_from, retired.valid_until) == (world.retired_from, world.retired_at)
    assert keys[world.address("office_key")].valid_until is None
    assert [(o.log_id, o.operators) for o in now.log_operators] == [
        ("0x" + LOG_ID.hex(), [world.address("operator")])
    ]
    assert now.governor == world.deployment.governor  # the transfer was offered, not accepted
    assert now.history[-1].event == "GovernanceTransferStarted"

    # Before the retirement and the suspension, as of the block that registered office A's keys.
    with index.connect() as connection:
        r = chain_registry_changes.c
        key_block = connection.execute(
            sa.select(r.block_number).where(r.event == "KeyAdded", r.key == world.address("retired_key"))
        ).scalar_one()
    earlier = audit.trust(block=key_block)
    earlier_keys = {key.key: key for key in earlier.keys}
    assert earlier_keys[world.address("retired_key")].valid_until is None
    assert world.address("office_key") not in earlier_keys
    assert {office.office_id: office for office in earlier.offices}[OFFICE_C].suspended_from is None
    with pytest.raises(AuditQueryError, match="run `certledger audit index`"):
        audit.trust(block=index.indexed_to() + 1)


def test_a_reorganization_is_detected_and_read_again(fresh: World, tmp_path: Path) -> None:
    world = fresh
    index = _index(world, f"sqlite:///{tmp_path / 'index.db'}", page_size=4)
    index.sync()
    fork_point = rpc_call(world.w3, "evm_snapshot", [])
    lost = _anchor(world, "office_key", 2, TYPE_CONTRIBUTION)
    rpc_call(world.w3, "anvil_mine", [hex(3)])
    index.sync()
    assert lost in _roots(index)
    rpc_call(world.w3, "evm_revert", [fork_point])  # the node goes back: the blocks are gone
    kept = _anchor(world, "other_office_key", 6, TYPE_PENSION)
    rpc_call(world.w3, "anvil_mine", [hex(5)])
    report = index.sync()
    assert len(report.reorgs) == 1
    last, ancestor = report.reorgs[0]
    assert ancestor < last
    roots = _roots(index)
    assert lost not in roots and kept in roots
    rebuilt = _index(world, f"sqlite:///{tmp_path / 'rebuilt.db'}")
    rebuilt.sync()
    assert index.dump() == rebuilt.dump()


def test_a_node_restarted_behind_the_index_is_followed_back(fresh: World, tmp_path: Path) -> None:
    world = fresh
    index = _index(world, f"sqlite:///{tmp_path / 'index.db'}")
    start = rpc_call(world.w3, "evm_snapshot", [])
    _anchor(world, "office_key", 2, TYPE_CONTRIBUTION)
    rpc_call(world.w3, "anvil_mine", [hex(20)])
    index.sync()
    rpc_call(world.w3, "evm_revert", [start])  # the head is now below the index's last block
    report = index.sync()
    assert report.reorgs and report.indexed_to == world.w3.eth.block_number
    rebuilt = _index(world, f"sqlite:///{tmp_path / 'rebuilt.db'}")
    rebuilt.sync()
    assert index.dump() == rebuilt.dump()


def test_a_crash_in_the_middle_of_a_page_loses_nothing(fresh: World, tmp_path: Path) -> None:
    world = fresh
    for count in (2, 3, 4):
        _anchor(world, "office_key", count, TYPE_CONTRIBUTION)
    index = _index(world, f"sqlite:///{tmp_path / 'index.db'}", page_size=3)
    index.prepare()
    cursor_updates = 0

    def crash_on_the_third_page(connection: Any, clause: Any, *args: Any) -> None:
        nonlocal cursor_updates
        if isinstance(clause, sa.Update) and clause.table is index_cursor:
            cursor_updates += 1
            if cursor_updates == 3:
                raise KeyboardInterrupt("killed mid-page")

    sa.event.listen(index.engine, "before_execute", crash_on_the_third_page)
    with pytest.raises(KeyboardInterrupt):
        index.sync()
    sa.event.remove(index.engine, "before_execute", crash_on_the_third_page)
    stopped_at = index.next_block()
    assert stopped_at == world.deployment.start_block + 2 * 3  # two pages committed, not the third
    index.sync()
    uninterrupted = _index(world, f"sqlite:///{tmp_path / 'uninterrupted.db'}", page_size=3)
    uninterrupted.sync()
    assert index.dump() == uninterrupted.dump()


@pytest.mark.slow
def test_a_killed_index_command_resumes_to_the_same_state(fresh: World, tmp_path: Path, chain: Any) -> None:
    world = fresh
    rpc_call(world.w3, "anvil_mine", [hex(120)])
    _anchor(world, "office_key", 2, TYPE_CONTRIBUTION)
    manifest = tmp_path / "manifest.json"
    write_manifest(manifest, world.deployment)
    database = tmp_path / "killed.db"
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CERTLEDGER_")} | {
        "CERTLEDGER_DATA_DIR": str(tmp_path / "data"),
        "CERTLEDGER_RPC_URL": chain.rpc_url,
        "CERTLEDGER_INDEX_DATABASE_URL": f"sqlite:///{database}",
    }
    command = [str(CERTLEDGER), "audit", "index", "--manifest", str(manifest), "--page-size", "1"]
    with subprocess.Popen(
        command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    ) as process:
        try:
            deadline = time.monotonic() + 60
            while _cursor(database) < world.deployment.start_block + 20:
                assert process.poll() is None, process.stderr.read() if process.stderr else ""
                assert time.monotonic() < deadline
                time.sleep(0.05)
            process.send_signal(signal.SIGKILL)
        finally:
            process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    head = world.w3.eth.block_number
    assert _cursor(database) <= head  # killed before the end
    resumed = subprocess.run(
        command, env=environment, capture_output=True, text=True, timeout=300, check=False
    )
    assert resumed.returncode == 0, resumed.stderr
    index = _index(world, f"sqlite:///{database}")
    uninterrupted = _index(world, f"sqlite:///{tmp_path / 'uninterrupted.db'}")
    uninterrupted.sync(to_block=head)
    assert index.dump() == uninterrupted.dump()


def test_an_index_of_another_deployment_is_rebuilt(fresh: World, tmp_path: Path) -> None:
    world = fresh
    url = f"sqlite:///{tmp_path / 'index.db'}"
    _index(world, url).sync()
    contracts = dict(world.deployment.contracts)
    contracts["CertificateLedger"] = replace(
        contracts["CertificateLedger"], address=Web3.to_checksum_address("0x" + "11" * 20)
    )
    elsewhere = ChainIndex(world.w3, replace(world.deployment, contracts=contracts), url=url)
    report = elsewhere.sync()
    assert report.rebuilt == "the index was built for another ledger"
    assert _roots(elsewhere) == set()  # nothing was anchored at that address


def _roots(index: ChainIndex) -> set[bytes]:
    with index.connect() as connection:
        return {bytes(root) for root in connection.execute(sa.select(chain_batches.c.root)).scalars()}


def _cursor(database: Path) -> int:
    if not database.exists():
        return -1
    engine = sa.create_engine(f"sqlite:///{database}")
    try:
        with engine.connect() as connection:
            if not sa.inspect(connection).has_table("index_cursor"):
                return -1
            value = connection.execute(sa.text("SELECT next_block FROM index_cursor")).scalar_one_or_none()
            return -1 if value is None else int(value)
    except sa.exc.OperationalError:
        return -1
    finally:
        engine.dispose()
