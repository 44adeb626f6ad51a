"""Liquidity alerts: which side of its thresholds an account's balance is, and the webhook
event a change of side sends.

An account with a `liquidityThreshold` (low) and/or a `liquidityHighThreshold` (high) is in one
of three states, a function of its balance (Rafiki's: what it can still spend, reservations of
packets in flight included):

    LOW     balance <= low            (Rafiki sends peer/asset.liquidity_low at or below)
    HIGH    balance >= high           (ilpnode: the moment to settle with a peer, rafiki#3012)
    NORMAL  otherwise

The services refuse `high <= low`, so LOW and HIGH never overlap. An event is sent when the
state *changes* into LOW (`*.liquidity_low`) or into HIGH (`*.liquidity_high`); a change back to
NORMAL sends nothing and re-arms. So there is one event per crossing, where Rafiki sends one on
every debit that leaves the balance at or below the threshold.

The watch tells the ledger, per account, the band of balances in which the state it last saw
holds (`quiet_band`): the ledger then reports only the balances that may change it.

The bodies are Rafiki's (`webhook/service.ts`, `openapi/specs/webhooks.yaml`):
`{id, type, data: {id, asset: {id, code, scale}, liquidityThreshold, balance}}` with the amounts
as decimal strings (Rafiki's bigints through `BigInt.prototype.toJSON`) and the scale a number.
A `*.liquidity_high` event carries the same fields plus `liquidityHighThreshold`;
`liquidityThreshold` there is the low threshold, or null.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from ilpnode.ledger import BALANCE_MAX, BALANCE_MIN, REPORT_ALWAYS, QuietBand

__all__ = [
    "AccountKind",
    "AlertState",
    "AssetRef",
    "EventType",
    "WatchedAccount",
    "event_data",
    "event_type_for",
    "quiet_band",
    "thresholds_are_ordered",
]


class AlertState(enum.Enum):
    """Which side of its thresholds a balance is (see the module docstring)."""

    NORMAL = "normal"
    LOW = "low"
    HIGH = "high"


class AccountKind(enum.Enum):
    """Whose liquidity account it is."""

    PEER = "peer"
    ASSET = "asset"


class EventType(enum.Enum):
    """The liquidity webhook events, by their type strings."""

    PEER_LIQUIDITY_LOW = "peer.liquidity_low"
    ASSET_LIQUIDITY_LOW = "asset.liquidity_low"
    PEER_LIQUIDITY_HIGH = "peer.liquidity_high"
    ASSET_LIQUIDITY_HIGH = "asset.liquidity_high"


_EVENT_TYPES = {
    (AccountKind.PEER, AlertState.LOW): EventType.PEER_LIQUIDITY_LOW,
    (AccountKind.ASSET, AlertState.LOW): EventType.ASSET_LIQUIDITY_LOW,
    (AccountKind.PEER, AlertState.HIGH): EventType.PEER_LIQUIDITY_HIGH,
    (AccountKind.ASSET, AlertState.HIGH): EventType.ASSET_LIQUIDITY_HIGH,
}


def thresholds_are_ordered(low: int | None, high: int | None) -> bool:
    """False when both are set and `high <= low` (a balance could then be low and high)."""
    return low is None or high is None or high > low


@dataclass(frozen=True, slots=True, kw_only=True)
class AssetRef:
    """The asset fields an event names."""

    id: UUID
    code: str
    scale: int


@dataclass(frozen=True, slots=True, kw_only=True)
class WatchedAccount:
    """A peer's or an asset's liquidity account that has at least one threshold. `id` is the
    peer's or the asset's id, which is also its ledger account id (as a u128)."""

    id: UUID
    kind: AccountKind
    asset: AssetRef
    low: int | None
    high: int | None

    @property
    def account_id(self) -> int:
        """The ledger account id."""
        return self.id.int

    @property
    def thresholds(self) -> tuple[int | None, int | None]:
        """(low, high), as stored with the alert state."""
        return self.low, self.high

    def state_of(self, balance: int) -> AlertState:
        """The state a balance puts this account in."""
        if self.low is not None and balance <= self.low:
            return AlertState.LOW
        if self.high is not None and balance >= self.high:
            return AlertState.HIGH
        return AlertState.NORMAL


def quiet_band(account: WatchedAccount, state: AlertState) -> QuietBand:
    """The balances, inclusive, at which `account.state_of` gives `state` (`REPORT_ALWAYS` if
    none do): a balance outside them may change the state, one inside cannot."""
    low, high = account.low, account.high
    if state is AlertState.LOW:
        return REPORT_ALWAYS if low is None else (BALANCE_MIN, low)
    if state is AlertState.HIGH:
        if high is None:
            return REPORT_ALWAYS
        return (high if low is None else max(high, low + 1), BALANCE_MAX)
    return (
        BALANCE_MIN if low is None else low + 1,
        BALANCE_MAX if high is None else high - 1,
    )


def event_type_for(account: WatchedAccount, state: AlertState) -> EventType | None:
    """The event a change into `state` sends (None for NORMAL)."""
    return _EVENT_TYPES.get((account.kind, state))


def event_data(account: WatchedAccount, event_type: EventType, balance: int) -> dict[str, Any]:
    """The event's `data`, as Rafiki's liquidity events carry it (see the module docstring)."""
    asset = account.asset
    data: dict[str, Any] = {
        "id": str(account.id),
        "asset": {"id": str(asset.id), "code": asset.code, "scale": asset.scale},
        "liquidityThreshold": None if account.low is None else str(account.low),
        "balance": str(balance),
    }
    if event_type in (EventType.PEER_LIQUIDITY_HIGH, EventType.ASSET_LIQUIDITY_HIGH):
        data["liquidityHighThreshold"] = str(account.high)
    return data
