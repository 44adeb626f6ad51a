"""The incoming peer's `maxPacketAmount`: a larger Prepare is F08, with the 16-byte data
(received ‖ maximum, RFC 0027) that lets the sender size its next packet at once."""

from __future__ import annotations

from collections.abc import Awaitable

from ilpnode.connector.errors import AmountTooLarge
from ilpnode.connector.types import Handler, PacketContext, Reply
from ilpnode.ilp import AmountTooLargeData, Prepare, encode_amount_too_large_data

__all__ = ["MaxPacketAmount"]


class MaxPacketAmount:
    def __init__(self, next_: Handler) -> None:
        self._next = next_

    def __call__(self, prepare: Prepare, context: PacketContext) -> Awaitable[Reply]:
        maximum = context.incoming.max_packet_amount
        if maximum is not None and prepare.amount > maximum:
            raise AmountTooLarge(
                f"packet size too large. maxAmount={maximum} actualAmount={prepare.amount}",
                data=encode_amount_too_large_data(
                    AmountTooLargeData(received_amount=prepare.amount, maximum_amount=maximum)
                ),
            )
        return self._next(prepare, context)
