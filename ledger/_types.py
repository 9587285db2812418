"""Certificate types: versioned JSON Schemas with a ``x-certledger`` block, and their catalog.

A type is one schema file. Its ``x-certledger`` block gives the type id registered on chain, the
name and version, which claim holds the certificate number and the holder's identity number,
the default validity, and optionally how CSV rows map onto documents and which totals are
derived from other claims. A list of the claims may carry ``x-unique-keys``, the fields whose
values no two of its elements may share (a contribution record's month and employer). Adding a
type is adding such a file: no code changes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from operator import itemgetter
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar

import jsonschema_rs

from ledger._canonical import JSONTooDeepError, check_json_depth
from ledger._errors import LedgerError
from ledger._identifiers import (
    credit_code_problem,
    date_problem,
    identity_number_problem,
    mask,
    year_month_problem,
)
from ledger._paths import PROJECT_ROOT

BUILTIN_SCHEMAS = PROJECT_ROOT / "schemas"
_NAME = re.compile(r"^[a-z][a-z0-9-]{2,62}\Z")  # \Z: $ would let a trailing newline through
_FIELD = re.compile(r"^[a-z][a-z0-9_]{0,62}\Z")

# Formats the schemas may use, each with a check that explains a refusal.
FORMAT_PROBLEMS: dict[str, Callable[[str], str | None]] = {
    "gb11643": identity_number_problem,
    "gb32100": credit_code_problem,
    "year-month": year_month_problem,
    "date": date_problem,
}
_MASKED_FORMATS = {"gb11643", "gb32100"}
UNIQUE_KEYS = "x-unique-keys"  # on a list: the fields no two of its elements may share


def _passes(check: Callable[[str], str | None]) -> Callable[[Any], bool]:
    # Handed to jsonschema-rs as it is, without a Python frame around it: a contribution
    # certificate asks this dozens of times, mostly with values seen before. jsonschema-rs calls
    # format checks for strings only (JSON Schema formats apply to strings); anything else fails.
    @lru_cache(maxsize=1 << 16)
    def passes(value: Any) -> bool:
        return isinstance(value, str) and check(value) is None

    return passes


FORMAT_CHECKS: dict[str, Callable[[Any], bool]] = {
    name: _passes(check) for name, check in FORMAT_PROBLEMS.items()
}


class CertificateTypeError(LedgerError, ValueError):
    """A schema file is not a usable certificate type, or a type was not found."""


# The Chinese text of each problem code. `{subject}` is the field's label and its value (masked
# when personal), `{label}` the label alone; the other placeholders are the problem's `params`.
# Codes are stable: callers, reports and the console key on them.
_TEXTS_ZH: dict[str, str] = {
    "required": "{label} 未填写",
    "type": "{subject} 不是{expected}",
    "format.month": "{subject} 不是有效的月份",
    "format.date": "{subject} 不是有效的日期（应写作 YYYY-MM-DD）",
    "format.id_number": "{subject} 不是有效的公民身份号码：{detail}",
    "format.credit_code": "{subject} 不是有效的统一社会信用代码：{detail}",
    "format": "{subject} 不符合格式 {format}",
    "enum": "{subject} 不是可选的值（可选：{options}）",
    "const": "{subject} 应为 {expected}",
    "pattern": "{subject} 的写法不符合规定",
    "min_length": "{subject} 太短，至少 {limit} 个字符",
    "max_length": "{subject} 太长，最多 {limit} 个字符",
    "minimum": "{subject} 小于最小值 {limit}",
    "maximum": "{subject} 大于最大值 {limit}",
    "exclusive_minimum": "{subject} 必须大于 {limit}",
    "exclusive_maximum": "{subject} 必须小于 {limit}",
    "multiple_of": "{subject} 必须是 {limit} 的整数倍",
    "min_items": "{label} 至少要有 {limit} 条",
    "max_items": "{label} 最多只能有 {limit} 条",
    "unknown_field": "{label} 含有本类型没有的字段 {names}",
    "not_a_field": "{label} 不是本类型的字段",
    "any_of": "{label} 不符合任何一种允许的组合（例如缺少至少一项必需的内容）",
    "repeated": "{label}中 {key} 出现了{times}（{places}）",
    "schema": "{subject} 不符合本类型的要求（{message}）",
}

_TYPE_NAMES_ZH = {
    "string": "文本",
    "integer": "整数",
    "number": "数字",
    "boolean": "true 或 false",
    "object": "对象",
    "array": "列表",
    "null": "空值",
}


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One reason a document does not match its type, at a dotted path (``pension.records[2].base``).

    `message` is the English reason (``str`` gives it with its path, as reports always have). `code`
    names the kind of problem, stably (``required``, ``format.month``, ``enum`` …), `params` holds
    what its Chinese text needs, already as text, and `value` the offending value as text, not
    masked (None when the problem is not about one value): `CertificateType.problem_zh` labels and
    masks it. None of these three take part in equality, so a problem equals one built from its
    path and message alone.
    """

    path: str
    message: str
    code: str = field(default="schema", compare=False, kw_only=True)
    params: Mapping[str, str] = field(default_factory=dict, compare=False, kw_only=True, repr=False)
    value: str | None = field(default=None, compare=False, kw_only=True, repr=False)

    TEXTS_ZH: ClassVar[Mapping[str, str]] = MappingProxyType(_TEXTS_ZH)

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message

    @property
    def subject(self) -> str:
        """The path of the field the problem is about: for a missing field, the field itself."""
        missing = self.params.get("property") if self.code == "required" else None
        if missing is None:
            return self.path
        return f"{self.path}.{missing}" if self.path else missing

    def text_zh(self, *, label: str, value: str | None, texts: Mapping[str, str] | None = None) -> str:
        """The problem in Chinese, its field named by `label` and its value shown as `value`.

        `texts` adds codes of the caller's own to `TEXTS_ZH` (the issuer's intake does); a code
        neither knows reads as the English message behind a Chinese lead.
        """
        template = (texts or {}).get(self.code) or self.TEXTS_ZH.get(self.code) or self.TEXTS_ZH["schema"]
        subject = " ".join(part for part in (label, value) if part)
        return template.format_map(
            {"message": self.message, **self.params, "label": label, "subject": subject}
        )


