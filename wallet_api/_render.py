"""Certificates as people read them: a view model of labelled fields and tables, from the schema.

The pages, the print view and the PDF all draw the same model, so a certificate reads the same
on a phone, on a clerk's screen and on paper. Nothing here knows a certificate type by name: the
layout follows the type's JSON Schema, so a department's new type renders without code.

* Labels come from each property's ``title`` (Simplified Chinese, as the schemas are written),
  with an English label from a small glossary, or the property name made readable.
* An integer property whose title ends in ``（分）`` is an amount in fen, shown in yuan.
* An array of objects becomes a table (the monthly records of a contribution certificate); when
  its parent also carries ``total_<column>``, the table gets a totals row with that committed
  total, and the parent's other values are shown beneath it.
* Enumerated values are shown by their label (``paid`` → 已缴 / paid).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ledger import CertificateType, CertificateTypeError, TypeCatalog, mask

Text = str | dict[str, str]

_FEN = "（分）"
_TIME_FORMATS = frozenset({"year-month", "date", "date-time", "time"})

_ENGLISH = {
    "certificate_no": "Certificate no.",
    "holder_name": "Name",
    "holder_id": "Identity number",
    "period": "Contribution period",
    "from": "From",
    "to": "To",
    "pension": "Pension insurance",
    "medical": "Medical insurance",
    "unemployment": "Unemployment insurance",
    "work_injury": "Work-injury insurance",
    "maternity": "Maternity insurance",
    "records": "Monthly records",
    "month": "Month",
    "employer_code": "Employer credit code",
    "employer_name": "Employer",
    "base": "Contribution base",
    "personal": "Personal",
    "employer": "Employer",
    "status": "Status",
    "months_paid": "Months paid",
    "months_owed": "Months owed",
    "total_personal": "Personal total",
    "total_employer": "Employer total",
    "qualification_period": "Qualification period",
    "authentication_method": "Authentication method",
    "authenticated_on": "Authenticated on",
    "benefit_type": "Benefit type",
    "injured_name": "Injured person",
    "injured_id": "Identity number",
    "code": "Unified social credit code",
    "name": "Name",
    "injury": "The injury",
    "date": "Date",
    "place": "Place",
    "description": "What happened",
    "determination": "Determination",
    "result": "Result",
    "legal_basis": "Legal basis",
}

_VALUES: dict[str, dict[str, str]] = {
    "paid": {"zh": "已缴", "en": "paid"},
    "owed": {"zh": "欠缴", "en": "owed"},
    "face_recognition": {"zh": "人脸识别", "en": "face recognition"},
    "in_person": {"zh": "现场认证", "en": "in person"},
    "home_visit": {"zh": "上门认证", "en": "home visit"},
    "data_comparison": {"zh": "数据比对", "en": "data comparison"},
    "enterprise_employee": {"zh": "企业职工基本养老保险", "en": "enterprise employees' pension"},
    "public_institution": {"zh": "机关事业单位养老保险", "en": "public institutions' pension"},
    "urban_rural_resident": {"zh": "城乡居民基本养老保险", "en": "urban and rural residents' pension"},
    "work_injury": {"zh": "认定为工伤", "en": "a work injury"},
    "deemed_work_injury": {"zh": "视同工伤", "en": "deemed a work injury"},
    "not_work_injury": {"zh": "不予认定为工伤", "en": "not a work injury"},
}


def type_titles(catalog: TypeCatalog, type_id: int, version: int) -> tuple[str, dict[str, str]]:
    """A type version's key (``name/vN``) and title by language; a type the catalog has lost is
    shown by its number rather than failing the page."""
    try:
        certificate_type = catalog.get(type_id, version)
    except CertificateTypeError:
        label = f"type {type_id}"
        return f"{label}/v{version}", {"zh": label, "en": label}
    title = certificate_type.title
    return certificate_type.key, {
        "zh": title.get("zh-CN") or certificate_type.name,
        "en": title.get("en") or certificate_type.name,
    }


def yuan(fen: int) -> str:
    """An amount in fen as yuan: ``632000`` → ``¥6,320.00``."""
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(fen), 100)
    return f"{sign}¥{whole:,}.{cents:02d}"


def document_view(
    claims: Mapping[str, Any], certificate_type: CertificateType, *, hidden: int = 0
) -> dict[str, Any]:
    """The view model of `claims` (all of a certificate's, or a presentation's disclosed ones).

    `hidden` is how many fields a presentation keeps undisclosed; the view says so.
    """
    schema = certificate_type.schema
    properties: Mapping[str, Any] = schema.get("properties", {})
    sections: list[dict[str, Any]] = []
    loose: list[dict[str, Any]] = []
    for name, raw in properties.items():
        if name not in claims:
            continue
        node = _resolve(raw, schema)
        value = claims[name]
        label = _label(name, node)
        if isinstance(value, Mapping) and _table_of(node, schema) is not None:
            sections.append(_table_section(name, label, value, node, schema))
        elif isinstance(value, Mapping):
            rows: list[dict[str, Any]] = []
            _flatten(value, node, schema, rows, prefix=name)
            sections.append({"kind": "fields", "field": name, "title": label, "rows": rows})
        else:
            loose.append(_row(name, label, value, node))
    if loose:
        sections.insert(0, {"kind": "fields", "field": None, "title": None, "rows": loose})
    return {
        "title": {
            "zh": certificate_type.title.get("zh-CN", certificate_type.name),
            "en": certificate_type.title.get("en", certificate_type.name),
        },
        "type": certificate_type.key,
        "sections": sections,
        "hidden": hidden,
        # The claims shown, in the schema's order (the share form offers them so), every claim's
        # label (for lists that name fields), and the two that say whose record it is.
        "fields": [name for name in properties if name in claims],
        "labels": {name: _label(name, _resolve(raw, schema)) for name, raw in properties.items()},
        "holderFields": [
            name
            for name in (certificate_type.holder_name_field, certificate_type.holder_id_field)
            if name in properties
        ],
    }


def _resolve(node: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    """`node` with a local ``$ref`` followed; its own title wins over the target's."""
    reference = node.get("$ref")
    if not isinstance(reference, str) or not reference.startswith("#/"):
        return dict(node)
    target: Any = schema
    for part in reference[2:].split("/"):
        target = target.get(part, {}) if isinstance(target, Mapping) else {}
    merged = dict(target) if isinstance(target, Mapping) else {}
    merged.update({key: value for key, value in node.items() if key != "$ref"})
    return merged


