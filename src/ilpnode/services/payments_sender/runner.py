"""Drive a :class:`~ilpnode.ilp.stream.StreamSender` over a packet path, asynchronously.

The sender decides, the runner acts: it sends each :class:`SendPacket` as an ILP Prepare
through ``send_prepare`` (in its own task, so up to ``max_in_flight`` travel at once), sleeps
through each :class:`Wait` until a reply or the delay, hands every reply back, and returns the
final :class:`SendReport` when the sender is :class:`Finished`.

Probes and the closing packet are unfulfillable (their conditions are random): given
``send_unfulfillable``, they go through it instead, so that a path that reserves money for each
packet need not reserve any for them (Rafiki's connector skips the balance of an
``unfulfillable`` packet the same way).  Given ``before_sending``, it is awaited once, when the
probe has ended and before the first money packet: the moment to fix the minimum rate
(:meth:`~ilpnode.ilp.stream.StreamSender.set_min_rate`) and to reserve
``report.max_source_amount`` (or :meth:`~ilpnode.ilp.stream.StreamSender.abort` if it cannot).

``send_prepare`` must answer every Prepare with a Fulfill or a Reject, as the connector's
packet path does (its outermost middleware turns any error into a Reject, and the ledger
moves money only on a Fulfill).  If it raises anyway, the packet counts as rejected with T00;
if it has not answered when the Prepare has expired (plus a grace period), as rejected with
R00.  Cancelling :func:`run_payment` cancels the packets in flight: whatever they did is then
the path's to settle, and the report of the cancelled payment is not returned.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Final, TypeAlias

from ilpnode.ilp import Fulfill, Prepare, Reject
from ilpnode.ilp.stream import (
    Finished,
    PacketKind,
    SenderState,
    SendPacket,
    SendReport,
    StreamSender,
)

__all__ = ["REPLY_GRACE_MS", "SendPrepare", "run_payment"]

logger = logging.getLogger("ilpnode.payments")

#: Send one Prepare along the path; its Fulfill or Reject.
SendPrepare: TypeAlias = Callable[[Prepare], Awaitable[Fulfill | Reject]]

#: How long after a Prepare's expiry the runner still waits for its reply before it counts it
#: as timed out: the path rejects expired packets itself, this only covers a path that hangs.
REPLY_GRACE_MS: Final = 1_000


def _utc_now() -> datetime:
    return datetime.now(UTC)


async def run_payment(
    sender: StreamSender,
    send_prepare: SendPrepare,
    *,
    monotonic: Callable[[], float] = time.monotonic,
    wall_clock: Callable[[], datetime] = _utc_now,
    on_progress: Callable[[SendReport], None] | None = None,
    send_unfulfillable: SendPrepare | None = None,
    before_sending: Callable[[StreamSender], Awaitable[None]] | None = None,
) -> SendReport:
    """Run ``sender``'s payment to the end over ``send_prepare``; its final report.

    Args:
        sender: a fresh sender (or one to resume driving).
        send_prepare: the packet path (for every packet, unless ``send_unfulfillable``).
        monotonic: the clock the sender's timers run on, in seconds.
        wall_clock: UTC now, for the Prepares' expiries.
        on_progress: called with the sender's report after each batch of replies.
        send_unfulfillable: the path for probes and the close (default ``send_prepare``).
        before_sending: awaited once between the probe and the first money packet; an
            exception from it ends the run (it propagates).
    """
    in_flight: dict[asyncio.Task[Fulfill | Reject], int] = {}
    unfulfillable = send_unfulfillable or send_prepare
    try:
        while True:
            if before_sending is not None and sender.state is SenderState.SENDING:
                hook, before_sending = before_sending, None
                await hook(sender)
            action = sender.next(now=monotonic())
            if isinstance(action, SendPacket):
                prepare = Prepare(
                    amount=action.amount,
                    expires_at=wall_clock() + timedelta(milliseconds=action.expires_in_ms),
                    execution_condition=action.execution_condition,
                    destination=action.destination,
                    data=action.data,
                )
                timeout = (action.expires_in_ms + REPLY_GRACE_MS) / 1000
                path = send_prepare if action.kind is PacketKind.MONEY else unfulfillable
                task = asyncio.create_task(_send(path, prepare, timeout))
                in_flight[task] = action.sequence
                continue
            if isinstance(action, Finished):
                if on_progress is not None:
                    on_progress(action.report)
                return action.report
            delay = None if action.delay_ms is None else action.delay_ms / 1000
            if not in_flight:
                if delay is None:
                    raise RuntimeError("the STREAM sender waits for a reply with none in flight")
                await asyncio.sleep(delay)
                continue
            done, _ = await asyncio.wait(
                in_flight, timeout=delay, return_when=asyncio.FIRST_COMPLETED
            )
            for task in done:
                sender.on_reply(in_flight.pop(task), task.result(), now=monotonic())
            if done and on_progress is not None:
                on_progress(sender.report())
    finally:
        for task in in_flight:
            task.cancel()


async def _send(send_prepare: SendPrepare, prepare: Prepare, timeout: float) -> Fulfill | Reject:
    """One Prepare's reply; a Reject standing for a path that failed or hung."""
    try:
        return await asyncio.wait_for(send_prepare(prepare), timeout)
    except TimeoutError:
        return Reject(code="R00", triggered_by="", message="no reply before the packet expired")
    except Exception as error:  # the path broke its contract: count the packet as rejected
        logger.warning("payment packet path raised %s: %s", type(error).__name__, error)
        message = f"the packet path failed: {type(error).__name__}"
        return Reject(code="T00", triggered_by="", message=message)