@dataclass(frozen=True, slots=True)
class RepeatedKey(FieldProblem):
    """Elements of a list that share the values its ``x-unique-keys`` names: one record given twice.

    `key` shows the shared values as people read them (``month 2025-03, employer_code 913…43``),
    `indexes` where the list holds them, first to last; the message names them by index, and a
    reader that knows where each element came from can name them its own way with `described`.
    """

    key: str
    indexes: tuple[int, ...]

    @classmethod
    def of(cls, path: str, key: str, indexes: Sequence[int], *, key_zh: str | None = None) -> RepeatedKey:
        """The problem of the list at `path`, whose elements at `indexes` share `key` (`key_zh`:
        the same in Chinese, the fields named by their titles)."""
        message = _repetition(key, [f"[{index}]" for index in indexes], lead="at")
        params = _repetition_params_zh(key_zh or key, [f"第{index + 1}条" for index in indexes])
        return cls(path, message, key, tuple(indexes), code="repeated", params=params)

    def described(self, places: Sequence[object], *, lead: str) -> str:
        """The message with the elements named by `places` (``lines 5 and 17``) instead of indexes."""
        return _repetition(self.key, places, lead=lead)


def _repetition_params_zh(key_zh: str, places: Sequence[str]) -> dict[str, str]:
    """The `params` of a ``repeated`` problem: the shared values and where they are, in Chinese."""
    times = "两次" if len(places) == 2 else f"{len(places)} 次"
    return {"key": key_zh, "times": times, "places": "、".join(places[:-1]) + "和" + places[-1]}


def _repetition(key: str, places: Sequence[object], *, lead: str) -> str:
    named = [str(place) for place in places]
    times = "twice" if len(named) == 2 else f"{len(named)} times"
    return f"{key} appears {times} ({lead} {', '.join(named[:-1])} and {named[-1]})"


@dataclass(frozen=True, slots=True)
class _UniqueKeys:
    """A list of the claims whose elements may not share the values of `names`."""

    path: tuple[str, ...]  # from the claims: property names, and ``[]`` for a list's elements
    names: tuple[str, ...]
    masked: frozenset[str]  # the names whose values are shown masked (identity numbers, codes)
    titles: Mapping[str, str] = field(default_factory=dict)  # the names' titles, for Chinese text

    def repeats(self, claims: Any) -> list[FieldProblem]:
        """One problem per set of values that more than one element of a list holds."""
        problems: list[FieldProblem] = []
        for where, elements in _lists_at(claims, self.path):
            # Nearly every list has no repetition: Python's equality finds every pair JSON's does
            # (and True == 1 besides), so distinct Python keys settle it without a closer look.
            try:
                if len(set(map(itemgetter(*self.names), elements))) == len(elements):
                    continue
            except (KeyError, TypeError):  # an element that is not an object, or lacks a key
                pass
            problems.extend(self._repeats_in(where, elements))
        return problems

    def _repeats_in(self, where: str, elements: list[Any]) -> list[FieldProblem]:
        indexes: dict[tuple[Any, ...], list[int]] = {}
        for index, element in enumerate(elements):
            if isinstance(element, dict) and all(name in element for name in self.names):
                key = tuple(_comparable(element[name]) for name in self.names)
                indexes.setdefault(key, []).append(index)
        return [
            RepeatedKey.of(
                where, self._shown(elements[found[0]]), found, key_zh=self._shown_zh(elements[found[0]])
            )
            for found in indexes.values()
            if len(found) > 1
        ]

    def _values(self, element: dict[str, Any]) -> list[tuple[str, str]]:
        shown = []
        for name in self.names:
            value = element[name]
            if isinstance(value, str):
                text = mask(value) if name in self.masked else value
            else:
                text = json.dumps(value, ensure_ascii=False)
            shown.append((name, text))
        return shown

    def _shown(self, element: dict[str, Any]) -> str:
        return ", ".join(f"{name} {text}" for name, text in self._values(element))

    def _shown_zh(self, element: dict[str, Any]) -> str:
        return "、".join(f"{self.titles.get(name, name)} {text}" for name, text in self._values(element))


