"""Reading the core system's export: every bad row refused with its exact line and reason, good rows kept."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from issuer import InputRow, IntakeError, Rejection, read_csv, read_documents, read_json_lines
from issuer._derive import apply_derivations
from issuer._intake import MAX_LINE_BYTES, bounded_lines
from ledger import CertificateType, CertificateTypeError, FieldProblem, TypeCatalog
from scripts.demo_data import CONTRIBUTION_CSV_HEADER

ID = "11010519491231002X"
BAD_ID = ID[:17] + "1"
BAD_ID_REASON = "the check character is 1, GB 11643 gives X (110*************21)"
EMPLOYER = "91350100M000100Y43"
EMPLOYER_MASKED = "913*************43"
BAD_EMPLOYER = EMPLOYER[:17] + "1"
BAD_EMPLOYER_REASON = "the check character is 1, GB 32100 gives 3 (913*************41)"
BAD_MONTH_REASON = "a month is written YYYY-MM, with a month from 01 to 12 (2025-13)"

CONTRIBUTION_COLUMNS = CONTRIBUTION_CSV_HEADER  # the layout the demonstration export writes
PENSION_COLUMNS = (
    "certificate_no",
    "holder_name",
    "holder_id",
    "qualification_period.from",
    "qualification_period.to",
    "authentication_method",
    "authenticated_on",
    "benefit_type",
)
WORK_INJURY_COLUMNS = (
    "certificate_no",
    "injured_name",
    "injured_id",
    "employer.code",
    "employer.name",
    "injury.date",
    "injury.place",
    "injury.description",
    "determination.result",
    "determination.legal_basis",
)


@pytest.fixture(scope="module")
def catalog() -> TypeCatalog:
    """The built-in certificate types."""
    return TypeCatalog.load()


@pytest.fixture(scope="module")
def contribution(catalog: TypeCatalog) -> CertificateType:
    """The grouped-CSV type with derived totals."""
    return catalog.find("contribution-certificate")


@pytest.fixture(scope="module")
def pension(catalog: TypeCatalog) -> CertificateType:
    """A flat type with nested date columns."""
    return catalog.find("pension-qualification")


@pytest.fixture(scope="module")
def work_injury(catalog: TypeCatalog) -> CertificateType:
    """A flat type whose employer code is a GB 32100 code."""
    return catalog.find("work-injury-determination")


def contribution_line(**cells: str) -> dict[str, str]:
    """One line of the contribution CSV: a paid pension month of C-000001 unless told otherwise."""
    return {
        "certificate_no": "C-000001",
        "holder_name": "张三",
        "holder_id": ID,
        "insurance": "pension",
        "month": "2025-01",
        "employer_code": EMPLOYER,
        "employer_name": "威海甲公司",
        "base": "500000",
        "personal": "40000",
        "employer": "80000",
        "status": "paid",
        **cells,
    }


def pension_line(**cells: str) -> dict[str, str]:
    """One line of the pension-qualification CSV."""
    return {
        "certificate_no": "P-000001",
        "holder_name": "王五",
        "holder_id": ID,
        "qualification_period.from": "2025-01-01",
        "qualification_period.to": "2025-12-31",
        "authentication_method": "in_person",
        "authenticated_on": "2025-01-02",
        "benefit_type": "enterprise_employee",
        **cells,
    }


def work_injury_line(**cells: str) -> dict[str, str]:
    """One line of the work-injury CSV."""
    return {
        "certificate_no": "W-000001",
        "injured_name": "赵六",
        "injured_id": ID,
        "employer.code": EMPLOYER,
        "employer.name": "威海乙公司",
        "injury.date": "2025-03-04",
        "injury.place": "二号车间",
        "injury.description": "搬运时左手受伤",
        "determination.result": "work_injury",
        "determination.legal_basis": "《工伤保险条例》第十四条第一项",
        **cells,
    }


def csv_text(columns: tuple[str, ...], *lines: dict[str, str] | str) -> str:
    """A CSV file: the header, then each line (a dict in header order, or raw text)."""
    rendered = [",".join(columns)]
    for line in lines:
        rendered.append(line if isinstance(line, str) else ",".join(line[column] for column in columns))
    return "\n".join(rendered) + "\n"


def read_contribution_csv(
    contribution: CertificateType, *lines: dict[str, str] | str
) -> list[InputRow | Rejection]:
    return list(read_csv(io.StringIO(csv_text(CONTRIBUTION_COLUMNS, *lines)), contribution))


def record(**values: Any) -> dict[str, Any]:
    """One monthly record as a JSON document holds it."""
    return {
        "month": "2025-01",
        "employer_code": EMPLOYER,
        "employer_name": "威海甲公司",
        "base": 500000,
        "personal": 40000,
        "employer": 80000,
        "status": "paid",
        **values,
    }


def contribution_document(**claims: Any) -> dict[str, Any]:
    """A contribution certificate as the export gives it: no totals, no period."""
    return {
        "certificate_no": "C-000001",
        "holder_name": "张三",
        "holder_id": ID,
        "pension": {"records": [record()]},
        **claims,
    }


def completed_pension(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The pension claim once the derivations have filled in its totals."""
    return {
        "records": records,
        "months_paid": sum(r["status"] == "paid" for r in records),
        "months_owed": sum(r["status"] == "owed" for r in records),
        "total_personal": sum(r["personal"] for r in records),
        "total_employer": sum(r["employer"] for r in records),
    }


def json_line(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False) + "\n"