def field_label(certificate_type: CertificateType, name: str) -> dict[str, str]:
    """A top-level field's label by language, from the type's schema: the words the certificate's
    view uses, for a unit's request, a unit's history and anything else that names a field."""
    schema = certificate_type.schema
    node = schema.get("properties", {}).get(name, {})
    return _label(name, _resolve(node, schema) if isinstance(node, Mapping) else {})


def _label(name: str, node: Mapping[str, Any]) -> dict[str, str]:
    title = str(node.get("title") or "")
    english = _ENGLISH.get(name) or name.replace("_", " ").capitalize()
    if title.endswith(_FEN):
        title = title[: -len(_FEN)] + "（元）"
    return {"zh": title or english, "en": english + (" (yuan)" if _is_amount(node) else "")}


def _is_amount(node: Mapping[str, Any]) -> bool:
    return node.get("type") == "integer" and str(node.get("title") or "").endswith(_FEN)


def _display(value: Any, node: Mapping[str, Any]) -> Text:  # noqa: PLR0911 — one case per kind
    if value is None:
        return "—"
    if isinstance(value, bool):
        return {"zh": "是" if value else "否", "en": "yes" if value else "no"}
    if isinstance(value, int) and _is_amount(node):
        return yuan(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, str) and "enum" in node:
        # The schema's own words (x-labels) first, the glossary for English and for a schema
        # that has none.
        labels = node.get("x-labels")
        own = labels.get(value) if isinstance(labels, Mapping) else None
        known = _VALUES.get(value, {})
        if isinstance(own, str) or known:
            return {"zh": own if isinstance(own, str) else known["zh"], "en": known.get("en", value)}
    if isinstance(value, list):
        return "、".join(str(item) for item in value)
    return str(value)


def _row(name: str, label: dict[str, str], value: Any, node: Mapping[str, Any]) -> dict[str, Any]:
    return {"field": name, "label": label, "value": _display(value, node), "amount": _is_amount(node)}


def _flatten(
    value: Mapping[str, Any],
    node: Mapping[str, Any],
    schema: Mapping[str, Any],
    rows: list[dict[str, Any]],
    *,
    prefix: str,
) -> None:
    for key, item in value.items():
        child = _resolve(node.get("properties", {}).get(key, {}), schema)
        if isinstance(item, Mapping):
            _flatten(item, child, schema, rows, prefix=f"{prefix}.{key}")
        else:
            rows.append(_row(f"{prefix}.{key}", _label(key, child), item, child))


