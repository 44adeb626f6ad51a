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
the packet is rejected T00 (by the error handler, quietly). The *post* of a fulfilled packet is
tried again every `POST_RETRY_SECONDS` while the packet has time left (its outgoing expiry,
which leaves the expiry window to send the Fulfill upstream): the next hop was paid, so the
money must move, and a retry is safe (a post that had been committed while its answer was lost
answers AlreadyPosted: it is booked, the packet is fulfilled). Only a post still failing when
time runs out rejects the packet T00 with a warning; its reservation is voided, or expires if
the void fails too, and the void settles an unknown outcome once more (AlreadyPosted: fulfilled
after all). If even the void cannot tell, the warning names the reservation: had that post been
committed, the sender paid for a rejected packet (docs/operations.md, "When PostgreSQL
restarts").

A packet of amount 0 moves no money and is forwarded without a reservation (Rafiki); so is an
echo response sent back through the peer it came from (its debit and credit would cancel out).
Their Fulfills are checked against the condition all the same (F05).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Final

from ilpnode.accounting import (
    PacketAccounting,
    PacketTransfer,
    TransferError,
    timeout_seconds_for,
)
from ilpnode.clock import Clock
from ilpnode.connector.errors import IlpError, WrongCondition, ilp_error_for_transfer
from ilpnode.connector.types import Handler, PacketContext, Reply
from ilpnode.ilp import Fulfill, IlpErrorCode, Prepare, fulfillment_matches
from ilpnode.ledger import LedgerUnavailable

__all__ = ["Balance"]

logger = logging.getLogger("ilpnode.connector")

POST_RETRY_SECONDS: Final = 0.25
"""While the ledger is unavailable, a fulfilled packet's post is tried again this often."""
_POST_RETRY_NS: Final = round(POST_RETRY_SECONDS * 1e9)  # in the clock's unit


class Balance:
    def __init__(self, next_: Handler, *, accounting: PacketAccounting, clock: Clock) -> None:
        self._next = next_
        self._accounting = accounting
        self._clock = clock

    async def __call__(self, prepare: Prepare, context: PacketContext) -> Reply:
        outgoing = context.outgoing
        assert outgoing is not None, "routing runs before the balance"
        if context.source_amount == 0 or outgoing.key == context.incoming.key:
            return _checked(await self._next(prepare, context), prepare)
        reserved = await self._accounting.create_packet_transfer(
            source=context.incoming.account,
            destination=outgoing.account,
            source_amount=context.source_amount,
            destination_amount=prepare.amount,
            timeout_seconds=timeout_seconds_for(
                expires_at_ns=context.expires_at_ns,
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

    async def _posted(self, reserved: PacketTransfer, context: PacketContext) -> bool:
        """Post a fulfilled packet's reservation, durably; False (logged) if it could not be.
        While the ledger is unavailable, again every POST_RETRY_SECONDS until the packet
        expires (`context.expires_at_ns`); then its LedgerUnavailable is raised."""
        # The last try starts at least one retry interval before the packet expires.
        deadline_ns = context.expires_at_ns - _POST_RETRY_NS
        unavailable: LedgerUnavailable | None = None
        failure: TransferError | None = None
        retried = False
        maybe_committed = False  # an attempt's answer was lost: the post may have happened
        while True:
            try:
                failure = await reserved.post()
            except LedgerUnavailable as error:
                unavailable = error
            if unavailable is None:
                break
            maybe_committed = maybe_committed or unavailable.outcome_unknown
            if self._clock.now_ns() >= deadline_ns:
                if maybe_committed and not unavailable.outcome_unknown:
                    unavailable = LedgerUnavailable(str(unavailable), outcome_unknown=True)
                try:
                    raise unavailable
                finally:
                    unavailable = None  # its traceback holds this frame: no reference cycle
            unavailable = None
            retried = True
            await asyncio.sleep(POST_RETRY_SECONDS)
        if failure is None or (retried and failure is TransferError.AlreadyPosted):
            return True  # posted now, or by an attempt whose answer was lost
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
