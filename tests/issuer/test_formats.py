"""The formats operators have: CSV in UTF-8 (with or without a BOM) or GB18030, and XLSX, all
read into the same claims; broken or hostile files refused with an `IntakeError` that says why."""

from __future__ import annotations

import datetime
import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from issuer import InputRow, IntakeError, Rejection, read_documents
from issuer._pipeline import documents_from_file
from ledger import CertificateType, TypeCatalog
from scripts.bench.issue import FORMATS, write_source
from scripts.demo_data import generate
from tests.issuer.test_intake import (
    BAD_MONTH_REASON,
    CONTRIBUTION_COLUMNS,
    EMPLOYER,
    PENSION_COLUMNS,
    contribution_line,
    csv_text,
    pension_line,
)

# Names whose GB18030 bytes differ from their UTF-8 bytes, and include a four-byte character (𠀀).
CONTRIBUTION_LINES = (
    contribution_line(month="2025-01"),
    contribution_line(month="2025-02", personal="40001"),
    contribution_line(
        certificate_no="C-000002", holder_name="欧阳娜娜", insurance="medical", month="2025-03"
    ),
    contribution_line(certificate_no="C-000003", holder_name="李𠀀", employer_name="威海丙公司（分公司）"),
)
PENSION_LINES = (
    pension_line(),
    pension_line(certificate_no="P-000002", holder_name="诸葛亮", authenticated_on="2025-06-30"),
)
ENCODINGS = {"utf-8": "utf-8", "utf-8 with a BOM": "utf-8-sig", "gb18030": "gb18030"}


@pytest.fixture(scope="module")
def contribution() -> CertificateType:
    return TypeCatalog.load().find("contribution-certificate")


@pytest.fixture(scope="module")
def pension() -> CertificateType:
    return TypeCatalog.load().find("pension-qualification")


def excel_value(column: str, text: str) -> Any:
    """A cell as Excel would hold what an operator typed: numbers as numbers, dates and months
    as dates (a month as its first day), the rest as text."""
    if column in {"base", "personal"}:
        return int(text)
    if column == "employer":
        return float(text)  # 80000.0: a number Excel stores as a float
    if column == "month":
        return datetime.date.fromisoformat(f"{text}-01")
    if column == "authenticated_on":
        return datetime.datetime.fromisoformat(text)  # a date cell with its midnight
    if column.startswith("qualification_period."):
        return datetime.date.fromisoformat(text)
    return text


def write_xlsx(
    path: Path, columns: tuple[str, ...], lines: tuple[dict[str, str], ...], *, title: str
) -> None:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = title
    sheet.append(list(columns))
    for line in lines:
        sheet.append([excel_value(column, line[column]) for column in columns])
    workbook.create_sheet("备注").append(["this sheet is not read"])
    workbook.save(path)


def write_as(path: Path, form: str, columns: tuple[str, ...], lines: tuple[dict[str, str], ...]) -> Path:
    if form == "xlsx":
        path = path.with_suffix(".xlsx")
        write_xlsx(path, columns, lines, title="导出")
    else:
        path = path.with_suffix(".csv")
        path.write_bytes(csv_text(columns, *lines).replace("\n", "\r\n").encode(ENCODINGS[form]))
    return path


FORMS = [*ENCODINGS, "xlsx"]


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("parallel", [False, True])
def test_every_format_reads_the_contribution_export_into_the_same_claims(
    tmp_path: Path, contribution: CertificateType, form: str, parallel: bool
) -> None:
    reference = write_as(tmp_path / "reference", "utf-8", CONTRIBUTION_COLUMNS, CONTRIBUTION_LINES)
    expected = list(read_documents(reference, contribution))
    path = write_as(tmp_path / "export", form, CONTRIBUTION_COLUMNS, CONTRIBUTION_LINES)
    progress: list[int] = []

    rows = list(documents_from_file(path, contribution, parallel=parallel, progress=progress.append))

    assert all(isinstance(row, InputRow) for row in expected)
    assert [row.number for row in expected] == ["C-000001", "C-000002", "C-000003"]
    assert [(row.line, row.number, row.claims) for row in rows if not isinstance(row, Rejection)] == [
        (row.line, row.number, row.claims) for row in expected if isinstance(row, InputRow)
    ]
    assert 0 < sum(progress) <= path.stat().st_size


@pytest.mark.parametrize("form", FORMS)
def test_every_format_reads_the_pension_export_into_the_same_claims(
    tmp_path: Path, pension: CertificateType, form: str
) -> None:
    path = write_as(tmp_path / "export", form, PENSION_COLUMNS, PENSION_LINES)

    rows = list(read_documents(path, pension))

    assert rows == [
        InputRow(2, "P-000001", _pension_claims(PENSION_LINES[0])),
        InputRow(3, "P-000002", _pension_claims(PENSION_LINES[1])),
    ]


