"""GB 11643 identity numbers, GB 32100 credit codes, months, dates and masking.

The check characters are recomputed here from the standards' formulas (weights 2^(17-i) mod 11
and 3^i mod 31), independently of the module's tables.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import credit_code_problem, date_problem, identity_number_problem, mask, year_month_problem

IDENTITY_SAMPLE = "11010519491231002X"  # the sample printed in GB 11643-1999
CREDIT_SAMPLE = "91350100M000100Y43"  # the sample printed in GB 32100-2015
CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

IDENTITY_SHAPE = "an identity number is 18 characters: 17 digits and a digit or X"
NO_SUCH_BIRTH_DATE = "the birth date in the identity number does not exist"
BEFORE_1900 = "the birth date in the identity number is before 1900"
CREDIT_SHAPE = "a unified social credit code is 18 characters of 0-9 and A-Y without I, O, Z, S, V"
MONTH_SHAPE = "a month is written YYYY-MM, with a month from 01 to 12"
NO_SUCH_DATE = "a date is written YYYY-MM-DD and must exist"
DATE_SHAPE = "a date is written YYYY-MM-DD"

# Replacement characters: digits and letters, the letters GB 32100 leaves out, lower case, and
# characters that `\d` or `$` in a careless pattern would let through.
REPLACEMENTS = st.sampled_from(
    [*"0123456789", *"ABCDEFGHJKLMNPQRTUWXY", *"IOZSV", *"xam", " ", "-", "\n", "１", "٣", "é", "\U0001f600"]
)


def gb11643_check(first17: str) -> str:
    """ISO 7064 MOD 11-2, as GB 11643 states it."""
    total = sum(int(digit) * (2 ** (17 - i) % 11) for i, digit in enumerate(first17))
    value = (12 - total % 11) % 11
    return "X" if value == 10 else str(value)


def gb32100_check(first17: str) -> str:
    """GB 32100's MOD 31 check character."""
    total = sum(CODE_ALPHABET.index(c) * (3**i % 31) for i, c in enumerate(first17))
    return CODE_ALPHABET[(31 - total % 31) % 31]


def identity(first17: str) -> str:
    return first17 + gb11643_check(first17)


def expected_identity_problem(value: str) -> str | None:
    ascii_digits = "0123456789"
    if not (
        len(value) == 18
        and value[0] in "123456789"
        and all(c in ascii_digits for c in value[1:17])
        and value[17] in ascii_digits + "X"
    ):
        return IDENTITY_SHAPE
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return NO_SUCH_BIRTH_DATE
    if born.year < 1900:
        return BEFORE_1900
    expected = gb11643_check(value[:17])
    return None if value[17] == expected else f"the check character is {value[17]}, GB 11643 gives {expected}"


def expected_credit_problem(value: str) -> str | None:
    if not (
        len(value) == 18
        and all(c in CODE_ALPHABET for c in value[:2] + value[8:])
        and all(c in "0123456789" for c in value[2:8])
    ):
        return CREDIT_SHAPE
    expected = gb32100_check(value[:17])
    return None if value[17] == expected else f"the check character is {value[17]}, GB 32100 gives {expected}"


def test_the_published_samples_are_valid() -> None:
    assert gb11643_check(IDENTITY_SAMPLE[:17]) == "X"
    assert gb32100_check(CREDIT_SAMPLE[:17]) == "3"
    assert identity_number_problem(IDENTITY_SAMPLE) is None
    assert credit_code_problem(CREDIT_SAMPLE) is None


identity_numbers = st.builds(
    lambda region, born, sequence: identity(f"{region}{born:%Y%m%d}{sequence:03d}"),
    st.integers(100000, 999999),
    st.dates(date(1900, 1, 1), date(2099, 12, 31)),
    st.integers(0, 999),
)
credit_codes = st.builds(
    lambda head, region, body: (head + f"{region:06d}" + body) + gb32100_check(head + f"{region:06d}" + body),
    st.text(st.sampled_from(CODE_ALPHABET), min_size=2, max_size=2),
    st.integers(0, 999999),
    st.text(st.sampled_from(CODE_ALPHABET), min_size=9, max_size=9),
)


@settings(max_examples=200, deadline=None)
@given(identity_numbers)
def test_well_formed_identity_numbers_are_valid(value: str) -> None:
    assert identity_number_problem(value) is None


@settings(max_examples=200, deadline=None)
@given(credit_codes)
def test_well_formed_credit_codes_are_valid(value: str) -> None:
    assert credit_code_problem(value) is None


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.just(IDENTITY_SAMPLE), identity_numbers), st.integers(0, 17), REPLACEMENTS)
def test_any_single_change_of_an_identity_number_is_refused(
    valid: str, position: int, replacement: str
) -> None:
    changed = valid[:position] + replacement + valid[position + 1 :]
    if changed == valid:
        return
    reason = identity_number_problem(changed)
    assert reason is not None
    assert reason == expected_identity_problem(changed)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.just(CREDIT_SAMPLE), credit_codes), st.integers(0, 17), REPLACEMENTS)
