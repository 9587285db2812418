"""The issuer's commands end to end, as an operator runs them, against a real chain and database."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

from ledger import (
    Certificate,
    CertificateLedgerClient,
    connect,
    load_manifest,
    mask,
    parse_json,
    verify_batch_proof,
)
from scripts.demo_data import generate, write_contribution_csv, write_jsonl
from tests.issuing import certledger as _run


def _export(environment: dict[str, str], number: str) -> Certificate:
    exported = _run(environment, "export", number)
    assert exported.returncode == 0, exported.stderr
    return Certificate.from_json(parse_json(exported.stdout))


def _assert_anchored(environment: dict[str, str], certificate: Certificate) -> None:
    """The certificate's root, proof and batch hold on the chain: what a verifier will check."""
    anchor = certificate.anchor
    assert anchor is not None
    assert certificate.computed_root() == certificate.root
    assert verify_batch_proof(
        certificate.root, anchor.index, anchor.proof, root=anchor.batch_root, count=anchor.count
    )
    deployment = load_manifest(Path(environment["CERTLEDGER_DATA_DIR"]) / "deployments" / "31337.json")
    ledger = CertificateLedgerClient(
        connect(f"http://127.0.0.1:{environment['CERTLEDGER_CHAIN_PORT']}"), deployment.ledger
    )
    assert ledger.verify_inclusion(certificate.root, anchor.index, anchor.proof, anchor.batch_id)
    batch = ledger.batch(anchor.batch_root)
    assert batch is not None
    key = ledger.key_by_id(batch.key_id)
    assert key is not None
    assert batch.type_id == certificate.header.type_id
    assert ledger.is_authorized(key, batch.office_id, batch.type_id, batch.anchored_at)


@pytest.mark.slow
def test_issue_a_csv_with_a_bad_row_then_again(cli_office: dict[str, str], tmp_path: Path) -> None:
    documents = list(generate("contribution-certificate", 5, seed=31))
    documents[2]["holder_id"] = documents[2]["holder_id"][:-1] + (
        "1" if documents[2]["holder_id"][-1] != "1" else "2"
    )
    source = tmp_path / "export.csv"
    write_contribution_csv(source, documents)
    report = tmp_path / "refused.csv"
    first = _run(
        cli_office, "issue", "--type", "contribution-certificate", str(source), "--report", str(report)
    )
    assert first.returncode == 2, first.stderr
    assert re.search(r"^ issued\s+4 $", first.stdout, re.MULTILINE), first.stdout
    assert re.search(r"^ refused\s+1 $", first.stdout, re.MULTILINE)
    with report.open(encoding="utf-8", newline="") as handle:
        refused = list(csv.reader(handle))
    assert refused[0] == ["line", "certificate_no", "reason"]
    line = 2 + sum(len(d["pension"]["records"]) for d in documents[:2])
    assert refused[1][:2] == [str(line), documents[2]["certificate_no"]]
    assert refused[1][2].startswith("holder_id: the check character is")
    again = _run(cli_office, "issue", "--type", "contribution-certificate", str(source))
    assert again.returncode == 2
    assert re.search(r"^ already issued \(skipped\)\s+4 $", again.stdout, re.MULTILINE)
    certificate = _export(cli_office, str(documents[0]["certificate_no"]))
    _assert_anchored(cli_office, certificate)
    assert certificate.claims["holder_name"] == documents[0]["holder_name"]


