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
2. The wallet address: the token's payment tag is its id (`WalletAddressLookup`, in memory).
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
   the decision (the reservation: T04; the post: T00; a cancellation), the receiver's decision is
   undone: its totals count only money that was booked. A crash between the two leaves a
   reservation that expires and a receiver state that is lost with the process: only booked
   packets were ever credited.

Once final, a packet is counted: in the metrics (`ReceiveMetrics`: packets and amounts per
wallet address), and, when it carried money and was booked, in the tally of payments received
(`PaymentTally`, `services.payments.ReceivedTally`: per connection, in memory; written every
second in one batch by `services.payments.ReceivedPaymentLog`, off the packet path).
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Awaitable, Callable

from ilpnode.connector.errors import IlpError, InsufficientSourceAmount, Unreachable
from ilpnode.connector.rates import ExchangeRates, NoRate, RatesUnavailable
from ilpnode.connector.receive_metrics import ReceiveMetrics
from ilpnode.connector.types import Handler, PacketContext, Reply, answered
from ilpnode.hosted_wallets import HostedWalletAddress, PaymentTally, WalletAddressLookup
from ilpnode.ilp import MAX_AMOUNT, Fulfill, IlpErrorCode, Prepare
from ilpnode.ilp.stream import (
    IV_BYTES,
    ConnectionToken,
    ReceiverConnections,
    RejectDecision,
    open_connection,
)
from ilpnode.peer_table import ForwardingPeer

__all__ = ["LocalReceiving", "StreamReceiver", "deliver_locally"]


def deliver_locally(prepare: Prepare, context: PacketContext) -> Awaitable[Reply]:
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
        payments: what each connection paid, for the list of payments received.
    """

    server_secret: bytes
    wallets: WalletAddressLookup
    connections: ReceiverConnections
    metrics: ReceiveMetrics
    payments: PaymentTally

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
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._next = next_
        self._own = own_address
        self._secret = receiving.server_secret
        self._wallets = receiving.wallets
        self._connections = receiving.connections
        self._metrics = receiving.metrics
        self._payments = receiving.payments
        self._rates = rates
        self._monotonic = monotonic
        # Wallet address id -> (the directory's entry, its hop): rebuilt when the entry changes.
        self._hops: dict[int, tuple[HostedWalletAddress, ForwardingPeer]] = {}

    async def __call__(self, prepare: Prepare, context: PacketContext) -> Reply:
        destination = prepare.destination
        token = open_connection(self._secret, destination, self._own)
        hop = self._hop(token) if token is not None else None
        if token is None or hop is None:
            raise Unreachable(f"no receiver at {destination} on this node")
        context.outgoing = hop
        amount = context.source_amount = prepare.amount
        if amount and hop.asset_id.int != context.incoming.asset_id.int:
            amount = await self._converted(amount, context, hop)
            prepare = dataclasses.replace(prepare, amount=amount)
        connection = self._connections.connection(
            token, now=self._monotonic(), asset=(hop.asset_code, hop.asset_scale)
        )
        decision = connection.decide(
            data=prepare.data,
            amount=amount,
            execution_condition=prepare.execution_condition,
            iv=_IVS.take(),
        )
        if isinstance(decision, RejectDecision):
            self._metrics.rejected(hop, decision.code)
            raise IlpError(decision.message, code=decision.code, data=decision.data)
        context.local_reply = Fulfill(fulfillment=decision.fulfillment, data=decision.data)
        # Undone after the try, not in an `except`: the house rule for code on the packet path
        # (docs/operations.md, "Compiled code and exceptions"). Any failure undoes.
        failure: BaseException | None = None
        reply: Reply | None = None
        try:
            reply = await self._next(prepare, context)
        except BaseException as error:  # T04, T00 (the post failed), a cancellation: not booked
            failure = error
        if isinstance(reply, Fulfill):
            self._metrics.fulfilled(hop, amount)
            if amount:
                self._payments.record(
                    wallet_address_id=hop.id,
                    asset_code=hop.asset_code,
                    asset_scale=hop.asset_scale,
                    token=token.token,
                    amount=amount,
                    at_ns=context.received_ns,
                )
            return reply
        connection.undo(decision)
        self._metrics.rejected(hop, reply.code if reply is not None else _code_of(failure))
        if failure is not None:
            try:
                raise failure
            finally:
                failure = None  # its traceback holds this frame: no reference cycle
        assert reply is not None
        return reply

    def _hop(self, token: ConnectionToken) -> ForwardingPeer | None:
        """The active wallet address the connection pays into, as the packet's next hop."""
        wallet = self._wallets.by_payment_tag(token.payment_tag)
        if wallet is None or not wallet.active:
            return None
        cached = self._hops.get(wallet.id.int)
        if cached is not None and cached[0] is wallet:
            return cached[1]
        hop = ForwardingPeer(
            id=wallet.id,
            name=wallet.url,
            static_ilp_address=self._own,
            asset_id=wallet.asset_id,
            asset_code=wallet.asset_code,
            asset_scale=wallet.asset_scale,
            max_packet_amount=None,
            endpoint="",
            outgoing_token="",
            account=wallet.account,
        )
        self._hops[wallet.id.int] = (wallet, hop)
        return hop

    async def _converted(self, amount: int, context: PacketContext, hop: ForwardingPeer) -> int:
        """`amount` in the wallet address's asset, with the refusals `Router` gives a peer."""
        incoming = context.incoming
        # The refusals are raised after the try (as in Router): no raise inside an `except`.
        failed: IlpErrorCode | None = None
        converted = 0
        try:
            converted = await self._rates.convert(
                amount,
                source=(incoming.asset_code, incoming.asset_scale),
                destination=(hop.asset_code, hop.asset_scale),
            )
        except NoRate:
            failed = IlpErrorCode.F07_CANNOT_RECEIVE
        except RatesUnavailable:  # logged where it happened; the sender learns no more
            failed = IlpErrorCode.T00_INTERNAL_ERROR
        if failed is IlpErrorCode.F07_CANNOT_RECEIVE:
            raise IlpError("Exchange rate error: InvalidDestinationPrice", code=failed)
        if failed is not None:
            raise IlpError("unexpected internal error", code=failed)
        if converted == 0:
            raise InsufficientSourceAmount(
                f"amount {amount} {incoming.asset_code} (scale {incoming.asset_scale}) is 0 "
                f"in {hop.asset_code} (scale {hop.asset_scale})"
            )
        if converted > MAX_AMOUNT:
            raise IlpError(
                f"amount {amount} converts to {converted} {hop.asset_code}, more than "
                "a packet can carry",
                code=IlpErrorCode.F03_INVALID_AMOUNT,
            )
        return converted


def _code_of(failure: BaseException | None) -> str:
    """The ILP code the sender gets for a failure after the decision (T00 for a bug)."""
    if isinstance(failure, IlpError):
        return failure.code
    return IlpErrorCode.T00_INTERNAL_ERROR


class _RandomIvs:
    """Reply IVs from OS randomness fetched 4 KiB at a time (a system call per packet is
    avoidable cost, as for transfer ids in `accounting.packets`)."""

    __slots__ = ("_buffer", "_offset")

    def __init__(self) -> None:
        self._buffer = b""
        self._offset = 0

    def take(self) -> bytes:
        offset = self._offset
        if offset + IV_BYTES > len(self._buffer):
            self._buffer, offset = os.urandom(4096), 0
        self._offset = offset + IV_BYTES
        return self._buffer[offset : offset + IV_BYTES]


_IVS = _RandomIvs()