def _lists_at(claims: Any, path: tuple[str, ...]) -> list[tuple[str, list[Any]]]:
    """The lists at `path` under `claims`, each with its dotted path (``household[2].incomes``)."""
    if "[]" not in path:  # the usual case, such as pension.records: one list at most
        value = claims
        for segment in path:
            value = value.get(segment) if isinstance(value, Mapping) else None
        return [(".".join(path), value)] if isinstance(value, list) else []
    found: list[tuple[str, Any]] = [("", claims)]
    for segment in path:
        if segment == "[]":
            found = [
                (f"{where}[{index}]", item)
                for where, value in found
                if isinstance(value, list)
                for index, item in enumerate(value)
            ]
        else:
            found = [
                (f"{where}.{segment}" if where else segment, value[segment])
                for where, value in found
                if isinstance(value, Mapping) and segment in value
            ]
    return [(where, value) for where, value in found if isinstance(value, list)]


def _comparable(value: Any) -> Any:
    """`value` as a dictionary key that equals another exactly when the JSON values are equal."""
    if isinstance(value, bool):
        return ("bool", value)  # True == 1 in Python, not in JSON
    if isinstance(value, (dict, list)):
        return ("json", json.dumps(value, sort_keys=True, ensure_ascii=False))
    return value


@dataclass(frozen=True)
class CertificateType:
    """One version of one certificate type."""

    type_id: int
    name: str
    version: int
    title: dict[str, str]
    schema: dict[str, Any]
    number_field: str
    holder_id_field: str
    holder_name_field: str
    validity_days: int | None
    csv: dict[str, Any] | None
    derive: tuple[dict[str, Any], ...]
    source: Path | None = field(default=None, compare=False)

    @property
    def key(self) -> str:
        """``name/vN``, how people and documents name this type version."""
        return f"{self.name}/v{self.version}"

    @cached_property
    def fields(self) -> tuple[str, ...]:
        """The top-level claims, each committed separately: the units of disclosure."""
        return tuple(sorted(self.schema["properties"]))

    @cached_property
    def _unique_keys(self) -> tuple[_UniqueKeys, ...]:
        return tuple(
            _UniqueKeys(
                declared.path,
                declared.names,
                _masked_names(self.schema, declared),
                _titles(self.schema, declared),
            )
            for declared in _declarations(self.schema)[0]
            if declared.names
        )

    @cached_property
    def _validator(self) -> Any:
        return jsonschema_rs.validator_for(self.schema, formats=FORMAT_CHECKS, validate_formats=True)

    @cached_property
    def _field_validators(self) -> dict[str, Any]:
        validators = {}
        for name, part in self.schema["properties"].items():
            standalone = {
                "$schema": self.schema.get("$schema"),
                "$defs": self.schema.get("$defs", {}),
                **part,
            }
            validators[name] = jsonschema_rs.validator_for(
                standalone, formats=FORMAT_CHECKS, validate_formats=True
            )
        return validators

    def field_problems(self, claims: Mapping[str, Any]) -> list[FieldProblem]:
        """How each given top-level claim fails its own part of the schema.

        For presentations, where the other claims are hidden: required fields and rules across
        fields cannot be checked, but every disclosed value can, and so can repeated keys within a
        disclosed claim.
        """
        problems = []
        for name, value in claims.items():
            validator = self._field_validators.get(name)
            if validator is None:
                problems.append(FieldProblem(name, f"is not a field of {self.key}", code="not_a_field"))
            elif not validator.is_valid(value):
                for error in validator.iter_errors(value):
                    problem = _explain(error)
                    problems.append(
                        FieldProblem(
                            f"{name}.{problem.path}".rstrip("."),
                            problem.message,
                            code=problem.code,
                            params=problem.params,
                            value=problem.value,
                        )
                    )
        return problems + self.repeated_keys(claims)

    def problems(self, claims: Any) -> list[FieldProblem]:
        """Every way `claims` fails the schema, in plain words; empty when it conforms.

        The schema's own keywords first, then every key its ``x-unique-keys`` lists repeat.
        """
        repeated = self.repeated_keys(claims)
        if self._validator.is_valid(claims):
            return repeated
        return [_explain(error) for error in self._validator.iter_errors(claims)] + repeated

    def repeated_keys(self, claims: Any) -> list[FieldProblem]:
        """A `RepeatedKey` for each set of values that two elements of an ``x-unique-keys`` list share."""
        return [problem for unique in self._unique_keys for problem in unique.repeats(claims)]

    def node_at(self, path: Sequence[str]) -> dict[str, Any] | None:
        """The schema node of the value at `path` (object keys, ``[]`` for array items), or None."""
        node: dict[str, Any] | None = self._resolve(self.schema)
        for segment in path:
            if node is None:
                return None
            child = node.get("items") if segment == "[]" else node.get("properties", {}).get(segment)
            node = self._resolve(child) if isinstance(child, dict) else None
        return node

    def _resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        seen = 0
        while "$ref" in node and seen < 16:
            reference = str(node["$ref"])
            if not reference.startswith("#/$defs/"):
                raise CertificateTypeError(f"{self.key}: only local #/$defs references are supported")
            target = self.schema.get("$defs", {}).get(reference.removeprefix("#/$defs/"))
            if not isinstance(target, dict):
                raise CertificateTypeError(f"{self.key}: {reference} does not exist")
            node = {**target, **{k: v for k, v in node.items() if k != "$ref"}}
            seen += 1
        return node

    def field_title(self, name: str, language: str = "zh-CN") -> str:
        """The title of a top-level claim, for people."""
        properties = self.schema["properties"]
        title = properties.get(name, {}).get("title")
        return str(title) if title and language == "zh-CN" else name

    def field_label(self, path: str) -> str:
        """The Chinese title of the field at a problem's dotted path (``pension.records[2].month`` →
        费款所属期): the field's own title, else its name; the type's title for the claims as a whole."""
        segments = _segments(path)
        names = [segment for segment in segments if segment != "[]"]
        if not names:
            return self.title.get("zh-CN") or self.name
        node = self.node_at(segments)
        title = node.get("title") if node else None
        return str(title) if title else names[-1]

    def is_personal(self, path: str) -> bool:
        """Whether the field at `path` holds personal data, to be masked wherever it is shown: the
        holder's name and identity number, a field marked ``"x-personal"``, any GB 11643 number,
        and fields named like a phone number."""
        segments = _segments(path)
        if not segments:
            return False
        if segments in ([self.holder_id_field], [self._holder_name]):
            return True
        node = self.node_at(segments) or {}
        return (
            bool(node.get("x-personal"))
            or node.get("format") == "gb11643"
            or bool(_PHONE.search(segments[-1]))
        )

    def shown_value(self, path: str, value: str) -> str:
        """`value` of the field at `path` as a report may show it: a name as 张*, an identity
        number, credit code or other personal value with all but its ends hidden."""
        segments = _segments(path)
        node = (self.node_at(segments) if segments else None) or {}
        if segments == [self._holder_name] or node.get("x-personal") == "name":
            return _mask_name(value)
        if self.is_personal(path) or node.get("format") in _MASKED_FORMATS:
            return mask(value)
        return value

    def problem_zh(self, problem: FieldProblem, *, texts: Mapping[str, str] | None = None) -> str:
        """`problem` in Chinese, its field named by its title and its value masked when personal:
        ``费款所属期 2025-13 不是有效的月份``; `texts` adds codes (`FieldProblem.text_zh`)."""
        subject = problem.subject
        value = None if problem.value is None else self.shown_value(subject, problem.value)
        return problem.text_zh(label=self.field_label(subject), value=value, texts=texts)

    @property
    def _holder_name(self) -> str | None:
        # `holder_name_field` falls back to the number field, which is no one's name.
        named = self.schema["x-certledger"].get("holderNameField")
        return named if isinstance(named, str) else None


