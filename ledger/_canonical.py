"""RFC 8785 (JCS) canonical JSON, and a JSON parser that refuses what JCS cannot represent.

Certificate documents hold strings, integers, booleans, nulls, arrays and objects. For those the
canonical form is what `json.dumps` writes with sorted keys, no spaces and no ASCII escaping —
provided no key holds a character beyond U+FFFF (Python sorts keys by code point, JCS by UTF-16
code unit, and the two orders differ only there) and every integer is exactly representable as
an IEEE double. Values outside that fast path (floats, such keys) go through the reference
implementation, the `rfc8785` package; a property test holds both to the same output.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

import orjson
import rfc8785

from ledger._errors import LedgerError

MAX_SAFE_INTEGER = 2**53 - 1

_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True, allow_nan=False).encode
# Every string literal of the encoder's output, to look at what lies outside strings.
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_DIGITS_TO_ZERO = bytes.maketrans(b"123456789", b"000000000")
_ORJSON_OPTIONS = orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER
# Digits to 0, and the lead bytes of 4-byte UTF-8 sequences (0xF0-0xF4) to NUL.
_ZERO_DIGITS_NUL_ASTRAL = bytes.maketrans(b"123456789\xf0\xf1\xf2\xf3\xf4", b"000000000\x00\x00\x00\x00\x00")
# A number with a fraction or exponent, or with 16 or more digits (possibly beyond 2^53 - 1).
_SUSPICIOUS_NUMBER = re.compile(r"\d[.eE]|\d{16}")


MAX_JSON_DEPTH = 64
"""How deep arrays and objects may sit inside one another in JSON from outside. Our deepest
document (a presentation inside a grant bundle) nests 8 deep; 64 leaves room for any real
document and none for an attack on the parser (see `ledger._limits`)."""

# A whole string literal (skipped, with the brackets inside it), or one bracket.
_STRUCTURE = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
_OPEN = frozenset(b"[{")


class CanonicalJSONError(LedgerError, ValueError):
    """The value or text cannot be canonical JSON: a duplicate key, NaN, a huge integer, a bad string."""


class JSONTooDeepError(CanonicalJSONError):
    """JSON text nests arrays and objects deeper than the limit: refused before any parser runs."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the JSON nests arrays and objects more than {limit} deep")
        self.limit = limit


def check_json_depth(text: str | bytes, *, limit: int = MAX_JSON_DEPTH) -> None:
    """Raises `JSONTooDeepError` when `text` nests arrays and objects deeper than `limit`.

    Reads the text once, without recursing, and stops at the first bracket past the limit. Text
    that is not JSON is left for the parser to refuse: only its brackets are counted here.
    """
    data = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if data.count(b"[") + data.count(b"{") <= limit:  # too few brackets to nest that deep
        return
    depth = 0
    for match in _STRUCTURE.finditer(data):
        first = match.group()[0]
        if first in _OPEN:
            depth += 1
            if depth > limit:
                raise JSONTooDeepError(limit)
        elif first != 0x22:  # a closing bracket; a string literal (0x22 is '"') changes nothing
            depth -= 1


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of `value` (a tree of JSON values with string keys)."""
    # orjson writes sorted, compact, unescaped UTF-8 with JCS's string escapes, and refuses
    # non-string keys, lone surrogates and (strict) integers beyond 2^53-1. It differs from JCS
    # only on floats (formatting; NaN becomes null) and on keys beyond U+FFFF (sort order), so
    # any float, any null and any 4-byte UTF-8 sequence sends the value down the strict path.
    encoded = _fast(value)
    return _strict(value) if encoded is None else encoded


def canonical_pairs(items: Mapping[str, Any]) -> dict[str, bytes]:
    """``canonical_json([name, value])`` of every item, checking the mapping as a whole once.

    Every byte of a pair's encoding is a byte of the whole mapping's (a name and its value are
    encoded alike in both, and the brackets and separators between them cannot form a null, a
    number or a 4-byte sequence), so when the whole needs no strict path no pair does.
    """
    if _fast(items) is None:
        return {name: canonical_json([name, value]) for name, value in items.items()}
    dumps, option = orjson.dumps, _ORJSON_OPTIONS
    return {name: dumps([name, value], option=option) for name, value in items.items()}


def _fast(value: Any) -> bytes | None:
    """orjson's encoding of `value` when it is already canonical, None when it may not be."""
    try:
        encoded = orjson.dumps(value, option=_ORJSON_OPTIONS)
    except (orjson.JSONEncodeError, TypeError) as error:
        if "key must be str" in str(error):  # the standard encoder would quietly stringify it
            raise CanonicalJSONError("object keys must be strings") from error
        return None
    # One pass: digits become 0 and the lead bytes of 4-byte sequences become NUL (which orjson
    # never writes: it escapes control characters), then three searches.
    zeroed = encoded.translate(_ZERO_DIGITS_NUL_ASTRAL)
    if b"\x00" in zeroed or b"null" in encoded:
        return None
    # orjson writes every float with "." or "e+" or "e-"; without them no number needs a second
    # look (quick tests first: one-byte searches are the fastest, and zeros abound in `zeroed`).
    maybe_float = b"." in encoded or b"+" in encoded or b"e-" in encoded
    if (
        maybe_float
        and (b"0." in zeroed or b"0e" in zeroed)
        and _SUSPICIOUS_NUMBER.search(_STRINGS.sub('""', encoded.decode()))
    ):
        return None
    return encoded


