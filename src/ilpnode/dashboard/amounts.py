"""Amounts as a person reads and types them: in the asset's units, with its scale.

The ledger and the services count in the asset's smallest unit (an `int`, STYLE rule 20); the
dashboard shows and accepts the same amounts in the asset's own units, as Rafiki's admin UI
does: with scale 2, `12.50` is 1250. Parsing is exact (no floats): the text is split at the
decimal point and checked digit by digit.
"""

from __future__ import annotations

import re
from typing import Final

from ilpnode.services.peering.validation import UINT64_MAX

__all__ = ["AmountProblem", "format_amount", "format_basis_points", "parse_amount", "plain_amount"]

_AMOUNT: Final = re.compile(r"(\d*)(?:\.(\d*))?").fullmatch
_DIGITS_MAX: Final = 40  # 2**64 has 20 digits; more is too large whatever the scale


class AmountProblem(ValueError):
    """Why a typed amount cannot be used; the message is meant for the person who typed it."""


def parse_amount(text: str, *, scale: int, code: str) -> int:
    """The amount `text` (in units of an asset with this scale) in the smallest unit.

    Args:
        text: what was typed, e.g. `12.5`; surrounding spaces are ignored.
        scale: the asset's scale (0..255).
        code: the asset's code, for the messages.

    Returns:
        The amount, 0..2**64-1.

    Raises:
        AmountProblem: not a plain decimal number, more decimals than the scale, or too large.
    """
    cleaned = text.strip()
    match = _AMOUNT(cleaned)
    if not cleaned or match is None or not (match.group(1) or match.group(2)):
        raise AmountProblem(
            "Enter a number with digits and at most one decimal point, for example "
            f"{_example(scale)} (no signs, spaces or thousands separators)."
        )
    whole = (match.group(1) or "").lstrip("0") or "0"
    decimals = (match.group(2) or "").rstrip("0")
    if len(decimals) > scale:
        if scale == 0:
            raise AmountProblem(f"{code} has no decimal places here: enter a whole number.")
        raise AmountProblem(
            f"{code} has {scale} decimal place{'s' if scale != 1 else ''}: "
            f"{cleaned} has {len(decimals)}."
        )
    too_large = AmountProblem(
        f"That is too large: at most {format_amount(UINT64_MAX, scale)} {code}."
    )
    if len(whole) > _DIGITS_MAX:
        raise too_large
    unit: int = 10**scale
    amount = int(whole) * unit + int(decimals.ljust(scale, "0") or "0")
    if amount > UINT64_MAX:
        raise too_large
    return amount


def plain_amount(amount: int, scale: int) -> str:
    """`amount` (smallest unit) in the asset's units, as it would be typed: `1234.50`."""
    if scale == 0:
        return str(amount)
    unit: int = 10**scale
    whole, fraction = divmod(amount, unit)
    return f"{whole}.{fraction:0{scale}d}"


def format_amount(amount: int, scale: int) -> str:
    """`amount` (smallest unit) for reading, with thousands separators: `1,234.50`."""
    if scale == 0:
        return f"{amount:,}"
    unit: int = 10**scale
    whole, fraction = divmod(amount, unit)
    return f"{whole:,}.{fraction:0{scale}d}"


def format_basis_points(basis_points: int) -> str:
    """A fee's basis points for reading, with the percentage: `50 basis points (0.50 %)`."""
    whole, hundredths = divmod(basis_points, 100)
    unit = "basis point" if basis_points == 1 else "basis points"
    return f"{basis_points:,} {unit} ({whole}.{hundredths:02d} %)"


def _example(scale: int) -> str:
    return "100" if scale == 0 else "100." + "5".ljust(min(scale, 2), "0")