def _explain(error: Any) -> FieldProblem:
    path = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.instance_path)
    kind = type(error.kind).__name__
    explain = _EXPLANATIONS.get(kind)
    code, params = _coded(kind, error)
    return FieldProblem(
        path.lstrip("."),
        explain(error) if explain else str(error.message),
        code=code,
        params=params,
        value=None if kind in _WITHOUT_VALUE else _value_text(error.instance),
    )


# The keyword behind each kind of error, as a problem code; the limits they carry as `params`.
_LIMITED = {
    "MinLength": "min_length",
    "MaxLength": "max_length",
    "Minimum": "minimum",
    "Maximum": "maximum",
    "ExclusiveMinimum": "exclusive_minimum",
    "ExclusiveMaximum": "exclusive_maximum",
    "MinItems": "min_items",
    "MaxItems": "max_items",
}
_FORMAT_CODES = {
    "year-month": "format.month",
    "date": "format.date",
    "gb11643": "format.id_number",
    "gb32100": "format.credit_code",
}
_WITHOUT_VALUE = {"Required", "AdditionalProperties", "AnyOf", "MinItems", "MaxItems"}
_SHOWN_CHARACTERS = 60  # a value longer than this is cut short in a Chinese reason


def _coded(kind: str, error: Any) -> tuple[str, dict[str, str]]:
    """The problem code and Chinese parameters of a jsonschema-rs error."""
    code, params = "schema", {}
    if kind == "Required":
        code, params = "required", {"property": str(error.kind.property)}
    elif kind == "Type":
        expected = " 或 ".join(_TYPE_NAMES_ZH.get(str(t), str(t)) for t in error.kind.types)
        code, params = "type", {"expected": expected}
    elif kind == "Format":
        code, params = _format_coded(str(error.kind.format), error.instance)
    elif kind == "Enum":
        code, params = "enum", {"options": "、".join(str(option) for option in error.kind.options)}
    elif kind == "Constant":
        code, params = "const", {"expected": _value_text(error.kind.expected_value)}
    elif kind == "AdditionalProperties":
        code, params = "unknown_field", {"names": "、".join(str(name) for name in error.kind.unexpected)}
    elif kind == "AnyOf":
        code = "any_of"
    elif kind == "Pattern":
        code = "pattern"
    elif kind == "MultipleOf":
        code, params = "multiple_of", {"limit": _value_text(error.kind.multiple_of)}
    elif kind in _LIMITED:
        code, params = _LIMITED[kind], {"limit": _value_text(error.kind.limit)}
    return code, params


