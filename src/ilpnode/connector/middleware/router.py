"""Routing and exchange: choose the next hop, and the amount it is sent in its asset.

Longest prefix over every peer's `staticIlpAddress` and `routes` (`routing.RoutingTable`), never
back to the incoming peer (unless an echo response goes that way); no route is F02 with Rafiki's
message. Between different assets the amount is converted (`rates.py`): no rate is F07 (Rafiki's
message), an unreachable rates service T00, an amount that converts to 0 is R01.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable

from ilpnode.connector.directory import PeerDirectory
from ilpnode.connector.errors import IlpError, InsufficientSourceAmount, Unreachable
from ilpnode.connector.rates import ExchangeRates, NoRate, RatesUnavailable
from ilpnode.connector.routing import RoutingTable
from ilpnode.connector.types import Handler, PacketContext, Reply
from ilpnode.ilp import MAX_AMOUNT, IlpErrorCode, Prepare

__all__ = ["Router"]


class Router:
    def __init__(
        self,
        next_: Handler,
        *,
        routing: RoutingTable,
        directory: PeerDirectory,
        rates: ExchangeRates,
    ) -> None:
        self._next = next_
        self._routing = routing
        self._directory = directory
        self._rates = rates

    def __call__(self, prepare: Prepare, context: PacketContext) -> Awaitable[Reply]:
        incoming = context.incoming
        exclude = None if context.bounce_allowed else incoming.id
        outgoing = self._directory.get(
            self._routing.next_hop(
                prepare.destination,
                exclude_peer_id=exclude,
                longer_than=context.route_longer_than,
            )
        )
        if outgoing is None:
            raise Unreachable("unknown destination account")
        context.outgoing = outgoing
        amount = context.source_amount = prepare.amount
        if outgoing.asset_id != incoming.asset_id and amount:
            return self._converted(prepare, context)
        return self._next(prepare, context)

    async def _converted(self, prepare: Prepare, context: PacketContext) -> Reply:
        """The packet passed on in the outgoing peer's asset."""
        incoming, outgoing, amount = context.incoming, context.outgoing, prepare.amount
        assert outgoing is not None
        converted = await self._convert(amount, context)
        if converted == 0:
            raise InsufficientSourceAmount(
                f"amount {amount} {incoming.asset_code} (scale {incoming.asset_scale}) is 0 "
                f"in {outgoing.asset_code} (scale {outgoing.asset_scale})"
            )
        if converted > MAX_AMOUNT:
            raise IlpError(
                f"amount {amount} converts to {converted} {outgoing.asset_code}, more than "
                "a packet can carry",
                code=IlpErrorCode.F03_INVALID_AMOUNT,
            )
        prepare = dataclasses.replace(prepare, amount=converted)
        return await self._next(prepare, context)

    async def _convert(self, amount: int, context: PacketContext) -> int:
        incoming, outgoing = context.incoming, context.outgoing
        assert outgoing is not None
        try:
            return await self._rates.convert(
                amount,
                source=(incoming.asset_code, incoming.asset_scale),
                destination=(outgoing.asset_code, outgoing.asset_scale),
            )
        except NoRate:  # raised after the handler (see Balance)
            no_rate = True
        except RatesUnavailable:
            no_rate = False
        if no_rate:
            raise IlpError(
                "Exchange rate error: InvalidDestinationPrice", code=IlpErrorCode.F07_CANNOT_RECEIVE
            )
        # RatesUnavailable was logged where it happened; the sender learns no more.
        raise IlpError("unexpected internal error", code=IlpErrorCode.T00_INTERNAL_ERROR)
