"""The demo data generator: valid identifiers, reproducible output, schema-conforming documents, CSV."""

from __future__ import annotations

import csv
import json
import random
import re
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from ledger._identifiers import (
    credit_code_problem,
    date_problem,
    identity_number_problem,
    year_month_problem,
)
from scripts import demo_data
from scripts.demo_data import (
    CONTRIBUTION_CSV_HEADER,
    RATES,
    certificate_numbers,
    chinese_name,
    claims_for,
    company_name,
    contribution_claims,
    credit_code,
    generate,
    identity_number,
    pension_claims,
    work_injury_claims,
    write_contribution_csv,
    write_flat_csv,
    write_jsonl,
)

SCHEMAS = Path(__file__).resolve().parents[2] / "schemas"
TYPES = ("contribution-certificate", "pension-qualification", "work-injury-determination")
NUMBER = re.compile(r"^[A-Z0-9][A-Z0-9-]{5,39}$")
FORMATS: dict[str, Callable[[str], str | None]] = {
    "gb11643": identity_number_problem,
    "gb32100": credit_code_problem,
    "year-month": year_month_problem,
    "date": date_problem,
}
DERIVED = {"months_paid", "months_owed", "total_personal", "total_employer"}


def _schema(type_name: str) -> dict[str, Any]:
    for path in SCHEMAS.glob("*.json"):
        schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        if schema["x-certledger"]["name"] == type_name:
            return schema
    raise AssertionError(f"no schema named {type_name}")


def _validator(type_name: str) -> Any:
    formats = {name: (lambda value, check=check: check(value) is None) for name, check in FORMATS.items()}
    return jsonschema_rs.validator_for(_schema(type_name), formats=formats, validate_formats=True)


def _with_derived(claims: Mapping[str, Any]) -> dict[str, Any]:
    """The contribution claims as the importer completes them: period and per-insurance totals."""
    document: dict[str, Any] = json.loads(json.dumps(claims))
    months: list[str] = []
    for insurance in RATES:
        if insurance not in document:
            continue
        records = document[insurance]["records"]
        months.extend(record["month"] for record in records)
        document[insurance] |= {
            "months_paid": sum(record["status"] == "paid" for record in records),
            "months_owed": sum(record["status"] == "owed" for record in records),
            "total_personal": sum(record["personal"] for record in records),
            "total_employer": sum(record["employer"] for record in records),
        }
    document["period"] = {"from": min(months), "to": max(months)}
    return document


def _errors(validator: Any, document: Any) -> list[str]:
    return [f"{list(error.instance_path)}: {error.message}" for error in validator.iter_errors(document)]


# --- identifiers and names -----------------------------------------------------------------------


def test_identity_numbers_are_valid_and_tell_birth_date_and_sex() -> None:
    rng = random.Random(1)
    for index in range(3_000):
        sex = ("male", "female", None)[index % 3]
        number = identity_number(rng, region="371082", sex=sex)
        assert identity_number_problem(number) is None, number
        assert number.startswith("371082")
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        assert 20 <= 2026 - born.year <= 65
        assert number[14:17] != "000"
        if sex is not None:
            assert (int(number[16]) % 2 == 1) == (sex == "male")


def test_identity_number_takes_the_birth_date_given() -> None:
    number = identity_number(random.Random(2), born=date(1958, 2, 28), sex="female")
    assert identity_number_problem(number) is None
    assert number[:14] == "37100219580228" and int(number[16]) % 2 == 0
    with pytest.raises(ValueError, match="sex"):
        identity_number(random.Random(2), sex="unknown")
    with pytest.raises(ValueError, match="region"):
        identity_number(random.Random(2), region="3710")


def test_credit_codes_are_valid() -> None:
    rng = random.Random(3)
    for _ in range(3_000):
        code = credit_code(rng)
        assert credit_code_problem(code) is None, code
        assert code.startswith("91371000")
    assert credit_code(rng, region="371082").startswith("91371082")


def test_every_identifier_in_generated_documents_is_valid() -> None:
    for type_name in TYPES:
        for document in generate(type_name, 1_000, seed=11):
            holder = document.get("holder_id") or document["injured_id"]
            assert identity_number_problem(holder) is None, holder
            codes = [document["employer"]["code"]] if "employer" in document else []
            codes += [record["employer_code"] for record in document.get("pension", {}).get("records", [])]
            for code in codes:
                assert credit_code_problem(code) is None, code


