"""The view model's parts for a phone: totals and counts first, the rows of a table grouped by the
values that stay the same (the employer), the claims in the schema's order with their labels,
whose record it is, and the identity number masked on a unit's screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from issuer._derive import apply_derivations
from ledger import TypeCatalog, certificate_type
from scripts.demo_data import generate
from wallet_api._render import document_view, verification_view, yuan

FIXTURES = Path(__file__).parents[1] / "fixtures"


def _record(month: str, employer: tuple[str, str], personal: int) -> dict[str, Any]:
    code, name = employer
    return {
        "month": month,
        "employer_code": code,
        "employer_name": name,
        "base": personal * 12,
        "personal": personal,
        "employer": personal * 2,
        "status": "paid",
    }


FIRST = ("91371002MA3C8XKJ4Q", "威海市第一机械厂")
SECOND = ("91370100163044010K", "济南市第二纺织厂")


def _contribution(records: list[dict[str, Any]]) -> tuple[Any, dict[str, Any]]:
    contribution = TypeCatalog.load().find("contribution-certificate")
    claims = next(iter(generate("contribution-certificate", 1, seed=11)))
    for name in ("medical", "unemployment", "work_injury", "maternity"):
        claims.pop(name, None)
    claims["pension"] = {"records": records}
    claims.pop("period", None)
    assert apply_derivations(claims, contribution.derive) == []
    return contribution, claims


def test_the_employer_is_shown_once_while_it_does_not_change() -> None:
    records = [
        _record("2026-01", FIRST, 1000_00),
        _record("2026-02", FIRST, 1000_00),
        _record("2026-03", SECOND, 1234_56),
        _record("2026-04", FIRST, 999_99),
    ]
    contribution, claims = _contribution(records)
    table = next(s for s in document_view(claims, contribution)["sections"] if s["field"] == "pension")
    assert table["groupColumns"] == ["employer_code", "employer_name"]
    assert table["groups"] == [
        {"values": list(FIRST), "rows": [0, 1]},
        {"values": list(SECOND), "rows": [2]},
        {"values": list(FIRST), "rows": [3]},  # a return to the first employer is a new run
    ]
    # Every row is in exactly one group, in order.
    assert [index for group in table["groups"] for index in group["rows"]] == list(range(len(records)))


def test_the_totals_come_as_labelled_amounts_in_yuan_with_thousands_separators() -> None:
    records = [_record(f"2026-{month:02d}", FIRST, 1234_56) for month in range(1, 13)]
    contribution, claims = _contribution(records)
    table = next(s for s in document_view(claims, contribution)["sections"] if s["field"] == "pension")
    totals = {row["field"]: row for row in table["totalRows"]}
    assert set(totals) == {"pension.total_personal", "pension.total_employer"}
    assert totals["pension.total_personal"]["value"] == "¥14,814.72" == yuan(12 * 1234_56)
    assert totals["pension.total_personal"]["label"] == {
        "zh": "个人缴费合计（元）",
        "en": "Personal total (yuan)",
    }
    assert totals["pension.total_employer"]["value"] == "¥29,629.44"
    assert all(row["amount"] for row in table["totalRows"])
    summary = {row["field"]: row["value"] for row in table["summary"]}
    assert summary == {"pension.months_paid": "12", "pension.months_owed": "0"}
    # The old shape stays for the PDF: the totals row under its columns.
    assert table["totals"][4] == "¥14,814.72"


def test_the_fields_come_in_the_schemas_order_and_only_those_holding_data() -> None:
    contribution, claims = _contribution([_record("2026-01", FIRST, 100)])
    view = document_view(claims, contribution)
    assert view["fields"] == ["certificate_no", "holder_name", "holder_id", "period", "pension"]
    assert view["holderFields"] == ["holder_name", "holder_id"]
    assert view["labels"]["pension"] == {"zh": "养老保险", "en": "Pension insurance"}
    assert view["labels"]["medical"] == {
        "zh": "医疗保险",
        "en": "Medical insurance",
    }  # every claim of the type
    injury = TypeCatalog.load().find("work-injury-determination")
    assert document_view({}, injury)["holderFields"] == ["injured_name", "injured_id"]


def test_a_new_departments_table_is_grouped_by_its_free_text_columns() -> None:
    """A type the code has never seen: a table of visits (date, officer, amount) groups by the
    officer, whose name is free text, and totals the amount from its committed total."""
    schema: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "临时救助证明",
        "type": "object",
        "additionalProperties": False,
        "required": ["certificate_no", "holder_id"],
        "x-certledger": {
            "typeId": 99,
            "name": "temporary-relief",
            "version": 1,
            "title": {"zh-CN": "临时救助证明", "en": "Temporary relief"},
            "numberField": "certificate_no",
            "holderIdField": "holder_id",
        },
        "properties": {
            "certificate_no": {"title": "编号", "type": "string"},
            "holder_id": {"title": "公民身份号码", "type": "string", "format": "gb11643"},
            "relief": {
                "title": "救助",
                "type": "object",
                "properties": {
                    "payments": {
                        "title": "发放记录",
                        "type": "array",
                        "items": {
                            "type": "object",
                            "properties": {
                                "paid_on": {"title": "发放日期", "type": "string", "format": "date"},
                                "officer": {"title": "经办人", "type": "string"},
                                "amount": {"title": "金额（分）", "type": "integer"},
                            },
                        },
                    },
                    "total_amount": {"title": "合计（分）", "type": "integer"},
                },
            },
        },
    }
    relief = certificate_type(schema)
    payments = [
        {"paid_on": "2026-01-05", "officer": "王芳", "amount": 50000},
        {"paid_on": "2026-02-05", "officer": "王芳", "amount": 150000},
        {"paid_on": "2026-03-05", "officer": "李强", "amount": 100000},
    ]
    claims = {"certificate_no": "LSJZ-0001", "relief": {"payments": payments, "total_amount": 300000}}
    table = document_view(claims, relief)["sections"][-1]
    assert table["groupColumns"] == ["officer"]
    assert table["groups"] == [{"values": ["王芳"], "rows": [0, 1]}, {"values": ["李强"], "rows": [2]}]
    assert table["totalRows"] == [
        {
            "field": "relief.total_amount",
            "label": {"zh": "合计（元）", "en": "Total amount (yuan)"},
            "value": "¥3,000.00",
            "amount": True,
        }
    ]
    assert [row[2] for row in table["rows"]] == ["¥500.00", "¥1,500.00", "¥1,000.00"]
    assert relief.holder_id_field == "holder_id"


def test_a_unit_sees_the_identity_number_masked() -> None:
    catalog = TypeCatalog.load()
    contribution, claims = _contribution([_record("2026-01", FIRST, 100)])
    number = claims["holder_id"]
    result = {
        "type": contribution.key,
        "disclosed": {"holder_id": number, "holder_name": claims["holder_name"]},
    }
    view = verification_view(result, catalog, hidden=3)
    assert view is not None
    rows = {
        row["field"]: row["value"] for s in view["sections"] for row in s.get("rows", []) if "field" in row
    }
    assert rows["holder_id"] == number[:3] + "*" * 13 + number[-2:]
    assert rows["holder_name"] == claims["holder_name"]
    # The citizen's own view shows their whole number.
    own = document_view(claims, contribution)
    assert number in [row["value"] for row in own["sections"][0]["rows"]]