# ---- grouped CSV: the contribution certificate ----------------------------------------------


def test_grouped_csv_assembles_one_certificate_from_its_consecutive_lines(
    contribution: CertificateType,
) -> None:
    rows = read_contribution_csv(
        contribution,
        contribution_line(month="2024-11"),
        contribution_line(month="2024-12", status="owed", personal="41000", employer="82000"),
        contribution_line(
            insurance="medical", month="2025-02", base="600000", personal="12000", employer="48000"
        ),
        contribution_line(certificate_no="C-000002", holder_name="李四"),
    )

    pension_records = [
        record(month="2024-11"),
        record(month="2024-12", status="owed", personal=41000, employer=82000),
    ]
    medical_records = [record(month="2025-02", base=600000, personal=12000, employer=48000)]
    assert rows == [
        InputRow(
            2,
            "C-000001",
            {
                "certificate_no": "C-000001",
                "holder_name": "张三",
                "holder_id": ID,
                "pension": {
                    "records": pension_records,
                    "months_paid": 1,
                    "months_owed": 1,
                    "total_personal": 81000,
                    "total_employer": 162000,
                },
                "medical": {
                    "records": medical_records,
                    "months_paid": 1,
                    "months_owed": 0,
                    "total_personal": 12000,
                    "total_employer": 48000,
                },
                "period": {"from": "2024-11", "to": "2025-02"},
            },
        ),
        InputRow(
            5,
            "C-000002",
            {
                "certificate_no": "C-000002",
                "holder_name": "李四",
                "holder_id": ID,
                "pension": completed_pension([record()]),
                "period": {"from": "2025-01", "to": "2025-01"},
            },
        ),
    ]


@pytest.mark.parametrize(
    ("third_line", "reason"),
    [
        pytest.param(
            {"month": "2025-13"},
            f"pension.records[2].month: {BAD_MONTH_REASON}; period.to: {BAD_MONTH_REASON}",
            id="bad-month",
        ),
        pytest.param(
            {"employer_code": BAD_EMPLOYER},
            f"pension.records[2].employer_code: {BAD_EMPLOYER_REASON}",
            id="gb32100-check-character",
        ),
        pytest.param(
            {"personal": "400.5"},
            "pension.records[2].personal: must be a whole number (amounts are in fen), got '400.5'",
            id="fractional-amount",
        ),
        pytest.param(
            {"base": "五千"},
            "pension.records[2].base: must be a whole number (amounts are in fen), got '五千'",
            id="amount-not-a-number",
        ),
        pytest.param(
            {"status": "late"}, "pension.records[2].status: must be one of paid, owed", id="unknown-enum"
        ),
        pytest.param({"base": ""}, "pension.records[2]: missing base", id="missing-element-field"),
        pytest.param(
            {"insurance": "dental"},
            "dental.records: is not a list this type has (line 4)",
            id="unknown-insurance",
        ),
        pytest.param(
            {"holder_name": "张叁"}, "holder_name: differs between line 2 and line 4", id="scalar-differs"
        ),
    ],
)
def test_grouped_csv_reports_a_bad_value_with_the_line_that_holds_it(
    contribution: CertificateType, third_line: dict[str, str], reason: str
) -> None:
    rows = read_contribution_csv(
        contribution,
        contribution_line(month="2025-01"),
        contribution_line(month="2025-02"),
        contribution_line(**{"month": "2025-03", **third_line}),
        contribution_line(certificate_no="C-000002"),
    )

    assert rows == [
        Rejection(4, "C-000001", reason),
        InputRow(
            5,
            "C-000002",
            {
                "certificate_no": "C-000002",
                "holder_name": "张三",
                "holder_id": ID,
                "pension": completed_pension([record()]),
                "period": {"from": "2025-01", "to": "2025-01"},
            },
        ),
    ]


def test_grouped_csv_reports_a_bad_scalar_on_the_first_line_of_its_certificate(
    contribution: CertificateType,
) -> None:
    rows = read_contribution_csv(
        contribution,
        contribution_line(holder_id=BAD_ID, month="2025-01"),
        contribution_line(holder_id=BAD_ID, month="2025-02"),
        contribution_line(certificate_no="C-000002", holder_name=""),
        contribution_line(certificate_no="C-000003", holder_id=ID.lower()),
    )

    assert rows == [
        Rejection(2, "C-000001", f"holder_id: {BAD_ID_REASON}"),
        Rejection(4, "C-000002", "missing holder_name"),
        Rejection(
            5,
            "C-000003",
            "holder_id: an identity number is 18 characters: 17 digits and a digit or X (110*************2x)",
        ),
    ]


def test_grouped_csv_refuses_lines_of_one_certificate_that_are_not_consecutive(
    contribution: CertificateType,
) -> None:
    rows = read_contribution_csv(
        contribution,
        contribution_line(certificate_no="C-000001", month="2025-01"),
        contribution_line(certificate_no="C-000002", month="2025-01"),
        contribution_line(certificate_no="C-000001", month="2025-02"),
        contribution_line(certificate_no="C-000001", month="2025-03"),
        contribution_line(certificate_no="C-000003", month="2025-01"),
    )

    assert [type(row).__name__ for row in rows] == ["InputRow", "InputRow", "Rejection", "InputRow"]
    first, second, refused, third = rows
    assert refused == Rejection(4, "C-000001", "the lines of certificate_no C-000001 must be consecutive")
    assert isinstance(first, InputRow) and isinstance(second, InputRow) and isinstance(third, InputRow)
    assert (first.line, first.number, first.claims["pension"]["records"]) == (2, "C-000001", [record()])
    assert (second.line, second.number) == (3, "C-000002")
    assert (third.line, third.number) == (6, "C-000003")


