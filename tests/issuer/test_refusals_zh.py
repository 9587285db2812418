"""Issue 15 item 3: every refusal, of a row or of the whole file, says in Chinese where it is, which
column (by its label), which value (masked when personal) and why — and still in English."""

from __future__ import annotations

import copy
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from issuer import InputRow, IntakeError, Rejection, read_csv, read_documents, read_json_lines
from issuer._errors import INTAKE_TEXTS_ZH
from issuer._rejections import ROW_TEXTS_ZH, TEXTS_ZH
from ledger import CertificateType, TypeCatalog, certificate_type
from tests.issuer.test_intake import (
    BAD_ID,
    CONTRIBUTION_COLUMNS,
    PENSION_COLUMNS,
    contribution_document,
    contribution_line,
    csv_text,
    pension_line,
    read_contribution_csv,
    record,
)
from tests.issuing import IssuingWorld

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def contribution() -> CertificateType:
    return TypeCatalog.load().find("contribution-certificate")


@pytest.fixture(scope="module")
def pension() -> CertificateType:
    return TypeCatalog.load().find("pension-qualification")


@pytest.fixture(scope="module")
def flags() -> CertificateType:
    """A flat type with a yes-or-no column, which no built-in type has."""
    return certificate_type(
        {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "x-certledger": {
                "typeId": 901,
                "name": "flags",
                "version": 1,
                "numberField": "no",
                "holderIdField": "holder_id",
            },
            "type": "object",
            "additionalProperties": False,
            "required": ["no", "holder_id"],
            "properties": {
                "no": {"title": "编号", "type": "string"},
                "holder_id": {"title": "公民身份号码", "type": "string", "format": "gb11643"},
                "retired": {"title": "是否退休", "type": "boolean"},
            },
        }
    )


def sixteen_lines(month_on_16: str) -> list[dict[str, str]]:
    """Lines 2 to 17 of one certificate, line 16 holding `month_on_16` between valid months, so
    that neither end of the covered period is the bad month."""
    months = [f"2024-{month:02d}" for month in range(1, 13)] + ["2025-01", "2025-02", month_on_16, "2026-01"]
    return [contribution_line(month=month) for month in months]


def test_the_issue_example_in_a_csv(contribution: CertificateType) -> None:
    (refused,) = read_contribution_csv(contribution, *sixteen_lines("2025-13"))

    assert isinstance(refused, Rejection)
    assert refused.sentence("zh") == "第16行 费款所属期 2025-13 不是有效的月份"
    assert refused.reason == (
        "pension.records[14].month: a month is written YYYY-MM, with a month from 01 to 12 (2025-13)"
    )
    assert refused.sentence("en") == f"line 16: {refused.reason}"
    assert (refused.line, refused.sheet, refused.row, refused.number) == (16, None, None, "C-000001")
    assert (refused.code, refused.column, refused.label, refused.value) == (
        "format.month",
        "month",
        "费款所属期",
        "2025-13",
    )
    assert refused.as_dict("zh") == {
        "line": 16,
        "sheet": None,
        "row": None,
        "number": "C-000001",
        "code": "format.month",
        "column": "month",
        "label": "费款所属期",
        "value": "2025-13",
        "reason": "费款所属期 2025-13 不是有效的月份",
        "sentence": "第16行 费款所属期 2025-13 不是有效的月份",
    }
    assert refused.as_dict("en")["sentence"] == refused.sentence("en")


def test_the_issue_example_in_a_workbook(tmp_path: Path, contribution: CertificateType) -> None:
    path = tmp_path / "export.xlsx"
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Sheet1"
    sheet.append(list(CONTRIBUTION_COLUMNS))
    for line in sixteen_lines("2025-13"):
        sheet.append([line[column] for column in CONTRIBUTION_COLUMNS])
    workbook.save(path)

    (refused,) = read_documents(path, contribution)

    assert isinstance(refused, Rejection)
    assert refused.sentence("zh") == "工作表 Sheet1 第16行 费款所属期 2025-13 不是有效的月份"
    assert (refused.sheet, refused.row, refused.line) == ("Sheet1", 16, 16)
    assert refused.reason.startswith("sheet Sheet1 row 16: pension.records[14].month: ")
    assert refused.sentence("en") == refused.reason