def test_any_single_change_of_a_credit_code_is_refused(valid: str, position: int, replacement: str) -> None:
    changed = valid[:position] + replacement + valid[position + 1 :]
    if changed == valid:
        return
    reason = credit_code_problem(changed)
    assert reason is not None
    assert reason == expected_credit_problem(changed)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("110105194912310021", "the check character is 1, GB 11643 gives X"),
        ("11010519491231002x", IDENTITY_SHAPE),
        ("110105194912310020", "the check character is 0, GB 11643 gives X"),
        (identity("11010519490230002"), NO_SUCH_BIRTH_DATE),  # 30 February
        (identity("11010519491331002"), NO_SUCH_BIRTH_DATE),  # month 13
        (identity("11010519491200002"), NO_SUCH_BIRTH_DATE),  # day 00
        (identity("11010519000229002"), NO_SUCH_BIRTH_DATE),  # 1900 was not a leap year
        (identity("11010500000101002"), NO_SUCH_BIRTH_DATE),  # year 0
        (identity("11010518991231002"), BEFORE_1900),
        ("440524188001010014", BEFORE_1900),  # GB 11643's other sample, born in 1880
        (identity("11010520000229002"), None),  # 2000 was
        (identity("11010519000101002"), None),
        ("11010519491231002", IDENTITY_SHAPE),
        ("11010519491231002XX", IDENTITY_SHAPE),
        ("", IDENTITY_SHAPE),
        ("01010519491231002X", IDENTITY_SHAPE),
        ("1101051949123100X2", IDENTITY_SHAPE),
        (" 11010519491231002X", IDENTITY_SHAPE),
        ("11010519491231002X\n", IDENTITY_SHAPE),
        ("1١٠١٠٥١٩٤٩١٢٣١٠٠٢X", IDENTITY_SHAPE),  # Arabic-Indic digits are digits to `\d`
        ("1１０１０５１９４９１２３１００２X", IDENTITY_SHAPE),  # so are full-width ones
    ],
)
def test_identity_numbers(value: str, reason: str | None) -> None:
    assert identity_number_problem(value) == reason


@pytest.mark.parametrize("value", [None, 11010519491231002, ["11010519491231002X"]])
def test_an_identity_number_is_a_string(value: Any) -> None:
    assert identity_number_problem(value) == IDENTITY_SHAPE


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("91350100M000100Y44", "the check character is 4, GB 32100 gives 3"),
        ("91350100M000100YA3", "the check character is 3, GB 32100 gives M"),
        *[(f"91350100{letter}000100Y43", CREDIT_SHAPE) for letter in "IOZSV"],
        ("91350100M000100Y4I", CREDIT_SHAPE),
        ("I1350100M000100Y43", CREDIT_SHAPE),
        ("91350100m000100y43", CREDIT_SHAPE),
        ("913A0100M000100Y43", CREDIT_SHAPE),  # the region code is six digits
        ("91350100M000100Y4", CREDIT_SHAPE),
        ("91350100M000100Y433", CREDIT_SHAPE),
        ("91350100M000100Y43\n", CREDIT_SHAPE),
        ("91３50100M000100Y43", CREDIT_SHAPE),  # a full-width digit once raised KeyError
        ("", CREDIT_SHAPE),
    ],
)
def test_credit_codes(value: str, reason: str | None) -> None:
    assert credit_code_problem(value) == reason


def test_a_credit_code_is_a_string() -> None:
    value: Any = 91350100
    assert credit_code_problem(value) == CREDIT_SHAPE


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2025-01", None),
        ("2025-12", None),
        ("1999-10", None),
        ("2025-00", MONTH_SHAPE),
        ("2025-13", MONTH_SHAPE),
        ("2025-1", MONTH_SHAPE),
        ("2025-001", MONTH_SHAPE),
        ("25-01", MONTH_SHAPE),
        ("2025/01", MONTH_SHAPE),
        ("202501", MONTH_SHAPE),
        ("2025-01-01", MONTH_SHAPE),
        ("2025-01\n", MONTH_SHAPE),
        ("２０２５-01", MONTH_SHAPE),
        (" 2025-01", MONTH_SHAPE),
        ("", MONTH_SHAPE),
        (None, MONTH_SHAPE),
        (202501, MONTH_SHAPE),
    ],
)
def test_year_months(value: Any, reason: str | None) -> None:
    assert year_month_problem(value) == reason


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2025-02-28", None),
        ("2024-02-29", None),
        ("2000-02-29", None),
        ("2025-12-31", None),
        ("2025-02-30", NO_SUCH_DATE),
        ("2023-02-29", NO_SUCH_DATE),
        ("1900-02-29", NO_SUCH_DATE),
        ("2025-04-31", NO_SUCH_DATE),
        ("2025-13-01", NO_SUCH_DATE),
        ("2025-00-10", NO_SUCH_DATE),
        ("2025-1-1", NO_SUCH_DATE),
        ("2025-01-01T00:00", NO_SUCH_DATE),
        ("2025-01-01\n", NO_SUCH_DATE),
        ("", NO_SUCH_DATE),
        (None, NO_SUCH_DATE),
        (20250101, NO_SUCH_DATE),
        # Python reads these ISO 8601 forms, but documents write dates one way only.
        ("20250101", DATE_SHAPE),
        ("2025-W01-1", DATE_SHAPE),
    ],
)
def test_dates(value: Any, reason: str | None) -> None:
    assert date_problem(value) == reason


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        (IDENTITY_SAMPLE, "110*************2X"),
        (CREDIT_SAMPLE, "913*************43"),
        ("1234567", "123**67"),
        ("123456", "******"),
        ("abc", "***"),
        ("", ""),
    ],
)
def test_mask(value: str, masked: str) -> None:
    assert mask(value) == masked


@settings(max_examples=200, deadline=None)
@given(st.text(min_size=7, max_size=40))
def test_mask_keeps_three_leading_and_two_trailing_characters(value: str) -> None:
    masked = mask(value)
    assert len(masked) == len(value)
    assert masked[:3] == value[:3]
    assert masked[-2:] == value[-2:]
    assert masked[3:-2] == "*" * (len(value) - 5)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=6))
def test_mask_hides_short_values_entirely(value: str) -> None:
    assert mask(value) == "*" * len(value)
