"""``certledger audit …`` as an auditor runs it, in process, against a populated world: what the
commands report agrees with what the world's database anchored, revoked and logged; proofs are
checked against the roots on chain; reconciliation finds and repairs a broken proof; and bad input
is one readable line with a non-zero exit code."""

from __future__ import annotations

import csv
import json
import os
import random
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from eth_account import Account
from pydantic import SecretStr
from typer.testing import CliRunner, Result
from web3 import Web3

from audit import log_size, root_at
from certledger.cli import app, main
from issuer import InputRow, Reason, batches, certificates, release_lease
from ledger import BEIJING, ManagedChain, canonical_json, load_manifest, log_leaf_hash, manifest_path
from tests.databases import fresh_database_url
from tests.issuing import pension_claims
from tests.wallet_api.conftest import OFFICE, WalletWorld, build_world

OFFICE_NAME = "威海市社会保险事业中心"


@dataclass
class AuditedWorld:
    """A populated world with something to report, and the environment the commands read."""

    world: WalletWorld
    w3: Web3
    environment: dict[str, str | None]
    revoked: str  # the number of the certificate revoked on chain
    anchored_sizes: tuple[int, int]  # the access log's two sizes anchored on chain

    def invoke(self, *arguments: str) -> Result:
        """``certledger audit …`` through the Typer app."""
        return CliRunner().invoke(app, ["audit", *arguments], env=self.environment)

    def json(self, *arguments: str, exit_code: int = 0) -> Any:
        """The JSON a command prints, with the exit code it is expected to end with."""
        result = self.invoke(*arguments, "--json")
        assert result.exit_code == exit_code, (result.output, result.exception)
        return json.loads(result.stdout)

    def connect(self) -> sa.Connection:
        """A connection to the operators' database."""
        return self.world.context.engine.connect()


def _address(key: SecretStr | None) -> str:
    assert key is not None
    return str(Account.from_key(key.get_secret_value()).address)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def audited(
    request: pytest.FixtureRequest, w3: Web3, chain: ManagedChain, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AuditedWorld]:
    """The demonstration world, then: two grants redeemed and the first revoked, the access log
    anchored after the first grant and again at the end, and one certificate revoked on chain.

    Built once per database for the module's tests that only read it (the reports, the index,
    bad input); a test that changes it takes `changed`, a world of its own."""
    yield from _audited_world(str(request.param), w3, chain, tmp_path_factory.mktemp("audited"))


@pytest.fixture(params=["sqlite", "postgresql"])
def changed(
    request: pytest.FixtureRequest, w3: Web3, chain: ManagedChain, tmp_path: Path, snapshot: None
) -> Iterator[AuditedWorld]:
    """The same world, for a test that changes it, rolled back on chain afterwards."""
    del snapshot
    yield from _audited_world(str(request.param), w3, chain, tmp_path)


def _audited_world(kind: str, w3: Web3, chain: ManagedChain, folder: Path) -> Iterator[AuditedWorld]:
    for database_url in fresh_database_url(kind, folder):
        world = build_world(w3, chain.rpc_url, database_url, folder)
        try:
            with world.client:
                yield _drive(world, w3, chain.rpc_url, database_url)
        finally:
            world.context.engine.dispose()
            world.context.reader.dispose()


def _drive(world: WalletWorld, w3: Web3, rpc_url: str, database_url: str) -> AuditedWorld:
    first = _grant_and_redeem(world)
    first_size = _anchor_log(world)
    response = world.client.post(
        f"/v1/grants/{first}/revoke", headers=world.citizen_headers(world.citizens[0])
    )
    assert response.status_code == 200, response.text
    _grant_and_redeem(world)
    second_size = _anchor_log(world)
    with world.context.engine.connect() as connection:
        revoked = connection.execute(
            sa.select(certificates.c.certificate_no)
            .where(certificates.c.batch_id.is_not(None))
            .order_by(certificates.c.certificate_no)
            .limit(1)
        ).scalar_one()
    report = world.context.statuses().change([revoked], "revoke", Reason.ISSUED_IN_ERROR)
    assert report.changed == [revoked]
    environment: dict[str, str | None] = dict.fromkeys(
        (name for name in os.environ if name.startswith("CERTLEDGER_")), None
    ) | {
        "CERTLEDGER_DATA_DIR": str(world.context.settings.data_dir),
        "CERTLEDGER_RPC_URL": rpc_url,
        "CERTLEDGER_DATABASE_URL": database_url,
        "COLUMNS": "200",
    }
    return AuditedWorld(world, w3, environment, revoked, (first_size, second_size))


