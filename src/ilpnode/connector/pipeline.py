"""The connector: one authenticated Prepare in, its Fulfill or Reject out.

Theory of operation
===================

A Prepare arrives from an authenticated peer (`ilp_http_app.IlpHttpApp`, which already turned
every malformed or unauthenticated request into an HTTP error). It runs through a chain of
middlewares, each one rule in its own module, outermost first:

    ErrorHandler      every failure below -> Reject, triggeredBy = our address (T00 for bugs)
    IncomingExpiry    expired on arrival -> R02
    MaxPacketAmount   over the incoming peer's maxPacketAmount -> F08 (+ 16-byte data)
    RateLimit         over the peer's packets/s -> T05 (only when configured)
    PeerProtocols     peer.config -> IL-DCP answer; other peer.* -> F02
    LocalPackets      our own address: echo; under it, a child's route or the local chain
    Router            next hop by longest prefix (F02), amount in its asset (F07, R01, T00)
    ReduceExpiry      expiry for the next hop: 1 s less, 30 s at most (R02 if too short)
    Balance           reserve (T04) -> post on a valid Fulfill (F05 if not) / void otherwise
    OutgoingTimeout   no answer by the reduced expiry -> R00
    (terminal)        POST to the next hop (`peer_client.PeerClient`): its reply, T01, ...

A packet for a STREAM connection under our address (a payment to a wallet address hosted here,
when the node receives: `receiving`) leaves at `LocalPackets` for the local chain, where this
node is the next hop (`middleware/stream_receiver.py`):

    ReduceExpiry      as above
    StreamReceiver    connection (F02), wallet address (F02), amount in its asset, the
                      receiver's decision (F06, F99 + its reply) before any reservation
    Balance           the same: incoming peer -> wallet address, posted before the Fulfill
    (terminal)        the receiver's Fulfill; undone by StreamReceiver if the booking fails

Forwarded packets never enter it: what they pay for it is one prefix test in `LocalPackets`,
which they paid before.

The node's own payments (`send_local`, an outgoing payment's STREAM packets) enter below the
incoming peer's checks, as if from a peer whose account is the payment's own ledger account:

    ErrorHandler, IncomingExpiry    as above
    LocalPackets ... (terminal)     as above: routed, converted, reserved, posted and forwarded
                                    like any packet, or received by a wallet address hosted here

Their probes and closing packets (unfulfillable: random conditions) take the same chain without
`Balance` (on both sides of `LocalPackets`), as Rafiki's connector skips the balance of its
`unfulfillable` quote packets: a probe bigger than the payment's funds must still learn the
rate, and a Fulfill of a random condition cannot happen. These chains are built next to the
peers' pipeline, which a forwarded packet crosses exactly as before.

Checks that cost nothing come before the ones that cost something, and every refusal before
the reservation reserves nothing. Nothing on this path reads the database or parses JSON: peers,
tokens, routes and rates are in memory (the rates service is asked at most once per base per
`EXCHANGE_RATES_LIFETIME`), and the ledger decides in memory (only the post of a fulfilled
packet waits for its group commit).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Final

from ilpnode.accounting import PacketAccounting
from ilpnode.clock import Clock
from ilpnode.connector.directory import PeerDirectory
from ilpnode.connector.metrics import PacketMetrics
from ilpnode.connector.middleware.balance import Balance
from ilpnode.connector.middleware.errors import ErrorHandler
from ilpnode.connector.middleware.expiry import (
    IncomingExpiry,
    OutgoingTimeout,
    ReduceExpiry,
    expiry_ns,
)
from ilpnode.connector.middleware.local import LocalPackets
from ilpnode.connector.middleware.max_packet_amount import MaxPacketAmount
from ilpnode.connector.middleware.peer_protocols import PeerProtocols
from ilpnode.connector.middleware.rate_limit import RateLimit
from ilpnode.connector.middleware.router import Router
from ilpnode.connector.middleware.stream_receiver import (
    LocalReceiving,
    StreamReceiver,
    deliver_locally,
)
from ilpnode.connector.rates import ExchangeRates
from ilpnode.connector.routing import RoutingTable
from ilpnode.connector.types import Handler, NextHop, PacketContext, Reply
from ilpnode.ilp import (
    Fulfill,
    IlpErrorCode,
    Prepare,
    Reject,
    encode_fulfill,
    encode_prepare,
    encode_reject,
    rewrite_prepare_ms,
)
from ilpnode.peer_table import ForwardingPeer

__all__ = ["Connector", "ConnectorOptions"]

logger = logging.getLogger("ilpnode.connector")

_NS_PER_SECOND: Final = 1e9
_NS_PER_MS: Final = 1_000_000


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectorOptions:
    """Tunables of the pipeline (settings `CONNECTOR_*`); the defaults are Rafiki's."""

    min_expiry_window_ms: int = 1_000
    """Taken off each packet's expiry for the next hop: time for the Fulfill to come back."""
    max_hold_ms: int = 30_000
    """The longest we wait for a next hop, whatever the packet's expiry."""
    rate_limit_packets_per_second: float | None = None
    """Packets per second per incoming peer (None: no limit)."""
    rate_limit_burst: int = 10_000
    """Packets a peer may send at once before the rate applies."""