def _format_coded(format_name: str, value: Any) -> tuple[str, dict[str, str]]:
    code = _FORMAT_CODES.get(format_name)
    if code is None:
        return "format", {"format": format_name}
    check = FORMAT_PROBLEMS[format_name]
    reason = check(value) if isinstance(value, str) else None
    return code, {"detail": identifier_problem_zh(reason) if reason else ""}


# The reasons `ledger._identifiers` gives, in Chinese; a check character's reason has its values.
_IDENTIFIER_REASONS_ZH = {
    "an identity number is 18 characters: 17 digits and a digit or X": "应为 18 位：17 位数字加一位数字或 X",
    "the birth date in the identity number does not exist": "其中的出生日期不存在",
    "the birth date in the identity number is before 1900": "其中的出生日期早于 1900 年",
    "a unified social credit code is 18 characters of 0-9 and A-Y without I, O, Z, S, V": (
        "应为 18 位，由数字和除 I、O、Z、S、V 以外的大写字母组成"
    ),
    "a month is written YYYY-MM, with a month from 01 to 12": "月份应写作 YYYY-MM，月为 01 至 12",
    "a date is written YYYY-MM-DD and must exist": "日期应写作 YYYY-MM-DD，且须存在",
    "a date is written YYYY-MM-DD": "日期应写作 YYYY-MM-DD",
}
_CHECK_CHARACTER = re.compile(r"^the check character is (.), (GB \d+) gives (.)\Z")


def identifier_problem_zh(reason: str) -> str:
    """The Chinese of a reason an identity number, credit code, month or date check gave."""
    known = _IDENTIFIER_REASONS_ZH.get(reason)
    if known is not None:
        return known
    check = _CHECK_CHARACTER.match(reason)
    if check is None:
        return reason
    return f"校验码是 {check.group(1)}，按 {check.group(2)} 应为 {check.group(3)}"


def _value_text(value: Any) -> str:
    """A value as a person reads it in a reason: text as it is, anything else as JSON; cut short."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= _SHOWN_CHARACTERS else text[: _SHOWN_CHARACTERS - 1] + "…"


def _segments(path: str) -> list[str]:
    """A dotted problem path as `node_at` takes it: ``pension.records[2].month`` → pension, records,
    [], month."""
    return ["[]" if part.startswith("[") else part for part in _PATH_PART.findall(path)]


_PATH_PART = re.compile(r"\[\d+\]|[^.\[\]]+")
_PHONE = re.compile(r"phone|mobile|(^|_)tel(_|$)")


def _mask_name(value: str) -> str:
    """A person's name with all but its first character hidden: 张三丰 → 张**."""
    return value[:1] + "*" * (len(value) - 1) if len(value) > 1 else "*"


