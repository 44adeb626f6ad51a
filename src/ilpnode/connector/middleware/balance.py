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

The ledger unavailable (`LedgerUnavailable`: its database went away): the reservation fails and
the packet is rejected T00 (by the error handler, quietly). A fulfilled packet whose *post* fails
so is rejected T00 with a warning (the next hop fulfilled it, nothing was booked); its
reservation is voided, or expires if the void fails too. If the post failed while committing,
its outcome is unknown, and the void tells: AlreadyPosted means the money moved, so the packet
is fulfilled after all. If the void cannot tell (the ledger is still away), the packet is
rejected T00 and the warning names the reservation: had that post been committed, the sender
paid for a rejected packet (docs/operations.md, "When PostgreSQL restarts").

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
from ilpnode.ledger import LedgerUnavailable
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
        fulfill: Fulfill | None = None
        try:
            reply = _checked(await self._next(prepare, context), prepare)
            if isinstance(reply, Fulfill):
                fulfill = reply
                if await self._posted(reserved, context):
                    return reply
                raise IlpError("unexpected internal error", code=IlpErrorCode.T00_INTERNAL_ERROR)
        except BaseException as error:  # a timeout, a cancellation, a bug: the money goes back
            failure = error
        # A fulfilled packet whose post failed with the ledger: the void tells an unknown outcome.
        unbooked = fulfill if isinstance(failure, LedgerUnavailable) else None
        voided: TransferError | None = None
        void_failure: LedgerUnavailable | None = None
        try:
            voided = await reserved.void()
        except LedgerUnavailable as error:
            void_failure = error
        if unbooked is not None:
            if voided is TransferError.AlreadyPosted:
                logger.warning(
                    "the post of a fulfilled packet from %s to %s failed (%s), yet it had been"
                    " committed: fulfilling it",
                    context.incoming.label,
                    outgoing.label,
                    failure,
                )
                failure = None
                return unbooked
            self._log_unbooked(failure, void_failure is not None, reserved, context)
        if void_failure is not None:
            failure = None
            try:
                raise void_failure  # the reservation stays until it expires
            finally:
                void_failure = None  # its traceback holds this frame: no reference cycle
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
    def _log_unbooked(
        failure: BaseException | None,
        void_failed: bool,
        reserved: PacketTransfer,
        context: PacketContext,
    ) -> None:
        """A fulfilled packet rejected because its post failed: say so, and whether the post
        may have been committed anyway (then the sender may have paid for a rejected packet)."""
        unknown = isinstance(failure, LedgerUnavailable) and failure.outcome_unknown
        logger.warning(
            "the post of a fulfilled packet from %s to %s failed (%s): rejecting it T00%s",
            context.incoming.label,
            context.outgoing.label if context.outgoing is not None else "?",
            failure,
            f"; the post may have been committed: check pending transfer"
            f" {reserved.transfer_ids[0]:032x}"
            if unknown and void_failed
            else "",
        )

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