def _pension_claims(line: dict[str, str]) -> dict[str, Any]:
    claims: dict[str, Any] = {}
    for column, value in line.items():
        if "." in column:
            outer, inner = column.split(".")
            claims.setdefault(outer, {})[inner] = value
        else:
            claims[column] = value
    return claims


def test_the_contribution_claims_carry_the_gb18030_names_and_the_months(
    tmp_path: Path, contribution: CertificateType
) -> None:
    path = write_as(tmp_path / "export", "gb18030", CONTRIBUTION_COLUMNS, CONTRIBUTION_LINES)
    assert "欧阳娜娜".encode("gb18030") != "欧阳娜娜".encode()

    rows = list(read_documents(path, contribution))

    assert [row.claims["holder_name"] for row in rows if isinstance(row, InputRow)] == [
        "张三",
        "欧阳娜娜",
        "李𠀀",
    ]
    first = rows[0]
    assert isinstance(first, InputRow)
    assert [r["month"] for r in first.claims["pension"]["records"]] == ["2025-01", "2025-02"]
    assert first.claims["pension"]["records"][0]["employer_code"] == EMPLOYER


# ---- GB18030: told apart from UTF-8, and refused when it does not read as the type's columns ---


def test_a_gb18030_file_whose_header_is_not_the_types_columns_is_refused_naming_both_encodings(
    tmp_path: Path, pension: CertificateType
) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes("证明编号,姓名\nP-000001,王五\n".encode("gb18030"))

    with pytest.raises(IntakeError) as raised:
        list(read_documents(path, pension))

    assert str(raised.value) == (
        "line 1: the file is not UTF-8 text, and read as GB18030 its header does not name the columns of"
        " pension-qualification/v1 (证明编号, 姓名 is not a field of pension-qualification/v1)"
    )


def test_bytes_neither_encoding_reads_are_refused_with_their_line(
    tmp_path: Path, pension: CertificateType
) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(
        csv_text(PENSION_COLUMNS, pension_line(holder_name="WANG WU")).encode() + b"P-000002,\xff\xfe\n"
    )

    with pytest.raises(IntakeError) as raised:
        list(read_documents(path, pension))

    assert str(raised.value).startswith("line 3: the file is neither UTF-8 nor GB18030 text (")


def test_a_utf8_file_with_a_gbk_line_after_chinese_text_is_refused_not_mixed(
    tmp_path: Path, pension: CertificateType
) -> None:
    path = tmp_path / "export.csv"
    text = csv_text(PENSION_COLUMNS, pension_line())
    path.write_bytes(text.encode() + csv_text(PENSION_COLUMNS, pension_line()).splitlines()[1].encode("gbk"))

    with pytest.raises(IntakeError) as raised:
        list(read_documents(path, pension))

    assert str(raised.value) == "line 3: the file is not UTF-8 text (invalid continuation byte)"


def test_json_lines_stay_utf8_only(tmp_path: Path, pension: CertificateType) -> None:
    path = tmp_path / "export.jsonl"
    path.write_bytes('{"holder_name": "王五"}\n'.encode("gb18030"))

    with pytest.raises(IntakeError) as raised:
        list(read_documents(path, pension))

    assert str(raised.value) == "line 1: the file is not UTF-8 text (invalid continuation byte)"


# ---- XLSX: refusals name the sheet and row; broken and hostile workbooks are refused -----------


def test_an_xlsx_refusal_names_the_sheet_and_the_row_and_the_good_rows_go_on(
    tmp_path: Path, contribution: CertificateType
) -> None:
    path = tmp_path / "export.xlsx"
    lines = (
        contribution_line(month="2025-01"),
        contribution_line(certificate_no="C-000002", month="2025-13"),
        contribution_line(certificate_no="C-000003"),
    )
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "缴费"
    sheet.append(list(CONTRIBUTION_COLUMNS))
    for line in lines:
        sheet.append([line[column] for column in CONTRIBUTION_COLUMNS])  # all text, as typed
    workbook.save(path)

    rows = list(read_documents(path, contribution))

    assert [row.number for row in rows] == ["C-000001", "C-000002", "C-000003"]
    assert rows[1] == Rejection(
        3,
        "C-000002",
        f"sheet 缴费 row 3: pension.records[0].month: {BAD_MONTH_REASON}; period.from: {BAD_MONTH_REASON}; "
        f"period.to: {BAD_MONTH_REASON}",
    )


def test_an_xlsx_month_that_is_not_the_first_of_its_month_is_refused_as_written(
    tmp_path: Path, contribution: CertificateType
) -> None:
    path = tmp_path / "export.xlsx"
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(list(CONTRIBUTION_COLUMNS))
    line: dict[str, Any] = dict(contribution_line())
    line["month"] = datetime.date(2025, 3, 15)
    sheet.append([line[column] for column in CONTRIBUTION_COLUMNS])
    workbook.save(path)

    [row] = list(read_documents(path, contribution))

    assert isinstance(row, Rejection)
    assert row.reason.startswith(
        "sheet Sheet row 2: pension.records[0].month: a month is written YYYY-MM, with a month from 01 to 12"
        " (2025-03-15)"
    )