def _format_message(error: Any) -> str:
    format_name = error.kind.format
    check = FORMAT_PROBLEMS.get(format_name)
    reason = check(error.instance) if check and isinstance(error.instance, str) else None
    shown = mask(error.instance) if format_name in _MASKED_FORMATS else error.instance
    return f"{reason or 'not a ' + format_name} ({shown})"


def _type_message(error: Any) -> str:
    expected = " or ".join(str(t) for t in error.kind.types)
    article = "an" if expected[:1] in "aeiou" else "a"
    return f"must be {article} {expected}, got {json.dumps(error.instance, ensure_ascii=False)}"


_EXPLANATIONS: dict[str, Callable[[Any], str]] = {
    "Required": lambda error: f"missing {error.kind.property}",
    "Format": _format_message,
    "Type": _type_message,
    "AdditionalProperties": lambda error: f"unknown field {', '.join(error.kind.unexpected)}",
    "Enum": lambda error: "must be one of " + ", ".join(str(option) for option in error.kind.options),
    "AnyOf": lambda _error: "matches none of the allowed shapes",
}


@dataclass(frozen=True)
class TypeCatalog:
    """Every known type version, by (type id, version)."""

    types: dict[tuple[int, int], CertificateType]

    @classmethod
    def load(cls, *directories: Path) -> TypeCatalog:
        """The built-in types plus those in `directories` (files named ``*.json``)."""
        types: dict[tuple[int, int], CertificateType] = {}
        names: dict[str, int] = {}
        for directory in (BUILTIN_SCHEMAS, *directories):
            if not directory.is_dir():
                continue
            for path in sorted(directory.glob("*.json")):
                certificate_type = load_type(path)
                _add(types, names, certificate_type)
        return cls(types)

    def __iter__(self) -> Iterator[CertificateType]:
        return iter(sorted(self.types.values(), key=lambda t: (t.type_id, t.version)))

    def get(self, type_id: int, version: int) -> CertificateType:
        """The exact type version a document names."""
        try:
            return self.types[(type_id, version)]
        except KeyError:
            raise CertificateTypeError(f"unknown certificate type {type_id} version {version}") from None

    def find(self, reference: str | int) -> CertificateType:
        """A type by id, name or ``name/vN``; without a version, its latest version."""
        text = str(reference)
        name, _, version = text.partition("/v")
        candidates = [t for t in self.types.values() if (t.name == name or str(t.type_id) == name)]
        if version:
            candidates = [t for t in candidates if str(t.version) == version]
        if not candidates:
            known = ", ".join(sorted({t.name for t in self.types.values()}))
            raise CertificateTypeError(f"unknown certificate type {text!r}; known types: {known}")
        return max(candidates, key=lambda t: t.version)


def _add(types: dict[tuple[int, int], CertificateType], names: dict[str, int], new: CertificateType) -> None:
    existing = types.get((new.type_id, new.version))
    if existing is not None and existing.schema != new.schema:
        raise CertificateTypeError(
            f"{new.source} and {existing.source} both define type {new.type_id} version {new.version}"
        )
    if names.get(new.name, new.type_id) != new.type_id:
        raise CertificateTypeError(
            f"{new.source}: the name {new.name} already belongs to type {names[new.name]}"
        )
    if new.type_id in names.values() and names.get(new.name) != new.type_id:
        raise CertificateTypeError(f"{new.source}: type id {new.type_id} already belongs to another name")
    names[new.name] = new.type_id
    types[(new.type_id, new.version)] = new


def load_type(path: Path) -> CertificateType:
    """Reads and checks one schema file."""
    try:
        text = path.read_text(encoding="utf-8")
        check_json_depth(text)
        schema = json.loads(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, JSONTooDeepError) as error:
        raise CertificateTypeError(f"{path}: not a readable JSON file ({error})") from error
    return certificate_type(schema, source=path)


def certificate_type(schema: Any, *, source: Path | None = None) -> CertificateType:
    """The type a schema document defines, after checking everything certledger relies on."""
    where = str(source) if source else "the schema"
    problems = _schema_problems(schema)
    if problems:
        raise CertificateTypeError(f"{where} is not a certificate type: " + "; ".join(problems))
    meta = schema["x-certledger"]
    return CertificateType(
        type_id=meta["typeId"],
        name=meta["name"],
        version=meta["version"],
        title=dict(meta.get("title") or {"en": meta["name"]}),
        schema=schema,
        number_field=meta["numberField"],
        holder_id_field=meta["holderIdField"],
        holder_name_field=meta.get("holderNameField") or meta["numberField"],
        validity_days=meta.get("validityDays"),
        csv=meta.get("csv"),
        derive=tuple(meta.get("derive") or ()),
        source=source,
    )


