"""Connector metrics: packets, amounts and latency per incoming peer, for Prometheus.

The packet path only bumps plain integers in a per-peer record (no label lookups, no locks);
`PacketMetrics.collect` turns them into Prometheus families when `/metrics` is scraped. The
dashboard reads the same records.
"""

from __future__ import annotations

import bisect
import time
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Final

from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector

from ilpnode.peer_table import ForwardingPeer

__all__ = [
    "LATENCY_BUCKETS_SECONDS",
    "RECENT_MINUTES",
    "MinuteCounts",
    "PacketMetrics",
    "PeerTraffic",
    "RefusalMetrics",
]

RECENT_MINUTES: Final = 15
"""How far back `PeerTraffic.recent` can look (per-minute buckets are kept this long)."""
_NS_PER_MINUTE: Final = 60 * 10**9

# Typed as a tuple of any length: compiled code then keeps one Python tuple, where a fixed-length
# one would be unpacked into C doubles and boxed again for every `bisect` call.
LATENCY_BUCKETS_SECONDS: Final[tuple[float, ...]] = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
)  # fmt: skip


@dataclass(slots=True)
class MinuteCounts:
    """What one peer sent during one wall-clock minute (`minute` = Unix time // 60)."""

    minute: int
    fulfilled: int = 0
    rejected: int = 0
    amount_fulfilled: int = 0
    amount_rejected: int = 0


@dataclass(slots=True)
class PeerTraffic:
    """What one incoming peer sent: packets by outcome, amounts fulfilled, latency."""

    peer: ForwardingPeer
    fulfilled: int = 0
    rejected: dict[str, int] = field(default_factory=dict)  # ILP code -> packets
    amount_fulfilled: int = 0  # in the peer's asset, smallest unit
    amount_rejected: int = 0
    latency_counts: list[int] = field(
        default_factory=lambda: [0] * (len(LATENCY_BUCKETS_SECONDS) + 1)
    )
    latency_sum: float = 0.0
    minutes: deque[MinuteCounts] = field(default_factory=lambda: deque(maxlen=RECENT_MINUTES + 1))

    def recent(self, *, now_ns: int, minutes: int = RECENT_MINUTES) -> MinuteCounts:
        """The sums over the last `minutes` minutes, the current one included (at most
        `RECENT_MINUTES`); `minute` is the first minute counted."""
        first = now_ns // _NS_PER_MINUTE - min(minutes, RECENT_MINUTES) + 1
        total = MinuteCounts(first)
        for bucket in self.minutes:
            if bucket.minute >= first:
                total.fulfilled += bucket.fulfilled
                total.rejected += bucket.rejected
                total.amount_fulfilled += bucket.amount_fulfilled
                total.amount_rejected += bucket.amount_rejected
        return total


class PacketMetrics(Collector):
    """Per-peer packet counters; a Prometheus collector."""

    def __init__(self) -> None:
        self._peers: dict[int, PeerTraffic] = {}  # by `ForwardingPeer.key`

    def record(
        self,
        peer: ForwardingPeer,
        *,
        amount: int,
        code: str | None,
        seconds: float,
        at_ns: int | None = None,
    ) -> None:
        """One packet from `peer`, received at `at_ns` (Unix ns; default now): fulfilled
        (`code` None) or rejected with `code`."""
        traffic = self._peers.get(peer.key)
        if traffic is None or traffic.peer is not peer:
            traffic = self._traffic(peer)
        minute = (time.time_ns() if at_ns is None else at_ns) // _NS_PER_MINUTE
        minutes = traffic.minutes
        if not minutes or minutes[-1].minute != minute:
            minutes.append(MinuteCounts(minute))
        bucket = minutes[-1]
        if code is None:
            traffic.fulfilled += 1
            traffic.amount_fulfilled += amount
            bucket.fulfilled += 1
            bucket.amount_fulfilled += amount
        else:
            traffic.rejected[code] = traffic.rejected.get(code, 0) + 1
            traffic.amount_rejected += amount
            bucket.rejected += 1
            bucket.amount_rejected += amount
        traffic.latency_counts[bisect.bisect_left(LATENCY_BUCKETS_SECONDS, seconds)] += 1
        traffic.latency_sum += seconds

    def _traffic(self, peer: ForwardingPeer) -> PeerTraffic:
        known = self._peers.get(peer.key)
        if known is None:
            known = self._peers[peer.key] = PeerTraffic(peer)
        else:
            known.peer = peer  # renamed or re-addressed: keep the counts
        return known

    def traffic(self) -> list[PeerTraffic]:
        """Every incoming peer seen since start."""
        return list(self._peers.values())

    def collect(self) -> Iterator[CounterMetricFamily | HistogramMetricFamily]:
        packets = CounterMetricFamily(
            "ilpnode_packets",
            "ILP Prepares received from each peer, by outcome and reject code.",
            labels=["peer", "peer_id", "outcome", "code"],
        )
        amounts = CounterMetricFamily(
            "ilpnode_packet_amount",
            "Amounts of the Prepares received from each peer (smallest unit of its asset).",
            labels=["peer", "peer_id", "asset", "outcome"],
        )
        latency = HistogramMetricFamily(
            "ilpnode_packet_duration_seconds",
            "Time from reading a Prepare to having its Fulfill or Reject.",
            labels=["peer", "peer_id"],
        )
        for traffic in self._peers.values():
            peer = traffic.peer
            name, id_ = peer.label, str(peer.id)
            asset = f"{peer.asset_code}/{peer.asset_scale}"
            packets.add_metric([name, id_, "fulfill", ""], traffic.fulfilled)
            for code, count in sorted(traffic.rejected.items()):
                packets.add_metric([name, id_, "reject", code], count)
            amounts.add_metric([name, id_, asset, "fulfill"], traffic.amount_fulfilled)
            amounts.add_metric([name, id_, asset, "reject"], traffic.amount_rejected)
            cumulative, buckets = 0, []
            for bound, count in zip(
                (*LATENCY_BUCKETS_SECONDS, float("inf")), traffic.latency_counts, strict=True
            ):
                cumulative += count
                buckets.append((repr(bound) if bound != float("inf") else "+Inf", cumulative))
            latency.add_metric([name, id_], buckets, traffic.latency_sum)
        yield packets
        yield amounts
        yield latency


class RefusalMetrics(Collector):
    """Requests the connector port refused before any packet was handled, by HTTP status (401:
    a missing or unknown token; 400, 405, 413, 415, 431: not an ILP-over-HTTP request)."""

    def __init__(self, refusals: Mapping[int, int]) -> None:
        self._refusals = refusals

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(
            "ilpnode_connector_refusals",
            "HTTP requests to the connector port refused before any packet was handled.",
            labels=["status"],
        )
        for status, count in sorted(self._refusals.items()):
            family.add_metric([str(status)], count)
        yield family
