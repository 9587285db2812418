"""The refused rows given back as a file: the original header and values, every line of each
refused certificate, the line and the Chinese reason in front — and, fixed, it uploads again."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from issuer import InputRow, RefusedRows, Rejection, read_documents
from issuer._rejections import refused as refused_at
from ledger import CertificateType, TypeCatalog
from scripts.demo_data import generate, write_contribution_csv
from tests.issuer.test_intake import (
    BAD_ID,
    CONTRIBUTION_COLUMNS,
    ID,
    contribution_document,
    contribution_line,
    csv_text,
    read_contribution_csv,
    record,
)
from tests.issuer.test_refusals_zh import sixteen_lines
from tests.issuing import certledger

REFUSED_HEADER = ["行号", "拒绝原因", *CONTRIBUTION_COLUMNS]


@pytest.fixture(scope="module")
def contribution() -> CertificateType:
    return TypeCatalog.load().find("contribution-certificate")


EXPORT = (
    contribution_line(month="2025-01"),  # line 2: C-000001, issued
    contribution_line(certificate_no="C-000002", holder_name="欧阳娜娜", holder_id=BAD_ID),  # 3
    contribution_line(
        certificate_no="C-000002", holder_name="欧阳娜娜", holder_id=BAD_ID, month="2025-02"
    ),  # 4
    contribution_line(certificate_no="C-000003", month="2025-01"),  # 5
    contribution_line(certificate_no="C-000003", month="2025-13"),  # 6: refused here
    contribution_line(certificate_no="C-000003", month="2025-03"),  # 7
    contribution_line(certificate_no="C-000004"),  # 8, issued
)


def refused_of(
    path: Path, contribution: CertificateType, target: Path
) -> tuple[list[InputRow | Rejection], int]:
    with RefusedRows(path, contribution) as refused:
        items = list(read_documents(path, contribution))
        for item in items:
            if isinstance(item, Rejection):
                refused.add(item)
        return items, refused.write(target)


def read_back(path: Path) -> list[list[str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # Excel on Chinese Windows opens it as UTF-8
    return list(csv.reader(raw.decode("utf-8-sig").splitlines()))


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_a_grouped_csv_gives_back_every_line_of_each_refused_certificate_unmasked(
    tmp_path: Path, contribution: CertificateType, encoding: str
) -> None:
    source = tmp_path / "export.csv"
    source.write_bytes(csv_text(CONTRIBUTION_COLUMNS, *EXPORT).encode(encoding))
    target = tmp_path / "refused.csv"

    items, written = refused_of(source, contribution, target)

    assert written == 2
    assert [item.number for item in items if isinstance(item, InputRow)] == ["C-000001", "C-000004"]
    rows = read_back(target)
    assert rows[0] == REFUSED_HEADER
    id_reason = "第3行 公民身份号码 110*************21 不是有效的公民身份号码：校验码是 1，按 GB 11643 应为 X"
    # The covered period is derived from the months: its end is the bad month too, at the first line.
    month_reason = "第6行 费款所属期 2025-13 不是有效的月份；第5行 截止年月 2025-13 不是有效的月份"
    assert [row[:2] for row in rows[1:]] == [
        ["3", id_reason],
        ["4", "同一份证明被拒绝，原因见第3行"],
        ["5", month_reason],
        ["6", month_reason],
        ["7", "同一份证明被拒绝，原因见第6行"],
    ]
    assert [row[2:] for row in rows[1:]] == [
        [EXPORT[line - 2][column] for column in CONTRIBUTION_COLUMNS] for line in (3, 4, 5, 6, 7)
    ]  # the operator's own values, the identity number and name as they were


def test_the_refused_file_fixed_is_issued_as_it_is(tmp_path: Path, contribution: CertificateType) -> None:
    source = tmp_path / "export.csv"
    source.write_text(csv_text(CONTRIBUTION_COLUMNS, *EXPORT), encoding="utf-8")
    target = tmp_path / "refused.csv"
    refused_of(source, contribution, target)

    fixed = tmp_path / "fixed.csv"
    fixed.write_text(
        target.read_text(encoding="utf-8-sig").replace(BAD_ID, ID).replace("2025-13", "2025-02"),
        encoding="utf-8-sig",
    )
    again = list(read_documents(fixed, contribution))

    assert [(item.line, item.number) for item in again if isinstance(item, InputRow)] == [
        (2, "C-000002"),
        (4, "C-000003"),
    ]
    assert [item for item in again if isinstance(item, Rejection)] == []


def test_a_workbook_gives_back_a_csv_with_its_header(tmp_path: Path, contribution: CertificateType) -> None:
    source = tmp_path / "export.xlsx"
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "缴费"
    sheet.append([])  # a blank row above the header
    sheet.append(list(CONTRIBUTION_COLUMNS))
    for line in EXPORT:
        sheet.append([line[column] for column in CONTRIBUTION_COLUMNS])
    workbook.save(source)
    target = tmp_path / "refused.csv"

    _items, written = refused_of(source, contribution, target)

    rows = read_back(target)
    assert written == 2
    assert rows[0] == REFUSED_HEADER
    assert [row[0] for row in rows[1:]] == ["4", "5", "6", "7", "8"]
    assert (
        rows[4][1]
        == "工作表 缴费 第7行 费款所属期 2025-13 不是有效的月份；第6行 截止年月 2025-13 不是有效的月份"
    )
    assert rows[5][1] == "同一份证明被拒绝，原因见第7行"
    assert rows[4][2:] == [EXPORT[4][column] for column in CONTRIBUTION_COLUMNS]


def test_json_lines_give_back_json_lines_with_the_refusal(
    tmp_path: Path, contribution: CertificateType
) -> None:
    good = contribution_document()
    bad = contribution_document(certificate_no="C-000002", pension={"records": [record(month="2025-13")]})
    source = tmp_path / "export.jsonl"
    source.write_text("\n".join([json.dumps(good), json.dumps(bad, ensure_ascii=False), "{not json"]) + "\n")
    target = tmp_path / "refused.jsonl"

    with RefusedRows(source, contribution) as refused:
        for item in read_documents(source, contribution):
            if isinstance(item, Rejection):
                refused.add(item)
        assert refused.suffix == ".jsonl"
        assert refused.write(target) == 2

    first, second = (json.loads(line) for line in target.read_text(encoding="utf-8").splitlines())
    assert first["_refusal"]["line"] == 2
    assert first["_refusal"]["reason"].startswith("第2行 费款所属期 2025-13 不是有效的月份")
    assert {key: value for key, value in first.items() if key != "_refusal"} == bad
    assert second == {
        "_refusal": {"line": 3, "reason": second["_refusal"]["reason"]},
        "_original": "{not json",
    }
    fixed = tmp_path / "fixed.jsonl"
    fixed.write_text(target.read_text(encoding="utf-8").splitlines()[0].replace("2025-13", "2025-03") + "\n")
    (again,) = read_documents(fixed, contribution)
    assert isinstance(again, InputRow)


def test_a_refusal_at_issuance_has_its_lines_read_again_from_the_file(
    tmp_path: Path, contribution: CertificateType
) -> None:
    source = tmp_path / "export.csv"
    source.write_text(csv_text(CONTRIBUTION_COLUMNS, *EXPORT), encoding="gb18030")
    target = tmp_path / "refused.csv"
    at_issuance = refused_at(
        8,
        "C-000004",
        "certificate number already issued with different content; "
        "revoke it and issue a new number instead of changing it",
        code="different_content",
        params={"number": "C-000004"},
    )

    with RefusedRows(source, contribution) as refused:
        for item in read_documents(source, contribution):
            if isinstance(item, Rejection):
                refused.add(item)
        refused.add(at_issuance)  # as issuance tells it: a chunk later, without the lines
        refused.write(target)

    rows = read_back(target)
    assert [row[0] for row in rows[1:]] == ["3", "4", "5", "6", "7", "8"]
    assert rows[-1][1] == "第8行 证明编号 C-000004 已用不同的内容签发过：证明不能修改，请撤销后以新的编号签发"
    assert rows[-1][2:] == [EXPORT[6][column] for column in CONTRIBUTION_COLUMNS]


def test_a_row_that_is_not_csv_is_given_back_with_its_line_and_reason(
    tmp_path: Path, contribution: CertificateType
) -> None:
    source = tmp_path / "export.csv"
    source.write_text(csv_text(CONTRIBUTION_COLUMNS, EXPORT[0], "C-000009,张三"), encoding="utf-8")
    target = tmp_path / "refused.csv"

    refused_of(source, contribution, target)

    assert read_back(target)[1] == ["3", "第3行 有 2 列，而表头有 11 列", "C-000009", "张三"]


@pytest.mark.slow
def test_the_issue_command_prints_chinese_refusals_and_writes_the_refused_rows(
    cli_office: dict[str, str], tmp_path: Path
) -> None:
    documents = list(generate("contribution-certificate", 3, seed=41))
    documents[1]["holder_id"] = documents[1]["holder_id"][:-1] + (
        "1" if documents[1]["holder_id"][-1] != "1" else "2"
    )
    source = tmp_path / "export.csv"
    write_contribution_csv(source, documents)
    target = tmp_path / "被拒绝的行.csv"

    result = certledger(
        cli_office, "issue", "--type", "contribution-certificate", str(source), "--refused", str(target)
    )

    assert result.returncode == 2, result.stderr
    first = 2 + sum(len(records["records"]) for records in _insurances(documents[0]))
    count = sum(len(records["records"]) for records in _insurances(documents[1]))
    assert "读取 3 份，签发 2 份，已签发过（跳过）0 份，拒绝 1 份" in result.stdout
    assert f"第{first}行 公民身份号码 " in result.stdout
    assert documents[1]["holder_id"] not in result.stdout  # masked on screen
    assert "被拒绝的 1 份证明已按原样写入" in result.stdout
    rows = read_back(target)
    assert rows[0] == REFUSED_HEADER
    assert [int(row[0]) for row in rows[1:]] == list(range(first, first + count))
    assert rows[1][1].startswith(f"第{first}行 公民身份号码 ")
    assert {row[4] for row in rows[1:]} == {documents[1]["holder_id"]}  # the operator's own value


def _insurances(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [value for value in document.values() if isinstance(value, dict) and "records" in value]


def test_the_documented_examples_are_what_the_intake_says(
    project_root: Path, contribution: CertificateType
) -> None:
    text = (project_root / "docs" / "issuance.md").read_text(encoding="utf-8")
    section = text.split("## Refused rows", 1)[1].split("\n## ", 1)[0]
    sentences, _command, written = (block.split("\n", 1)[1] for block in section.split("```")[1:6:2])
    source = read_contribution_csv_sentences(contribution)

    for sentence in source:
        assert sentence in sentences.splitlines(), sentence
    assert written.startswith(",".join(REFUSED_HEADER[:8]) + ",")


def read_contribution_csv_sentences(contribution: CertificateType) -> list[str]:
    """The sentences the section shows for a CSV, as the intake gives them."""
    sentences = []
    for lines in (
        sixteen_lines("2025-13"),
        [contribution_line(certificate_no="C-000000"), contribution_line(holder_id=BAD_ID)],
        [contribution_line(personal="4.5"), contribution_line(month="2025-02", base="x")],
    ):
        (refused,) = [
            item for item in read_contribution_csv(contribution, *lines) if isinstance(item, Rejection)
        ]
        sentences.append(refused.sentence("zh"))
    return sentences
