"""Strict amount parsing: what is accepted, what is refused and with which words, and that a
refused amount stops the command before any request is sent."""

from __future__ import annotations

import re

import click
import pytest
from click.testing import CliRunner

from ilpnode.cli import main
from ilpnode.cli_admin import client as client_module
from ilpnode.cli_admin.amounts import (
    U64_MAX,
    AmountError,
    amount_callback,
    parse_amount,
    parse_units,
)


@pytest.mark.parametrize(
    ("text", "value"),
    [("0", 0), ("1", 1), ("10000", 10000), ("007", 7), (str(U64_MAX), U64_MAX)],
)
def test_accepts_whole_numbers_up_to_u64_max(text: str, value: int) -> None:
    assert parse_amount(text) == value


@pytest.mark.parametrize(
    "text",
    ["-1", "+1", "1.5", "1.0", "1e3", "1_000", "1,000", " 1", "1 ", "0x10", "١٢", "abc"],
)
def test_refuses_anything_but_ascii_digits(text: str) -> None:
    with pytest.raises(AmountError, match="is not a whole number"):
        parse_amount(text)


def test_refuses_empty() -> None:
    with pytest.raises(AmountError, match="required"):
        parse_amount("")


@pytest.mark.parametrize("text", [str(U64_MAX + 1), "9" * 21, "9" * 5000])
def test_refuses_more_than_u64_max(text: str) -> None:
    with pytest.raises(AmountError, match=f"at most {U64_MAX}"):
        parse_amount(text)


def test_leading_zeros_do_not_count_towards_the_length_limit() -> None:
    assert parse_amount("0" * 30 + "5") == 5


def test_minimum() -> None:
    assert parse_amount("1", minimum=1) == 1
    with pytest.raises(AmountError, match="at least 1"):
        parse_amount("0", minimum=1)


def test_callback_turns_errors_into_click_bad_parameter() -> None:
    param = click.Option(["--amount"])
    ctx = click.Context(click.Command("x"))
    assert amount_callback(ctx, param, None) is None
    assert amount_callback(ctx, param, "12") == 12
    with pytest.raises(click.BadParameter, match="too large"):
        amount_callback(ctx, param, str(2**64))


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["liquidity", "deposit", "--peer", "p", "--", "-5"], "is not a whole number"),
        (["liquidity", "deposit", "--peer", "p", "1.5"], "is not a whole number"),
        (["liquidity", "withdraw", "--asset", "a", str(2**64)], "too large"),
        (["liquidity", "deposit", "--peer", "p", "0"], "at least 1"),
        (["peers", "update", "p", "--max-packet-amount", "1e6"], "is not a whole number"),
        (["assets", "create", "--code", "USD", "--scale", "2", "--liquidity-threshold", "-1"], ""),
    ],
)
def test_a_bad_amount_stops_the_command_before_any_request(
    monkeypatch: pytest.MonkeyPatch, args: list[str], words: str
) -> None:
    def no_request(*_args: object, **_kwargs: object) -> object:
        raise AssertionError("a request was sent")

    monkeypatch.setattr(client_module.AdminClient, "execute", no_request)

    result = CliRunner().invoke(main, args)

    assert result.exit_code == 2, result.output
    assert "Invalid value" in result.stderr
    assert words in result.stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("text", "scale", "value"),
    [
        ("10.00", 2, 1000),
        ("0.5", 2, 50),
        (".5", 2, 50),
        ("5.", 2, 500),
        ("10.10", 1, 101),  # trailing zeros beyond the scale are no decimals
        ("7.0", 0, 7),
        ("0.000000001", 9, 1),
        ("184467440737095516.15", 2, U64_MAX),
    ],
)
def test_units_with_a_decimal_point_are_read_exactly(text: str, scale: int, value: int) -> None:
    assert parse_units(text, scale=scale, code="USD") == value


@pytest.mark.parametrize(
    ("text", "scale", "message"),
    [
        ("10", 2, "is not an amount"),
        (".", 2, "is not an amount"),
        ("1.2.3", 2, "is not an amount"),
        ("-1.0", 2, "is not an amount"),
        ("1,5", 2, "is not an amount"),
        ("\u0661.\u0665", 2, "is not an amount"),  # Arabic-Indic digits
        ("0.005", 2, "more decimals than USD has (2): the smallest amount is 0.01"),
        ("7.5", 0, "more decimals than USD has (0): the smallest amount is 1"),
        ("184467440737095516.16", 2, "is too large"),
        ("9" * 30 + ".0", 2, "is too large"),
        ("0.00", 2, "more than 0"),
    ],
)
def test_units_refuse_what_is_not_an_exact_amount(text: str, scale: int, message: str) -> None:
    with pytest.raises(AmountError, match=re.escape(message)):
        parse_units(text, scale=scale, code="USD")
