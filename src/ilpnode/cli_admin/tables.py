"""Human-readable output: aligned tables, aligned "label: value" blocks, amounts with a scale.

Pure functions from values to text (no I/O), so they are unit tested on their own. Every cell
goes through `printable`: names come from the Admin API, and a name holding a newline or a
terminal escape sequence must neither break the alignment nor drive the user's terminal.
Widths count East Asian wide characters as two columns and combining marks as none.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "MISSING",
    "Column",
    "display_width",
    "format_units",
    "printable",
    "render_fields",
    "render_table",
]

MISSING = "-"
"""What an absent value (a peer without a name, an unset threshold) is shown as."""

_GAP = "  "


@dataclass(frozen=True, slots=True)
class Column:
    """A table column: its heading, and whether its cells are right-aligned (numbers)."""

    title: str
    right: bool = False


def printable(text: str) -> str:
    """`text` with every control or format character (newline, ESC, bidi overrides, …) written
    as a visible escape such as `\\n` or `\\x1b`, so that it prints on one line, inertly."""
    if text.isprintable():
        return text
    return "".join(
        char if char.isprintable() else char.encode("unicode_escape").decode("ascii")
        for char in text
    )


def display_width(text: str) -> int:
    """How many terminal columns `text` takes (wide characters 2, combining marks 0)."""
    width = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def _pad(text: str, width: int, *, right: bool) -> str:
    fill = " " * (width - display_width(text))
    return fill + text if right else text + fill


def render_table(columns: Sequence[Column], rows: Sequence[Sequence[str | None]]) -> str:
    """An aligned table: a heading line, then one line per row; None cells show as `MISSING`.
    No line has trailing spaces.

    Raises:
        ValueError: a row does not have one cell per column.
    """
    cells: list[list[str]] = []
    for row in rows:
        if len(row) != len(columns):
            raise ValueError(f"a row has {len(row)} cells for {len(columns)} columns")
        cells.append([MISSING if cell is None else printable(cell) for cell in row])
    widths = [
        max([display_width(column.title)] + [display_width(row[i]) for row in cells])
        for i, column in enumerate(columns)
    ]
    lines = [[column.title for column in columns], *cells]
    return "\n".join(
        _GAP.join(
            _pad(cell, width, right=column.right)
            for cell, width, column in zip(line, widths, columns, strict=True)
        ).rstrip()
        for line in lines
    )


def render_fields(fields: Sequence[tuple[str, str | None]]) -> str:
    """One `label: value` line per field, values aligned; None values show as `MISSING`."""
    width = max((display_width(label) for label, _ in fields), default=0) + 1
    return "\n".join(
        f"{_pad(label + ':', width, right=False)} {MISSING if value is None else printable(value)}"
        for label, value in fields
    )


def format_units(amount: int, scale: int) -> str:
    """`amount` smallest units as a decimal number of whole units: (10000, 2) -> "100.00",
    (5, 3) -> "0.005", (7, 0) -> "7". Exact (integer arithmetic, no floats).

    Raises:
        ValueError: `amount` or `scale` is negative.
    """
    if amount < 0 or scale < 0:
        raise ValueError("amount and scale must not be negative")
    if scale == 0:
        return str(amount)
    whole, fraction = divmod(amount, 10**scale)
    return f"{whole}.{fraction:0{scale}d}"