def _grant_and_redeem(world: WalletWorld) -> str:
    citizen, unit = world.citizens[0], world.units[0]
    headers = world.citizen_headers(citizen)
    created = world.grant(citizen, headers, world.terms(world.certificate_ids(headers)[0], unit))
    response = world.client.post(
        "/v1/redemptions", json={"link": created["link"]}, headers=world.unit_headers(unit)
    )
    assert response.status_code == 200, response.text
    return str(created["grant"]["id"])


def _anchor_log(world: WalletWorld) -> int:
    size = world.context.log_anchorer.step()
    assert size is not None
    return size


def _certledger(environment: dict[str, str | None], *arguments: str) -> tuple[int, str, str]:
    """Exit code, standard output and standard error of the console script's entry point (which
    turns the packages' errors into one line), run in process."""
    with CliRunner().isolation(env=environment) as (out, err, _):
        saved = sys.argv
        sys.argv = ["certledger", *arguments]
        try:
            main()
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        finally:
            sys.argv = saved
            sys.stdout.flush()
            sys.stderr.flush()
        return code, out.getvalue().decode(), err.getvalue().decode()


@dataclass(frozen=True)
class _Batch:
    root: str
    batch_id: int
    office_id: int
    type_id: int
    count: int
    block: int
    transaction: str
    certificates: int  # certificate rows pointing at the batch


def _anchored_batches(audited: AuditedWorld) -> list[_Batch]:
    """The database's anchored batches, oldest first."""
    rows_per_batch = (
        sa.select(sa.func.count()).where(certificates.c.batch_id == batches.c.id).scalar_subquery()
    )
    with audited.connect() as connection:
        rows = connection.execute(
            sa.select(
                batches.c.root,
                batches.c.chain_batch_id,
                batches.c.office_id,
                batches.c.type_id,
                batches.c.count,
                batches.c.block_number,
                batches.c.transaction_hash,
                rows_per_batch,
            )
            .where(batches.c.state == "anchored")
            .order_by(batches.c.block_number)
        ).all()
    found = [
        _Batch("0x" + bytes(r[0]).hex(), r[1], r[2], r[3], r[4], r[5], "0x" + bytes(r[6]).hex(), r[7])
        for r in rows
    ]
    assert found and all(batch.count == batch.certificates for batch in found)
    return found


def _day_of(audited: AuditedWorld, block: int) -> date:
    timestamp = int(audited.w3.eth.get_block(block)["timestamp"])
    return datetime.fromtimestamp(timestamp, BEIJING).date()


# ---------------------------------------------------------------- index


def test_index_reads_every_event_once(audited: AuditedWorld) -> None:
    deployment = load_manifest(
        manifest_path(audited.world.context.settings.data_dir, audited.w3.eth.chain_id)
    )
    first = audited.json("index")
    head = audited.w3.eth.block_number
    assert (first["startBlock"], first["indexedTo"], first["head"]) == (deployment.start_block, head, head)
    assert first["reorganizations"] == [] and first["rebuilt"] is None
    # Every event the other commands report was read, and nothing else.
    trust = audited.json("trust", "--no-sync")
    status = audited.json("status", "--no-sync")
    access = audited.json("access", "--no-sync")
    assert first["events"] == (
        len(trust["history"])
        + len(audited.json("batches", "--no-sync"))
        + len(status["changes"])
        + len(access["anchors"])
    )
    again = audited.json("index")
    assert (again["indexedTo"], again["events"], again["pages"]) == (head, 0, 0)