def test_personal_values_are_masked_and_the_file_values_are_kept_apart(contribution: CertificateType) -> None:
    rows = read_contribution_csv(
        contribution,
        contribution_line(holder_id=BAD_ID),
        contribution_line(certificate_no="C-000002", holder_name="欧阳娜娜"),
        contribution_line(certificate_no="C-000002", holder_name="欧阳娜", month="2025-02"),
    )

    first, second = rows
    assert isinstance(first, Rejection)
    assert isinstance(second, Rejection)
    assert first.sentence() == (
        "第2行 公民身份号码 110*************21 不是有效的公民身份号码：校验码是 1，按 GB 11643 应为 X"
    )
    assert (first.column, first.label, first.value) == ("holder_id", "公民身份号码", "110*************21")
    assert second.sentence() == "第4行 姓名 欧** 与第3行不一致（同一份证明的各行应相同）"
    assert BAD_ID not in repr(first)  # its rows, unmasked, are kept for the refused-rows file alone
    assert first.rows is not None
    assert BAD_ID in first.rows[0][1]


def test_several_problems_name_their_own_lines(contribution: CertificateType) -> None:
    (refused,) = read_contribution_csv(
        contribution,
        contribution_line(personal="4.5"),
        contribution_line(month="2025-02", base="x"),
    )

    assert isinstance(refused, Rejection)
    assert refused.sentence() == (
        "第2行 个人缴费（分） 4.5 不是整数（金额以分为单位）；第3行 缴费基数（分） x 不是整数（金额以分为单位）"
    )
    assert [(problem.line, problem.column) for problem in refused.problems] == [(2, "personal"), (3, "base")]


def row_refusals(
    contribution: CertificateType, pension: CertificateType, flags: CertificateType
) -> list[Rejection]:
    """A refusal of every kind the intake gives, each from a real file."""
    found: list[InputRow | Rejection] = []
    found += read_contribution_csv(
        contribution,
        contribution_line(personal="4.5"),  # integer
        contribution_line(certificate_no="C-000002", insurance="housing"),  # unknown_list
        contribution_line(certificate_no="C-000003"),
        contribution_line(certificate_no="C-000003", holder_name="李四", month="2025-02"),  # differs
        contribution_line(certificate_no="C-000004", month="2025-13"),  # format.month
        contribution_line(certificate_no="C-000003", month="2025-03"),  # consecutive
        contribution_line(certificate_no="C-000005", holder_id=BAD_ID),  # format.id_number
        contribution_line(certificate_no="C-000006", employer_code="X"),  # format.credit_code
        contribution_line(certificate_no="C-000007", status="late"),  # enum
        contribution_line(certificate_no="C-000008", employer_name=""),  # required
        contribution_line(certificate_no="c-9"),  # pattern
        *[contribution_line(certificate_no="C-000010")] * 2,  # repeated
        "C-000011,张三",  # columns
        "C-000012," + "x" * 200_000,  # not_csv
    )
    found += read_csv(
        io.StringIO(
            csv_text(
                PENSION_COLUMNS,
                pension_line(authenticated_on="2025-02-30"),
                pension_line(holder_name="x" * 51),
            )
        ),
        pension,
    )  # format.date, max_length
    found += read_csv(io.StringIO("no,holder_id,retired\nF-1,11010519491231002X,yes\n"), flags)  # boolean
    too_long = json.dumps({"a": "x" * 1_000_001})
    found += read_json_lines(
        [
            json.dumps(contribution_document(pension={"records": [record()], "total_personal": 1})),
            json.dumps(contribution_document(period="2025")),  # derived.not_object
            json.dumps(contribution_document(extra=1)),  # unknown_field
            json.dumps(contribution_document(pension={"records": [record(base=-1)]})),  # minimum
            json.dumps(contribution_document(pension={"records": [record(base=10**9)]})),  # maximum
            json.dumps(contribution_document(pension={"records": []})),  # min_items
            json.dumps(contribution_document(pension={"records": [record(base="1")]})),  # type
            json.dumps({key: value for key, value in contribution_document().items() if key != "pension"}),
            "{not json",
            "[1]",
            too_long,
        ],
        contribution,
    )
    return [item for item in found if isinstance(item, Rejection)]