def test_grouped_csv_refuses_a_line_with_the_wrong_column_count_and_keeps_its_neighbours(
    contribution: CertificateType,
) -> None:
    line = ",".join(contribution_line(month="2025-02").values())
    rows = read_contribution_csv(
        contribution,
        contribution_line(month="2025-01"),
        line + ",extra",
        "",
        contribution_line(month="2025-03"),
        line[: line.rindex(",")],
        contribution_line(certificate_no="C-000002"),
    )

    assert rows[:2] == [
        Rejection(3, None, "12 columns where the header has 11"),
        Rejection(6, None, "10 columns where the header has 11"),
    ]
    assert len(rows) == 4
    first, second = rows[2], rows[3]
    assert isinstance(first, InputRow) and isinstance(second, InputRow)
    # The blank line and the refused lines do not split C-000001: its two good lines form one certificate.
    assert (first.line, first.number) == (2, "C-000001")
    assert first.claims["pension"] == completed_pension([record(month="2025-01"), record(month="2025-03")])
    assert first.claims["period"] == {"from": "2025-01", "to": "2025-03"}
    assert (second.line, second.number) == (7, "C-000002")


def test_grouped_csv_reports_the_line_a_record_starts_on_when_a_quoted_cell_spans_lines(
    contribution: CertificateType,
) -> None:
    rows = read_contribution_csv(
        contribution,
        contribution_line(employer_name='"威海\n甲公司"', personal="4.5"),
        contribution_line(month="2025-02", employer_name='"威海\n甲公司"'),
        contribution_line(certificate_no="C-000002"),
    )

    assert [(row.line, row.number) for row in rows] == [(2, "C-000001"), (6, "C-000002")]
    assert rows[0] == Rejection(
        2, "C-000001", "pension.records[0].personal: must be a whole number (amounts are in fen), got '4.5'"
    )


def test_grouped_csv_refuses_a_certificate_whose_months_are_all_given_twice(
    contribution: CertificateType,
) -> None:
    """Issue 12: every month's row repeated issued 24 records, 24 months paid and doubled totals."""
    year = [contribution_line(month=f"2025-{month:02d}") for month in range(1, 13)]
    rows = read_contribution_csv(contribution, *year, *year, contribution_line(certificate_no="C-000002"))

    first_five = [
        f"pension.records: month 2025-{month:02d}, employer_code {EMPLOYER_MASKED} appears twice "
        f"(lines {month + 1} and {month + 13})"
        for month in range(1, 6)
    ]
    assert rows == [
        Rejection(14, "C-000001", "; ".join(first_five)),
        InputRow(
            26,
            "C-000002",
            {
                "certificate_no": "C-000002",
                "holder_name": "张三",
                "holder_id": ID,
                "pension": completed_pension([record()]),
                "period": {"from": "2025-01", "to": "2025-01"},
            },
        ),
    ]


def test_grouped_csv_names_every_line_of_a_record_given_three_times(contribution: CertificateType) -> None:
    rows = read_contribution_csv(
        contribution,
        contribution_line(month="2025-01"),
        contribution_line(month="2025-02"),
        contribution_line(month="2025-02", personal="1"),
        contribution_line(insurance="medical", month="2025-02"),
        contribution_line(month="2025-02", status="owed"),
    )

    assert rows == [
        Rejection(
            4,
            "C-000001",
            f"pension.records: month 2025-02, employer_code {EMPLOYER_MASKED} appears 3 times "
            "(lines 3, 4 and 6)",
        )
    ]


def test_grouped_csv_keeps_one_month_paid_by_two_employers_or_in_two_insurances(
    contribution: CertificateType,
) -> None:
    other = "91110000600037341L"
    rows = read_contribution_csv(
        contribution,
        contribution_line(month="2025-01"),
        contribution_line(month="2025-01", employer_code=other),
        contribution_line(insurance="medical", month="2025-01"),
    )

    assert len(rows) == 1 and isinstance(rows[0], InputRow)
    assert rows[0].claims["pension"]["records"] == [record(), record(employer_code=other)]
    assert rows[0].claims["medical"]["records"] == [record()]


# ---- flat CSV: pension qualification and work injury ----------------------------------------


def test_flat_csv_reads_dotted_columns_into_nested_claims(pension: CertificateType) -> None:
    rows = list(read_csv(io.StringIO(csv_text(PENSION_COLUMNS, pension_line())), pension))

    assert rows == [
        InputRow(
            2,
            "P-000001",
            {
                "certificate_no": "P-000001",
                "holder_name": "王五",
                "holder_id": ID,
                "qualification_period": {"from": "2025-01-01", "to": "2025-12-31"},
                "authentication_method": "in_person",
                "authenticated_on": "2025-01-02",
                "benefit_type": "enterprise_employee",
            },
        )
    ]