class Connector:
    """Builds the pipeline once; `handle` runs one packet through it."""

    def __init__(
        self,
        *,
        own_address: str,
        routing: RoutingTable,
        directory: PeerDirectory,
        rates: ExchangeRates,
        accounting: PacketAccounting,
        client: NextHop,
        clock: Clock,
        metrics: PacketMetrics,
        options: ConnectorOptions,
        receiving: LocalReceiving | None = None,
    ) -> None:
        self._clock = clock
        self._metrics = metrics
        self._client = client
        self._own_address = own_address
        self._routing = routing
        self._directory = directory
        self._rates = rates
        self._accounting = accounting
        self._options = options
        self._receiving = receiving

        handler = self._routed(reserve=True)
        handler = PeerProtocols(handler)
        if options.rate_limit_packets_per_second is not None:
            handler = RateLimit(
                handler,
                packets_per_second=options.rate_limit_packets_per_second,
                burst=options.rate_limit_burst,
                clock=clock,
            )
        handler = MaxPacketAmount(handler)
        handler = IncomingExpiry(handler)
        self._pipeline: Handler = ErrorHandler(handler, own_address=own_address)
        self._local: Handler = ErrorHandler(
            IncomingExpiry(self._routed(reserve=True)), own_address=own_address
        )
        self._local_unfulfillable: Handler = ErrorHandler(
            IncomingExpiry(self._routed(reserve=False)), own_address=own_address
        )

    def _routed(self, *, reserve: bool) -> Handler:
        """The chain from `LocalPackets` down: routing, expiry, the money (unless not
        `reserve`), the next hop, and the local chain of a receiver hosted here."""
        options = self._options
        clock = self._clock
        handler: Handler = self._forward
        handler = OutgoingTimeout(handler, clock=clock)
        if reserve:
            handler = Balance(handler, accounting=self._accounting, clock=clock)
        handler = ReduceExpiry(
            handler, min_window_ms=options.min_expiry_window_ms, max_hold_ms=options.max_hold_ms
        )
        handler = Router(
            handler, routing=self._routing, directory=self._directory, rates=self._rates
        )
        receive: Handler | None = None
        if self._receiving is not None:
            receive = deliver_locally
            if reserve:
                receive = Balance(receive, accounting=self._accounting, clock=clock)
            receive = StreamReceiver(
                receive, own_address=self._own_address, receiving=self._receiving, rates=self._rates
            )
            receive = ReduceExpiry(
                receive, min_window_ms=options.min_expiry_window_ms, max_hold_ms=options.max_hold_ms
            )
        return LocalPackets(
            handler, own_address=self._own_address, routing=self._routing, receive=receive
        )

    async def send_local(
        self, source: ForwardingPeer, prepare: Prepare, *, fulfillable: bool
    ) -> Reply:
        """The Fulfill or Reject for a Prepare this node sends itself (an outgoing payment's),
        from `source`: the payment as the incoming "peer" (its id, asset and ledger account;
        no endpoint). Unfulfillable packets (probes, closes: random conditions) reserve
        nothing, and a Fulfill of one is answered F05 (it cannot be honest). Never raises; the
        peers' traffic metrics do not count these packets.
        """
        context = PacketContext(
            incoming=source,
            raw=b"",
            received_ns=self._clock.now_ns(),
            expires_at_ns=expiry_ns(prepare),
        )
        if fulfillable:
            reply = await self._local(prepare, context)
        else:
            reply = await self._local_unfulfillable(prepare, context)
        if isinstance(reply, Fulfill) and not fulfillable:
            return Reject(
                code=IlpErrorCode.F05_WRONG_CONDITION,
                triggered_by=self._own_address,
                message="fulfillment did not match expected value.",
            )
        return reply

    async def handle(self, peer: ForwardingPeer, prepare: Prepare, raw: bytes) -> bytes:
        """The encoded Fulfill or Reject for `prepare`, sent by `peer`. Never raises."""
        received = self._clock.now_ns()
        context = PacketContext(
            incoming=peer, raw=raw, received_ns=received, expires_at_ns=expiry_ns(prepare, raw)
        )
        reply = await self._pipeline(prepare, context)
        seconds = (self._clock.now_ns() - received) / _NS_PER_SECOND
        if isinstance(reply, Fulfill):
            self._metrics.record(
                peer, amount=prepare.amount, code=None, seconds=seconds, at_ns=received
            )
            return encode_fulfill(reply)
        self._metrics.record(
            peer, amount=prepare.amount, code=reply.code, seconds=seconds, at_ns=received
        )
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "rejected packet peer=%s destination=%s amount=%d code=%s triggered_by=%s "
                "message=%r",
                peer.label,
                prepare.destination,
                prepare.amount,
                reply.code,
                reply.triggered_by,
                reply.message,
            )
        return encode_reject(reply)

    async def _forward(self, prepare: Prepare, context: PacketContext) -> Reply:
        outgoing = context.outgoing
        assert outgoing is not None, "routing runs before forwarding"
        # The expiry passed on is the context's (`ReduceExpiry`), in whole milliseconds.
        expires_ms = context.expires_at_ns // _NS_PER_MS
        if context.raw:
            body = rewrite_prepare_ms(context.raw, prepare.amount, expires_ms)
        else:
            body = encode_prepare(prepare.with_expiry_ms(expires_ms))
        # Seconds at the edge: the client's timer is the event loop's.
        return await self._client.send(
            outgoing, body, timeout_seconds=context.timeout_ns / _NS_PER_SECOND
        )
