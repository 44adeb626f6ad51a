"""Table and field rendering: alignment (also with wide characters), missing values, inert
control characters, and exact decimal formatting of amounts."""

from __future__ import annotations

import pytest

from ilpnode.cli_admin.tables import (
    Column,
    display_width,
    format_units,
    printable,
    render_fields,
    render_table,
)


def test_table_aligns_columns_and_right_aligns_numbers() -> None:
    table = render_table(
        [Column("ID"), Column("CODE"), Column("LIQUIDITY", right=True)],
        [["a1", "USD", "5"], ["b22222", "EUR", "1234567890"]],
    )

    assert table.splitlines() == [
        "ID      CODE   LIQUIDITY",
        "a1      USD            5",
        "b22222  EUR   1234567890",
    ]


def test_missing_cells_show_as_a_dash_and_lines_have_no_trailing_spaces() -> None:
    table = render_table([Column("NAME"), Column("ADDRESS")], [[None, "g.a"], ["longname", None]])

    assert table.splitlines() == ["NAME      ADDRESS", "-         g.a", "longname  -"]
    assert all(line == line.rstrip() for line in table.splitlines())


def test_an_empty_table_is_its_heading() -> None:
    assert render_table([Column("ID"), Column("N", right=True)], []) == "ID  N"


def test_wide_characters_count_twice() -> None:
    table = render_table([Column("NAME"), Column("X")], [["日本", "1"], ["abcde", "2"]])

    first, second, third = table.splitlines()
    assert first == "NAME   X"
    assert second == "日本   1"  # 4 columns of text + 1 of padding + the gap
    assert third == "abcde  2"
    assert display_width("日本") == 4
    assert display_width("e\u0301") == 1  # e + combining acute accent


def test_control_characters_cannot_break_lines_or_reach_the_terminal() -> None:
    table = render_table([Column("NAME"), Column("X")], [["evil\n\x1b[31mred", "1"]])

    assert len(table.splitlines()) == 2
    assert "\x1b" not in table
    assert "evil\\n\\x1b[31mred" in table
    assert printable("ok 日本") == "ok 日本"
    assert printable("\u202eabc") == "\\u202eabc"


def test_a_row_of_the_wrong_length_is_a_bug() -> None:
    with pytest.raises(ValueError, match="2 cells for 3 columns"):
        render_table([Column("A"), Column("B"), Column("C")], [["1", "2"]])


def test_fields_align_values_after_the_labels() -> None:
    text = render_fields([("id", "x"), ("liquidity threshold", None), ("name", "a\tb")])

    assert text.splitlines() == [
        "id:                  x",
        "liquidity threshold: -",
        "name:                a\\tb",
    ]


@pytest.mark.parametrize(
    ("amount", "scale", "text"),
    [
        (10000, 2, "100.00"),
        (5, 3, "0.005"),
        (7, 0, "7"),
        (0, 2, "0.00"),
        (2**64 - 1, 9, "18446744073.709551615"),
        (1, 18, "0.000000000000000001"),
    ],
)
def test_format_units_is_exact(amount: int, scale: int, text: str) -> None:
    assert format_units(amount, scale) == text


def test_format_units_refuses_negatives() -> None:
    with pytest.raises(ValueError, match="negative"):
        format_units(-1, 2)