@pytest.mark.parametrize(
    ("bad_line", "reason"),
    [
        pytest.param({"holder_id": BAD_ID}, f"holder_id: {BAD_ID_REASON}", id="gb11643-check-digit"),
        pytest.param(
            {"authentication_method": "by_phone"},
            "authentication_method: must be one of face_recognition, in_person, home_visit, data_comparison",
            id="unknown-enum",
        ),
        pytest.param({"holder_name": ""}, "missing holder_name", id="missing-field"),
        pytest.param(
            {"qualification_period.to": " "}, "qualification_period: missing to", id="missing-nested-field"
        ),
        pytest.param(
            {"authenticated_on": "2025-02-30"},
            "authenticated_on: a date is written YYYY-MM-DD and must exist (2025-02-30)",
            id="impossible-date",
        ),
        pytest.param(
            {"certificate_no": "p-1"},
            'certificate_no: "p-1" does not match "^[A-Z0-9][A-Z0-9-]{5,39}$"',
            id="bad-number",
        ),
    ],
)
def test_flat_csv_refuses_a_bad_row_with_its_line_and_reason(
    pension: CertificateType, bad_line: dict[str, str], reason: str
) -> None:
    text = csv_text(
        PENSION_COLUMNS,
        pension_line(certificate_no="P-000001"),
        "",
        pension_line(**{"certificate_no": "P-000002", **bad_line}),
        pension_line(certificate_no="P-000003"),
    )

    rows = list(read_csv(io.StringIO(text), pension))

    number = bad_line.get("certificate_no", "P-000002")
    assert [(row.line, row.number) for row in rows] == [(2, "P-000001"), (4, number), (5, "P-000003")]
    assert rows[1] == Rejection(4, number, reason)
    assert isinstance(rows[0], InputRow) and isinstance(rows[2], InputRow)


def test_flat_csv_refuses_a_row_with_the_wrong_column_count(pension: CertificateType) -> None:
    good = ",".join(pension_line().values())
    text = csv_text(
        PENSION_COLUMNS, good + ",surplus", good.rsplit(",", 1)[0], pension_line(certificate_no="P-000002")
    )

    rows = list(read_csv(io.StringIO(text), pension))

    assert rows[:2] == [
        Rejection(2, None, "9 columns where the header has 8"),
        Rejection(3, None, "7 columns where the header has 8"),
    ]
    assert [(row.line, row.number, type(row)) for row in rows[2:]] == [(4, "P-000002", InputRow)]


@pytest.mark.parametrize(
    ("bad_line", "reason"),
    [
        pytest.param({"employer.code": BAD_EMPLOYER}, f"employer.code: {BAD_EMPLOYER_REASON}", id="gb32100"),
        pytest.param(
            {"employer.code": "91350100M000100Y4"},
            "employer.code: a unified social credit code is 18 characters of 0-9 and A-Y without I, O, Z, S, V "
            "(913************Y4)",
            id="gb32100-too-short",
        ),
        pytest.param({"injured_id": BAD_ID}, f"injured_id: {BAD_ID_REASON}", id="gb11643"),
        pytest.param(
            {"determination.result": "maybe"},
            "determination.result: must be one of work_injury, deemed_work_injury, not_work_injury",
            id="unknown-enum",
        ),
    ],
)
def test_work_injury_csv_checks_the_employer_code_and_the_enums(
    work_injury: CertificateType, bad_line: dict[str, str], reason: str
) -> None:
    text = csv_text(
        WORK_INJURY_COLUMNS, work_injury_line(), work_injury_line(certificate_no="W-000002", **bad_line)
    )

    rows = list(read_csv(io.StringIO(text), work_injury))

    assert rows[1] == Rejection(3, "W-000002", reason)
    assert isinstance(rows[0], InputRow) and rows[0].line == 2


def test_flat_csv_reports_the_line_a_row_starts_on_when_a_quoted_cell_spans_lines(
    work_injury: CertificateType,
) -> None:
    text = csv_text(
        WORK_INJURY_COLUMNS,
        work_injury_line(**{"injury.description": '"搬运时\n左手受伤"'}),
        work_injury_line(certificate_no="W-000002", **{"employer.code": BAD_EMPLOYER}),
    )

    rows = list(read_csv(io.StringIO(text), work_injury))

    assert rows == [
        InputRow(
            2,
            "W-000001",
            {
                "certificate_no": "W-000001",
                "injured_name": "赵六",
                "injured_id": ID,
                "employer": {"code": EMPLOYER, "name": "威海乙公司"},
                "injury": {"date": "2025-03-04", "place": "二号车间", "description": "搬运时\n左手受伤"},
                "determination": {"result": "work_injury", "legal_basis": "《工伤保险条例》第十四条第一项"},
            },
        ),
        Rejection(4, "W-000002", f"employer.code: {BAD_EMPLOYER_REASON}"),
    ]