@pytest.mark.parametrize("command", ["issuance", "batches", "status", "trust", "access"])
def test_no_sync_on_an_index_never_built_refuses_to_answer(
    audited: AuditedWorld, tmp_path: Path, command: str
) -> None:
    environment = audited.environment | {
        "CERTLEDGER_INDEX_DATABASE_URL": f"sqlite:///{tmp_path / 'never-built.db'}"
    }
    code, out, err = _certledger(environment, "audit", command, "--no-sync", "--json")
    assert (code, out) == (1, "")
    assert err.strip() == (
        "error: the index has never been built: run `certledger audit index` first (or drop --no-sync)"
    )
    assert _certledger(environment, "audit", "index", "--json")[0] == 0
    code, out, err = _certledger(environment, "audit", command, "--no-sync", "--json")
    assert (code, err) == (0, "")
    assert json.loads(out) == audited.json(command)


# ---------------------------------------------------------------- issuance


@pytest.mark.parametrize("by", ["office", "type", "day", "month"])
def test_issuance_totals_are_the_certificates_anchored_in_the_database(
    audited: AuditedWorld, by: str, tmp_path: Path
) -> None:
    anchored = _anchored_batches(audited)
    expected: dict[str, list[int]] = {}
    for batch in anchored:
        day = _day_of(audited, batch.block)
        group = {
            "office": str(batch.office_id),
            "type": str(batch.type_id),
            "day": day.isoformat(),
            "month": day.strftime("%Y-%m"),
        }[by]
        totals = expected.setdefault(group, [0, 0])
        totals[0] += 1
        totals[1] += batch.certificates
    rows_file = tmp_path / f"issuance-{by}.csv"

    document = audited.json("issuance", "--by", by, "--csv", str(rows_file))

    assert {row["group"]: [row["batches"], row["certificates"]] for row in document["rows"]} == expected
    assert document["total"] == {
        "batches": len(anchored),
        "certificates": sum(batch.certificates for batch in anchored),
    }
    labels = {row["group"]: row["label"] for row in document["rows"]}
    if by == "office":
        assert labels == {str(OFFICE): OFFICE_NAME}
    elif by == "type":
        assert labels == {group: f"type {group}" for group in expected}
    else:
        assert labels == {group: group for group in expected}
    with rows_file.open(encoding="utf-8", newline="") as handle:
        written = list(csv.DictReader(handle))
    assert written == [{name: str(value) for name, value in row.items()} for row in document["rows"]]


def test_issuance_table_names_the_office_and_the_period_bounds_the_days(audited: AuditedWorld) -> None:
    anchored = _anchored_batches(audited)
    certificates_count = sum(batch.certificates for batch in anchored)
    table = audited.invoke("issuance", "--by", "office")
    assert table.exit_code == 0, table.output
    assert OFFICE_NAME in table.stdout
    assert f"total: {len(anchored)} batches, {certificates_count} certificates" in table.stdout

    days = sorted({_day_of(audited, batch.block) for batch in anchored})
    first, last = days[0].isoformat(), days[-1].isoformat()
    within = audited.json("issuance", "--from", first, "--to", last)
    assert within["total"] == {"batches": len(anchored), "certificates": certificates_count}
    before = (days[0] - timedelta(days=1)).isoformat()
    assert audited.json("issuance", "--to", before) == {
        "rows": [],
        "total": {"batches": 0, "certificates": 0},
    }
    empty = audited.invoke("issuance", "--to", before)
    assert empty.exit_code == 0, empty.output
    assert "issuance by office" in empty.stdout and "nothing in this period" in empty.stdout
    assert "total: 0 batches, 0 certificates" in empty.stdout


# ---------------------------------------------------------------- batches


def test_batches_are_the_database_batches_with_their_blocks_and_transactions(audited: AuditedWorld) -> None:
    anchored = _anchored_batches(audited)
    issuer = _address(audited.world.context.settings.issuer_key)

    rows = audited.json("batches")

    assert [
        (r["root"], r["batchId"], r["officeId"], r["typeId"], r["count"], r["block"], r["transaction"])
        for r in rows
    ] == [(b.root, b.batch_id, b.office_id, b.type_id, b.count, b.block, b.transaction) for b in anchored]
    assert {row["key"] for row in rows} == {issuer}
    for row in rows:
        block_time = int(audited.w3.eth.get_block(row["block"])["timestamp"])
        assert datetime.fromisoformat(row["time"]) == datetime.fromtimestamp(block_time, BEIJING)
    assert audited.json("batches", "--office", str(OFFICE)) == rows
    assert audited.json("batches", "--office", str(OFFICE + 1)) == []