def _table_of(node: Mapping[str, Any], schema: Mapping[str, Any]) -> str | None:
    """The name of the first array-of-objects property of `node`, if it has one."""
    for key, raw in node.get("properties", {}).items():
        child = _resolve(raw, schema)
        if child.get("type") == "array" and _resolve(child.get("items", {}), schema).get("type") == "object":
            return str(key)
    return None


def _table_section(
    name: str,
    label: dict[str, str],
    value: Mapping[str, Any],
    node: Mapping[str, Any],
    schema: Mapping[str, Any],
) -> dict[str, Any]:
    array_name = _table_of(node, schema) or ""
    properties = node.get("properties", {})
    item_node = _resolve(_resolve(properties[array_name], schema).get("items", {}), schema)
    columns = [(key, _resolve(child, schema)) for key, child in item_node.get("properties", {}).items()]
    records = [record for record in value.get(array_name, []) if isinstance(record, Mapping)]
    totals: list[Text] | None = None
    if any(f"total_{key}" in value for key, _ in columns):
        totals = [
            _display(value[f"total_{key}"], _resolve(properties.get(f"total_{key}", child), schema))
            if f"total_{key}" in value
            else ""
            for key, child in columns
        ]
        totals[0] = {"zh": "合计", "en": "Total"}
    summary = [
        _row(f"{name}.{key}", _label(key, child), value[key], child)
        for key, child in ((key, _resolve(child, schema)) for key, child in properties.items())
        if key != array_name and key in value and not key.startswith("total_")
    ]
    # The committed totals again as labelled figures, for a page that shows them before the rows.
    total_rows: list[dict[str, Any]] = []
    for key, child in columns:
        if f"total_{key}" in value:
            total = _resolve(properties.get(f"total_{key}", child), schema)
            total_rows.append(
                _row(f"{name}.total_{key}", _label(f"total_{key}", total), value[f"total_{key}"], total)
            )
    rows = [[_display(record.get(key), child) for key, child in columns] for record in records]
    grouping = [index for index, (_, child) in enumerate(columns) if index > 0 and _is_group_column(child)]
    return {
        "kind": "table",
        "field": name,
        "title": label,
        "columns": [
            {"key": key, "label": _label(key, child), "amount": _is_amount(child)} for key, child in columns
        ],
        "rows": rows,
        "totals": totals,
        "summary": summary,
        "totalRows": total_rows,
        "groupColumns": [columns[index][0] for index in grouping],
        "groups": _groups(rows, grouping),
    }


def _is_group_column(node: Mapping[str, Any]) -> bool:
    """A column of free text (a name, a code), not a key, a date, an amount or a state: the kind
    of value that stays the same over many rows (the employer over the months)."""
    return node.get("type") == "string" and "enum" not in node and node.get("format") not in _TIME_FORMATS


def _groups(rows: list[list[Text]], grouping: list[int]) -> list[dict[str, Any]]:
    """Runs of consecutive rows that share their group columns' values, so that a page shows
    the employer once while it does not change, then one card per row."""
    groups: list[dict[str, Any]] = []
    for index, row in enumerate(rows):
        values = [row[column] for column in grouping]
        if groups and groups[-1]["values"] == values:
            groups[-1]["rows"].append(index)
        else:
            groups.append({"values": values, "rows": [index]})
    return groups


def verification_view(
    result: Mapping[str, Any], catalog: TypeCatalog, *, hidden: int
) -> dict[str, Any] | None:
    """The view model of what a verification saw disclosed, when its type is known."""
    type_key = result.get("type")
    disclosed = result.get("disclosed")
    if not isinstance(type_key, str) or not isinstance(disclosed, Mapping):
        return None
    try:
        certificate_type = catalog.find(type_key)
    except CertificateTypeError:
        return None
    view = document_view(disclosed, certificate_type, hidden=hidden)
    # The unit learns whose record it is; its clerk's screen (and anything printed from it) shows
    # the identity number masked, as every other page of the service does.
    for section in view["sections"]:
        if section["kind"] == "fields":
            for row in section["rows"]:
                if row["field"] == certificate_type.holder_id_field and isinstance(row["value"], str):
                    row["value"] = mask(row["value"])
    return view