@pytest.mark.slow
def test_deeply_nested_rows_are_refused_at_their_lines_and_the_rest_issued(
    cli_office: dict[str, str], tmp_path: Path
) -> None:
    """Such a row killed `certledger issue` with SIGSEGV (exit 139) before nesting was bounded."""
    documents = list(generate("pension-qualification", 2, seed=33))
    source = tmp_path / "deep.jsonl"
    good = [json.dumps(document, ensure_ascii=False) for document in documents]
    deep = ["[" * 100_000 + "]" * 100_000, '{"a":' * 190_000]  # within the 1 MB line limit
    source.write_text("\n".join([good[0], *deep, good[1]]) + "\n", encoding="utf-8")
    report = tmp_path / "refused.csv"
    result = _run(cli_office, "issue", "-t", "pension-qualification", str(source), "--report", str(report))
    assert result.returncode == 2, result.stderr
    assert re.search(r"^ issued\s+2 $", result.stdout, re.MULTILINE), result.stdout
    with report.open(encoding="utf-8", newline="") as handle:
        refused = list(csv.reader(handle))[1:]
    reason = "not a JSON document: the JSON nests arrays and objects more than 64 deep"
    assert refused == [["2", "", reason], ["3", "", reason]]
    _assert_anchored(cli_office, _export(cli_office, str(documents[1]["certificate_no"])))