# ---------------------------------------------------------------- status


def test_status_reports_the_revocation_with_its_reason(audited: AuditedWorld, tmp_path: Path) -> None:
    with audited.connect() as connection:
        chain_batch_id, root = connection.execute(
            sa.select(batches.c.chain_batch_id, batches.c.root)
            .join(certificates, certificates.c.batch_id == batches.c.id)
            .where(certificates.c.certificate_no == audited.revoked)
        ).one()
    changes_file = tmp_path / "changes.csv"

    document = audited.json("status", "--csv", str(changes_file))

    [change] = document["changes"]
    assert {k: change[k] for k in ("action", "reason", "reasonLabel", "officeId", "certificates")} == {
        "action": "revoked",
        "reason": int(Reason.ISSUED_IN_ERROR),
        "reasonLabel": "issued-in-error",
        "officeId": OFFICE,
        "certificates": 1,
    }
    assert (change["batchId"], change["root"]) == (chain_batch_id, "0x" + bytes(root).hex())
    assert change["by"] == _address(audited.world.context.settings.issuer_key)
    assert change["block"] == audited.w3.eth.block_number  # the last thing the fixture did
    assert document["summary"] == [
        {
            "action": "revoked",
            "reason": int(Reason.ISSUED_IN_ERROR),
            "reasonLabel": "issued-in-error",
            "changes": 1,
            "certificates": 1,
        }
    ]
    with changes_file.open(encoding="utf-8", newline="") as handle:
        [written] = list(csv.DictReader(handle))
    assert written == {name: str(value) for name, value in change.items()}

    table = audited.invoke("status")
    assert table.exit_code == 0, table.output
    assert "issued-in-error" in table.stdout and "per action and reason" in table.stdout


# ---------------------------------------------------------------- trust


def test_trust_at_the_head_and_before_the_key_was_added(audited: AuditedWorld) -> None:
    settings = audited.world.context.settings
    issuer, operator = _address(settings.issuer_key), _address(settings.operator_key)

    head = audited.json("trust")

    assert head["block"] == audited.w3.eth.block_number
    assert head["governor"] == audited.world.governor.address
    [office] = head["offices"]
    assert (office["officeId"], office["regionCode"], office["displayName"]) == (OFFICE, 371000, OFFICE_NAME)
    assert office["suspendedFrom"] is None
    assert [(t["typeId"], t["until"]) for t in office["types"]] == [(1, None), (2, None), (3, None)]
    [key] = head["keys"]
    assert (key["key"], key["officeId"], key["validUntil"]) == (issuer, OFFICE, None)
    assert [entry["operators"] for entry in head["logOperators"]] == [[operator]]
    events = Counter(event["event"] for event in head["history"])
    assert events == {
        "GovernanceTransferred": 1,
        "OfficeRegistered": 1,
        "CertificateTypeAllowed": 3,
        "KeyAdded": 1,
        "OperatorAuthorized": 1,
    }

    added = key["addedBlock"]
    assert added > office["registeredBlock"]  # one transaction a block on the test node
    before = audited.json("trust", "--block", str(added - 1))
    assert before["block"] == added - 1
    assert [o["displayName"] for o in before["offices"]] == [OFFICE_NAME]
    assert before["keys"] == []
    assert "KeyAdded" not in {event["event"] for event in before["history"]}
    at = audited.json("trust", "--block", str(added))
    assert [k["key"] for k in at["keys"]] == [issuer]

    table = audited.invoke("trust", "--block", str(added - 1))
    assert table.exit_code == 0, table.output
    assert f"issuer registry as of block {added - 1}" in table.stdout
    assert OFFICE_NAME in table.stdout and issuer not in table.stdout


# ---------------------------------------------------------------- access