def test_names_look_like_names() -> None:
    rng = random.Random(4)
    han = re.compile(r"^[\u4e00-\u9fff]+$")
    names = [chinese_name(rng) for _ in range(2_000)]
    assert all(2 <= len(name) <= 3 and han.match(name) for name in names)
    assert {len(name) for name in names} == {2, 3}
    assert len(set(names)) > 1_000
    companies = [company_name(rng) for _ in range(200)]
    assert all(han.match(name) and name.endswith("公司") and len(name) <= 100 for name in companies)


# --- reproducibility and numbering -----------------------------------------------------------------


@pytest.mark.parametrize("type_name", TYPES)
def test_same_seed_same_documents_other_seed_other_documents(type_name: str) -> None:
    first = list(generate(type_name, 200, seed=5))
    assert list(generate(type_name, 200, seed=5)) == first
    other = list(generate(type_name, 200, seed=6))
    assert other != first
    assert {d["certificate_no"] for d in other} != {d["certificate_no"] for d in first}


@pytest.mark.parametrize("type_name", TYPES)
def test_certificate_numbers_are_unique_and_match_the_schema(type_name: str) -> None:
    documents = list(generate(type_name, 5_000, seed=7))
    numbers = [document["certificate_no"] for document in documents]
    assert len(set(numbers)) == len(numbers) == 5_000
    assert all(NUMBER.match(number) for number in numbers)
    prefix = {"contribution-certificate": "JF", "pension-qualification": "ZG"}.get(type_name, "GS")
    assert all(number.startswith(prefix + "3710002025") and len(number) == 18 for number in numbers)


def test_certificate_numbers_wrap_around_without_repeating_and_take_a_prefix() -> None:
    numbers = certificate_numbers("pension-qualification", 999_999, seed=19, prefix="T-")
    assert numbers[0] != "T-000001"  # the seed chooses where the serials start
    assert len(set(numbers)) == len(numbers)
    assert all(len(number) == 8 and number != "T-000000" for number in numbers)
    assert len(certificate_numbers("pension-qualification", 1_000_000, prefix="T-")[0]) == 9
    assert [d["certificate_no"][:3] for d in generate("work-injury-determination", 3, prefix="X9-")] == [
        "X9-"
    ] * 3
    with pytest.raises(ValueError, match="prefix"):
        certificate_numbers("pension-qualification", 3, prefix="lower")
    assert certificate_numbers("pension-qualification", 3, prefix="A" * 34)[0].startswith("A" * 34)
    with pytest.raises(ValueError, match="40 characters"):
        certificate_numbers("pension-qualification", 3, prefix="A" * 35)


def test_unknown_types_are_refused_and_known_ones_are_the_schema_names() -> None:
    names = {
        json.loads(path.read_text(encoding="utf-8"))["x-certledger"]["name"]
        for path in SCHEMAS.glob("*.json")
    }
    assert set(demo_data.GENERATORS) == names
    assert (
        claims_for("pension-qualification/v1", random.Random(1), number="ZG0000001")["certificate_no"]
        == "ZG0000001"
    )
    with pytest.raises(ValueError, match="known types"):
        claims_for("birth-certificate", random.Random(1), number="X000001")
    with pytest.raises(ValueError, match="known types"):
        generate("pension-qualification/v2", 1)  # at once, before a file is opened for the documents
    with pytest.raises(ValueError, match="negative"):
        generate("pension-qualification", -1)


# --- the documents conform to their schemas ------------------------------------------------------


def test_contribution_documents_conform_once_derived_fields_are_added() -> None:
    validator = _validator("contribution-certificate")
    for document in generate("contribution-certificate", 2_000, seed=8):
        assert "period" not in document
        assert not DERIVED & set(document["pension"])
        completed = _with_derived(document)
        assert validator.is_valid(completed), _errors(validator, completed)


def test_contribution_claims_with_several_insurances_and_periods_conform() -> None:
    validator = _validator("contribution-certificate")
    rng = random.Random(9)
    for index in range(300):
        insurances = tuple(rng.sample(tuple(RATES), rng.randint(1, 5)))
        months = (1, 2, 12, 36, 600)[index % 5]
        claims = contribution_claims(
            rng, number=f"JF{index:08d}", months=months, insurances=insurances, start="2019-11"
        )
        assert [key for key in claims if key in RATES] == list(insurances)
        completed = _with_derived(claims)
        assert validator.is_valid(completed), _errors(validator, completed)


