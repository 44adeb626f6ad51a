"""Amounts typed and shown in the asset's units (dashboard/amounts.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ilpnode.dashboard.amounts import AmountProblem, format_amount, parse_amount, plain_amount

UINT64_MAX = 2**64 - 1


@pytest.mark.parametrize(
    ("text", "scale", "expected"),
    [
        ("12.5", 2, 1250),
        ("12.50", 2, 1250),
        (" 0.01 ", 2, 1),
        (".5", 2, 50),
        ("5.", 2, 500),
        ("7", 0, 7),
        ("7.000", 0, 7),
        ("0", 2, 0),
        ("184467440737095516.15", 2, UINT64_MAX),
        ("18446744073709551615", 0, UINT64_MAX),
        ("0" * 5000 + "1", 2, 100),
    ],
)
def test_parses_exactly(text: str, scale: int, expected: int) -> None:
    assert parse_amount(text, scale=scale, code="USD") == expected


@pytest.mark.parametrize(
    ("text", "scale", "words"),
    [
        ("", 2, "Enter a number"),
        ("abc", 2, "Enter a number"),
        ("-1", 2, "no signs"),
        ("1,000", 2, "thousands separators"),
        ("1e3", 2, "Enter a number"),
        (".", 2, "Enter a number"),
        ("12.345", 2, "USD has 2 decimal places: 12.345 has 3."),
        ("1.5", 0, "USD has no decimal places here"),
        ("0.05", 1, "USD has 1 decimal place: 0.05 has 2."),
        ("184467440737095516.16", 2, "too large: at most 184,467,440,737,095,516.15 USD"),
        ("1" + "0" * 5000, 2, "too large"),
    ],
)
def test_refuses_in_words(text: str, scale: int, words: str) -> None:
    with pytest.raises(AmountProblem, match=words.replace(".", r"\.").replace("(", r"\(")):
        parse_amount(text, scale=scale, code="USD")


def test_formats() -> None:
    assert format_amount(123456789, 2) == "1,234,567.89"
    assert format_amount(5, 3) == "0.005"
    assert format_amount(1234, 0) == "1,234"
    assert plain_amount(123456789, 2) == "1234567.89"
    assert plain_amount(1234, 0) == "1234"


@given(amount=st.integers(0, UINT64_MAX), scale=st.integers(0, 30))
def test_plain_amount_round_trips(amount: int, scale: int) -> None:
    assert parse_amount(plain_amount(amount, scale), scale=scale, code="X") == amount