def test_access_proofs_are_checked_against_the_anchored_roots(audited: AuditedWorld) -> None:
    first, second = audited.anchored_sizes
    assert second - first >= 2  # a size in between was never anchored
    with audited.connect() as connection:
        assert log_size(connection) == second
        roots = {size: "0x" + root_at(connection, size).hex() for size in (first, second)}

    listed = audited.json("access")
    assert [(a["size"], a["root"]) for a in listed["anchors"]] == [
        (first, roots[first]),
        (second, roots[second]),
    ]
    assert listed["checks"] == []

    for entry in (0, second - 1):
        [check] = audited.json("access", "--entry", str(entry))["checks"]
        assert check == {
            "kind": "inclusion",
            "sizes": [second],
            "anchoredRoots": [roots[second]],
            "verified": True,
            "reason": f"entry {entry} is in the first {second} entries anchored on chain",
        }
    [check] = audited.json("access", "--entry", "0", "--size", str(first))["checks"]
    assert (check["sizes"], check["anchoredRoots"], check["verified"]) == ([first], [roots[first]], True)

    [check] = audited.json("access", "--sizes", str(first), str(second))["checks"]
    assert check == {
        "kind": "consistency",
        "sizes": [first, second],
        "anchoredRoots": [roots[first], roots[second]],
        "verified": True,
        "reason": f"the log anchored at {second} entries extends the one anchored at {first}",
    }


def _api_proof(audited: AuditedWorld, seq: int) -> dict[str, Any]:
    world = audited.world
    response = world.client.get(f"/v1/audit/log/entries/{seq}/proof", headers=world.staff_headers("auditor"))
    assert response.status_code == 200, response.text
    proof: dict[str, Any] = response.json()
    assert proof["verified"] is True
    return proof


def _check_file(audited: AuditedWorld, folder: Path, proof: Any, *options: str) -> tuple[int, str, str]:
    path = folder / "proof.json"
    path.write_text(proof if isinstance(proof, str) else json.dumps(proof), encoding="utf-8")
    return _certledger(audited.environment, "audit", "access", "--proof", str(path), *options)


def test_an_inclusion_proof_from_the_api_is_checked_offline(audited: AuditedWorld, tmp_path: Path) -> None:
    size = audited.anchored_sizes[1]
    proof = _api_proof(audited, 1)
    assert proof["size"] == size
    code, out, err = _check_file(audited, tmp_path, proof)
    assert (code, err.strip()) == (0, "")  # the index's progress, transient, leaves a blank line
    assert out.strip() == f"verified: entry 1 is in the first {size} entries, whose root is anchored on chain"
    code, out, err = _check_file(audited, tmp_path, proof, "--json", "--no-sync")
    assert (code, err) == (0, "")
    assert json.loads(out) == {
        "seq": 1,
        "size": size,
        "verified": True,
        "failed": None,
        "reason": f"entry 1 is in the first {size} entries, whose root is anchored on chain",
        "root": proof["root"],
        "anchoredRoot": proof["anchoredRoot"],
    }


def _flipped(hash_hex: str) -> str:
    return hash_hex[:-1] + ("0" if hash_hex[-1] != "0" else "1")


def test_a_tampered_inclusion_proof_fails_at_the_step_it_breaks(
    audited: AuditedWorld, tmp_path: Path
) -> None:
    proof = _api_proof(audited, 1)
    entry_changed = proof | {"entry": proof["entry"] | {"event": "tampered"}}
    path_changed = proof | {"proof": [_flipped(proof["proof"][0]), *proof["proof"][1:]]}
    root_changed = proof | {"root": _flipped(proof["root"])}
    # A proof consistent in itself, for a log of one entry whose root was never anchored.
    leaf = "0x" + log_leaf_hash(canonical_json(entry_changed["entry"])).hex()
    forged = entry_changed | {"seq": 0, "size": 1, "leafHash": leaf, "proof": [], "root": leaf}
    for tampered, step, reason in [
        (entry_changed, "leaf hash", "not to the leaf hash given"),
        (path_changed, "path", "the audit path does not lead from entry 1 to the root given"),
        (root_changed, "path", "the audit path does not lead from entry 1 to the root given"),
        (forged, "root not anchored", "no root is anchored on chain for size 1"),
    ]:
        code, out, err = _check_file(audited, tmp_path, tampered, "--json")
        assert (code, err) == (1, "")
        check = json.loads(out)
        assert (check["verified"], check["failed"]) == (False, step)
        assert reason in check["reason"]
        code, out, _ = _check_file(audited, tmp_path, tampered)
        assert code == 1 and out.startswith(f"not verified ({step}): ")


