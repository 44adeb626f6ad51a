"""When an account is low or high, which event a change sends, and what the event says."""

from __future__ import annotations

from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ilpnode.ledger import AMOUNT_MAX, BALANCE_MAX, BALANCE_MIN, REPORT_ALWAYS, quiet
from ilpnode.services.webhooks import (
    AccountKind,
    AlertState,
    AssetRef,
    EventType,
    WatchedAccount,
    event_data,
    event_type_for,
    quiet_band,
    thresholds_are_ordered,
)

ASSET = AssetRef(id=UUID("9d1e2f3a-4b5c-4d6e-8f7a-0b1c2d3e4f5a"), code="USD", scale=2)
PEER_ID = UUID("0b6f2c1e-1d2a-4b3c-8d4e-5f6a7b8c9d0e")


def account(
    low: int | None, high: int | None, kind: AccountKind = AccountKind.PEER
) -> WatchedAccount:
    return WatchedAccount(
        id=PEER_ID if kind is AccountKind.PEER else ASSET.id,
        kind=kind,
        asset=ASSET,
        low=low,
        high=high,
    )


@pytest.mark.parametrize(
    ("balance", "state"),
    [
        (0, AlertState.LOW),
        (100, AlertState.LOW),  # at the threshold is low, as Rafiki's `balance <= threshold`
        (101, AlertState.NORMAL),
        (499, AlertState.NORMAL),
        (500, AlertState.HIGH),  # at the high threshold is high
        (2**64 - 1, AlertState.HIGH),
    ],
)
def test_states_of_a_balance(balance: int, state: AlertState) -> None:
    assert account(100, 500).state_of(balance) is state


def test_one_threshold_alone() -> None:
    assert account(None, 500).state_of(0) is AlertState.NORMAL
    assert account(100, None).state_of(2**64 - 1) is AlertState.NORMAL


def test_high_must_be_above_low() -> None:
    assert thresholds_are_ordered(100, 101)
    assert thresholds_are_ordered(None, 0)
    assert thresholds_are_ordered(5, None)
    assert not thresholds_are_ordered(100, 100)
    assert not thresholds_are_ordered(100, 99)


def test_the_event_of_each_change() -> None:
    assert event_type_for(account(1, 2), AlertState.LOW) is EventType.PEER_LIQUIDITY_LOW
    assert event_type_for(account(1, 2), AlertState.HIGH) is EventType.PEER_LIQUIDITY_HIGH
    asset = account(1, 2, AccountKind.ASSET)
    assert event_type_for(asset, AlertState.LOW) is EventType.ASSET_LIQUIDITY_LOW
    assert event_type_for(asset, AlertState.HIGH) is EventType.ASSET_LIQUIDITY_HIGH
    assert event_type_for(asset, AlertState.NORMAL) is None


def test_a_low_event_has_rafikis_body_exactly() -> None:
    assert event_data(account(10000, None), EventType.PEER_LIQUIDITY_LOW, 9850) == {
        "id": str(PEER_ID),
        "asset": {"id": str(ASSET.id), "code": "USD", "scale": 2},
        "liquidityThreshold": "10000",
        "balance": "9850",
    }


def test_a_high_event_adds_the_high_threshold() -> None:
    data = event_data(account(None, 500, AccountKind.ASSET), EventType.ASSET_LIQUIDITY_HIGH, 700)

    assert data == {
        "id": str(ASSET.id),
        "asset": {"id": str(ASSET.id), "code": "USD", "scale": 2},
        "liquidityThreshold": None,
        "liquidityHighThreshold": "500",
        "balance": "700",
    }


# Balances and thresholds near each other, where the edges are, and anywhere in the ledger's range.
_AMOUNTS = st.one_of(st.integers(-5, 5), st.integers(-AMOUNT_MAX, AMOUNT_MAX))
_THRESHOLDS = st.one_of(st.none(), _AMOUNTS)


@given(low=_THRESHOLDS, high=_THRESHOLDS, state=st.sampled_from(AlertState), balance=_AMOUNTS)
def test_a_quiet_band_holds_exactly_the_balances_of_its_state(
    low: int | None, high: int | None, state: AlertState, balance: int
) -> None:
    """The ledger reports only balances outside the band: a balance left out of it that had
    the state would cost a report, one inside it without the state would be a missed crossing.
    Unordered thresholds too (the services refuse them; the band must not rely on it)."""
    watched = account(low, high)

    assert quiet(quiet_band(watched, state), balance) == (watched.state_of(balance) is state)


def test_quiet_bands_at_their_edges() -> None:
    assert quiet_band(account(100, 900), AlertState.NORMAL) == (101, 899)
    assert quiet_band(account(100, 900), AlertState.LOW) == (BALANCE_MIN, 100)
    assert quiet_band(account(100, 900), AlertState.HIGH) == (900, BALANCE_MAX)
    assert quiet_band(account(None, 900), AlertState.NORMAL) == (BALANCE_MIN, 899)
    assert quiet_band(account(100, None), AlertState.HIGH) == REPORT_ALWAYS  # no high: never
    assert quiet_band(account(100, 101), AlertState.NORMAL)[0] > 100  # no normal balance left
    assert not quiet(REPORT_ALWAYS, 0)