# ---- whole-file errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("type_name", "header", "message"),
    [
        pytest.param(
            "pension-qualification",
            "certificate_no,holder_name,nickname",
            "line 1: nickname is not a field of pension-qualification/v1",
            id="flat-unknown-column",
        ),
        pytest.param(
            "pension-qualification",
            "certificate_no,holder_name,qualification_period.since,month",
            "line 1: qualification_period.since, month is not a field of pension-qualification/v1",
            id="flat-unknown-columns",
        ),
        pytest.param(
            "pension-qualification",
            "certificate_no,holder_name,holder_name",
            "line 1: a column name appears twice",
            id="flat-duplicate-column",
        ),
        pytest.param(
            "contribution-certificate",
            ",".join(c for c in CONTRIBUTION_COLUMNS if c != "insurance"),
            "line 1: the contribution-certificate/v1 layout needs the columns insurance",
            id="grouped-missing-selector",
        ),
        pytest.param(
            "contribution-certificate",
            "holder_name,holder_id,insurance,month,base",
            "line 1: the contribution-certificate/v1 layout needs the columns "
            "certificate_no, employer_code, employer_name, personal, employer, status",
            id="grouped-missing-columns",
        ),
        pytest.param(
            "contribution-certificate",
            ",".join((*CONTRIBUTION_COLUMNS, "bonus")),
            "line 1: bonus is not a field of contribution-certificate/v1",
            id="grouped-unknown-column",
        ),
        pytest.param(
            "contribution-certificate",
            ",".join((*CONTRIBUTION_COLUMNS, "month")),
            "line 1: a column name appears twice",
            id="grouped-duplicate-column",
        ),
    ],
)
def test_a_header_the_type_cannot_read_refuses_the_whole_file(
    catalog: TypeCatalog, type_name: str, header: str, message: str
) -> None:
    with pytest.raises(IntakeError) as raised:
        list(read_csv(io.StringIO(header + "\n"), catalog.find(type_name)))

    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        pytest.param("export.csv", b"", "it is empty", id="csv-empty"),
        pytest.param("export.csv", b"\xef\xbb\xbf", "it is empty", id="csv-byte-order-mark-alone"),
        pytest.param("export.csv", b"\n \r\n\t\n", "it has only blank lines", id="csv-blank"),
        pytest.param(
            "export.csv", ",".join(PENSION_COLUMNS).encode(), "it has only a header line", id="csv-header"
        ),
        pytest.param(
            "export.csv",
            (",".join(PENSION_COLUMNS) + "\r\n\r\n , ,\n").encode(),
            "it has only a header line",
            id="csv-header-and-blank-rows",
        ),
        pytest.param("export.jsonl", b"", "it is empty", id="jsonl-empty"),
        pytest.param("export.jsonl", b"\n\n  \r\n", "it has only blank lines", id="jsonl-blank"),
        pytest.param("export.json", b"\xef\xbb\xbf\n", "it has only blank lines", id="json-blank"),
    ],
)
def test_a_file_without_records_is_refused_not_read_as_nothing_to_issue(
    tmp_path: Path, pension: CertificateType, name: str, content: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)

    with pytest.raises(IntakeError) as raised:
        list(read_documents(path, pension))

    assert str(raised.value) == f"the file holds no records: {reason}"


def test_a_grouped_csv_with_its_header_alone_is_refused(contribution: CertificateType) -> None:
    with pytest.raises(IntakeError) as raised:
        read_contribution_csv(contribution, "", "")

    assert str(raised.value) == "the file holds no records: it has only a header line"


def test_a_header_naming_unknown_columns_is_still_named_before_the_missing_records(
    pension: CertificateType,
) -> None:
    with pytest.raises(IntakeError) as raised:
        list(read_csv(io.StringIO("certificate_no,shoe_size\n"), pension))

    assert str(raised.value) == "line 1: shoe_size is not a field of pension-qualification/v1"


@pytest.mark.parametrize("name", ["records.xls", "records.txt", "records"])
def test_read_documents_refuses_an_unsupported_file_type(
    tmp_path: Path, pension: CertificateType, name: str
) -> None:
    path = tmp_path / name
    path.write_text(csv_text(PENSION_COLUMNS, pension_line()), encoding="utf-8")

    with pytest.raises(IntakeError) as raised:
        list(read_documents(path, pension))

    assert str(raised.value) == (
        f"{name}: the input is .csv (UTF-8 or GB18030), .xlsx, or .jsonl / .json with one document per line"
    )


def test_read_documents_refuses_a_missing_file(tmp_path: Path, pension: CertificateType) -> None:
    path = tmp_path / "absent.csv"

    with pytest.raises(IntakeError) as raised:
        list(read_documents(path, pension))

    assert str(raised.value) == f"cannot read {path}: No such file or directory"


# ---- files: byte-order marks, line endings, blank lines ---------------------------------------


def test_read_documents_reads_csv_with_a_byte_order_mark_crlf_and_blank_lines(
    tmp_path: Path, contribution: CertificateType
) -> None:
    text = csv_text(
        CONTRIBUTION_COLUMNS,
        "",
        contribution_line(month="2025-01"),
        contribution_line(month="2025-02"),
        "",
        "  ,  ,",
        contribution_line(certificate_no="C-000002", month="2025-13"),
    )
    path = tmp_path / "export.CSV"
    path.write_bytes(text.replace("\n", "\r\n").encode("utf-8-sig"))
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")

    rows = list(read_documents(path, contribution))

    assert rows == [
        InputRow(
            3,
            "C-000001",
            {
                "certificate_no": "C-000001",
                "holder_name": "张三",
                "holder_id": ID,
                "pension": completed_pension([record(month="2025-01"), record(month="2025-02")]),
                "period": {"from": "2025-01", "to": "2025-02"},
            },
        ),
        Rejection(
            7,
            "C-000002",
            f"pension.records[0].month: {BAD_MONTH_REASON}; period.from: {BAD_MONTH_REASON}; "
            f"period.to: {BAD_MONTH_REASON}",
        ),
    ]