def test_an_xlsx_whose_header_the_type_cannot_read_names_the_sheet_and_row(
    tmp_path: Path, pension: CertificateType
) -> None:
    path = tmp_path / "export.xlsx"
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append([])
    sheet.append(["certificate_no", "shoe_size"])
    sheet.append(["P-000001", 42])
    workbook.save(path)

    with pytest.raises(IntakeError) as raised:
        list(read_documents(path, pension))

    assert str(raised.value) == "sheet Sheet row 2: shoe_size is not a field of pension-qualification/v1"


def test_an_xlsx_with_a_header_alone_is_refused(tmp_path: Path, pension: CertificateType) -> None:
    path = tmp_path / "export.xlsx"
    write_xlsx(path, PENSION_COLUMNS, (), title="导出")

    with pytest.raises(IntakeError) as raised:
        list(read_documents(path, pension))

    assert str(raised.value) == "the file holds no records: sheet 导出 has only a header row"


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_a_file_that_is_not_a_zip_is_refused(tmp_path: Path, pension: CertificateType) -> None:
    path = tmp_path / "export.xlsx"
    path.write_text(csv_text(PENSION_COLUMNS, pension_line()), encoding="utf-8")

    with pytest.raises(IntakeError) as raised:
        list(read_documents(path, pension))

    assert (
        str(raised.value) == "export.xlsx: not an XLSX workbook (not a zip archive: File is not a zip file)"
    )


def test_a_zip_without_a_workbook_is_refused(tmp_path: Path, pension: CertificateType) -> None:
    path = tmp_path / "export.xlsx"
    path.write_bytes(zip_bytes({"hello.txt": b"hello"}))

    with pytest.raises(IntakeError) as raised:
        list(read_documents(path, pension))

    assert str(raised.value).startswith("export.xlsx: not an XLSX workbook (")


def test_a_zip_bomb_is_refused_before_it_is_inflated(
    tmp_path: Path, pension: CertificateType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("issuer._spreadsheet.MAX_XLSX_UNCOMPRESSED", 1_000_000)
    path = tmp_path / "export.xlsx"
    write_xlsx(path, PENSION_COLUMNS, PENSION_LINES, title="导出")
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.bin", bytes(2_000_000))
    assert path.stat().st_size < 100_000

    with pytest.raises(IntakeError) as raised:
        list(read_documents(path, pension))

    assert str(raised.value).startswith(
        "export.xlsx: the workbook inflates to more than 1000000 bytes (at its part xl/media/padding.bin,"
        " 2000000 bytes from "
    )


def test_a_zip_of_too_many_parts_is_refused(
    tmp_path: Path, pension: CertificateType, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("issuer._spreadsheet.MAX_XLSX_ENTRIES", 5)
    path = tmp_path / "export.xlsx"
    path.write_bytes(zip_bytes({f"part{index}.xml": b"<a/>" for index in range(6)}))

    with pytest.raises(IntakeError) as raised:
        list(read_documents(path, pension))

    assert str(raised.value) == "export.xlsx: the workbook has 6 parts, more than 5"


def test_a_workbook_with_a_broken_sheet_is_refused_with_the_sheet(
    tmp_path: Path, pension: CertificateType
) -> None:
    path = tmp_path / "export.xlsx"
    write_xlsx(path, PENSION_COLUMNS, PENSION_LINES, title="导出")
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(broken, "w") as target:
        for entry in source.infolist():
            data = source.read(entry)
            if entry.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            target.writestr(entry, data)

    with pytest.raises(IntakeError) as raised:
        list(read_documents(broken, pension))

    assert str(raised.value).startswith("sheet 导出 row ")
    assert "the sheet cannot be read (" in str(raised.value)


def test_the_benchmarks_files_of_every_format_read_into_the_same_certificates(
    tmp_path: Path, contribution: CertificateType
) -> None:
    documents = reference_claims_as_exported(5)
    read = {}
    for form in ("jsonl", *FORMATS):
        folder = tmp_path / form
        folder.mkdir()
        rows = list(read_documents(write_source(folder, form, documents), contribution))
        assert all(isinstance(row, InputRow) for row in rows), rows
        read[form] = [row.claims for row in rows if isinstance(row, InputRow)]

    assert len(read["jsonl"]) == 5
    assert read["csv"] == read["csv-gb18030"] == read["xlsx"] == read["jsonl"]


def reference_claims_as_exported(count: int) -> list[dict[str, object]]:
    return list(generate("contribution-certificate", count, seed=11))
