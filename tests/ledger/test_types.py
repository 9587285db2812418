"""Certificate types: the catalog, the checks on schema files, and the plain-words problems."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import (
    BUILTIN_SCHEMAS,
    CertificateType,
    CertificateTypeError,
    FieldProblem,
    LedgerError,
    RepeatedKey,
    TypeCatalog,
    certificate_type,
    credit_code_problem,
    load_type,
    mask,
    year_month_problem,
)

KNOWN = "known types: contribution-certificate, pension-qualification, work-injury-determination"

# A civil-affairs type a city might add without touching code.
ALLOWANCE: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "urn:certledger:schema:minimum-living-allowance:1",
    "title": "最低生活保障证明",
    "x-certledger": {
        "typeId": 101,
        "name": "minimum-living-allowance",
        "version": 1,
        "title": {"zh-CN": "最低生活保障证明", "en": "Minimum living allowance certificate"},
        "numberField": "certificate_no",
        "holderIdField": "holder_id",
        "holderNameField": "holder_name",
        "validityDays": 180,
    },
    "type": "object",
    "additionalProperties": False,
    "required": ["certificate_no", "holder_id", "holder_name", "monthly_amount", "granted_on"],
    "properties": {
        "certificate_no": {"title": "证明编号", "type": "string"},
        "holder_id": {"title": "公民身份号码", "type": "string", "format": "gb11643"},
        "holder_name": {"title": "姓名", "type": "string"},
        "monthly_amount": {"title": "月保障金额（分）", "$ref": "#/$defs/amount"},
        "granted_on": {"title": "核准日期", "type": "string", "format": "date"},
        "household": {"type": "array", "items": {"$ref": "#/$defs/member"}},
    },
    "$defs": {
        "amount": {"$ref": "#/$defs/fen"},
        "fen": {"type": "integer", "minimum": 0},
        "member": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "relation": {"enum": ["spouse", "child", "parent"]},
                "income": {"$ref": "#/$defs/fen"},
            },
        },
    },
}

GOOD_CLAIMS: dict[str, Any] = {
    "certificate_no": "SC-2025-000001",
    "holder_name": "张三",
    "holder_id": "11010519491231002X",
    "period": {"from": "2025-01", "to": "2025-02"},
    "pension": {
        "records": [
            {
                "month": month,
                "employer_code": "91350100M000100Y43",
                "employer_name": "威海某某有限公司",
                "base": 800000,
                "personal": 64000,
                "employer": 128000,
                "status": "paid",
            }
            for month in ("2025-01", "2025-02")
        ],
        "months_paid": 2,
        "months_owed": 0,
        "total_personal": 128000,
        "total_employer": 256000,
    },
}


def schema(**meta: Any) -> dict[str, Any]:
    """The allowance schema with some x-certledger entries replaced (None removes one)."""
    document = copy.deepcopy(ALLOWANCE)
    for key, value in meta.items():
        if value is None:
            del document["x-certledger"][key]
        else:
            document["x-certledger"][key] = value
    return document


def write(directory: Path, name: str, document: Any) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def catalog() -> TypeCatalog:
    return TypeCatalog.load()


@pytest.fixture(scope="module")
def contribution(catalog: TypeCatalog) -> CertificateType:
    return catalog.find("contribution-certificate")


def test_the_builtin_types(catalog: TypeCatalog, project_root: Path) -> None:
    assert project_root / "schemas" == BUILTIN_SCHEMAS
    assert [(t.type_id, t.name, t.version) for t in catalog] == [
        (1, "contribution-certificate", 1),
        (2, "pension-qualification", 1),
        (3, "work-injury-determination", 1),
    ]
    assert [t.key for t in catalog] == [
        "contribution-certificate/v1",
        "pension-qualification/v1",
        "work-injury-determination/v1",
    ]
    assert [t.source for t in catalog] == [
        BUILTIN_SCHEMAS / "contribution-certificate.v1.json",
        BUILTIN_SCHEMAS / "pension-qualification.v1.json",
        BUILTIN_SCHEMAS / "work-injury-determination.v1.json",
    ]
    assert [t.holder_name_field for t in catalog] == ["holder_name", "holder_name", "injured_name"]
    assert [t.validity_days for t in catalog] == [90, 365, None]


def test_the_contribution_type(contribution: CertificateType) -> None:
    assert contribution.fields == (
        "certificate_no",
        "holder_id",
        "holder_name",
        "maternity",
        "medical",
        "pension",
        "period",
        "unemployment",
        "work_injury",
    )
    assert contribution.number_field == "certificate_no"
    assert contribution.holder_id_field == "holder_id"
    assert contribution.title == {"zh-CN": "参保缴费证明", "en": "Social insurance contribution certificate"}
    assert contribution.csv is not None and contribution.csv["groupBy"] == "certificate_no"
    assert contribution.derive[0] == {
        "path": "*.months_paid",
        "count": "records",
        "where": {"status": "paid"},
    }
    assert contribution.field_title("holder_id") == "公民身份号码"
    assert contribution.field_title("holder_id", "en") == "holder_id"
    assert contribution.field_title("no_such_field") == "no_such_field"


@pytest.mark.parametrize(
    "reference", [1, "1", "contribution-certificate", "contribution-certificate/v1", "1/v1"]
)
def test_find_by_id_name_and_version(catalog: TypeCatalog, reference: str | int) -> None:
    assert catalog.find(reference) is catalog.get(1, 1)


@pytest.mark.parametrize(
    ("reference", "shown"),
    [
        ("contribution-certificate/v2", "'contribution-certificate/v2'"),
        ("minimum-living-allowance", "'minimum-living-allowance'"),
        (4, "'4'"),
        ("", "''"),
        ("Contribution-Certificate", "'Contribution-Certificate'"),
    ],
)
def test_an_unknown_type_lists_the_known_names(
    catalog: TypeCatalog, reference: str | int, shown: str
) -> None:
    with pytest.raises(CertificateTypeError) as raised:
        catalog.find(reference)
    assert str(raised.value) == f"unknown certificate type {shown}; {KNOWN}"


def test_get_an_unknown_version(catalog: TypeCatalog) -> None:
    with pytest.raises(CertificateTypeError) as raised:
        catalog.get(1, 2)
    assert str(raised.value) == "unknown certificate type 1 version 2"


def test_the_error_is_a_ledger_value_error() -> None:
    assert issubclass(CertificateTypeError, LedgerError)
    assert issubclass(CertificateTypeError, ValueError)


def test_a_new_type_is_a_new_file(tmp_path: Path) -> None:
    path = write(tmp_path / "civil", "minimum-living-allowance.v1.json", ALLOWANCE)
    (tmp_path / "civil" / "README.md").write_text("not a schema", encoding="utf-8")
    catalog = TypeCatalog.load(tmp_path / "civil", tmp_path / "missing")
    assert [t.type_id for t in catalog] == [1, 2, 3, 101]
    allowance = catalog.find("minimum-living-allowance")
    assert allowance is catalog.find(101) is catalog.get(101, 1)
    assert allowance.source == path
    assert allowance.key == "minimum-living-allowance/v1"
    assert allowance.title == {"zh-CN": "最低生活保障证明", "en": "Minimum living allowance certificate"}
    assert allowance.validity_days == 180
    assert allowance.csv is None and allowance.derive == ()
    claims = {
        "certificate_no": "MZ-2025-1",
        "holder_id": "11010519491231002X",
        "holder_name": "张三",
        "monthly_amount": 80000,
        "granted_on": "2025-02-28",
    }
    assert allowance.problems(claims) == []
    problems = allowance.problems({**claims, "monthly_amount": -1, "granted_on": "2025-02-30"})
    assert sorted(str(problem) for problem in problems) == [
        "granted_on: a date is written YYYY-MM-DD and must exist (2025-02-30)",
        "monthly_amount: -1 is less than the minimum of 0",
    ]


def test_a_new_version_becomes_the_latest(tmp_path: Path) -> None:
    newer = json.loads((BUILTIN_SCHEMAS / "contribution-certificate.v1.json").read_text(encoding="utf-8"))
    newer["x-certledger"]["version"] = 2
    write(tmp_path, "contribution-certificate.v2.json", newer)
    catalog = TypeCatalog.load(tmp_path)
    assert catalog.find("contribution-certificate").key == "contribution-certificate/v2"
    assert catalog.find(1).version == 2
    assert catalog.find("contribution-certificate/v1") is catalog.get(1, 1)
    assert [t.key for t in catalog][:2] == ["contribution-certificate/v1", "contribution-certificate/v2"]


def test_the_same_file_twice_is_one_type(tmp_path: Path) -> None:
    copied = tmp_path / "contribution-certificate.v1.json"
    copied.write_bytes((BUILTIN_SCHEMAS / "contribution-certificate.v1.json").read_bytes())
    assert [t.key for t in TypeCatalog.load(tmp_path, BUILTIN_SCHEMAS)] == [t.key for t in TypeCatalog.load()]


def test_two_files_for_one_type_version_clash(tmp_path: Path) -> None:
    clash = schema(typeId=1, name="contribution-certificate")
    path = write(tmp_path, "mine.json", clash)
    with pytest.raises(CertificateTypeError) as raised:
        TypeCatalog.load(tmp_path)
    builtin = BUILTIN_SCHEMAS / "contribution-certificate.v1.json"
    assert str(raised.value) == f"{path} and {builtin} both define type 1 version 1"


def test_a_name_clash(tmp_path: Path) -> None:
    path = write(tmp_path, "mine.json", schema(name="pension-qualification"))
    with pytest.raises(CertificateTypeError) as raised:
        TypeCatalog.load(tmp_path)
    assert str(raised.value) == f"{path}: the name pension-qualification already belongs to type 2"


def test_a_type_id_clash(tmp_path: Path) -> None:
    path = write(tmp_path, "mine.json", schema(typeId=3, version=2))
    with pytest.raises(CertificateTypeError) as raised:
        TypeCatalog.load(tmp_path)
    assert str(raised.value) == f"{path}: type id 3 already belongs to another name"


def test_clashes_between_added_files(tmp_path: Path) -> None:
    write(tmp_path / "one", "a.json", ALLOWANCE)
    second = write(tmp_path / "one", "b.json", schema(name="housing-subsidy"))
    with pytest.raises(CertificateTypeError) as raised:
        TypeCatalog.load(tmp_path / "one")
    assert str(raised.value) == f"{second} and {tmp_path / 'one' / 'a.json'} both define type 101 version 1"

    write(tmp_path / "two", "a.json", ALLOWANCE)
    write(tmp_path / "three", "b.json", schema(typeId=102))
    with pytest.raises(CertificateTypeError) as raised:
        TypeCatalog.load(tmp_path / "two", tmp_path / "three")
    assert (
        str(raised.value)
        == f"{tmp_path / 'three' / 'b.json'}: the name minimum-living-allowance already belongs to type 101"
    )


def test_a_broken_file_stops_the_catalog(tmp_path: Path) -> None:
    path = write(tmp_path, "broken.json", schema(name=None))
    with pytest.raises(CertificateTypeError) as raised:
        TypeCatalog.load(tmp_path)
    assert str(raised.value) == (
        f"{path} is not a certificate type: x-certledger.name is lower-case letters, digits and dashes"
    )


def test_unreadable_files(tmp_path: Path) -> None:
    cases = {
        "empty.json": (b"", "Expecting value: line 1 column 1 (char 0)"),
        "truncated.json": (b'{"type": "object"', "Expecting ',' delimiter: line 1 column 18 (char 17)"),
        "latin1.json": (
            b'{"title": "\xe9"}',
            "'utf-8' codec can't decode byte 0xe9 in position 11: invalid continuation byte",
        ),
    }
    for name, (content, reason) in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(CertificateTypeError) as raised:
            load_type(tmp_path / name)
        assert str(raised.value) == f"{tmp_path / name}: not a readable JSON file ({reason})"
    missing = tmp_path / "missing.json"
    with pytest.raises(CertificateTypeError) as raised:
        load_type(missing)
    assert (
        str(raised.value)
        == f"{missing}: not a readable JSON file ([Errno 2] No such file or directory: '{missing}')"
    )


def test_load_type_reads_a_good_file(tmp_path: Path) -> None:
    path = write(tmp_path, "allowance.json", ALLOWANCE)
    loaded = load_type(path)
    assert loaded == certificate_type(ALLOWANCE)
    assert loaded.source == path
    assert certificate_type(ALLOWANCE).source is None


def _with(document: dict[str, Any], **top: Any) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    for key, value in top.items():
        if value is None:
            del changed[key]
        else:
            changed[key] = value
    return changed


NAME = "x-certledger.name is lower-case letters, digits and dashes"
OBJECT = "the claims are an object with additionalProperties false"
NUMBER_FIELD = "x-certledger.numberField names a required field"
HOLDER_ID_FIELD = "x-certledger.holderIdField names a required field"
TYPE_ID = "x-certledger.typeId is an integer from 1 to 4294967295"
VERSION = "x-certledger.version is a positive integer"
DAYS = "x-certledger.validityDays is a positive number of days or null"


@pytest.mark.parametrize(
    ("document", "problems"),
    [
        ([ALLOWANCE], ["a schema is a JSON object"]),
        (_with(ALLOWANCE, **{"x-certledger": None}), ["the x-certledger block is missing"]),
        (
            _with(ALLOWANCE, **{"x-certledger": "minimum-living-allowance"}),
            ["the x-certledger block is missing"],
        ),
        (schema(name=None), [NAME]),
        (schema(name="Minimum Living Allowance"), [NAME]),
        (schema(name="minimum_living_allowance"), [NAME]),
        (schema(name="ab"), [NAME]),
        (schema(name="1-allowance"), [NAME]),
        (schema(name="minimum-living-allowance\n"), [NAME]),
        (schema(name="a" * 64), [NAME]),
        (schema(typeId=0), [TYPE_ID]),
        (schema(typeId=2**32), [TYPE_ID]),
        (schema(typeId=True), [TYPE_ID]),
        (schema(typeId="101"), [TYPE_ID]),
        (schema(version=0), [VERSION]),
        (schema(version=None), [VERSION]),
        (_with(ALLOWANCE, additionalProperties=True), [OBJECT]),
        (_with(ALLOWANCE, additionalProperties=None), [OBJECT]),
        (_with(ALLOWANCE, additionalProperties={"type": "string"}), [OBJECT]),
        (_with(ALLOWANCE, type="array"), [OBJECT]),
        (_with(ALLOWANCE, properties={}), ["the claims schema lists its properties"]),
        (_with(ALLOWANCE, properties=None), ["the claims schema lists its properties"]),
        (
            _with(ALLOWANCE, properties={**ALLOWANCE["properties"], "MonthlyIncome": {}, "2nd": {}}),
            ["field names are lower-case snake_case: MonthlyIncome, 2nd"],
        ),
        (
            _with(ALLOWANCE, required=["holder_id", "holder_name", "monthly_amount", "granted_on"]),
            [NUMBER_FIELD],
        ),
        (_with(ALLOWANCE, required=None), [NUMBER_FIELD, HOLDER_ID_FIELD]),
        (schema(numberField="household"), [NUMBER_FIELD]),
        (schema(numberField="no_such_field"), [NUMBER_FIELD]),
        (schema(numberField=None), [NUMBER_FIELD]),
        (schema(numberField=["certificate_no"]), [NUMBER_FIELD]),
        (schema(holderIdField={"field": "holder_id"}), [HOLDER_ID_FIELD]),
        (schema(holderNameField="nobody"), ["x-certledger.holderNameField names a field"]),
        (schema(holderNameField=["holder_name"]), ["x-certledger.holderNameField names a field"]),
        (schema(validityDays=0), [DAYS]),
        (schema(validityDays="90"), [DAYS]),
        (schema(validityDays=True), [DAYS]),
        (
            _with(
                ALLOWANCE,
                properties={**ALLOWANCE["properties"], "photo": {"$ref": "https://example.com/p.json"}},
            ),
            ["only local #/$defs references are supported, not https://example.com/p.json"],
        ),
        (
            _with(ALLOWANCE, **{"$defs": {**ALLOWANCE["$defs"], "fen": {"$ref": "other.json#/fen"}}}),
            ["only local #/$defs references are supported, not other.json#/fen"],
        ),
        (
            schema(typeId=-1, version=0, name="X"),
            [TYPE_ID, VERSION, NAME],
        ),
    ],
)
def test_schemas_that_are_not_certificate_types(document: Any, problems: list[str]) -> None:
    with pytest.raises(CertificateTypeError) as raised:
        certificate_type(document)
    assert str(raised.value) == "the schema is not a certificate type: " + "; ".join(problems)
    with pytest.raises(CertificateTypeError) as raised:
        certificate_type(document, source=Path("/schemas/x.json"))
    assert str(raised.value) == "/schemas/x.json is not a certificate type: " + "; ".join(problems)


def test_a_schema_that_is_not_json_schema() -> None:
    broken = copy.deepcopy(ALLOWANCE)
    broken["properties"]["monthly_amount"] = {"type": "integer", "minimum": "zero"}
    with pytest.raises(CertificateTypeError) as raised:
        certificate_type(broken)
    message = str(raised.value)
    assert message.startswith(
        'the schema is not a certificate type: not a valid JSON Schema ("zero" is not of type "number"'
    )
    assert '["properties"]["monthly_amount"]["minimum"]' in message
    assert message.endswith('"zero")')

    broken = _with(ALLOWANCE, type=12)
    with pytest.raises(CertificateTypeError) as raised:
        certificate_type(broken)
    message = str(raised.value)
    assert message.startswith(
        "the schema is not a certificate type: not a valid JSON Schema (12 is not valid"
    )
    assert message.endswith(f"; {OBJECT}")


def test_problems_of_a_good_document(contribution: CertificateType) -> None:
    assert contribution.problems(GOOD_CLAIMS) == []


def _claims(change: Any) -> dict[str, Any]:
    claims = copy.deepcopy(GOOD_CLAIMS)
    change(claims)
    return claims


_DROP: Any = object()  # marks a key to remove


def _set(path: list[str | int], value: Any) -> Any:
    def change(claims: dict[str, Any]) -> None:
        node: Any = claims
        for key in path[:-1]:
            node = node[key]
        if value is _DROP:
            del node[path[-1]]
        else:
            node[path[-1]] = value

    return change


@pytest.mark.parametrize(
    ("change", "problems"),
    [
        (_set(["holder_id"], _DROP), ["missing holder_id"]),
        (_set(["period", "to"], _DROP), ["period: missing to"]),
        (
            _set(["holder_id"], "110105194912310021"),
            ["holder_id: the check character is 1, GB 11643 gives X (110*************21)"],
        ),
        (
            _set(["holder_id"], "11010519490230002X"),
            ["holder_id: the birth date in the identity number does not exist (110*************2X)"],
        ),
        (
            _set(["holder_id"], "12345"),
            ["holder_id: an identity number is 18 characters: 17 digits and a digit or X (*****)"],
        ),
        (
            _set(["pension", "records", 1, "employer_code"], "91350100M000100Y44"),
            [
                "pension.records[1].employer_code: the check character is 4, GB 32100 gives 3 (913*************44)"
            ],
        ),
        (
            _set(["period", "from"], "2025-13"),
            ["period.from: a month is written YYYY-MM, with a month from 01 to 12 (2025-13)"],
        ),
        (
            _set(["pension", "records", 0, "base"], 12.5),
            ["pension.records[0].base: must be an integer, got 12.5"],
        ),
        (_set(["holder_name"], 5), ["holder_name: must be a string, got 5"]),
        (_set(["pension", "months_paid"], "两"), ['pension.months_paid: must be an integer, got "两"']),
        (_set(["period"], ["2025-01"]), ['period: must be an object, got ["2025-01"]']),
        (_set(["nickname"], "三"), ["unknown field nickname"]),
        (_set(["pension", "records", 0, "bonus"], 1), ["pension.records[0]: unknown field bonus"]),
        (
            _set(["pension", "records", 0, "status"], "late"),
            ["pension.records[0].status: must be one of paid, owed"],
        ),
        (_set(["pension"], _DROP), ["matches none of the allowed shapes"]),
        (_set(["pension", "months_owed"], -1), ["pension.months_owed: -1 is less than the minimum of 0"]),
    ],
)
def test_problems_in_plain_words(contribution: CertificateType, change: Any, problems: list[str]) -> None:
    found = contribution.problems(_claims(change))
    assert [str(problem) for problem in found] == problems
    assert all(isinstance(problem, FieldProblem) for problem in found)


def test_several_problems_at_once(contribution: CertificateType) -> None:
    def change(claims: dict[str, Any]) -> None:
        del claims["holder_name"]
        claims["pension"]["records"][1]["month"] = "2025-2"
        claims["holder_id"] = "11010519491231002X\n"

    found = contribution.problems(_claims(change))
    assert sorted(str(problem) for problem in found) == [
        "holder_id: an identity number is 18 characters: 17 digits and a digit or X (110**************X\n)",
        "missing holder_name",
        "pension.records[1].month: a month is written YYYY-MM, with a month from 01 to 12 (2025-2)",
    ]
    assert FieldProblem("", "missing holder_name") in found


def test_a_document_that_is_not_an_object(contribution: CertificateType) -> None:
    assert contribution.problems([1]) == [FieldProblem("", "must be an object, got [1]")]
    assert str(FieldProblem("", "x")) == "x"
    assert str(FieldProblem("a.b[0]", "x")) == "a.b[0]: x"


@settings(max_examples=150, deadline=None)
@given(st.integers(0, 1), st.text(max_size=20), st.sampled_from(["month", "employer_code"]))
def test_format_problems_repeat_the_check_and_point_at_the_element(
    contribution: CertificateType, index: int, text: str, name: str
) -> None:
    problems = contribution.problems(_claims(_set(["pension", "records", index, name], text)))
    if name == "month":
        reason, shown = year_month_problem(text), text
    else:
        reason, shown = credit_code_problem(text), mask(text)
    if reason is None:
        assert problems == []
    else:
        assert problems == [FieldProblem(f"pension.records[{index}].{name}", f"{reason} ({shown})")]


def test_node_at_resolves_references(contribution: CertificateType) -> None:
    base = contribution.node_at(["pension", "records", "[]", "base"])
    assert base == {"title": "缴费基数（分）", "type": "integer", "minimum": 0, "maximum": 100000000}
    record = contribution.node_at(["medical", "records", "[]"])
    assert record is not None and record["type"] == "object" and "month" in record["properties"]
    pension = contribution.node_at(["pension"])
    assert pension is not None and pension["title"] == "养老保险" and "$ref" not in pension
    assert set(pension["properties"]) == {
        "records",
        "months_paid",
        "months_owed",
        "total_personal",
        "total_employer",
    }
    assert contribution.node_at(["holder_id"]) == {
        "title": "公民身份号码",
        "type": "string",
        "format": "gb11643",
    }
    assert contribution.node_at([]) == contribution.schema


@pytest.mark.parametrize(
    "path",
    [
        ["no_such_field"],
        ["holder_id", "x"],
        ["pension", "records", "month"],
        ["pension", "records", "[]", "nope"],
        ["pension", "records", "[]", "base", "[]"],
        ["[]"],
        ["period", "[]"],
    ],
)
def test_node_at_unknown_paths(contribution: CertificateType, path: list[str]) -> None:
    assert contribution.node_at(path) is None


def test_node_at_follows_chains_of_references() -> None:
    allowance = certificate_type(ALLOWANCE)
    assert allowance.node_at(["monthly_amount"]) == {
        "title": "月保障金额（分）",
        "type": "integer",
        "minimum": 0,
    }
    assert allowance.node_at(["household", "[]", "income"]) == {"type": "integer", "minimum": 0}
    assert allowance.node_at(["household", "[]", "relation"]) == {"enum": ["spouse", "child", "parent"]}


def test_node_at_a_missing_definition() -> None:
    broken = copy.deepcopy(ALLOWANCE)
    broken["properties"]["monthly_amount"] = {"$ref": "#/$defs/missing"}
    allowance = certificate_type(broken)
    with pytest.raises(CertificateTypeError) as raised:
        allowance.node_at(["monthly_amount"])
    assert str(raised.value) == "minimum-living-allowance/v1: #/$defs/missing does not exist"


# ---- unique keys: a record given twice --------------------------------------------------------

EMPLOYER_MASKED = "913*************43"


def test_the_contribution_records_are_unique_by_month_and_employer(contribution: CertificateType) -> None:
    records = contribution.schema["$defs"]["insurance"]["properties"]["records"]
    assert records["x-unique-keys"] == ["month", "employer_code"]
    claims = copy.deepcopy(GOOD_CLAIMS)
    claims["pension"]["records"].append(copy.deepcopy(claims["pension"]["records"][0]))

    problems = contribution.problems(claims)

    key = f"month 2025-01, employer_code {EMPLOYER_MASKED}"
    assert problems == [RepeatedKey("pension.records", f"{key} appears twice (at [0] and [2])", key, (0, 2))]
    assert str(problems[0]) == f"pension.records: {key} appears twice (at [0] and [2])"
    assert isinstance(problems[0], RepeatedKey)
    assert problems[0].described([5, 17], lead="lines") == f"{key} appears twice (lines 5 and 17)"
    # A presentation that discloses the records is held to the same rule.
    assert contribution.field_problems({"pension": claims["pension"]}) == problems
    assert contribution.field_problems({"period": claims["period"]}) == []


def test_repeated_keys_come_after_the_schema_problems(contribution: CertificateType) -> None:
    claims = copy.deepcopy(GOOD_CLAIMS)
    records = claims["pension"]["records"]
    records[1]["month"] = "2025-01"
    records[1]["base"] = -1

    assert [str(problem) for problem in contribution.problems(claims)] == [
        "pension.records[1].base: -1 is less than the minimum of 0",
        f"pension.records: month 2025-01, employer_code {EMPLOYER_MASKED} appears twice (at [0] and [1])",
    ]


def test_a_record_that_is_not_an_object_or_lacks_a_key_is_left_to_the_schema(
    contribution: CertificateType,
) -> None:
    claims = copy.deepcopy(GOOD_CLAIMS)
    first = claims["pension"]["records"][0]
    claims["pension"]["records"] = [first, "2025-01", {k: v for k, v in first.items() if k != "month"}]

    assert all(not isinstance(problem, RepeatedKey) for problem in contribution.problems(claims))
    assert contribution.repeated_keys(claims) == []
    assert contribution.repeated_keys([claims]) == []


def _household(**member: Any) -> dict[str, Any]:
    """The allowance type with household members identified by their identity number, which no
    two members may share; each member lists incomes that are unique by month and source."""
    document = copy.deepcopy(ALLOWANCE)
    document["properties"]["household"]["x-unique-keys"] = ["member_id"]
    document["$defs"]["member"] = {
        "type": "object",
        "additionalProperties": False,
        "required": ["member_id", "relation"],
        "properties": {
            "member_id": {"type": "string", "format": "gb11643"},
            "relation": {"enum": ["spouse", "child", "parent"]},
            "incomes": {
                "type": "array",
                "x-unique-keys": ["month", "source"],
                "items": {
                    "type": "object",
                    "required": ["month", "source", "amount"],
                    "properties": {
                        "month": {"type": "string", "format": "year-month"},
                        "source": {"type": "integer"},
                        "amount": {"$ref": "#/$defs/fen"},
                    },
                },
            },
        },
        **member,
    }
    return document


SPOUSE = "11010519491231002X"
CHILD = "110105201001010010"


def test_a_new_type_gets_the_check_from_its_schema_file_alone(tmp_path: Path) -> None:
    write(tmp_path, "minimum-living-allowance.v1.json", _household())
    allowance = TypeCatalog.load(tmp_path).find("minimum-living-allowance")
    claims: dict[str, Any] = {
        "certificate_no": "MZ-2025-1",
        "holder_id": "11010519491231002X",
        "holder_name": "张三",
        "monthly_amount": 80000,
        "granted_on": "2025-02-28",
        "household": [
            {"member_id": SPOUSE, "relation": "spouse"},
            {
                "member_id": CHILD,
                "relation": "child",
                "incomes": [
                    {"month": "2025-01", "source": 1, "amount": 100},
                    {"month": "2025-01", "source": 2, "amount": 100},
                    {"month": "2025-01", "source": 1.0, "amount": 200},
                ],
            },
            {"member_id": SPOUSE, "relation": "parent"},
        ],
    }

    assert [str(problem) for problem in allowance.problems(claims)] == [
        "household: member_id 110*************2X appears twice (at [0] and [2])",
        "household[1].incomes: month 2025-01, source 1 appears twice (at [0] and [2])",
    ]
    claims["household"][2]["member_id"] = "110105195001010012"
    claims["household"][1]["incomes"][2]["source"] = 3
    assert allowance.problems(claims) == []


UNIQUE = "x-unique-keys"


def _declaring(where: list[str], value: Any, document: dict[str, Any] | None = None) -> dict[str, Any]:
    """`document` (the allowance type) with ``x-unique-keys: value`` on the node at `where`."""
    changed = copy.deepcopy(document if document is not None else ALLOWANCE)
    node = changed
    for key in where:
        node = node.setdefault(key, {})
    node[UNIQUE] = value
    return changed


HOUSEHOLD = ["properties", "household"]


NOT_NAMES = f"{UNIQUE} at #/properties/household is a list of distinct field names"
UNREACHED = "is not on a list of the claims: only properties and items lead to one"


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        pytest.param(_declaring(HOUSEHOLD, "relation"), NOT_NAMES, id="a-string"),
        pytest.param(_declaring(HOUSEHOLD, []), NOT_NAMES, id="empty"),
        pytest.param(_declaring(HOUSEHOLD, ["relation", "relation"]), NOT_NAMES, id="twice"),
        pytest.param(_declaring(HOUSEHOLD, [1]), NOT_NAMES, id="not-a-name"),
        pytest.param(
            _declaring(HOUSEHOLD, ["relation"]),
            f"{UNIQUE} at #/properties/household: relation is not a required field of the list's elements",
            id="not-required",
        ),
        pytest.param(
            _declaring(HOUSEHOLD, ["shoe_size", "relation"], _household()),
            f"{UNIQUE} at #/properties/household: shoe_size is not a required field of the list's elements",
            id="not-a-field",
        ),
        pytest.param(
            _declaring(["properties", "granted_on"], ["month"]),
            f"{UNIQUE} at #/properties/granted_on is on a list of objects",
            id="on-a-string",
        ),
        pytest.param(
            _declaring(["$defs", "member"], ["relation"]),
            f"{UNIQUE} at #/$defs/member is on a list of objects",
            id="on-the-elements",
        ),
        pytest.param(
            _declaring(
                ["properties", "tags"],
                ["x"],
                _with(
                    ALLOWANCE,
                    properties={
                        **ALLOWANCE["properties"],
                        "tags": {"type": "array", "items": {"type": "string"}},
                    },
                ),
            ),
            f"{UNIQUE} at #/properties/tags is on a list of objects",
            id="on-a-list-of-strings",
        ),
        pytest.param(
            _with(ALLOWANCE, anyOf=[{"properties": {"household": {UNIQUE: ["relation"]}}}]),
            f"{UNIQUE} at #/anyOf/0/properties/household {UNREACHED}",
            id="in-any-of",
        ),
        pytest.param(
            _declaring(["$defs", "unused"], ["relation"]),
            f"{UNIQUE} at #/$defs/unused {UNREACHED}",
            id="in-an-unused-definition",
        ),
        pytest.param(
            _declaring(
                HOUSEHOLD,
                ["member_id"],
                _household(
                    properties={"member_id": {"type": "string"}, "family": {"$ref": "#/$defs/member"}}
                ),
            ),
            f"{UNIQUE} needs a schema whose definitions do not refer to themselves",
            id="recursive-schema",
        ),
    ],
)
def test_a_malformed_unique_keys_declaration_is_refused(document: dict[str, Any], problem: str) -> None:
    with pytest.raises(CertificateTypeError) as raised:
        certificate_type(document)

    assert str(raised.value) == f"the schema is not a certificate type: {problem}"


def test_a_schema_file_with_a_malformed_declaration_stops_the_catalog(tmp_path: Path) -> None:
    path = write(tmp_path, "allowance.json", _declaring(HOUSEHOLD, ["relation"]))

    with pytest.raises(CertificateTypeError) as raised:
        TypeCatalog.load(tmp_path)

    assert str(raised.value) == (
        f"{path} is not a certificate type: "
        f"{UNIQUE} at #/properties/household: relation is not a required field of the list's elements"
    )


def test_a_declaration_beside_a_reference_adds_to_the_definitions() -> None:
    lists = copy.deepcopy(_household())
    del lists["properties"]["household"][UNIQUE]
    lists["$defs"]["members"] = {"type": "array", "items": {"$ref": "#/$defs/member"}, UNIQUE: ["member_id"]}
    lists["properties"]["household"] = {"$ref": "#/$defs/members"}
    lists["properties"]["dependants"] = {"$ref": "#/$defs/members", UNIQUE: ["relation"]}
    allowance = certificate_type(lists)
    member = {"member_id": SPOUSE, "relation": "spouse"}
    claims = {"household": [member, member], "dependants": [member, member, {**member, "relation": "child"}]}

    assert [str(problem) for problem in allowance.repeated_keys(claims)] == [
        "household: member_id 110*************2X appears twice (at [0] and [1])",
        "dependants: relation spouse appears twice (at [0] and [1])",
        "dependants: member_id 110*************2X appears 3 times (at [0], [1] and [2])",
    ]
