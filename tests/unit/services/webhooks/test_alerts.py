"""When an account is low or high, which event a change sends, and what the event says."""

from __future__ import annotations

from uuid import UUID

import pytest

from ilpnode.services.webhooks import (
    AccountKind,
    AlertState,
    AssetRef,
    EventType,
    WatchedAccount,
    event_data,
    event_type_for,
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
