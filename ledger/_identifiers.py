"""Chinese identity numbers (GB 11643) and unified social credit codes (GB 32100).

Each check returns None for a valid value, or the reason it is not valid, so that input reports
can say exactly what is wrong without repeating the whole number.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from functools import lru_cache

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
# [0-9] and \Z rather than \d and $: \d matches any Unicode digit, $ a trailing newline.
_ID_SHAPE = re.compile(r"^[1-9][0-9]{16}[0-9X]\Z")

# GB 32100: 31 characters, the digits and the capital letters without I, O, Z, S, V.
_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CODE_VALUES = {character: value for value, character in enumerate(_CODE_ALPHABET)}
_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CODE_SHAPE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}\Z")

_YEAR_MONTH = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])\Z")


def identity_check_character(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits of an identity number."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def _identity_number_problem(value: str) -> str | None:
    """Why `value` is not a GB 11643 citizen identity number, or None when it is one."""
    if not isinstance(value, str) or not _ID_SHAPE.match(value):
        return "an identity number is 18 characters: 17 digits and a digit or X"
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "the birth date in the identity number does not exist"
    if born.year < 1900:
        return "the birth date in the identity number is before 1900"
    expected = identity_check_character(value[:17])
    if value[17] != expected:
        return f"the check character is {value[17]}, GB 11643 gives {expected}"
    return None


def credit_code_check_character(first17: str) -> str:
    """The check character of the first 17 characters of a unified social credit code."""
    total = sum(_CODE_VALUES[c] * w for c, w in zip(first17, _CODE_WEIGHTS, strict=True))
    return _CODE_ALPHABET[(31 - total % 31) % 31]


def _credit_code_problem(value: str) -> str | None:
    """Why `value` is not a GB 32100 unified social credit code, or None when it is one."""
    if not isinstance(value, str) or not _CODE_SHAPE.match(value):
        return "a unified social credit code is 18 characters of 0-9 and A-Y without I, O, Z, S, V"
    expected = credit_code_check_character(value[:17])
    if value[17] != expected:
        return f"the check character is {value[17]}, GB 32100 gives {expected}"
    return None


def _year_month_problem(value: str) -> str | None:
    """Why `value` is not a month written YYYY-MM, or None."""
    if not isinstance(value, str) or not _YEAR_MONTH.match(value):
        return "a month is written YYYY-MM, with a month from 01 to 12"
    return None


def _date_problem(value: str) -> str | None:
    """Why `value` is not a calendar date written YYYY-MM-DD, or None."""
    try:
        parsed = date.fromisoformat(value)
    except (TypeError, ValueError):
        return "a date is written YYYY-MM-DD and must exist"
    if parsed.isoformat() != value:
        return "a date is written YYYY-MM-DD"
    return None


def mask(value: str) -> str:
    """`value` with all but its first 3 and last 2 characters hidden, for reports."""
    if len(value) <= 6:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 5) + value[-2:]


# The same employer codes and months recur in every record of an export: checks are cached.
_CACHE = 1 << 16


def _cached(check: Callable[[str], str | None]) -> Callable[[str], str | None]:
    remembered = lru_cache(maxsize=_CACHE)(check)

    def checked(value: str) -> str | None:
        return remembered(value) if isinstance(value, str) else check(value)

    checked.__doc__ = check.__doc__
    checked.__name__ = check.__name__.lstrip("_")
    return checked


identity_number_problem = _cached(_identity_number_problem)
credit_code_problem = _cached(_credit_code_problem)
year_month_problem = _cached(_year_month_problem)
date_problem = _cached(_date_problem)