def _schema_problems(schema: Any) -> list[str]:
    if not isinstance(schema, dict):
        return ["a schema is a JSON object"]
    problems = []
    try:
        jsonschema_rs.meta.validate(schema)
    except (jsonschema_rs.ValidationError, ValueError) as error:
        problems.append(f"not a valid JSON Schema ({error})")
    meta = schema.get("x-certledger")
    if not isinstance(meta, dict):
        return [*problems, "the x-certledger block is missing"]
    return (
        problems + _identity_problems(meta) + _claims_problems(schema, meta) + _unique_keys_problems(schema)
    )


def _identity_problems(meta: dict[str, Any]) -> list[str]:
    problems = []
    type_id, version, name = meta.get("typeId"), meta.get("version"), meta.get("name")
    if not isinstance(type_id, int) or isinstance(type_id, bool) or not 1 <= type_id < 2**32:
        problems.append("x-certledger.typeId is an integer from 1 to 4294967295")
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version < 2**32:
        problems.append("x-certledger.version is a positive integer")
    if not isinstance(name, str) or not _NAME.match(name):
        problems.append("x-certledger.name is lower-case letters, digits and dashes")
    days = meta.get("validityDays")
    if days is not None and (not isinstance(days, int) or isinstance(days, bool) or days < 1):
        problems.append("x-certledger.validityDays is a positive number of days or null")
    return problems


def _claims_problems(schema: dict[str, Any], meta: dict[str, Any]) -> list[str]:
    problems = []
    if schema.get("type") != "object" or schema.get("additionalProperties") is not False:
        problems.append("the claims are an object with additionalProperties false")
    properties = schema.get("properties")
    if not isinstance(properties, dict) or not properties:
        return [*problems, "the claims schema lists its properties"]
    bad = [key for key in properties if not _FIELD.match(key)]
    if bad:
        problems.append(f"field names are lower-case snake_case: {', '.join(bad)}")
    required = schema.get("required")
    required = required if isinstance(required, list) else []
    for role in ("numberField", "holderIdField"):
        # Checked as a string first: a list or an object here cannot be looked up in a dict.
        named = meta.get(role)
        if not isinstance(named, str) or named not in properties or named not in required:
            problems.append(f"x-certledger.{role} names a required field")
    holder_name = meta.get("holderNameField")
    if holder_name is not None and (not isinstance(holder_name, str) or holder_name not in properties):
        problems.append("x-certledger.holderNameField names a field")
    foreign = _foreign_references(schema)
    problems.extend(f"only local #/$defs references are supported, not {ref}" for ref in foreign)
    return problems


def _foreign_references(node: Any) -> list[str]:
    """Every ``$ref`` below `node` that is not local: the validator would try to download it."""
    if isinstance(node, list):
        return [reference for item in node for reference in _foreign_references(item)]
    if not isinstance(node, dict):
        return []
    reference = node.get("$ref")
    own = [reference] if isinstance(reference, str) and not reference.startswith("#/$defs/") else []
    return own + [found for item in node.values() for found in _foreign_references(item)]


@dataclass(frozen=True, slots=True)
class _Declared:
    """An ``x-unique-keys`` found on the way from the claims to a list."""

    path: tuple[str, ...]  # of the list, as `_UniqueKeys.path`
    pointer: str  # the schema node it is written on: ``#/$defs/insurance/properties/records``
    value: Any  # as written: a list of field names when well formed
    node: dict[str, Any]  # the list's schema, references resolved

    @property
    def names(self) -> tuple[str, ...]:
        """The field names, or none when the value is not a list of distinct names."""
        value = self.value
        if not isinstance(value, list) or not value or not all(isinstance(name, str) for name in value):
            return ()
        return tuple(value) if len(set(value)) == len(value) else ()


