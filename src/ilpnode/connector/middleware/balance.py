"""The money: reserve before forwarding, then post on a valid Fulfill, void on anything else.

Theory of operation (two-phase, DESIGN §3; STYLE rule 11):

1. Reserve: one linked batch of pending transfers (`PacketAccounting`) debits the incoming peer's
   liquidity and credits the outgoing peer's (through the asset accounts when the assets differ).
   The incoming peer's credit line cannot go below zero however many packets race: the ledger
   decides each batch atomically. Too little: T04, and nothing was reserved.
2. Forward (`await next`).
3. Fulfill whose sha256 matches the condition: post, durably, and only then return the Fulfill
   (if the post fails, the packet is rejected T00: we never pass on a Fulfill that is not
   booked). A wrong fulfillment is F05 and voids. A Reject, a timeout (R00) or any exception
   voids, even a cancellation: a reservation never leaks. If the process dies, the
   reservation's timeout (longer than the packet's life) releases it.

A packet of amount 0 moves no money and is forwarded without a reservation (Rafiki); so is an
echo response sent back through the peer it came from (its debit and credit would cancel out).
Their Fulfills are checked against the condition all the same (F05).
"""

from __future__ import annotations

import logging

from ilpnode.connector.errors import IlpError, WrongCondition, ilp_error_for_transfer
from ilpnode.connector.middleware.expiry import packet_expiry_ms
from ilpnode.connector.types import Handler, PacketContext, Reply
from ilpnode.ilp import Fulfill, IlpErrorCode, Prepare, fulfillment_matches
from ilpnode.services.accounting import (
    PacketAccounting,
    PacketTransfer,
    TransferError,
    timeout_seconds_for,
)

__all__ = ["Balance"]

logger = logging.getLogger("ilpnode.connector")

_NS_PER_MS = 1_000_000


class Balance:
    def __init__(self, next_: Handler, *, accounting: PacketAccounting) -> None:
        self._next = next_
        self._accounting = accounting

    async def __call__(self, prepare: Prepare, context: PacketContext) -> Reply:
        outgoing = context.outgoing
        assert outgoing is not None, "routing runs before the balance"
        # Ids compared by their ints: `UUID.__eq__` is Python code.
        if context.source_amount == 0 or outgoing.id.int == context.incoming.id.int:
            return _checked(await self._next(prepare, context), prepare)
        reserved = await self._accounting.create_packet_transfer(
            source=context.incoming.account,
            destination=outgoing.account,
            source_amount=context.source_amount,
            destination_amount=prepare.amount,
            timeout_seconds=timeout_seconds_for(
                expires_at_ns=packet_expiry_ms(prepare, context) * _NS_PER_MS,
                now_ns=context.received_ns,
            ),
        )
        if isinstance(reserved, TransferError):
            raise ilp_error_for_transfer(reserved)
        # The void runs after the try, not in a `finally`: compiled with mypyc, a coroutine
        # that awaits inside a handler leaves its exception as the thread's current one
        # (docs/operations.md, "Compiled code and exceptions"). Any failure still voids.
        failure: BaseException | None = None
        try:
            reply = _checked(await self._next(prepare, context), prepare)
            if isinstance(reply, Fulfill):
                if await self._posted(reserved, context):
                    return reply
                raise IlpError("unexpected internal error", code=IlpErrorCode.T00_INTERNAL_ERROR)
        except BaseException as error:  # a timeout, a cancellation, a bug: the money goes back
            failure = error
        voided = await reserved.void()
        if voided is not None and voided is not TransferError.AlreadyVoided:
            logger.error(
                "could not void the reservation of a packet from %s: %s",
                context.incoming.label,
                voided.value,
            )
        if failure is not None:
            try:
                raise failure
            finally:
                failure = None  # its traceback holds this frame: no reference cycle
        return reply

    @staticmethod
    async def _posted(reserved: PacketTransfer, context: PacketContext) -> bool:
        """Post a fulfilled packet's reservation, durably; False (logged) if it could not be."""
        failure = await reserved.post()
        if failure is None:
            return True
        logger.error(
            "could not post the transfer of a fulfilled packet from %s to %s: %s",
            context.incoming.label,
            context.outgoing.label if context.outgoing is not None else "?",
            failure.value,
        )
        return False


def _checked(reply: Reply, prepare: Prepare) -> Reply:
    """The reply, unless it is a Fulfill whose fulfillment does not hash to the condition."""
    if isinstance(reply, Fulfill) and not fulfillment_matches(
        reply.fulfillment, prepare.execution_condition
    ):
        raise WrongCondition("fulfillment did not match expected value.")
    return reply
