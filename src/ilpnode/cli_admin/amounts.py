"""Strict parsing of amounts typed on the command line.

An amount is a whole number of the asset's smallest unit (10000 is 100.00 USD at scale 2), in
0..2**64-1 like every amount in the ledger. Only ASCII digits are accepted: no sign, no
separators, no exponent, no surrounding spaces and no other scripts' digits (Python's `int()`
would take Arabic-Indic digits, `"1_000"` and `" 7 "`). Anything else is refused before a
request is sent.

`ilpnode pay` also takes an amount in the asset's own units, written with a decimal point
(`10.00` is 1000 at scale 2): `parse_units` reads it exactly, digit by digit (no floats).
"""

from __future__ import annotations

from typing import Final

import click

from ilpnode.cli_admin.tables import format_units

__all__ = [
    "U64_MAX",
    "AmountError",
    "amount_callback",
    "parse_amount",
    "parse_units",
    "positive_amount_callback",
]

U64_MAX: Final = 2**64 - 1
_U64_DIGITS: Final = len(str(U64_MAX))  # 20: longer strings are refused before int() reads them
_ASCII_DIGITS: Final = frozenset("0123456789")


class AmountError(ValueError):
    """The text is not an amount; the message says why, in words for the command line."""


def parse_amount(text: str, *, minimum: int = 0) -> int:
    """The amount `text` spells, as an int.

    Args:
        text: what the user typed, e.g. "10000".
        minimum: the smallest accepted amount (1 for deposits and withdrawals).

    Raises:
        AmountError: `text` is not a string of ASCII digits, or its value is below `minimum` or
            above 2**64-1.
    """
    if not text:
        raise AmountError("an amount is required")
    if not _ASCII_DIGITS.issuperset(text):
        raise AmountError(
            f"{text!r} is not a whole number: give the amount in the asset's smallest unit, "
            "digits only (e.g. 10000 for 100.00 at scale 2)"
        )
    digits = text.lstrip("0") or "0"
    if len(digits) > _U64_DIGITS or int(digits) > U64_MAX:
        raise AmountError(f"{text} is too large: amounts are at most {U64_MAX} (2**64-1)")
    value = int(digits)
    if value < minimum:
        raise AmountError(f"the amount must be at least {minimum}")
    return value


def parse_units(text: str, *, scale: int, code: str) -> int:
    """The amount `text` spells in whole units of an asset (`10.50` at scale 2 is 1050), in the
    smallest unit. `text` must have a decimal point: ASCII digits, one `.`, ASCII digits.

    Args:
        text: what the user typed, e.g. "10.50".
        scale: the asset's scale.
        code: the asset's code, for the messages.

    Raises:
        AmountError: not of that form, more decimals than `scale`, 0, or above 2**64-1.
    """
    whole, point, decimals = text.partition(".")
    if not point or not (whole or decimals) or not _ASCII_DIGITS.issuperset(whole + decimals):
        raise AmountError(
            f"{text!r} is not an amount: give digits with one decimal point (e.g. 10.00), "
            "or a whole number of the smallest unit (e.g. 1000)"
        )
    significant = decimals.rstrip("0")
    if len(significant) > scale:
        raise AmountError(
            f"{text} has more decimals than {code} has ({scale}): "
            f"the smallest amount is {format_units(1, scale)}"
        )
    whole_digits = whole.lstrip("0") or "0"
    if len(whole_digits) > _U64_DIGITS:
        raise AmountError(f"{text} is too large: amounts are at most {U64_MAX} (2**64-1)")
    unit: int = 10**scale
    value = int(whole_digits) * unit + int(significant.ljust(scale, "0") or "0")
    if value > U64_MAX:
        raise AmountError(f"{text} {code} is too large: at most {U64_MAX} of the smallest unit")
    if value == 0:
        raise AmountError("the amount must be more than 0")
    return value


def amount_callback(_ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    """A click callback that turns an optional amount option into an int (None stays None).

    Raises:
        click.BadParameter: the value is not an amount (click exits with status 2).
    """
    return _convert(param, value, minimum=0)


def positive_amount_callback(
    _ctx: click.Context, param: click.Parameter, value: str | None
) -> int | None:
    """Like `amount_callback`, but 0 is refused too (a deposit or withdrawal of 0 is an error)."""
    return _convert(param, value, minimum=1)


def _convert(param: click.Parameter, value: str | None, *, minimum: int) -> int | None:
    if value is None:
        return None
    try:
        return parse_amount(value, minimum=minimum)
    except AmountError as error:
        raise click.BadParameter(str(error), param=param) from None