def test_a_proof_file_that_is_not_a_proof_is_one_line_and_exit_code_2(
    audited: AuditedWorld, tmp_path: Path
) -> None:
    proof = _api_proof(audited, 0)
    path = tmp_path / "proof.json"
    for text, reason in [
        ("{not json", "it is refused as JSON (not JSON: "),
        (
            "[" * 100 + "]" * 100,
            "it is refused as JSON (the JSON nests arrays and objects more than 64 deep)",
        ),
        (json.dumps({k: v for k, v in proof.items() if k != "root"}), "it lacks root"),
        (json.dumps(proof | {"proof": ["0x12"]}), "proof[0] is not a 32-byte hash"),
        (json.dumps(proof | {"seq": -1}), "seq is not a whole number from 0"),
        (json.dumps(proof | {"padding": "x" * 70_000}), "it is larger than 65536 bytes"),
    ]:
        code, out, err = _check_file(audited, tmp_path, text)
        assert (code, out) == (2, "")
        assert err.count("\n") == 1 and err.startswith(f"error: {path}: {reason}"), err
    code, _, err = _certledger(audited.environment, "audit", "access", "--proof", str(tmp_path / "none.json"))
    assert code == 2 and err.startswith(f"error: {tmp_path / 'none.json'}: No such file")


def test_access_refuses_a_size_that_was_never_anchored(audited: AuditedWorld) -> None:
    first, second = audited.anchored_sizes
    never = first + 1

    [check] = audited.json("access", "--sizes", str(first), str(never), exit_code=1)["checks"]
    assert check["verified"] is False
    assert check["anchoredRoots"][1] is None
    assert check["reason"] == f"no root is anchored for size {never}"
    [check] = audited.json("access", "--entry", "0", "--size", str(never), exit_code=1)["checks"]
    assert (check["verified"], check["reason"]) == (False, f"no root is anchored for size {never}")

    table = audited.invoke("access", "--sizes", str(first), str(never))
    assert table.exit_code == 1
    assert f"no root is anchored for size {never}" in table.stdout

    # Beyond the operators' log there is no proof to check at all.
    code, out, err = _certledger(audited.environment, "audit", "access", "--sizes", str(first), "99")
    assert (code, out) == (1, "")
    assert err.strip().startswith("error: the operators' log cannot prove this:")
    assert len(err.strip().splitlines()) == 1
    code, out, err = _certledger(audited.environment, "audit", "access", "--entry", str(second))
    assert (code, err.strip()) == (1, f"error: the operators' log has no entry {second}")


# ---------------------------------------------------------------- reconcile