def test_every_code_of_the_intake_has_both_languages(
    contribution: CertificateType, pension: CertificateType, flags: CertificateType
) -> None:
    refusals = row_refusals(contribution, pension, flags)
    codes = {problem.code for refused in refusals for problem in refused.problems}

    for refused in refusals:
        assert refused.reason, refused
        assert CJK.search(refused.reason_zh), refused.reason_zh
        assert "{" not in refused.reason_zh, refused.reason_zh
        assert refused.sentence("zh").startswith(f"第{refused.line}行 "), refused.sentence("zh")
    # The issuer's own codes, but for the two that issuance gives (tested with a database below).
    assert set(ROW_TEXTS_ZH) - codes == {"canonical_json", "different_content"}
    # The schema's codes that the built-in types can give.
    reachable = {
        "required", "type", "format.month", "format.date", "format.id_number", "format.credit_code",
        "enum", "pattern", "max_length", "minimum", "maximum", "min_items", "unknown_field", "any_of",
        "repeated",
    }  # fmt: skip
    assert reachable <= codes
    assert codes <= set(TEXTS_ZH)


def test_refusals_at_issuance_have_both_languages(issuing: IssuingWorld) -> None:
    pension = issuing.catalog.find("pension-qualification")
    rows = issuing.rows("pension-qualification", 3)
    issuing.issuance().issue(rows[:1], pension)
    changed = copy.deepcopy(rows[0].claims) | {"authentication_method": "home_visit"}
    rows[2].claims["holder_name"] = "王\ud800"

    report = issuing.issuance().issue([InputRow(7, rows[0].number, changed), rows[1], rows[2]], pension)

    uncanonical, different = sorted(report.rejected, key=lambda refused: refused.code)
    assert different.code == "different_content"
    assert different.sentence() == (
        f"第7行 证明编号 {rows[0].number} 已用不同的内容签发过：证明不能修改，请撤销后以新的编号签发"
    )
    assert uncanonical.code == "canonical_json"
    assert uncanonical.reason_zh.startswith("无法按规范 JSON 计算摘要（")
    assert different.rows is None  # not known at issuance: the refused-rows file reads them again


def whole_file_refusals(
    tmp_path: Path, contribution: CertificateType, pension: CertificateType
) -> list[IntakeError]:
    """The refusal of a whole file, of every kind, each from a real file."""
    files: list[tuple[str, bytes | None]] = [
        ("records.txt", b"x"),  # suffix
        ("missing.csv", None),  # unreadable
        ("utf8.csv", csv_text(PENSION_COLUMNS, pension_line()).encode() + b"\xff\n"),  # encoding
        ("neither.csv", csv_text(PENSION_COLUMNS).encode() + b"\xff\xff\n"),  # encoding.neither
        ("header.csv", "证明编号,姓名\n".encode("gb18030")),  # encoding.header
        ("empty.csv", b""),  # no_records.empty
        ("blank.csv", b"\n \n"),  # no_records.blank
        ("header-only.csv", b"certificate_no,holder_name\n"),  # no_records.header
        ("not-csv.csv", b'"' + b"x" * 200_000 + b'"\n'),  # header.not_csv
        ("unknown.csv", b"certificate_no,nickname\n"),  # columns.unknown
        ("twice.csv", b"certificate_no,certificate_no\n"),  # columns.twice
        ("not-zip.xlsx", b"PK not really"),  # xlsx.not_zip
    ]
    errors: list[IntakeError] = []
    for name, content in files:
        path = tmp_path / name
        if content is not None:
            path.write_bytes(content)
        with pytest.raises(IntakeError) as raised:
            list(read_documents(path, pension))
        errors.append(raised.value)
    grouped = tmp_path / "grouped.csv"
    grouped.write_text("certificate_no,holder_name\n", encoding="utf-8")
    with pytest.raises(IntakeError) as raised:
        list(read_documents(grouped, contribution))
    errors.append(raised.value)  # columns.missing
    errors.extend(_workbook_refusals(tmp_path, pension))
    return errors