@pytest.mark.parametrize(
    ("type_name", "make"),
    [("pension-qualification", pension_claims), ("work-injury-determination", work_injury_claims)],
)
def test_flat_documents_conform(type_name: str, make: Callable[..., dict[str, Any]]) -> None:
    validator = _validator(type_name)
    schema = _schema(type_name)
    documents = list(generate(type_name, 2_000, seed=10))
    documents.append(make(random.Random(1), number="AB1234567"))
    for document in documents:
        assert validator.is_valid(document), _errors(validator, document)
        assert list(document) == list(schema["properties"])


# --- the values are realistic --------------------------------------------------------------------


def test_contribution_records_are_consecutive_months_with_correct_shares() -> None:
    rng = random.Random(12)
    claims = contribution_claims(rng, number="JF0000001", months=14, insurances=tuple(RATES), start="2024-12")
    expected = ["2024-12", *(f"2025-{m:02d}" for m in range(1, 13)), "2026-01"]
    for insurance, (personal, employer) in RATES.items():
        records = claims[insurance]["records"]
        assert [record["month"] for record in records] == expected
        for record in records:
            assert 350_000 <= record["base"] <= 3_000_000
            assert record["personal"] == round(record["base"] * personal / 10_000)
            assert record["employer"] == round(record["base"] * employer / 10_000)
    assert claims["pension"]["records"][0]["personal"] == claims["pension"]["records"][0]["base"] * 8 // 100
    # One person, one timeline: every insurance has the same employer, base and status per month.
    keep = ("month", "employer_code", "employer_name", "base", "status")
    timelines = {
        insurance: [tuple(record[key] for key in keep) for record in claims[insurance]["records"]]
        for insurance in RATES
    }
    assert len({tuple(timeline) for timeline in timelines.values()}) == 1
    with pytest.raises(ValueError, match="insurances"):
        contribution_claims(rng, number="JF0000002", insurances=("pension", "dental"))
    with pytest.raises(ValueError, match="months"):
        contribution_claims(rng, number="JF0000002", months=601)
    with pytest.raises(ValueError, match="YYYY-MM"):
        contribution_claims(rng, number="JF0000002", start="2025-13")