def test_reconcile_finds_a_broken_proof_and_repairs_it(changed: AuditedWorld, tmp_path: Path) -> None:
    audited = changed
    with audited.connect() as connection:
        certificate_count = connection.execute(
            sa.select(sa.func.count()).where(certificates.c.batch_id.is_not(None))
        ).scalar_one()
        entries = log_size(connection)
    clean = audited.json("reconcile")
    assert clean["differences"] == [] and set(clean["counts"].values()) == {0}
    assert (clean["batchesChecked"], clean["certificatesChecked"], clean["logEntriesChecked"]) == (
        len(_anchored_batches(audited)),
        certificate_count,
        entries,
    )
    assert clean["indexedTo"] == audited.w3.eth.block_number

    with audited.world.context.engine.begin() as connection:
        broken, proof = connection.execute(
            sa.select(certificates.c.id, certificates.c.proof)
            .where(sa.func.length(certificates.c.proof) >= 32)
            .limit(1)
        ).one()
        connection.execute(
            sa.update(certificates).where(certificates.c.id == broken).values(proof=os.urandom(len(proof)))
        )

    found = audited.json("reconcile", exit_code=1)
    assert [(d["kind"], d["subject"], d["repaired"]) for d in found["differences"]] == [
        ("proof_mismatch", broken, False)
    ]
    assert found["counts"]["proof_mismatch"] == 1 and found["repaired"] == 0
    table = audited.invoke("reconcile")
    assert table.exit_code == 1
    assert "proof_mismatch" in table.stdout and "the database and the chain agree" not in table.stdout

    differences_file = tmp_path / "differences.csv"
    repaired = audited.json("reconcile", "--repair", "--csv", str(differences_file))
    assert repaired["repair"] is True and repaired["repaired"] == 1
    assert [(d["kind"], d["subject"], d["repaired"]) for d in repaired["differences"]] == [
        ("proof_mismatch", broken, True)
    ]
    with differences_file.open(encoding="utf-8", newline="") as handle:
        assert [(row["kind"], row["subject"], row["repaired"]) for row in csv.DictReader(handle)] == [
            ("proof_mismatch", broken, "True")
        ]
    with audited.connect() as connection:
        rewritten = connection.execute(
            sa.select(certificates.c.proof).where(certificates.c.id == broken)
        ).scalar_one()
    assert bytes(rewritten) == bytes(proof)

    assert audited.json("reconcile")["differences"] == []
    again = audited.invoke("reconcile")
    assert again.exit_code == 0, again.output
    assert "the database and the chain agree" in again.stdout


def test_reconcile_repairs_a_status_changed_behind_the_chains_back(changed: AuditedWorld) -> None:
    audited = changed
    with audited.connect() as connection:
        revoked, valid = (
            connection.execute(
                sa.select(certificates.c.id).where(certificates.c.certificate_no == audited.revoked)
            ).scalar_one(),
            connection.execute(
                sa.select(certificates.c.id)
                .where(certificates.c.batch_id.is_not(None), certificates.c.status == "valid")
                .order_by(certificates.c.id)
                .limit(1)
            ).scalar_one(),
        )
    with audited.world.context.engine.begin() as connection:
        for certificate_id, status in ((revoked, "valid"), (valid, "revoked")):
            connection.execute(
                sa.update(certificates).where(certificates.c.id == certificate_id).values(status=status)
            )

    found = audited.json("reconcile", exit_code=1)
    assert sorted((d["kind"], d["subject"], d["repaired"]) for d in found["differences"]) == sorted(
        [("status_mismatch", revoked, False), ("status_mismatch", valid, False)]
    )
    assert found["counts"]["status_mismatch"] == 2 and found["repaired"] == 0

    repaired = audited.json("reconcile", "--repair")
    assert sorted((d["kind"], d["subject"], d["repaired"]) for d in repaired["differences"]) == sorted(
        [("status_mismatch", revoked, True), ("status_mismatch", valid, True)]
    )
    assert repaired["repaired"] == 2
    with audited.connect() as connection:
        stored = dict(
            connection.execute(
                sa.select(certificates.c.id, certificates.c.status).where(
                    certificates.c.id.in_([revoked, valid])
                )
            ).all()
        )
    assert stored == {revoked: "revoked", valid: "valid"}
    assert audited.json("reconcile")["differences"] == []


class _Killed(BaseException):
    """Stands for a kill -9 of `certledger issue` right after its anchor was mined."""