@pytest.mark.parametrize("suffix", [".jsonl", ".ndjson", ".json"])
def test_read_documents_reads_json_lines_with_a_byte_order_mark_and_blank_lines(
    tmp_path: Path, pension: CertificateType, suffix: str
) -> None:
    document = {
        "certificate_no": "P-000001",
        "holder_name": "王五",
        "holder_id": ID,
        "qualification_period": {"from": "2025-01-01", "to": "2025-12-31"},
        "authentication_method": "home_visit",
        "authenticated_on": "2025-01-02",
        "benefit_type": "urban_rural_resident",
    }
    text = (
        "\n \n"
        + json_line(document)
        + "\t\n\n"
        + json_line({**document, "certificate_no": "P-000002", "benefit_type": "x"})
    )
    path = tmp_path / f"export{suffix}"
    path.write_bytes(text.replace("\n", "\r\n").encode("utf-8-sig"))

    rows = list(read_documents(path, pension))

    assert rows == [
        InputRow(3, "P-000001", document),
        Rejection(
            6,
            "P-000002",
            "benefit_type: must be one of enterprise_employee, public_institution, urban_rural_resident",
        ),
    ]


# ---- JSON Lines ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "number", "reason"),
    [
        pytest.param(
            json_line(contribution_document(holder_id=BAD_ID)),
            "C-000002",
            f"holder_id: {BAD_ID_REASON}",
            id="gb11643",
        ),
        pytest.param(
            json_line(contribution_document(pension={"records": [record(employer_code=BAD_EMPLOYER)]})),
            "C-000002",
            f"pension.records[0].employer_code: {BAD_EMPLOYER_REASON}",
            id="gb32100",
        ),
        pytest.param(
            json_line(contribution_document(pension={"records": [record(), record(month="2025-13")]})),
            "C-000002",
            f"pension.records[1].month: {BAD_MONTH_REASON}; period.to: {BAD_MONTH_REASON}",
            id="bad-month",
        ),
        pytest.param(
            json_line(contribution_document(pension={"records": [record(personal=400.5)]})),
            "C-000002",
            "pension.records[0].personal: must be an integer, got 400.5",
            id="float-amount",
        ),
        pytest.param(
            json_line(contribution_document(pension={"records": [record(base="500000")]})),
            "C-000002",
            'pension.records[0].base: must be an integer, got "500000"',
            id="amount-as-text",
        ),
        pytest.param(
            json_line(contribution_document(pension={"records": [record(personal=True)]})),
            "C-000002",
            "pension.records[0].personal: must be an integer, got true",
            id="boolean-amount",
        ),
        pytest.param(
            json_line({k: v for k, v in contribution_document().items() if k != "holder_name"}),
            "C-000002",
            "missing holder_name",
            id="missing-field",
        ),
        pytest.param(
            json_line(contribution_document(pension={"records": [record(status="late")]})),
            "C-000002",
            "pension.records[0].status: must be one of paid, owed",
            id="unknown-enum",
        ),
        pytest.param(
            json_line(contribution_document(nickname="小张")),
            "C-000002",
            "unknown field nickname",
            id="extra-field",
        ),
        pytest.param(
            json_line(contribution_document(pension={"records": [record(bonus=1)]})),
            "C-000002",
            "pension.records[0]: unknown field bonus",
            id="extra-nested-field",
        ),
        pytest.param(
            json_line({k: v for k, v in contribution_document().items() if k != "pension"}),
            "C-000002",
            "missing period; matches none of the allowed shapes",
            id="no-insurance",
        ),
        pytest.param(
            json_line(contribution_document(pension={"records": [record()], "total_personal": 1})),
            "C-000002",
            "pension.total_personal: is 1 but sum of records.personal gives 40000",
            id="wrong-total",
        ),
        pytest.param(
            json_line(contribution_document(pension={"records": [record(), record(personal=1)]})),
            "C-000002",
            f"pension.records: month 2025-01, employer_code {EMPLOYER_MASKED} appears twice (at [0] and [1])",
            id="repeated-record",
        ),
        pytest.param(
            '{"certificate_no": "C-000002", "holder_name": "张三", "holder_name": "李四"}\n',
            None,
            "not a JSON document: duplicate key 'holder_name'",
            id="duplicate-key",
        ),
        pytest.param('["C-000002"]\n', None, "a line holds one JSON object", id="array"),
        pytest.param('"C-000002"\n', None, "a line holds one JSON object", id="string"),
        pytest.param(
            "C-000002,张三\n",
            None,
            "not a JSON document: not JSON: Expecting value: line 1 column 1 (char 0)",
            id="not-json",
        ),
        pytest.param('{"base": NaN}\n', None, "not a JSON document: NaN is not a JSON number", id="nan"),
    ],
)
def test_json_lines_refuses_a_bad_line_with_its_number_and_reason(
    contribution: CertificateType, line: str, number: str | None, reason: str
) -> None:
    line = line.replace('"C-000001"', '"C-000002"')
    lines = [
        json_line(contribution_document()),
        "\n",
        line,
        json_line(contribution_document(certificate_no="C-000003")),
    ]

    rows = list(read_json_lines(lines, contribution))

    good = {
        "holder_name": "张三",
        "holder_id": ID,
        "pension": completed_pension([record()]),
        "period": {"from": "2025-01", "to": "2025-01"},
    }
    assert rows == [
        InputRow(1, "C-000001", {"certificate_no": "C-000001", **good}),
        Rejection(3, number, reason),
        InputRow(4, "C-000003", {"certificate_no": "C-000003", **good}),
    ]


