"""RFC 8785 canonical JSON: agreement with the reference implementation, and every refusal."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import CanonicalJSONError, LedgerError, canonical_json, canonical_pairs, parse_json

MAX_SAFE = 2**53 - 1

# Characters where a sloppy canonicalizer goes wrong: escapes, controls, separators, and the
# ranges where code-point order (Python) and UTF-16 order (JCS) disagree (astral vs U+E000-U+FFFF).
TRICKY = [
    "a", "A", "1", '"', "\\", "/", "\x00", "\x08", "\x0c", "\x1f", "\x7f", "\x80", "é", "\u2028",
    "\u2029", "\ue000", "\ufb33", "\ufeff", "\uffff", "\U00010000", "\U0001f600", "\U0010ffff",
]  # fmt: skip
characters = st.one_of(st.characters(codec="utf-8"), st.sampled_from(TRICKY))
texts = st.text(characters, max_size=12)
# Code-point order and UTF-16 order disagree only between astral characters and U+E000-U+FFFF,
# so some keys are drawn from a few characters on both sides of that line.
ORDER_SENSITIVE = ["a", "\ue000", "\ufb33", "\uffff", "\U00010000", "\U0001f600"]
order_sensitive_keys = st.text(st.sampled_from(ORDER_SENSITIVE), min_size=1, max_size=3)
keys = st.one_of(st.text(characters, max_size=4), order_sensitive_keys)
safe_integers = st.integers(-MAX_SAFE, MAX_SAFE)
finite_floats = st.floats(allow_nan=False, allow_infinity=False)

plain_scalars = st.none() | st.booleans() | safe_integers | texts
plain_values = st.recursive(
    plain_scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(keys, children, max_size=5),
    max_leaves=25,
)
json_values = st.recursive(
    plain_scalars | finite_floats,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(keys, children, max_size=5),
    max_leaves=25,
)


@pytest.mark.no_cover
@settings(max_examples=400, deadline=None)
@given(json_values)
def test_agrees_with_the_reference_implementation(value: Any) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


@pytest.mark.no_cover
@settings(max_examples=300, deadline=None)
@given(st.dictionaries(keys, json_values, max_size=8))
def test_pairs_encoded_together_are_each_pair_on_its_own(claims: dict[str, Any]) -> None:
    # canonical_pairs checks the mapping once as a whole; every pair must still be exactly JCS.
    assert canonical_pairs(claims) == {name: canonical_json([name, value]) for name, value in claims.items()}
    assert canonical_pairs(claims) == {name: rfc8785.dumps([name, value]) for name, value in claims.items()}


def test_pairs_refuse_what_a_pair_would() -> None:
    with pytest.raises(CanonicalJSONError, match="keys must be strings"):
        canonical_pairs({1: "x"})  # type: ignore[dict-item]
    with pytest.raises(CanonicalJSONError):
        canonical_pairs({"a": 2**60})
    assert canonical_pairs({"a": 1.5, "b": None}) == {"a": b'["a",1.5]', "b": b'["b",null]'}


@pytest.mark.no_cover
@settings(max_examples=300, deadline=None)
@given(plain_values)
def test_plain_values_agree_with_the_reference_implementation(value: Any) -> None:
    # Without floats most of these take the fast path, which is what this property guards.
    assert canonical_json(value) == rfc8785.dumps(value)


@pytest.mark.no_cover
@settings(max_examples=200, deadline=None)
@given(st.dictionaries(order_sensitive_keys, plain_scalars, min_size=2, max_size=6))
def test_keys_sort_by_utf16_code_units(value: dict[str, Any]) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)
    assert list(parse_json(canonical_json(value))) == sorted(value, key=lambda key: key.encode("utf-16-be"))


@pytest.mark.no_cover
@settings(max_examples=150, deadline=None)
@given(st.dictionaries(keys, json_values, min_size=2, max_size=8), st.randoms(use_true_random=False))
def test_key_order_never_changes_the_output(value: dict[str, Any], random: Any) -> None:
    items = list(value.items())
    random.shuffle(items)
    assert canonical_json(dict(items)) == canonical_json(value)
    assert canonical_json({"outer": dict(items)}) == canonical_json({"outer": value})


# JCS writes a double from 2^53 up to 1e21 as digits alone, which Python reads back as an integer
# beyond the safe range, which canonical_json then refuses: the round trip holds outside that range.
round_trip_floats = finite_floats.filter(lambda number: abs(number) < 2**53 or abs(number) >= 1e21)
round_trip_values = st.recursive(
    plain_scalars | round_trip_floats,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(keys, children, max_size=5),
    max_leaves=25,
)


@pytest.mark.no_cover
@settings(max_examples=200, deadline=None)
@given(round_trip_values)
def test_parsing_canonical_text_gives_the_value_back(value: Any) -> None:
    text = canonical_json(value)
    assert parse_json(text) == value
    assert canonical_json(parse_json(text.decode("utf-8"))) == text


def test_fast_path_does_not_call_the_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Any] = []
    reference = rfc8785.dumps

    def recording(value: Any) -> bytes:
        calls.append(value)
        return bytes(reference(value))

    monkeypatch.setattr(rfc8785, "dumps", recording)
    assert canonical_json({"b": [1, "x", None], "a": True}) == b'{"a":true,"b":[1,"x",null]}'
    assert calls == []
    # An astral key or a float anywhere sends the whole value to the reference implementation.
    assert canonical_json([{"\U0001f600": 1}]) == '[{"\U0001f600":1}]'.encode()
    assert canonical_json({"a": [1.5]}) == b'{"a":[1.5]}'
    assert calls == [[{"\U0001f600": 1}], {"a": [1.5]}]


def test_rfc8785_key_sorting_example() -> None:
    # RFC 8785 section 3.2.3: keys sort by UTF-16 code units, so U+1F600 precedes U+FB33.
    value = {"\u20ac": 1, "\r": 2, "\ufb33": 3, "1": 4, "\U0001f600": 5, "\u0080": 6, "\u00f6": 7}
    expected = '{"\\r":2,"1":4,"\u0080":6,"\u00f6":7,"\u20ac":1,"\U0001f600":5,"\ufb33":3}'
    assert canonical_json(value) == expected.encode("utf-8")


def test_numbers_and_strings_are_written_as_jcs_prescribes() -> None:
    numbers = [1.0, -0.0, 1e21, 1e-7, 0.1, 1e20, 5e-324, MAX_SAFE, -MAX_SAFE, 0, True, None]
    assert canonical_json(numbers) == (
        b"[1,0,1e+21,1e-7,0.1,100000000000000000000,5e-324,9007199254740991,-9007199254740991,0,true,null]"
    )
    text = '\x00\x1f\x7f\u2028"\\\b\f\n\r\t/é'
    assert canonical_json(text) == '"\\u0000\\u001f\x7f\u2028\\"\\\\\\b\\f\\n\\r\\t/é"'.encode()
    assert canonical_json((1, "a")) == b'[1,"a"]'
    assert canonical_json({}) == b"{}"
    assert canonical_json([]) == b"[]"


@pytest.mark.parametrize(
    "value",
    [2**53, -(2**53), 2**64, [1, 2**53], {"a": {"b": -(2**60)}}, [1.5, 2**53]],
)
def test_integers_beyond_the_safe_range_are_refused(value: Any) -> None:
    with pytest.raises(CanonicalJSONError) as raised:
        canonical_json(value)
    huge = next(v for v in _leaves(value) if isinstance(v, int) and abs(v) > MAX_SAFE)
    assert str(raised.value) == f"the integer {huge} is not exactly representable (I-JSON limit 2^53-1)"


def _leaves(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [leaf for item in value.values() for leaf in _leaves(item)]
    if isinstance(value, list):
        return [leaf for item in value for leaf in _leaves(item)]
    return [value]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (float("nan"), "not a JSON value: Out of range float values are not JSON compliant"),
        ([1, float("inf")], "not a JSON value: Out of range float values are not JSON compliant"),
        ({"a": float("-inf")}, "not a JSON value: Out of range float values are not JSON compliant"),
        ({1, 2}, "not a JSON value: Object of type set is not JSON serializable"),
        (b"bytes", "not a JSON value: Object of type bytes is not JSON serializable"),
        ([Decimal("1.5")], "not a JSON value: Object of type Decimal is not JSON serializable"),
        ({"a": object()}, "not a JSON value: Object of type object is not JSON serializable"),
    ],
)
def test_values_json_cannot_hold_are_refused(value: Any, message: str) -> None:
    with pytest.raises(CanonicalJSONError) as raised:
        canonical_json(value)
    # Newer Pythons append the offending value to the encoder's message.
    assert str(raised.value).startswith(message)


@pytest.mark.parametrize(
    "value",
    [
        "\ud800",
        ["ok", "x\udfff"],
        {"\udc00": 1},
        {"a": {"b": "\ud83d"}},
        ["\ud800", 1.5],
        {"\U0001f600": "\udfff"},
    ],
)
def test_lone_surrogates_are_refused(value: Any) -> None:
    with pytest.raises(CanonicalJSONError) as raised:
        canonical_json(value)
    assert str(raised.value) == "a string holds a lone surrogate, which is not Unicode text"


def test_the_error_is_a_ledger_value_error() -> None:
    assert issubclass(CanonicalJSONError, LedgerError)
    assert issubclass(CanonicalJSONError, ValueError)


def test_parse_json_reads_text_and_bytes() -> None:
    document = '{"名":"张三","n":[1,2.5,true,null],"e":"\\ud83d\\ude00"}'
    expected = {"名": "张三", "n": [1, 2.5, True, None], "e": "\U0001f600"}
    assert parse_json(document) == expected
    assert parse_json(document.encode("utf-8")) == expected
    assert parse_json(" [ ] ") == []


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('{"a":1,"a":2}', "a"),
        ('{"a":1,"a":1}', "a"),
        ('{"x":{"k":1,"b":2,"k":3}}', "k"),
        ('[{"ok":1},{"名":1,"名":2}]', "名"),
        ('{"a":1,"\\u0061":2}', "a"),
    ],
)
def test_parse_json_refuses_duplicate_keys(text: str, key: str) -> None:
    with pytest.raises(CanonicalJSONError) as raised:
        parse_json(text)
    assert str(raised.value) == f"duplicate key {key!r}"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("NaN", "NaN is not a JSON number"),
        ("[1, Infinity]", "Infinity is not a JSON number"),
        ('{"a": -Infinity}', "-Infinity is not a JSON number"),
        # A literal too large for a double would otherwise become infinity behind our back.
        ("1e400", "1e400 is too large for a JSON number"),
        ('{"a": [-1.5E999]}', "-1.5E999 is too large for a JSON number"),
    ],
)
def test_parse_json_refuses_non_finite_numbers(text: str, message: str) -> None:
    with pytest.raises(CanonicalJSONError) as raised:
        parse_json(text)
    assert str(raised.value) == message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not JSON: Expecting value: line 1 column 1 (char 0)"),
        ("{", "not JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
        ("[1] [2]", "not JSON: Extra data: line 1 column 5 (char 4)"),
        ("{'a': 1}", "not JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)"),
        (b"\xff", "not JSON: 'utf-8' codec can't decode byte 0xff in position 0: invalid start byte"),
    ],
)
def test_parse_json_refuses_what_is_not_json(text: str | bytes, message: str) -> None:
    with pytest.raises(CanonicalJSONError) as raised:
        parse_json(text)
    assert str(raised.value) == message
    assert isinstance(raised.value.__cause__, json.JSONDecodeError | UnicodeDecodeError)


@pytest.mark.parametrize(
    "value",
    [
        {"tiny": 1e-7},
        {"big": 1e20},
        {"huge": 1e300},
        {"half": 0.5, "text": "no float here"},
        {"text": "5e-3 and 1.5 and +7", "count": 1234567890123456},
        {"month": "2025-01", "amount": 632000, "rate": 2.5e-8},
        {"date": "2026-11-29", "n": 9007199254740991},
        ["1e+5", 100000, 1e5],
    ],
)
def test_floats_among_look_alikes_are_written_as_jcs_prescribes(value: Any) -> None:
    # The quick tests for floats ("." or "+" or "e-" anywhere) must never let one through.
    assert canonical_json(value) == rfc8785.dumps(value)
    if isinstance(value, dict):
        assert canonical_pairs(value) == {k: rfc8785.dumps([k, v]) for k, v in value.items()}
