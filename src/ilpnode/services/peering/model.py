"""Assets and peers as frozen values (rafiki-peering §3.1, §3.3), and the patch sentinel.

Amounts and thresholds are `int` in the asset's smallest unit, 0..2**64-1, or None (no limit /
no threshold); a `liquidity_high_threshold` is greater than the `liquidity_threshold` when both
are set (`services.webhooks.alerts`). Timestamps are timezone-aware UTC.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Final, TypeAlias, TypeVar
from uuid import UUID

__all__ = ["UNSET", "Asset", "HttpOutgoing", "Patch", "Peer", "Unset"]

T = TypeVar("T")


class Unset(enum.Enum):
    """The type of `UNSET`: "this field was omitted" in an update, unlike an explicit None."""

    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset.UNSET
Patch: TypeAlias = T | Unset
"""An update field: `UNSET` keeps the stored value; anything else (None included) replaces it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Asset:
    """An asset. `ledger` is its ledger number (1.., unique, never reused); `deleted_at` is set
    while it is soft-deleted."""

    id: UUID
    code: str
    scale: int
    ledger: int
    withdrawal_threshold: int | None
    liquidity_threshold: int | None
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None
    liquidity_high_threshold: int | None = None
    """ilpnode: above this (at or above) the liquidity counts as high: `asset.liquidity_high`."""


@dataclass(frozen=True, slots=True, kw_only=True)
class HttpOutgoing:
    """What we send when forwarding to a peer. `auth_token` is a secret (stored as given, since
    it must be sent): never log it."""

    auth_token: str
    endpoint: str

    def __repr__(self) -> str:
        return f"HttpOutgoing(auth_token='***', endpoint={self.endpoint!r})"


@dataclass(frozen=True, slots=True, kw_only=True)
class Peer:
    """A peer. `routes[0]` is always `static_ilp_address`; the rest are extra prefixes reached
    through it. Incoming tokens are not part of the value (only their digests are stored).
    `auto_peered` is set when an auto-peering request created the peer: only then may a later
    request re-peer it (a peer made by hand cannot be taken over by a request)."""

    id: UUID
    asset_id: UUID
    static_ilp_address: str
    routes: tuple[str, ...]
    http_outgoing: HttpOutgoing
    max_packet_amount: int | None
    name: str | None
    liquidity_threshold: int | None
    created_at: datetime
    updated_at: datetime
    auto_peered: bool = False
    liquidity_high_threshold: int | None = None
    """ilpnode: at or above this the liquidity counts as high: `peer.liquidity_high`."""

    @property
    def label(self) -> str:
        """How messages and pages name the peer: its name, or its address."""
        return self.name or self.static_ilp_address
