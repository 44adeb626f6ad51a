"""Receive metrics: STREAM packets and amounts received per wallet address, for Prometheus.

Like `metrics.PacketMetrics` (which counts every packet per incoming peer, these included), the
packet path only bumps integers in a per-wallet-address record; `collect` builds the families
when `/metrics` is scraped. A packet counts once its outcome is final: fulfilled once its money
is booked, rejected with the code the sender got.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from prometheus_client.core import CounterMetricFamily
from prometheus_client.registry import Collector

from ilpnode.peer_table import ForwardingPeer

__all__ = ["ReceiveMetrics", "WalletAddressTraffic"]


@dataclass(slots=True)
class WalletAddressTraffic:
    """What one wallet address received (`hop`: the wallet address as the packet path's next
    hop: its id, its URL as `name`, its asset)."""

    hop: ForwardingPeer
    fulfilled: int = 0
    amount_received: int = 0  # in the wallet address's asset, smallest unit
    rejected: dict[str, int] = field(default_factory=dict)  # ILP code -> packets


class ReceiveMetrics(Collector):
    """Per-wallet-address STREAM counters; a Prometheus collector."""

    def __init__(self) -> None:
        self._wallets: dict[int, WalletAddressTraffic] = {}  # by `ForwardingPeer.key`

    def fulfilled(self, hop: ForwardingPeer, amount: int) -> None:
        """A packet for `hop` fulfilled and booked: `amount` (its asset) received."""
        traffic = self._traffic(hop)
        traffic.fulfilled += 1
        traffic.amount_received += amount

    def rejected(self, hop: ForwardingPeer, code: str) -> None:
        """A packet for `hop` rejected with `code`."""
        rejected = self._traffic(hop).rejected
        rejected[code] = rejected.get(code, 0) + 1

    def _traffic(self, hop: ForwardingPeer) -> WalletAddressTraffic:
        traffic = self._wallets.get(hop.key)
        if traffic is None:
            traffic = self._wallets[hop.key] = WalletAddressTraffic(hop)
        elif traffic.hop is not hop:
            traffic.hop = hop  # renamed or deactivated: keep the counts
        return traffic

    def traffic(self) -> list[WalletAddressTraffic]:
        """Every wallet address that was sent a STREAM packet since start."""
        return list(self._wallets.values())

    def collect(self) -> Iterator[CounterMetricFamily]:
        packets = CounterMetricFamily(
            "ilpnode_stream_packets",
            "STREAM packets for each wallet address hosted here, by outcome and reject code.",
            labels=["wallet_address", "wallet_address_id", "outcome", "code"],
        )
        amounts = CounterMetricFamily(
            "ilpnode_stream_amount_received",
            "Amounts each wallet address received over STREAM (smallest unit of its asset).",
            labels=["wallet_address", "wallet_address_id", "asset"],
        )
        for traffic in self._wallets.values():
            hop = traffic.hop
            url, id_ = hop.label, str(hop.id)
            packets.add_metric([url, id_, "fulfill", ""], traffic.fulfilled)
            for code, count in sorted(traffic.rejected.items()):
                packets.add_metric([url, id_, "reject", code], count)
            asset = f"{hop.asset_code}/{hop.asset_scale}"
            amounts.add_metric([url, id_, asset], traffic.amount_received)
        yield packets
        yield amounts
