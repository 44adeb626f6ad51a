"""Payments left unfinished by a process that died: ended from what the ledger says.

Theory of operation
===================

A payment whose process died (kill -9, a power cut) stays FUNDING or SENDING in its row, with a
lease that runs out `LEASE_SECONDS` after the last save. The service's sweep claims such rows
(`OutgoingPaymentStore.claim_stale`; a node alone on its database claims every unfinished one at
start-up) and ends each here, exactly, from the ledger (`money.py`):

- **not funded** (no funding transfer): nothing was debited. FAILED, "interrupted before it was
  funded".
- **funded**: the reservations of the packets that were in flight when the process died are
  released by their timeouts (about 35 s after they were made); once none is pending, the
  payment account's `debits_posted` is exactly what its fulfilled packets sent. The payment is
  settled as a live one is (fee on that amount to the operator, the rest back to the source),
  then written: COMPLETED if its target was met (a fixed send that sent it all, a fixed receive
  whose saved delivered amount reached it), FAILED otherwise. The sent amount and the fee are
  exact; the delivered amount is the one saved last (at most `PROGRESS_SECONDS` old), so it may
  fall short of what the receiver got from the packets fulfilled after that save.

A payment is not resumed: its STREAM connection's state died with the process, and a fresh
connection would need the receiver to tell what already arrived, which only receipts could (a
later issue). A payment already settled on the ledger (the process died between settling and
writing the row) settles to the same amounts again: the ledger keeps the first settlement.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from typing import Final

from ilpnode.services.outgoing_payments.fees import fee_charged
from ilpnode.services.outgoing_payments.model import OutgoingPayment, OutgoingPaymentState
from ilpnode.services.outgoing_payments.money import Funding
from ilpnode.services.outgoing_payments.run import RunDeps

__all__ = ["RECOVERY_POLL_SECONDS", "recover"]

logger = logging.getLogger("ilpnode.payments")

RECOVERY_POLL_SECONDS: Final = 1.0
"""While a dead process's reservations are pending, the account is read again this often."""


async def recover(payment: OutgoingPayment, *, funding: Funding, deps: RunDeps) -> OutgoingPayment:
    """End a claimed payment from the ledger (see the module docstring); its final row.

    Raises only on infrastructure faults (the payment stays claimed; its lease runs out and a
    later sweep tries again).
    """
    money, clock = deps.money, deps.clock
    if not await money.funded(funding):
        final = replace(
            payment,
            state=OutgoingPaymentState.FAILED,
            error="interrupted before it was funded: nothing was debited",
            sent=0,
            fee=0,
            updated_at=clock.now(),
        )
        await deps.store.write(final, owner=deps.owner, lease_until=None)
        logger.warning("outgoing payment %s: %s", payment.id, final.error)
        return final
    while await money.pending(funding):
        await deps.store.write(payment, owner=deps.owner, lease_until=deps.lease_until())
        await asyncio.sleep(RECOVERY_POLL_SECONDS)
    settlement = await money.settle(
        funding,
        fee_for=lambda sent: fee_charged(
            sent,
            payment.fee_rate,
            requested_debit=payment.requested_debit,
            send_target=payment.send_target,
        ),
    )
    met = (
        payment.send_target is not None and settlement.sent == payment.send_target
        if payment.requested_receive is None
        else payment.delivered >= payment.requested_receive
    )
    state = OutgoingPaymentState.COMPLETED if met else OutgoingPaymentState.FAILED
    final = replace(
        payment,
        state=state,
        error=None
        if met
        else f"the node stopped while sending: recovered at restart, {settlement.sent} sent "
        f"(exact, from the ledger), at least {payment.delivered} delivered",
        sent=settlement.sent,
        fee=settlement.fee,
        updated_at=clock.now(),
    )
    await deps.store.write(final, owner=deps.owner, lease_until=None)
    logger.warning(
        "outgoing payment %s recovered %s: sent %d, fee %d, %d back to the source",
        payment.id,
        state.value,
        settlement.sent,
        settlement.fee,
        settlement.refund,
    )
    return final
