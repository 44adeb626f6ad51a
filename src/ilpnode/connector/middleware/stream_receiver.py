"""The STREAM receiver on the packet path: a payment to a wallet address hosted by this node.

Theory of operation
===================

`LocalPackets` hands over every Prepare addressed under our address that no child peer's route
takes: the "next hop" is this node. The local chain, outermost first:

    ReduceExpiry        as for a forwarded packet: the time the post may take is bounded the same
    StreamReceiver      (this module) connection -> wallet address -> amount -> decision
    Balance             unchanged: reserve, post on the Fulfill, void otherwise
    deliver_locally     the terminal: the decided Fulfill (instead of a POST to a peer)

`StreamReceiver`, in order, each refusal before anything changed:

1. The connection: `open_connection` recognises `<our address>.<token>` with the node's STREAM
   server secret (stateless: the token carries the payment tag and receipt details, the shared
   secret is derived from it). Not a connection of ours (forged, damaged, not a token): F02,
   as for any unknown destination.
2. The wallet address: the token's payment tag is its id (`WalletAddressDirectory`, in memory).
   Unknown or inactive: F02.
3. The amount in the wallet address's asset: as `Router` converts for a peer (F07 no rate, T00
   rates unavailable, R01 converts to 0, F03 beyond u64). The wallet address becomes the
   context's `outgoing` hop (a `ForwardingPeer` with its account and asset and no endpoint),
   so `Balance` books incoming peer -> wallet address exactly as incoming peer -> peer.
4. The decision, by the receiver's state machine (`ilp.stream`, sans-IO): a packet that does
   not decrypt or is not STREAM is F06; one that is below its minimum, unfulfillable (a rate
   probe: the senders learn the rate from the F99's encrypted reply), for a closed stream or
   over a flow-control limit is F99 with the receiver's encrypted reply; the rest is a Fulfill
   whose reply acknowledges the frames (and carries a receipt when the connection asked for
   them). Deciding comes before reserving, as in Rafiki (`balance.ts` books a STREAM
   destination only once fulfilled): a rejected packet reserves nothing, and a probe of any
   size gets its F99 instead of the T04 a reservation beyond the peer's liquidity would give.
5. The money: a Fulfill is passed down to `Balance`, which reserves (T04 if the incoming peer's
   liquidity is short) and posts durably before the Fulfill goes back. If anything fails after
   the decision (the reservation, the post: T00, a cancellation), the receiver's decision is
   undone: its totals count only money that was booked. A crash between the two leaves a
   reservation that expires and a receiver state that is lost with the process: only booked
   packets were ever credited.

Metrics (`ReceiveMetrics`): packets and amounts per wallet address, counted once final.
"""

from __future__ import annotations

import dataclasses
import os
from typing import Final

from ilpnode.connector.directory import ForwardingPeer
from ilpnode.connector.errors import IlpError, InsufficientSourceAmount, Unreachable
from ilpnode.connector.rates import ExchangeRates, NoRate, RatesUnavailable
from ilpnode.connector.receive_metrics import ReceiveMetrics
from ilpnode.connector.types import Handler, PacketContext, Reply, answered
from ilpnode.ilp import MAX_AMOUNT, Fulfill, IlpErrorCode, Prepare
from ilpnode.ilp.stream import ConnectionToken, ReceiverConnections, open_connection
from ilpnode.services.payments import HostedWalletAddress, WalletAddressDirectory

__all__ = ["StreamReceiver", "deliver_locally"]

_IV_BYTES: Final = 12


def deliver_locally(prepare: Prepare, context: PacketContext) -> object:
    """The local chain's terminal: the Fulfill `StreamReceiver` decided on (the money is
    reserved by now; `Balance` posts it when this returns)."""
    reply = context.local_reply
    assert reply is not None, "StreamReceiver decides before the money is reserved"
    return answered(reply)


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class LocalReceiving:
    """What the connector needs to receive payments (`Connector(receiving=...)`).

    Attributes:
        server_secret: the node's STREAM server secret (32 bytes): its connections' tokens.
        wallets: the wallet addresses hosted here, in memory.
        connections: the receiver's connection states (bounded).
        metrics: packets and amounts received per wallet address.
    """

    server_secret: bytes
    wallets: WalletAddressDirectory
    connections: ReceiverConnections
    metrics: ReceiveMetrics

    def __repr__(self) -> str:
        return f"LocalReceiving(wallets={len(self.wallets)})"  # the secret stays out of logs


class StreamReceiver:
    def __init__(
        self,
        next_: Handler,
        *,
        own_address: str,
        receiving: LocalReceiving,
        rates: ExchangeRates,
    ) -> None:
        self._next = next_
        self._own = own_address
        self._secret = receiving.server_secret
        self._wallets = receiving.wallets
        self._connections = receiving.connections
        self._metrics = receiving.metrics
        self._rates = rates
        # Wallet address id -> (the directory's entry, its hop), rebuilt when the entry changes.
        self._hops: dict[int, tuple[HostedWalletAddress, ForwardingPeer]] = {}

    async def __call__(self, prepare: Prepare, context: PacketContext) -> Reply:
        destination = prepare.destination
        connection = open_connection(self._secret, destination, self._own)
        if connection is None:
            raise Unreachable(f"no receiver at {destination} on this node")
        hop = self._hop(connection)
        if hop is None:
            raise Unreachable(f"no receiver at {destination} on this node")
        context.outgoing = hop
        amount = context.source_amount = prepare.amount
        if amount and hop.asset_id.int != context.incoming.asset_id.int:
            amount = await self._converted(amount, context.incoming, hop)
            prepare = dataclasses.replace(prepare, amount=amount)
        ...
