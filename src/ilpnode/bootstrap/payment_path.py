"""The connector as the node's own payments see it (`services.outgoing_payments.PaymentPath`).

An adapter that knows both sides, so it lives above them: the connector and the services never
import each other, and only the composition root (`bootstrap`) builds this.

A payment's packets enter the pipeline below the incoming peer's checks (`Connector.send_local`)
from a `ForwardingPeer` that stands for the payment: its account is the payment's own ledger
account (`OutgoingPaymentAccount`), its asset the source asset, its id the account's (derived
from the payment's id, so it can never be a peer's: routing excludes the incoming peer, and
`Balance` skips a packet that goes back to it). `next_hop` answers as `Router` and
`LocalPackets` would route, and `rate` as the rates service converts.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from uuid import UUID

from ilpnode.connector.directory import PeerDirectory
from ilpnode.connector.pipeline import Connector
from ilpnode.connector.rates import ExchangeRates, NoRate, RatesUnavailable
from ilpnode.connector.routing import RoutingTable
from ilpnode.ilp import Fulfill, IlpErrorCode, Prepare, Reject
from ilpnode.peer_table import ForwardingPeer
from ilpnode.services.outgoing_payments import ExchangeRateUnavailable, NextHop, PaymentSource

__all__ = ["LocalPaymentPath"]


class LocalPaymentPath:
    """`PaymentPath` over the node's connector, routing table, peers and rates."""

    def __init__(
        self,
        *,
        connector: Callable[[], Connector | None],
        own_address: str,
        routing: RoutingTable,
        directory: PeerDirectory,
        rates: ExchangeRates,
    ) -> None:
        self._connector = connector
        self._own = own_address
        self._routing = routing
        self._directory = directory
        self._rates = rates
        self._sources: dict[UUID, ForwardingPeer] = {}

    async def send(
        self, source: PaymentSource, prepare: Prepare, *, fulfillable: bool
    ) -> Fulfill | Reject:
        """The packet's Fulfill or Reject; T03 while the node is not serving."""
        connector = self._connector()
        if connector is None:
            return Reject(
                code=IlpErrorCode.T03_CONNECTOR_BUSY,
                triggered_by=self._own,
                message="the node is not ready",
            )
        return await connector.send_local(self._peer(source), prepare, fulfillable=fulfillable)

    def next_hop(self, destination: str) -> NextHop | None:
        """Where the connector routes `destination` (see the module docstring)."""
        own_prefix = self._own + "."
        longer_than = 0
        if destination.startswith(own_prefix):
            longer_than = len(self._own)  # only a child's route, else a receiver here
        peer = self._directory.get(self._routing.next_hop(destination, longer_than=longer_than))
        if peer is not None:
            return NextHop(
                label=peer.label, asset_code=peer.asset_code, asset_scale=peer.asset_scale
            )
        if longer_than:
            return NextHop(label="this node", asset_code=None, asset_scale=None)
        return None

    async def rate(self, base: str, quote: str) -> Fraction:
        """The rates service's rate from `base` to `quote` (1 for the same code)."""
        if base == quote:
            return Fraction(1)
        try:
            return await self._rates.rate(base, quote)
        except NoRate as error:
            raise ExchangeRateUnavailable(str(error)) from None
        except RatesUnavailable as error:
            raise ExchangeRateUnavailable(f"the rates service failed: {error}") from None

    def _peer(self, source: PaymentSource) -> ForwardingPeer:
        """The payment as the pipeline's incoming peer (made once per payment)."""
        peer = self._sources.get(source.payment_id)
        if peer is None:
            peer = ForwardingPeer(
                id=UUID(int=source.account.account_id),
                name=f"outgoing payment {source.payment_id}",
                static_ilp_address=self._own,
                asset_id=source.asset_id,
                asset_code=source.asset_code,
                asset_scale=source.asset_scale,
                max_packet_amount=None,
                endpoint="",
                outgoing_token="",
                account=source.account,
            )
            if len(self._sources) >= _SOURCES_KEPT:
                self._sources.clear()  # a cache: rebuilt on the next packet
            self._sources[source.payment_id] = peer
        return peer


_SOURCES_KEPT = 1024
"""Payments whose `ForwardingPeer` is kept between packets (a bound, not a limit)."""