def _strict(value: Any) -> bytes:
    """Canonical bytes through the standard library encoder and the reference implementation."""
    try:
        text = _dumps(value)
    except (TypeError, ValueError) as error:
        raise CanonicalJSONError(f"not a JSON value: {error}") from error
    try:
        encoded = text.encode("utf-8")
    except UnicodeEncodeError as error:
        raise CanonicalJSONError("a string holds a lone surrogate, which is not Unicode text") from error
    # Python writes every float with a "." or an exponent ("e+", "e-") after a digit, an unsafe
    # integer has 16 digits in a row, and an astral character takes two UTF-16 units.
    astral = len(encoded) != len(text) and len(text.encode("utf-16-le")) != 2 * len(text)
    zeroed = encoded.translate(_DIGITS_TO_ZERO)
    maybe_number = b"0000000000000000" in zeroed or b"0." in zeroed or b"0e+" in zeroed or b"0e-" in zeroed
    if astral or (maybe_number and _SUSPICIOUS_NUMBER.search(_STRINGS.sub('""', text))):
        return _reference(value)
    return encoded


def _reference(value: Any) -> bytes:
    """Canonical bytes by the reference implementation, for floats, big integers and astral keys."""
    _check_integers(value)
    try:
        return rfc8785.dumps(value)
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as error:
        raise CanonicalJSONError(f"cannot canonicalize: {error}") from error


def _check_integers(value: Any) -> None:
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INTEGER:
            raise CanonicalJSONError(
                f"the integer {value} is not exactly representable (I-JSON limit 2^53-1)"
            )
    elif isinstance(value, dict):
        for item in value.values():
            _check_integers(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_integers(item)


def parse_json(text: str | bytes) -> Any:
    """Parses JSON text, refusing deep nesting, duplicate keys, NaN and Infinity, and unsafe
    integers."""
    check_json_depth(text)
    try:
        return json.loads(
            text,
            object_pairs_hook=_unique_keys,
            parse_constant=_no_constants,
            parse_float=_finite_float,
            parse_int=_safe_integer,
        )
    except CanonicalJSONError:
        raise
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as error:
        raise CanonicalJSONError(f"not JSON: {error}") from error


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):  # the dict kept one value per key: some key came twice
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen:
                raise CanonicalJSONError(f"duplicate key {key!r}")
            seen.add(key)
    return result


def _safe_integer(text: str) -> int:
    # JCS numbers are IEEE doubles: a larger integer could not be hashed as written.
    value = int(text)
    if abs(value) > MAX_SAFE_INTEGER:
        raise CanonicalJSONError(
            f"the integer {text} is larger than 2^53-1, the most JSON numbers can carry exactly"
        )
    return value


def _no_constants(name: str) -> Any:
    raise CanonicalJSONError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    # `float` turns a number too large for a double, such as 1e400, into infinity.
    number = float(text)
    if not math.isfinite(number):
        raise CanonicalJSONError(f"{text} is too large for a JSON number")
    return number