def test_json_lines_checks_the_employer_code_of_a_work_injury(work_injury: CertificateType) -> None:
    document = {
        "certificate_no": "W-000001",
        "injured_name": "赵六",
        "injured_id": ID,
        "employer": {"code": BAD_EMPLOYER, "name": "威海乙公司"},
        "injury": {"date": "2025-03-04", "place": "二号车间", "description": "搬运时左手受伤"},
        "determination": {"result": "work_injury", "legal_basis": "《工伤保险条例》第十四条第一项"},
    }

    rows = list(read_json_lines([json_line(document)], work_injury))

    assert rows == [Rejection(1, "W-000001", f"employer.code: {BAD_EMPLOYER_REASON}")]


def test_json_lines_accepts_totals_that_match_and_keeps_them(contribution: CertificateType) -> None:
    document = contribution_document(
        pension=completed_pension([record(), record(month="2025-02", status="owed")]),
        period={"from": "2025-01", "to": "2025-02"},
    )

    rows = list(read_json_lines([json_line(document)], contribution))

    assert rows == [InputRow(1, "C-000001", document)]


def test_json_lines_accepts_an_amount_written_with_a_zero_fraction(contribution: CertificateType) -> None:
    # 400.0 and 400 are the same JSON number (the schema and RFC 8785 agree); the totals are integers.
    document = contribution_document(pension={"records": [record(personal=400.0), record(month="2025-02")]})

    rows = list(read_json_lines([json_line(document)], contribution))

    assert len(rows) == 1 and isinstance(rows[0], InputRow)
    pension_claim = rows[0].claims["pension"]
    assert (pension_claim["total_personal"], type(pension_claim["total_personal"])) == (40400, int)


def test_json_lines_skips_blank_lines_and_keeps_file_line_numbers(pension: CertificateType) -> None:
    document = {
        "certificate_no": "P-000001",
        "holder_name": "王五",
        "holder_id": ID,
        "qualification_period": {"from": "2025-01-01", "to": "2025-12-31"},
        "authentication_method": "face_recognition",
        "authenticated_on": "2025-01-02",
        "benefit_type": "public_institution",
    }
    text = (
        "\n\n"
        + json_line(document)
        + "   \n\r\n"
        + json_line({**document, "certificate_no": "P-000002"})
        + "\n"
    )

    rows = list(read_json_lines(io.StringIO(text), pension))

    assert rows == [
        InputRow(3, "P-000001", document),
        InputRow(6, "P-000002", {**document, "certificate_no": "P-000002"}),
    ]


def test_json_lines_refuses_a_line_over_the_size_limit(pension: CertificateType) -> None:
    huge = json_line({"certificate_no": "P-000001", "holder_name": "王" * 1_000_000})

    rows = list(read_json_lines(["\n", huge], pension))

    assert rows == [Rejection(2, None, "the line is longer than 1000000 bytes")]


def test_a_new_departments_type_refuses_repeated_keys_from_its_schema_file_alone(
    tmp_path: Path, project_root: Path
) -> None:
    schema = json.loads(
        (project_root / "tests" / "fixtures" / "minimum-living-allowance.v1.json").read_text(encoding="utf-8")
    )
    schema["properties"]["household"] = {
        "title": "家庭成员",
        "type": "array",
        "x-unique-keys": ["member_id"],
        "items": {
            "type": "object",
            "additionalProperties": False,
            "required": ["member_id", "relation"],
            "properties": {
                "member_id": {"type": "string", "format": "gb11643"},
                "relation": {"enum": ["spouse", "child", "parent"]},
            },
        },
    }
    (tmp_path / "types").mkdir()
    (tmp_path / "types" / "minimum-living-allowance.v1.json").write_text(json.dumps(schema), encoding="utf-8")
    allowance = TypeCatalog.load(tmp_path / "types").find("minimum-living-allowance")
    document: dict[str, Any] = {
        "certificate_no": "MZ-2025-000001",
        "applicant_name": "张三",
        "applicant_id": ID,
        "household_size": 2,
        "monthly_allowance": 80000,
        "approved_on": "2025-02-28",
        "household": [{"member_id": ID, "relation": "spouse"}, {"member_id": ID, "relation": "child"}],
    }
    fine = {**document, "certificate_no": "MZ-2025-000002", "household": document["household"][:1]}
    path = tmp_path / "allowances.jsonl"
    path.write_text(json_line(document) + json_line(fine), encoding="utf-8")

    rows = list(read_documents(path, allowance))

    assert rows == [
        Rejection(
            1,
            "MZ-2025-000001",
            "household: member_id 110*************2X appears twice (at [0] and [1])",
        ),
        InputRow(2, "MZ-2025-000002", fine),
    ]


# ---- derivations --------------------------------------------------------------------------


def test_derivations_fill_in_totals_months_and_the_period_across_insurances(
    contribution: CertificateType,
) -> None:
    claims: dict[str, Any] = {
        "certificate_no": "C-000001",
        "pension": {
            "records": [
                record(month="2024-03", personal=100, employer=200),
                record(month="2024-04", personal=110, employer=220, status="owed"),
                record(month="2024-05", personal=120, employer=240, status="owed"),
            ]
        },
        "medical": {"records": [record(month="2023-12", personal=7, employer=9)]},
        "unemployment": {"records": [record(month="2025-06", personal=1, employer=2)]},
    }

    problems = apply_derivations(claims, contribution.derive)

    assert problems == []
    assert {
        name: {k: v for k, v in claims[name].items() if k != "records"}
        for name in ("pension", "medical", "unemployment")
    } == {
        "pension": {"months_paid": 1, "months_owed": 2, "total_personal": 330, "total_employer": 660},
        "medical": {"months_paid": 1, "months_owed": 0, "total_personal": 7, "total_employer": 9},
        "unemployment": {"months_paid": 1, "months_owed": 0, "total_personal": 1, "total_employer": 2},
    }
    assert claims["period"] == {"from": "2023-12", "to": "2025-06"}


