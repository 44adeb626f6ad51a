"""The traffic each incoming peer sent since the node started, as pages show it.

The connector counts packets on the packet path (`connector.metrics.PacketMetrics`, plain
integers per peer); this service reads those counts through `TrafficCounters`, a port the
connector's metrics satisfy as they are, and hands out plain values. So the dashboard shows
traffic without importing the connector, and the counters stay the connector's own.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

__all__ = ["PeerTraffic", "TrafficCounters", "TrafficService"]


class CountedPeer(Protocol):
    """The peer a count is about (the connector's `ForwardingPeer` fits)."""

    @property
    def id(self) -> UUID: ...

    @property
    def label(self) -> str: ...

    @property
    def asset_code(self) -> str: ...

    @property
    def asset_scale(self) -> int: ...


class RecentCounts(Protocol):
    """What a peer sent during the last minutes."""

    @property
    def fulfilled(self) -> int: ...

    @property
    def rejected(self) -> int: ...

    @property
    def amount_fulfilled(self) -> int: ...


class PeerCounts(Protocol):
    """What one incoming peer sent since start (the connector's per-peer record fits)."""

    @property
    def peer(self) -> CountedPeer: ...

    @property
    def fulfilled(self) -> int: ...

    @property
    def rejected(self) -> Mapping[str, int]: ...

    @property
    def amount_fulfilled(self) -> int: ...

    @property
    def amount_rejected(self) -> int: ...

    def recent(self, *, now_ns: int) -> RecentCounts: ...


class TrafficCounters(Protocol):
    """The packet counters (`connector.metrics.PacketMetrics`)."""

    def traffic(self) -> Sequence[PeerCounts]: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class PeerTraffic:
    """One incoming peer's packets since start, and over the last `recent_minutes`."""

    peer_id: UUID
    label: str
    asset_code: str
    asset_scale: int
    fulfilled: int
    rejected: Mapping[str, int]  # ILP code -> packets
    amount_fulfilled: int  # in the peer's asset, smallest unit
    amount_rejected: int
    recent_fulfilled: int
    recent_rejected: int
    recent_amount_fulfilled: int


class TrafficService:
    """Per-peer traffic since start; `recent_minutes` is how far back "recent" looks."""

    def __init__(self, *, counters: TrafficCounters, recent_minutes: int) -> None:
        self._counters = counters
        self.recent_minutes = recent_minutes

    def per_peer(self, *, now_ns: int) -> list[PeerTraffic]:
        """Every incoming peer seen since start, "recent" counted back from `now_ns` (Unix)."""
        report = []
        for counts in self._counters.traffic():
            peer = counts.peer
            recent = counts.recent(now_ns=now_ns)
            report.append(
                PeerTraffic(
                    peer_id=peer.id,
                    label=peer.label,
                    asset_code=peer.asset_code,
                    asset_scale=peer.asset_scale,
                    fulfilled=counts.fulfilled,
                    rejected=dict(counts.rejected),
                    amount_fulfilled=counts.amount_fulfilled,
                    amount_rejected=counts.amount_rejected,
                    recent_fulfilled=recent.fulfilled,
                    recent_rejected=recent.rejected,
                    recent_amount_fulfilled=recent.amount_fulfilled,
                )
            )
        return report