def _resolved(schema: dict[str, Any], node: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """`node` with its local references merged in (its own keywords win, as in `node_at`), and the
    definitions followed; a reference that leads nowhere is left for the other checks to name."""
    followed: list[str] = []
    merged = node
    while isinstance(merged.get("$ref"), str) and len(followed) < 16:  # as many steps as _resolve
        reference = str(merged["$ref"])
        name = reference.removeprefix("#/$defs/")
        target = schema.get("$defs", {}).get(name) if reference.startswith("#/$defs/") else None
        if not isinstance(target, dict) or name in followed:
            break
        followed.append(name)
        merged = {**target, **{k: v for k, v in merged.items() if k != "$ref"}}
    return merged, followed


def _declarations(schema: dict[str, Any]) -> tuple[list[_Declared], bool]:
    """Every ``x-unique-keys`` that properties and items lead to from the claims, and whether a
    definition on the way refers to itself (a list below it would be checked at one depth only)."""
    found: list[_Declared] = []
    recursive = False
    defined = schema.get("$defs")
    definitions: dict[str, Any] = defined if isinstance(defined, dict) else {}

    def visit(node: dict[str, Any], pointer: str, path: tuple[str, ...], expanding: frozenset[str]) -> None:
        nonlocal recursive
        merged, followed = _resolved(schema, node)
        if expanding.intersection(followed):
            recursive = True
            return
        expanding = expanding.union(followed)
        # Where each keyword of the merged node is written: the node itself, else the definition.
        sources: list[tuple[dict[str, Any], str]] = [(node, pointer)]
        sources += [(definitions[name], f"#/$defs/{name}") for name in followed]

        def written(keyword: str) -> str:
            return next(where for raw, where in sources if keyword in raw)

        # Unlike other keywords, one beside a reference does not replace the definition's: both apply.
        found.extend(
            _Declared(path, where, raw[UNIQUE_KEYS], merged) for raw, where in sources if UNIQUE_KEYS in raw
        )
        properties = merged.get("properties")
        if isinstance(properties, dict):
            base = written("properties")
            for name, child in properties.items():
                if isinstance(child, dict):
                    visit(child, f"{base}/properties/{_escaped(name)}", (*path, name), expanding)
        items = merged.get("items")
        if isinstance(items, dict):
            visit(items, f"{written('items')}/items", (*path, "[]"), expanding)

    visit(schema, "#", (), frozenset())
    return found, recursive


def _written(node: Any, pointer: str = "#") -> list[str]:
    """The nodes of a schema document that carry ``x-unique-keys``, as JSON pointers."""
    if isinstance(node, list):
        return [found for index, item in enumerate(node) for found in _written(item, f"{pointer}/{index}")]
    if not isinstance(node, dict):
        return []
    own = [pointer] if UNIQUE_KEYS in node else []
    return own + [
        found for key, item in node.items() for found in _written(item, f"{pointer}/{_escaped(key)}")
    ]


def _escaped(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _unique_keys_problems(schema: dict[str, Any]) -> list[str]:
    """What is wrong with the ``x-unique-keys`` a schema declares (nothing when it declares none)."""
    written = _written(schema)
    if not written:
        return []
    declared, recursive = _declarations(schema)
    if recursive:
        return [f"{UNIQUE_KEYS} needs a schema whose definitions do not refer to themselves"]
    problems = [problem for found in declared if (problem := _declaration_problem(schema, found))]
    reached = {found.pointer for found in declared}
    problems.extend(
        f"{UNIQUE_KEYS} at {pointer} is not on a list of the claims: only properties and items lead to one"
        for pointer in written
        if pointer not in reached
    )
    return problems


def _declaration_problem(schema: dict[str, Any], found: _Declared) -> str | None:
    where = f"{UNIQUE_KEYS} at {found.pointer}"
    if not found.names:
        return f"{where} is a list of distinct field names"
    items = _items_of(schema, found.node)
    properties = items.get("properties")
    if found.node.get("type") != "array" or items.get("type") != "object" or not isinstance(properties, dict):
        return f"{where} is on a list of objects"
    listed = items.get("required")
    required: list[Any] = listed if isinstance(listed, list) else []
    missing = [name for name in found.names if name not in properties or name not in required]
    if missing:
        return f"{where}: {', '.join(missing)} is not a required field of the list's elements"
    return None


def _items_of(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """The schema of a list's elements, references resolved; empty when it has none."""
    items = node.get("items")
    return _resolved(schema, items)[0] if isinstance(items, dict) else {}


def _titles(schema: dict[str, Any], declared: _Declared) -> dict[str, str]:
    """The titles of the fields an ``x-unique-keys`` names, where they have one."""
    found = _items_of(schema, declared.node).get("properties")
    properties: dict[str, Any] = found if isinstance(found, dict) else {}
    titles = {}
    for name in declared.names:
        node = properties.get(name)
        title = _resolved(schema, node)[0].get("title") if isinstance(node, dict) else None
        if isinstance(title, str):
            titles[name] = title
    return titles


def _masked_names(schema: dict[str, Any], declared: _Declared) -> frozenset[str]:
    found = _items_of(schema, declared.node).get("properties")
    properties: dict[str, Any] = found if isinstance(found, dict) else {}
    masked = set()
    for name in declared.names:
        node = properties.get(name)
        if isinstance(node, dict) and _resolved(schema, node)[0].get("format") in _MASKED_FORMATS:
            masked.add(name)
    return frozenset(masked)