@pytest.mark.slow
def test_a_certificate_whose_months_are_all_given_twice_is_refused_and_the_rest_issued(
    cli_office: dict[str, str], tmp_path: Path
) -> None:
    """Issue 12: each month's row repeated issued 24 records, 24 months paid and doubled totals."""
    documents = list(generate("contribution-certificate", 3, seed=34))
    assert all(
        set(document) - {"certificate_no", "holder_name", "holder_id"} == {"pension"}
        for document in documents
    )
    records = documents[1]["pension"]["records"]
    records.extend(dict(record) for record in list(records))
    source = tmp_path / "export.csv"
    write_contribution_csv(source, documents)
    report = tmp_path / "refused.csv"

    result = _run(cli_office, "issue", "-t", "contribution-certificate", str(source), "--report", str(report))

    assert result.returncode == 2, result.stderr
    assert re.search(r"^ issued\s+2 $", result.stdout, re.MULTILINE), result.stdout
    assert re.search(r"^ refused\s+1 $", result.stdout, re.MULTILINE)
    first = 2 + len(documents[0]["pension"]["records"])  # the line of the certificate's first record
    months = len(records) // 2
    repeated = [
        f"pension.records: month {record['month']}, employer_code {mask(record['employer_code'])} "
        f"appears twice (lines {first + index} and {first + months + index})"
        for index, record in enumerate(records[:5])
    ]
    with report.open(encoding="utf-8", newline="") as handle:
        refused = list(csv.reader(handle))[1:]
    assert refused == [[str(first + months), str(documents[1]["certificate_no"]), "; ".join(repeated)]]
    missing = _run(cli_office, "export", str(documents[1]["certificate_no"]))
    assert (missing.returncode, missing.stderr) == (
        1,
        f"error: no certificate {documents[1]['certificate_no']}\n",
    )
    _assert_anchored(cli_office, _export(cli_office, str(documents[2]["certificate_no"])))


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        pytest.param("export.csv", b"", "it is empty", id="empty"),
        pytest.param(
            "export.csv",
            b"certificate_no,holder_name,holder_id,insurance,month,employer_code,employer_name,"
            b"base,personal,employer,status\r\n",
            "it has only a header line",
            id="header-alone",
        ),
        pytest.param("export.jsonl", b"\n \n\n", "it has only blank lines", id="blank-lines"),
    ],
)
def test_a_file_without_records_is_an_error_not_issued_0(
    cli_office: dict[str, str], tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    source = tmp_path / name
    source.write_bytes(content)

    result = _run(cli_office, "issue", "-t", "contribution-certificate", str(source))

    assert result.returncode == 2, result.stdout
    english, chinese = result.stderr.splitlines()
    assert english == f"error: the file holds no records: {reason}"
    assert chinese.startswith("错误：文件里没有记录：")  # issue 15: the reason in Chinese too
    assert not re.search(r"^ issued", result.stdout, re.MULTILINE), result.stdout


@pytest.mark.slow
def test_revoke_from_a_file_and_read_the_reason(cli_office: dict[str, str], tmp_path: Path) -> None:
    documents = list(generate("pension-qualification", 3, seed=32))
    source = tmp_path / "pension.jsonl"
    write_jsonl(source, documents)
    assert _run(cli_office, "issue", "-t", "pension-qualification", str(source)).returncode == 0
    numbers = tmp_path / "numbers.txt"
    numbers.write_text("\n".join(str(d["certificate_no"]) for d in documents[:2]) + "\n", encoding="utf-8")
    revoked = _run(cli_office, "revoke", "--file", str(numbers), "--reason", "issued-in-error")
    assert revoked.returncode == 0, revoked.stderr
    assert "revoked: 2, already revoked: 0, refused: 0" in revoked.stdout
    again = _run(cli_office, "revoke", str(documents[0]["certificate_no"]), "--reason", "1")
    assert "revoked: 0, already revoked: 1, refused: 0" in again.stdout
    unknown = _run(cli_office, "suspend", "NOPE000001", "--reason", "under-review")
    assert unknown.returncode == 2
    assert "no certificate has this number" in unknown.stdout
    bad_reason = _run(cli_office, "revoke", "X1", "--reason", "because")
    assert bad_reason.returncode == 2
    assert "unknown reason 'because'" in bad_reason.stderr


@pytest.mark.slow
def test_a_new_type_is_a_schema_file_and_one_command(
    cli_office: dict[str, str], tmp_path: Path, project_root: Path
) -> None:
    schema = project_root / "tests" / "fixtures" / "minimum-living-allowance.v1.json"
    registered = _run(cli_office, "types", "register", str(schema))
    assert registered.returncode == 0, registered.stderr
    assert "allowed type 101 to office 1 on chain" in registered.stdout
    listed = _run(cli_office, "types", "list")
    assert "minimum-living-allowance" in listed.stdout
    source = tmp_path / "dibao.jsonl"
    source.write_text(
        json.dumps(
            {
                "certificate_no": "DB3710002026000001",
                "applicant_name": "孙秀英",
                "applicant_id": "11010519491231002X",
                "household_size": 3,
                "monthly_allowance": 96000,
                "approved_on": "2026-10-12",
            },
            ensure_ascii=False,
        )
        + "\n",
        encoding="utf-8",
    )
    issued = _run(cli_office, "issue", "--type", "minimum-living-allowance", str(source))
    assert issued.returncode == 0, issued.stdout + issued.stderr
    certificate = _export(cli_office, "DB3710002026000001")
    assert certificate.header.type_id == 101
    _assert_anchored(cli_office, certificate)
    again = _run(cli_office, "types", "register", str(schema))
    assert "office 1 may already issue type 101" in again.stdout


@pytest.mark.slow
def test_rotate_the_master_key_and_erase_a_citizen(cli_office: dict[str, str], tmp_path: Path) -> None:
    documents = list(generate("work-injury-determination", 2, seed=33))
    source = tmp_path / "injury.jsonl"
    write_jsonl(source, documents)
    assert _run(cli_office, "issue", "-t", "work-injury-determination", str(source)).returncode == 0
    keys = Path(cli_office["CERTLEDGER_DATA_DIR"]) / "keys" / "master"
    before = {path.name for path in keys.glob("*.key")}
    rotated = _run(cli_office, "safe", "rotate-master-key")
    assert rotated.returncode == 0, rotated.stderr
    assert "remaining 0" in rotated.stdout
    after = {path.name for path in keys.glob("*.key")}
    assert len(after) == 1 and after != before  # the old key was deleted once unused
    assert _export(cli_office, str(documents[0]["certificate_no"])).claims == documents[0]
    erased = _run(cli_office, "safe", "erase", str(documents[1]["injured_id"]), "--yes")
    assert erased.returncode == 0, erased.stderr
    unreadable = _run(cli_office, "export", str(documents[1]["certificate_no"]))
    assert unreadable.returncode == 1
    assert "belongs to an erased citizen" in unreadable.stderr