def test_reconcile_names_a_batch_left_sending_and_records_it(
    changed: AuditedWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    audited, context = changed, changed.world.context
    rng = random.Random(8)
    rows = [InputRow(i + 2, f"K{i:05d}", pension_claims(rng, f"K{i:05d}")) for i in range(3)]
    assert context.issuance().issue(rows, context.catalog.find("pension-qualification")).issued == 3
    worker = context.worker()
    anchor = worker.ledger.anchor

    def anchored_then_killed(*args: Any, **options: Any) -> Any:
        anchor(*args, **options)
        raise _Killed

    monkeypatch.setattr(worker.ledger, "anchor", anchored_then_killed)
    with pytest.raises(_Killed):
        worker.step(flush=True)
    assert worker.lease is not None
    release_lease(context.engine, worker.lease)  # it lapsed since: no worker is finishing the batch
    with audited.connect() as connection:
        root = connection.execute(sa.select(batches.c.root).where(batches.c.state == "sending")).scalar_one()
    subject = "0x" + bytes(root).hex()

    found = audited.json("reconcile", exit_code=1)
    assert [(d["kind"], d["subject"], d["repaired"]) for d in found["differences"]] == [
        ("batch_sent_unrecorded", subject, False)
    ]
    assert found["counts"]["batch_sent_unrecorded"] == 1
    table = audited.invoke("reconcile")
    assert table.exit_code == 1
    assert "batch_sent_unrecorded" in table.stdout and "--repair records it anchored" in table.stdout

    repaired = audited.json("reconcile", "--repair")
    assert [(d["kind"], d["subject"], d["repaired"]) for d in repaired["differences"]] == [
        ("batch_sent_unrecorded", subject, True)
    ]
    assert audited.json("reconcile")["differences"] == []


def test_a_repair_without_the_issuer_key_makes_none(
    changed: AuditedWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch never sent needs the issuer key to be sent; where the command has none, the repair
    says so and leaves the batch reported — it never makes a key of its own."""
    audited, context = changed, changed.world.context
    rng = random.Random(9)
    rows = [InputRow(i + 2, f"N{i:05d}", pension_claims(rng, f"N{i:05d}")) for i in range(3)]
    assert context.issuance().issue(rows, context.catalog.find("pension-qualification")).issued == 3
    worker = context.worker()

    def killed_before_sending(*_args: Any, **_options: Any) -> Any:
        raise _Killed

    monkeypatch.setattr(worker.ledger, "anchor", killed_before_sending)
    with pytest.raises(_Killed):
        worker.step(flush=True)
    assert worker.lease is not None
    release_lease(context.engine, worker.lease)
    keys = context.settings.data_dir / "keys"
    before = sorted(path.name for path in keys.iterdir()) if keys.is_dir() else []
    assert "issuer.key" not in before  # the world's issuer key is a setting, not a file

    repaired = audited.json("reconcile", "--repair", exit_code=1)
    [difference] = repaired["differences"]
    assert (difference["kind"], difference["repaired"]) == ("batch_stuck_sending", False)
    assert "this repair could not send it: no issuer key: set CERTLEDGER_ISSUER_KEY" in difference["detail"]
    after = sorted(path.name for path in keys.iterdir()) if keys.is_dir() else []
    assert after == before


# ---------------------------------------------------------------- bad input


def test_bad_input_is_one_line_and_a_failing_exit_code(audited: AuditedWorld, tmp_path: Path) -> None:
    environment = audited.environment

    code, out, err = _certledger(
        environment, "audit", "issuance", "--from", "2026-12-01", "--to", "2026-11-01", "--json"
    )
    assert (code, out, err) == (1, "", "error: the period ends (2026-11-01) before it starts (2026-12-01)\n")
    code, _, err = _certledger(environment, "audit", "status", "--from", "2026-12-01", "--to", "2026-11-30")
    assert (code, err.strip()) == (1, "error: the period ends (2026-11-30) before it starts (2026-12-01)")

    code, out, err = _certledger(environment, "audit", "issuance", "--by", "week")
    assert (code, out) == (2, "")
    [message] = [line.strip("│ ") for line in err.splitlines() if "Invalid value" in line]
    assert message == "Invalid value: --by is one of office, type, day, month"

    missing = tmp_path / "deployments" / "missing.json"
    for command in ("index", "issuance", "batches", "status", "trust", "access", "reconcile"):
        code, out, err = _certledger(environment, "audit", command, "--manifest", str(missing), "--json")
        assert (code, out, err) == (1, "", f"error: no deployment manifest at {missing}\n"), command

    code, _, err = _certledger(environment, "audit", "trust", "--block", "999999", "--json")
    head = audited.w3.eth.block_number
    assert (code, err.strip()) == (
        1,
        f"error: the index reaches block {head}, not 999999: run `certledger audit index` first",
    )
    assert "Traceback" not in err