def test_contribution_statuses_bases_and_employers_look_like_a_city() -> None:
    documents = list(generate("contribution-certificate", 5_000, seed=13))
    records = [document["pension"]["records"] for document in documents]
    statuses = Counter(record["status"] for person in records for record in person)
    assert 0.02 < statuses["owed"] / statuses.total() < 0.04
    changed = sum(len({record["employer_code"] for record in person}) > 1 for person in records)
    assert 0.03 < changed / len(records) < 0.15
    stable = sum(len({record["base"] for record in person}) == 1 for person in records)
    assert stable / len(records) > 0.5
    employers = Counter(record["employer_code"] for person in records for record in person)
    assert 500 < len(employers) < len(records)
    names = {record["employer_code"]: record["employer_name"] for person in records for record in person}
    assert all(
        code[2:8] in {"371002", "371003", "371082", "371083", "371071", "371072", "371073"} for code in names
    )
    bases = sorted(person[0]["base"] for person in records)
    assert 500_000 < bases[len(bases) // 2] < 800_000


def test_pension_and_work_injury_values_are_plausible() -> None:
    pensions = list(generate("pension-qualification", 2_000, seed=14))
    for document in pensions:
        authenticated = date.fromisoformat(document["authenticated_on"])
        period = document["qualification_period"]
        assert period["from"] == document["authenticated_on"] and authenticated.year == 2025
        ends = date.fromisoformat(period["to"])
        assert (ends - authenticated).days in (364, 365) and (ends.month, ends.day) != (
            authenticated.month,
            authenticated.day,
        )
        assert 2025 - int(document["holder_id"][6:10]) >= 50
    assert len({d["authentication_method"] for d in pensions}) == 4
    assert len({d["benefit_type"] for d in pensions}) == 3
    injuries = list(generate("work-injury-determination", 2_000, seed=15))
    results = Counter(document["determination"]["result"] for document in injuries)
    assert set(results) == {"work_injury", "deemed_work_injury", "not_work_injury"}
    assert results["work_injury"] > results["not_work_injury"] > results["deemed_work_injury"]
    for document in injuries:
        injury = document["injury"]
        assert date(2025, 1, 1) <= date.fromisoformat(injury["date"]) <= date(2026, 12, 31)
        assert document["injured_name"] in injury["description"]
        assert injury["place"] in injury["description"]
        day = date.fromisoformat(injury["date"])
        assert f"{day.year}年{day.month}月{day.day}日" in injury["description"]
        assert document["determination"]["legal_basis"].startswith("《工伤保险条例》第十")


# --- files ---------------------------------------------------------------------------------------


def test_jsonl_holds_one_document_per_line_in_plain_utf8(tmp_path: Path) -> None:
    documents = list(generate("work-injury-determination", 50, seed=16))
    path = tmp_path / "injuries.jsonl"
    write_jsonl(path, documents)
    data = path.read_bytes()
    assert b"\r" not in data and "工伤保险条例".encode() in data
    lines = data.decode("utf-8").splitlines()
    assert [json.loads(line) for line in lines] == documents


def test_contribution_csv_round_trips(tmp_path: Path) -> None:
    rng = random.Random(17)
    documents = [
        contribution_claims(
            rng, number=f"JF{index:08d}", months=3 + index % 4, insurances=("pension", "medical")
        )
        for index in range(30)
    ]
    documents += list(generate("contribution-certificate", 30, seed=17))
    path = tmp_path / "contributions.csv"
    write_contribution_csv(path, documents)
    data = path.read_bytes()
    assert b"\r" not in data
    assert data.decode("utf-8").splitlines()[0] == ",".join(CONTRIBUTION_CSV_HEADER)
    with path.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    expected = [
        {
            "certificate_no": document["certificate_no"],
            "holder_name": document["holder_name"],
            "holder_id": document["holder_id"],
            "insurance": insurance,
            **{key: str(value) for key, value in record.items()},
        }
        for document in documents
        for insurance in RATES
        if insurance in document
        for record in document[insurance]["records"]
    ]
    assert rows == expected
    # The lines of one certificate are consecutive.
    order = [row["certificate_no"] for row in rows]
    runs = [number for index, number in enumerate(order) if index == 0 or order[index - 1] != number]
    assert runs == [document["certificate_no"] for document in documents]


@pytest.mark.parametrize(
    ("type_name", "columns"),
    [
        (
            "pension-qualification",
            "certificate_no,holder_name,holder_id,qualification_period.from,qualification_period.to,"
            "authentication_method,authenticated_on,benefit_type",
        ),
        (
            "work-injury-determination",
            "certificate_no,injured_name,injured_id,employer.code,employer.name,injury.date,injury.place,"
            "injury.description,determination.result,determination.legal_basis",
        ),
    ],
)
def test_flat_csv_round_trips_in_schema_order(tmp_path: Path, type_name: str, columns: str) -> None:
    documents = list(generate(type_name, 200, seed=18))
    path = tmp_path / "flat.csv"
    # Key order in the input does not matter: the columns follow the schema.
    write_flat_csv(path, [dict(sorted(document.items())) for document in documents])
    data = path.read_bytes()
    assert b"\r" not in data
    assert data.decode("utf-8").splitlines()[0] == columns
    with path.open(encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == len(documents)
    for row, document in zip(rows, documents, strict=True):
        for column, value in row.items():
            node: Any = document
            for key in column.split("."):
                node = node[key]
            assert value == str(node)


def test_flat_csv_refuses_lists(tmp_path: Path) -> None:
    document = next(generate("contribution-certificate", 1))
    with pytest.raises(ValueError, match="list"):
        write_flat_csv(tmp_path / "x.csv", [document])


@pytest.mark.parametrize(
    ("type_name", "file_name", "extra"),
    [
        ("contribution-certificate", "c.csv", []),
        ("contribution-certificate", "c.jsonl", []),
        ("pension-qualification", "p.txt", ["--format", "csv"]),
        ("work-injury-determination", "w.jsonl", ["--seed", "3"]),
    ],
)
def test_command_writes_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], type_name: str, file_name: str, extra: list[str]
) -> None:
    out = tmp_path / file_name
    assert demo_data.main([type_name, "5", str(out), *extra]) == 0
    assert "wrote 5" in capsys.readouterr().out
    text = out.read_text(encoding="utf-8")
    seed = int(extra[1]) if extra[:1] == ["--seed"] else 2026
    first = next(generate(type_name, 5, seed=seed))
    assert first["certificate_no"] in text
    if file_name.endswith(".jsonl"):
        assert json.loads(text.splitlines()[0]) == first
    else:
        assert text.startswith("certificate_no,")


def test_command_refuses_bad_arguments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        demo_data.main(["birth-certificate", "5", str(tmp_path / "x.jsonl")])
    with pytest.raises(SystemExit):
        demo_data.main(["pension-qualification", "-1", str(tmp_path / "x.jsonl")])
    with pytest.raises(SystemExit):
        demo_data.main(["pension-qualification", "1", str(tmp_path / "x.jsonl"), "--prefix", "bad prefix"])
    assert "error" in capsys.readouterr().err
