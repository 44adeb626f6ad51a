"""What the dashboard works with: the same long-lived services as the Admin API, built once by
the composition root (`bootstrap`), plus the traffic service and the link checker.
"""

from __future__ import annotations

from dataclasses import dataclass

from ilpnode.clock import Clock
from ilpnode.dashboard.peer_check import PeerChecker
from ilpnode.services.fees import FeeService
from ilpnode.services.outgoing_payments import OutgoingPaymentService
from ilpnode.services.payments import ReceivedPaymentLog, WalletAddressService
from ilpnode.services.peering import AssetService, PeeringLiquidity, PeerService
from ilpnode.services.peering.autopeering import AutoPeeringService
from ilpnode.services.traffic import TrafficService

__all__ = ["DashboardServices"]


@dataclass(frozen=True, slots=True, kw_only=True)
class DashboardServices:
    """Built once by the composition root; the dashboard's routes call nothing else."""

    assets: AssetService
    fees: FeeService
    peers: PeerService
    liquidity: PeeringLiquidity
    auto_peering: AutoPeeringService
    wallet_addresses: WalletAddressService
    received_payments: ReceivedPaymentLog
    outgoing_payments: OutgoingPaymentService
    clock: Clock
    traffic: TrafficService
    checker: PeerChecker
    ilp_address: str
    instance_name: str | None