def test_derivations_report_every_supplied_value_that_differs(contribution: CertificateType) -> None:
    claims: dict[str, Any] = {
        "pension": {
            "records": [record(personal=100), record(month="2025-02", personal=50, status="owed")],
            "months_paid": 1,
            "months_owed": 2,
            "total_personal": 151,
            "total_employer": 160000,
        },
        "period": {"from": "2025-01", "to": "2025-03"},
    }

    problems = apply_derivations(claims, contribution.derive)

    assert problems == [
        FieldProblem("pension.months_owed", "is 2 but count of records gives 1"),
        FieldProblem("pension.total_personal", "is 151 but sum of records.personal gives 150"),
        FieldProblem("period.to", "is '2025-03' but max of *.records.month gives '2025-02'"),
    ]


def test_derivations_leave_values_they_cannot_compute_to_the_schema_check(
    contribution: CertificateType,
) -> None:
    claims: dict[str, Any] = {
        "pension": {"records": [record(personal="40000"), record(month=202502)]},
    }

    problems = apply_derivations(claims, contribution.derive)

    # No sum over a text amount, no min or max over a month that is a number: the schema names them.
    assert problems == []
    assert claims["pension"] == {
        "records": claims["pension"]["records"],
        "months_paid": 2,
        "months_owed": 0,
        "total_employer": 160000,
    }
    assert "period" not in claims


def test_derivations_refuse_a_target_inside_a_value_that_is_not_an_object(
    contribution: CertificateType,
) -> None:
    claims: dict[str, Any] = {"pension": {"records": [record()]}, "period": "2025-01/2025-01"}

    assert apply_derivations(claims, contribution.derive) == [
        FieldProblem("period.from", "must be an object"),
        FieldProblem("period.to", "must be an object"),
    ]


def test_derivations_count_zero_when_no_record_matches() -> None:
    rules: list[dict[str, Any]] = [
        {"path": "*.late", "count": "items", "where": {"state": "late"}},
        {"path": "*.total", "sum": "items.amount"},
        {"path": "last", "max": "*.items.day"},
    ]
    claims: dict[str, Any] = {
        "a": {"items": [{"state": "on_time", "amount": 3, "day": "2025-01-02"}]},
        "b": {"other": 1},
    }

    assert apply_derivations(claims, rules) == []
    assert claims == {
        "a": {"items": [{"state": "on_time", "amount": 3, "day": "2025-01-02"}], "late": 0, "total": 3},
        "b": {"other": 1},
        "last": "2025-01-02",
    }


# ---- type names ---------------------------------------------------------------------------


@pytest.mark.parametrize("reference", ["diploma", "pension-qualification/v9", "99"])
def test_an_unknown_type_name_lists_the_known_types(catalog: TypeCatalog, reference: str) -> None:
    with pytest.raises(CertificateTypeError) as raised:
        catalog.find(reference)

    assert str(raised.value) == (
        f"unknown certificate type {reference!r}; known types: "
        "contribution-certificate, pension-qualification, work-injury-determination"
    )


@pytest.mark.parametrize("reference", ["pension-qualification", "pension-qualification/v1", "2", 2])
def test_a_type_is_found_by_name_version_or_id(catalog: TypeCatalog, reference: str | int) -> None:
    assert catalog.find(reference).key == "pension-qualification/v1"


def test_an_integer_too_large_for_json_numbers_is_refused_on_its_line(pension: CertificateType) -> None:
    lines = ['{"certificate_no": "ZG000001", "holder_name": "x", "household": 9007199254740992}']
    (rejection,) = list(read_json_lines(lines, pension))
    assert rejection == Rejection(
        1,
        None,
        "not a JSON document: the integer 9007199254740992 is larger than 2^53-1, "
        "the most JSON numbers can carry exactly",
    )


def test_an_overlong_line_is_never_held_whole() -> None:
    """A line of megabytes is read in pieces: what the readers get is cut just past the limit (at a
    character boundary, so it still decodes), and the line after it comes whole."""
    huge = "名".encode() * (MAX_LINE_BYTES + 5) + b"\n"  # 3 MB in one line
    source = io.BytesIO(b'{"a": 1}\n' + huge + b'{"b": 2}\n')
    lines = list(bounded_lines(source))
    assert len(lines) == 3
    assert MAX_LINE_BYTES < len(lines[1]) <= MAX_LINE_BYTES + 5
    assert set(lines[1].decode("utf-8").rstrip("\n")) == {"名"}  # whole characters only
    assert (lines[0], lines[2]) == (b'{"a": 1}\n', b'{"b": 2}\n')


def test_an_overlong_json_line_is_refused_by_its_line_and_the_next_read(
    tmp_path: Path, pension: CertificateType
) -> None:
    path = tmp_path / "export.jsonl"
    path.write_text(
        '{"x": "' + "y" * (2 * MAX_LINE_BYTES) + '"}\n{"certificate_no": "P1"}\n', encoding="utf-8"
    )
    rows = list(read_documents(path, pension))
    assert isinstance(rows[0], Rejection)
    assert (rows[0].line, rows[0].reason) == (1, f"the line is longer than {MAX_LINE_BYTES} bytes")
    assert [row.line for row in rows] == [1, 2]
