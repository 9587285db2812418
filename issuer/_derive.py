"""Derived claims: totals and spans declared in a type's ``x-certledger.derive`` rules.

A rule names a target path and one operation over a source path::

    {"path": "*.total_personal", "sum": "records.personal"}
    {"path": "*.months_paid", "count": "records", "where": {"status": "paid"}}
    {"path": "period.from", "min": "*.records.month"}

``*`` as the first segment of a target applies the rule inside every top-level object claim
that has the source's first key; ``*`` in a source ranges over every top-level object claim.
A missing derived value is filled in; a supplied one must equal the derived value.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ledger import FieldProblem

_OPERATIONS = ("count", "sum", "min", "max")


@dataclass(frozen=True, slots=True)
class _Rule:
    """One derivation rule, parsed once per type."""

    target: tuple[str, ...]
    in_each_claim: bool
    operation: str
    source: tuple[str, ...]
    where: tuple[tuple[str, Any], ...]


_compiled: dict[int, tuple[Sequence[Mapping[str, Any]], tuple[_Rule, ...]]] = {}


def _compile(rules: Sequence[Mapping[str, Any]]) -> tuple[_Rule, ...]:
    cached = _compiled.get(id(rules))
    if cached is not None and cached[0] is rules:
        return cached[1]
    compiled = []
    for rule in rules:
        target = tuple(str(rule["path"]).split("."))
        operation = next(name for name in _OPERATIONS if name in rule)
        compiled.append(
            _Rule(
                target=target[1:] if target[0] == "*" else target,
                in_each_claim=target[0] == "*",
                operation=operation,
                source=tuple(str(rule[operation]).split(".")),
                where=tuple((rule.get("where") or {}).items()),
            )
        )
    result = tuple(compiled)
    _compiled[id(rules)] = (rules, result)
    return result


def apply_derivations(claims: dict[str, Any], rules: Sequence[Mapping[str, Any]]) -> list[FieldProblem]:
    """Fills in or checks every derived claim; returns what did not match."""
    problems: list[FieldProblem] = []
    for rule in _compile(rules):
        if rule.in_each_claim:
            first = rule.source[0]
            for name, scope in claims.items():
                if isinstance(scope, dict) and first in scope:
                    problems += _apply(scope, rule, prefix=f"{name}.")
        else:
            problems += _apply(claims, rule, prefix="")
    return problems


def _apply(scope: dict[str, Any], rule: _Rule, *, prefix: str) -> list[FieldProblem]:
    values = _values(scope, rule.source)
    operation = rule.operation
    if operation == "count":
        derived: Any = _count(values, rule.where)
    elif not values:
        return []
    elif operation == "sum":
        if not all(type(v) is int for v in values) and not all(_whole(v) for v in values):
            return []  # the schema check will name the value that is not an integer
        derived = int(sum(values))
    else:
        try:
            derived = min(values) if operation == "min" else max(values)
        except TypeError:
            return []
    holder = scope
    for segment in rule.target[:-1]:
        holder = holder.setdefault(segment, {})
        if not isinstance(holder, dict):
            return [FieldProblem(prefix + ".".join(rule.target), "must be an object")]
    name = rule.target[-1]
    if name in holder and holder[name] != derived:
        path = prefix + ".".join(rule.target)
        source = ".".join(rule.source)
        return [FieldProblem(path, f"is {holder[name]!r} but {operation} of {source} gives {derived!r}")]
    holder[name] = derived
    return []


def _values(scope: Any, source: tuple[str, ...]) -> list[Any]:
    """The values at `source` under `scope`: lists are flattened, ``*`` ranges over object claims."""
    current = [scope]
    for segment in source:
        if segment == "*":
            current = [
                item
                for value in current
                if type(value) is dict
                for item in value.values()
                if type(item) is dict
            ]
            continue
        children = [value[segment] for value in current if type(value) is dict and segment in value]
        if any(type(child) is list for child in children):
            children = [item for child in children for item in (child if type(child) is list else (child,))]
        current = children
    return current


def _count(values: list[Any], where: tuple[tuple[str, Any], ...]) -> int:
    if len(where) == 1:
        key, expected = where[0]
        return sum(1 for item in values if isinstance(item, dict) and item.get(key) == expected)
    return sum(1 for item in values if _matches(item, where))


def _matches(item: Any, where: tuple[tuple[str, Any], ...]) -> bool:
    return all(isinstance(item, dict) and item.get(key) == expected for key, expected in where)


def _whole(value: Any) -> bool:
    """Whether `value` is a JSON integer; 400.0 is one too, as the schema check and RFC 8785 agree."""
    if isinstance(value, float):
        return value.is_integer()
    return isinstance(value, int) and not isinstance(value, bool)
