"""Splitting a Prepare's amount by StreamMoney shares (RFC 0029 §5.3.9)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ilpnode.ilp import MAX_UINT64
from ilpnode.ilp.stream import split_amount

ROOMY = {sid: MAX_UINT64 for sid in range(0, 50)}


def test_proportional_with_the_remainder_on_the_lowest_stream() -> None:
    assert split_amount(100, {3: 2, 1: 1}, ROOMY) == {1: 34, 3: 66}


def test_exact_split_has_no_remainder() -> None:
    assert split_amount(90, {1: 1, 3: 2}, ROOMY) == {1: 30, 3: 60}


def test_remainder_skips_a_stream_without_room() -> None:
    assert split_amount(100, {1: 1, 3: 2}, {1: 33, 3: 1000}) == {1: 33, 3: 67}


def test_remainder_skips_zero_share_streams() -> None:
    assert split_amount(11, {1: 0, 3: 3, 5: 3}, ROOMY) == {1: 0, 3: 6, 5: 5}


def test_remainder_falls_to_the_lowest_when_none_has_room() -> None:
    assert split_amount(100, {1: 1, 3: 2}, {1: 0, 3: 0}) == {1: 34, 3: 66}


def test_zero_amount_and_zero_shares() -> None:
    assert split_amount(0, {1: 0, 3: 0}, ROOMY) == {1: 0, 3: 0}
    assert split_amount(0, {1: 5}, ROOMY) == {1: 0}


def test_money_without_shares_is_refused() -> None:
    with pytest.raises(ValueError, match="shares"):
        split_amount(1, {1: 0}, ROOMY)
    with pytest.raises(ValueError, match="shares"):
        split_amount(1, {}, ROOMY)


@given(
    amount=st.integers(0, MAX_UINT64),
    shares=st.dictionaries(
        st.integers(0, 40), st.integers(0, MAX_UINT64), min_size=1, max_size=6
    ).filter(lambda d: any(d.values())),
    room=st.dictionaries(st.integers(0, 40), st.integers(0, MAX_UINT64)),
)
def test_parts_add_up_and_follow_the_shares(
    amount: int, shares: dict[int, int], room: dict[int, int]
) -> None:
    parts = split_amount(amount, shares, room)
    assert set(parts) == set(shares)
    assert sum(parts.values()) == amount
    total = sum(shares.values())
    for sid, share in shares.items():
        floor = amount * share // total
        assert floor <= parts[sid] <= floor + len(shares)
        if share == 0:
            assert parts[sid] == 0