def _workbook_refusals(tmp_path: Path, pension: CertificateType) -> list[IntakeError]:
    errors: list[IntakeError] = []

    def refusal(path: Path) -> None:
        with pytest.raises(IntakeError) as raised:
            list(read_documents(path, pension))
        errors.append(raised.value)

    empty = tmp_path / "empty.xlsx"
    Workbook().save(empty)
    refusal(empty)  # no_records.sheet
    header = tmp_path / "header.xlsx"
    workbook = Workbook()
    sheet: Any = workbook.active
    sheet.append(list(PENSION_COLUMNS))
    workbook.save(header)
    refusal(header)  # no_records.sheet_header
    no_workbook = tmp_path / "no-workbook.xlsx"
    with zipfile.ZipFile(no_workbook, "w") as archive:
        archive.writestr("hello.txt", "hello")
    refusal(no_workbook)  # xlsx.unreadable
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(header) as source, zipfile.ZipFile(broken, "w") as target:
        for entry in source.infolist():
            data = source.read(entry)
            target.writestr(entry, data[: len(data) // 2] if entry.filename.endswith("sheet1.xml") else data)
    refusal(broken)  # xlsx.broken
    many = tmp_path / "many.xlsx"
    with zipfile.ZipFile(many, "w") as archive:
        for index in range(1_001):
            archive.writestr(f"part{index}", "")
    refusal(many)  # xlsx.parts
    return errors


def test_every_whole_file_refusal_has_both_languages(
    tmp_path: Path, contribution: CertificateType, pension: CertificateType, monkeypatch: pytest.MonkeyPatch
) -> None:
    errors = whole_file_refusals(tmp_path, contribution, pension)
    monkeypatch.setattr("issuer._spreadsheet.MAX_XLSX_UNCOMPRESSED", 100)
    with pytest.raises(IntakeError) as raised:
        list(read_documents(tmp_path / "header.xlsx", pension))
    errors.append(raised.value)  # xlsx.too_large
    codes = {error.code for error in errors}

    for error in errors:
        assert str(error), error.code
        assert CJK.search(error.reason_zh), (error.code, error.reason_zh)
        assert "{" not in error.reason_zh, error.code
    # "file" is what an error passed on as text reads as; openpyxl writes no workbook without a
    # sheet, and reads none whose first sheet is a chart.
    assert set(INTAKE_TEXTS_ZH) - codes == {"file", "xlsx.no_sheet", "xlsx.chart"}


def test_a_whole_file_refusal_says_where_it_is(tmp_path: Path, pension: CertificateType) -> None:
    path = tmp_path / "utf8.csv"
    path.write_bytes(csv_text(PENSION_COLUMNS, pension_line()).encode() + b"\xff\n")

    with pytest.raises(IntakeError) as raised:
        list(read_documents(path, pension))

    assert str(raised.value) == "line 3: the file is not UTF-8 text (invalid start byte)"
    assert raised.value.reason_zh == "第3行 文件不是 UTF-8 文本（invalid start byte）"
    assert IntakeError("passed on as text").reason_zh == "文件无法读取：passed on as text"


def test_the_report_keeps_the_refusals_but_not_their_lines(
    issuing: IssuingWorld, contribution: CertificateType
) -> None:
    (refused,) = read_contribution_csv(contribution, *sixteen_lines("2025-13"))
    assert isinstance(refused, Rejection)
    told: list[Rejection] = []

    report = issuing.issuance().issue([refused], contribution, on_rejection=told.append)

    assert told == report.rejected == [refused]
    assert told[0].rows is not None
    assert len(told[0].rows) == 16  # every line of the certificate, for the refused-rows file
    assert report.rejected[0].rows is None
    assert report.rejected[0].sentence() == refused.sentence()
