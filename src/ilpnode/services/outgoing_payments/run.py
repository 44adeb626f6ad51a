"""One outgoing payment, run by this process: probe, fund, send, settle.

Theory of operation
===================

A `PaymentRun` drives a `StreamSender` (sans-IO, `ilp.stream`) with `run_payment` over the
connector's packet path (`PaymentPath.send`, from the payment's own ledger account):

1. **FUNDING**: the rate probe. Probes are unfulfillable and go the path that reserves nothing,
   so nothing is debited yet, whatever their size.
2. **Before the first money packet** (`run_payment`'s `before_sending`): the receiver's asset is
   known from the probe (none: `UnknownDestinationAsset`, as `@interledger/pay`). The minimum
   rate is fixed from the node's rates service and both scales, less the slippage
   (`SLIPPAGE`); a probed rate below it fails here. Then the most the payment may debit
   (`max_debit`: the fixed send's debit amount, or the fixed receive's `max_source_amount` plus
   the fee on it) moves from the source into the payment's account (`money.PaymentMoney.fund`).
   Any refusal here aborts the sender (it only sends its close) and nothing was debited. Once
   funded the payment is SENDING, and `ready` (what `sendPayment` waits for) is resolved.
3. **SENDING**: money packets, reserved and posted by the connector from the payment's account.
   Every `PROGRESS_SECONDS` the row gets the sender's progress (sent, delivered, packets) and
   the lease is extended (`ports.OutgoingPaymentStore`); a write refused because another process
   took the payment over aborts the sender.
4. **Settling**: once the sender finished (or the run failed), and no reservation is pending,
   the fee on what the ledger says was sent goes to the operator and the rest back to the source
   (`PaymentMoney.settle`, retried until the ledger answers); the row ends COMPLETED or FAILED
   with the exact amounts. A payment refused before funding ends FAILED with nothing moved.

`abort(message)` (the node stops) ends the sender early: nothing new is sent, the packets in
flight settle, then the payment settles as above. Cancelled outright (a stop that took too long),
the row stays SENDING and the next start recovers it (`recovery.py`).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from fractions import Fraction
from typing import Final

from ilpnode.accounting import TransferError
from ilpnode.clock import Clock
from ilpnode.ilp import Fulfill, Prepare, Reject
from ilpnode.ilp.stream import (
    FixedReceive,
    FixedSend,
    SenderLimits,
    SenderState,
    SendReport,
    StreamSender,
)
from ilpnode.ledger import AMOUNT_MAX
from ilpnode.services.outgoing_payments.fees import fee_charged, sending_fee
from ilpnode.services.outgoing_payments.model import (
    OutgoingPayment,
    OutgoingPaymentState,
    PaymentRefused,
)
from ilpnode.services.outgoing_payments.money import Funding, PaymentMoney
from ilpnode.services.outgoing_payments.outcomes import STOPPING, TAKEN_OVER, failure_text
from ilpnode.services.outgoing_payments.ports import (
    ExchangeRateUnavailable,
    OutgoingPaymentStore,
    PaymentPath,
    PaymentSource,
)
from ilpnode.services.payments_sender import SpspReceiver, run_payment

__all__ = ["LEASE_SECONDS", "PROGRESS_SECONDS", "PaymentRun", "RunDeps"]

logger = logging.getLogger("ilpnode.payments")

PROGRESS_SECONDS: Final = 1.0
"""How often a running payment's progress is saved (and its lease extended)."""
LEASE_SECONDS: Final = 30.0
"""How long a payment stays its process's after the last save: another process takes over a
payment only once its lease ran out (the process died, or lost the database that long)."""
SETTLE_RETRY_SECONDS: Final = 1.0
"""While the ledger refuses to settle (unavailable), the settlement is tried again this often."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RunDeps:
    """What every run uses (the service's, shared)."""

    store: OutgoingPaymentStore
    money: PaymentMoney
    path: PaymentPath
    clock: Clock
    owner: str
    slippage: Fraction
    limits: SenderLimits

    def lease_until(self) -> datetime:
        return self.clock.now() + timedelta(seconds=LEASE_SECONDS)


class PaymentRun:
    """One payment's run (see the module docstring)."""

    def __init__(
        self,
        payment: OutgoingPayment,
        *,
        receiver: SpspReceiver,
        funding: Funding,
        deps: RunDeps,
        source_label: str = "the source",
    ) -> None:
        self.payment = payment
        """The payment as last written (its progress: `snapshot()`)."""
        self.ready: asyncio.Future[OutgoingPayment | PaymentRefused] = (
            asyncio.get_running_loop().create_future()
        )
        """Resolved once funded (the payment, SENDING) or refused before anything moved."""
        self._receiver = receiver
        self._source_label = source_label
        self._funding = funding
        self._deps = deps
        self._source = PaymentSource(
            payment_id=payment.id,
            account=funding.account,
            asset_id=payment.asset_id,
            asset_code=payment.asset_code,
            asset_scale=payment.asset_scale,
        )
        target: FixedSend | FixedReceive
        if payment.requested_receive is not None:
            target = FixedReceive(payment.requested_receive)
        else:
            assert payment.send_target is not None, "a fixed send knows its amount from the start"
            target = FixedSend(payment.send_target)
        self._sender = StreamSender(
            shared_secret=receiver.shared_secret,
            destination=receiver.destination_account,
            target=target,
            random_bytes=secrets.token_bytes,
            limits=replace(deps.limits, slippage=deps.slippage),
        )
        self._funded = False
        self._refusal: PaymentRefused | None = None
        self._write_lock = asyncio.Lock()

    def snapshot(self) -> OutgoingPayment:
        """The payment with the sender's progress now (what a query shows while it runs)."""
        payment = self.payment
        if payment.done or not self._funded:
            return payment
        report = self._sender.report()
        return replace(
            payment, sent=report.sent, delivered=report.delivered, packets=report.fulfilled
        )

    def abort(self, message: str) -> None:
        """End the payment early (see the module docstring)."""
        self._sender.abort(message)

    async def run(self) -> OutgoingPayment:
        """Run the payment to its end; the final payment (COMPLETED or FAILED)."""
        saver = asyncio.create_task(self._save_periodically())
        report: SendReport | None = None
        failure: str | None = None
        try:
            report = await run_payment(
                self._sender,
                self._send_money,
                send_unfulfillable=self._send_unfulfillable,
                before_sending=self._before_sending,
            )
        except Exception as error:  # a fault of ours or of the database: settle what happened
            logger.exception("outgoing payment %s failed", self.payment.id)
            failure = f"internal error ({type(error).__name__})"
        except BaseException:  # cancelled: the next start recovers the payment
            if not self.ready.done():
                self.ready.set_result(STOPPING)
            raise
        finally:
            saver.cancel()
        await asyncio.gather(saver, return_exceptions=True)
        if self._funded:
            final = await self._settled(report, failure)
        else:
            final = await self._refused(report, failure)
        if not self.ready.done():  # funded, then taken over before SENDING was written
            self.ready.set_result(self._refusal or final)
        return final

    # -- the packet path ----------------------------------------------------------------------

    async def _send_money(self, prepare: Prepare) -> Fulfill | Reject:
        return await self._deps.path.send(self._source, prepare, fulfillable=True)

    async def _send_unfulfillable(self, prepare: Prepare) -> Fulfill | Reject:
        return await self._deps.path.send(self._source, prepare, fulfillable=False)

    # -- between the probe and the money --------------------------------------------------------

    async def _before_sending(self, sender: StreamSender) -> None:
        refusal = await self._fix_min_rate(sender)
        if refusal is None:
            refusal = await self._fund(sender.report())
        if refusal is not None:
            self._refusal = refusal
            sender.abort(refusal.message)

    async def _fix_min_rate(self, sender: StreamSender) -> PaymentRefused | None:
        """The floor from the rates service and both scales, less the slippage."""
        payment = self.payment
        probed = sender.report()
        if probed.error is not None:  # the probe's last reply ended it (the receiver closed...)
            return PaymentRefused(
                code="BAD_USER_INPUT", message=f"{probed.error.value}: {probed.error_message}"
            )
        asset = probed.destination_asset
        if asset is None:
            return PaymentRefused(
                code="BAD_USER_INPUT",
                message="UnknownDestinationAsset: the receiver did not tell its asset",
            )
        code, scale = asset
        try:
            rate = await self._deps.path.rate(payment.asset_code, code)
        except ExchangeRateUnavailable as error:
            return PaymentRefused(
                code="BAD_USER_INPUT",
                message=f"no exchange rate from {payment.asset_code} to the receiver's asset "
                f"{code}: {error}",
            )
        per_unit = rate * Fraction(10) ** (scale - payment.asset_scale)
        sender.set_min_rate(per_unit * (1 - self._deps.slippage))
        report = sender.report()
        if report.error is not None:
            return PaymentRefused(
                code="BAD_USER_INPUT", message=f"{report.error.value}: {report.error_message}"
            )
        return None

    async def _fund(self, report: SendReport) -> PaymentRefused | None:
        """Move the most the payment may debit into its account; SENDING once done."""
        payment = self.payment
        if payment.requested_debit is not None:
            target, max_debit = payment.send_target or 0, payment.requested_debit
            low = report.rate_low or Fraction(0)
            estimate: int | None = target * low.numerator // low.denominator
        else:
            target = report.max_source_amount or 0
            max_debit = target + sending_fee(target, payment.fee_rate)
            estimate = None
        if max_debit > AMOUNT_MAX:
            return PaymentRefused(
                code="BAD_USER_INPUT",
                message=f"invalid amount: at the probed rate the payment may cost {max_debit}, "
                "beyond 2**64-1",
            )
        asset = report.destination_asset
        assert asset is not None  # checked with the rate
        probed = replace(
            payment,
            receive_asset_code=asset[0],
            receive_asset_scale=asset[1],
            estimated_receive=estimate,
            send_target=target,
            max_debit=max_debit,
            updated_at=self._deps.clock.now(),
        )
        if not await self._write(probed):
            return TAKEN_OVER
        error = await self._deps.money.fund(self._funding, max_debit)
        if error is TransferError.InsufficientBalance:
            available = await self._deps.money.available(self._funding.source_account_id)
            return PaymentRefused(
                code="FORBIDDEN",
                message=f"Insufficient transfer balance: {self._source_label} holds "
                f"{available or 0}, the payment needs up to {max_debit}",
            )
        if error is not None:
            raise RuntimeError(f"funding payment {payment.id} failed: {error.value}")
        self._funded = True
        sending = replace(
            self.payment, state=OutgoingPaymentState.SENDING, updated_at=self._deps.clock.now()
        )
        if not await self._write(sending):
            return TAKEN_OVER  # the funds come back when it settles
        self.ready.set_result(sending)
        return None

    # -- progress ---------------------------------------------------------------------------

    async def _save_periodically(self) -> None:
        while True:
            await asyncio.sleep(PROGRESS_SECONDS)
            try:
                mine = await self._write(
                    replace(self.snapshot(), updated_at=self._deps.clock.now())
                )
            except Exception as error:  # the database is away: the sender goes on
                logger.warning("cannot save outgoing payment %s: %s", self.payment.id, error)
                continue
            if not mine:
                self._sender.abort(TAKEN_OVER.message)
                return

    async def _write(self, payment: OutgoingPayment) -> bool:
        """Write the row (if still ours) and remember it; False if another process took it."""
        async with self._write_lock:
            lease = None if payment.done else self._deps.lease_until()
            if not await self._deps.store.write(payment, owner=self._deps.owner, lease_until=lease):
                logger.warning("outgoing payment %s was taken over by another process", payment.id)
                return False
            self.payment = payment
            return True

    async def _write_quietly(self, payment: OutgoingPayment) -> None:
        """`_write`, for the end of a run: a database fault is logged, and the row is left for
        the recovery (which finds the ledger settled and writes the same outcome)."""
        try:
            await self._write(payment)
        except Exception as error:
            logger.warning("cannot save outgoing payment %s: %s", payment.id, error)

    # -- the end ----------------------------------------------------------------------------

    async def _refused(self, report: SendReport | None, failure: str | None) -> OutgoingPayment:
        """Nothing was debited: FAILED with why; `ready` answers the refusal."""
        refusal = self._refusal
        if refusal is None and failure is not None:
            refusal = PaymentRefused(code="INTERNAL_SERVER_ERROR", message="Internal server error")
        if refusal is None:
            refusal = PaymentRefused(code="BAD_USER_INPUT", message=failure_text(report))
        if not self.ready.done():
            self.ready.set_result(refusal)
        final = replace(
            self.payment,
            state=OutgoingPaymentState.FAILED,
            error=failure or refusal.message,
            fee=0,
            updated_at=self._deps.clock.now(),
        )
        await self._write_quietly(final)
        return final

    async def _settled(self, report: SendReport | None, failure: str | None) -> OutgoingPayment:
        """Wait for the reservations, settle on the ledger, write the final row."""
        payment = self.payment
        settlement = None
        while settlement is None:
            try:
                await self._deps.money.wait_unreserved(self._funding)
                settlement = await self._deps.money.settle(self._funding, fee_for=self._fee_for)
            except Exception as error:  # the ledger is away: the money waits, safe, in the account
                logger.warning("cannot settle outgoing payment %s yet: %s", payment.id, error)
                await self._write_quietly(
                    replace(self.snapshot(), updated_at=self._deps.clock.now())
                )
                await asyncio.sleep(SETTLE_RETRY_SECONDS)
        sent = settlement.sent
        completed = (
            failure is None
            and report is not None
            and report.state is SenderState.COMPLETED
            and report.sent == sent
        )
        if report is not None and report.sent != sent:
            logger.warning(
                "outgoing payment %s: the sender counted %d sent, the ledger %d (the ledger's "
                "is charged)",
                payment.id,
                report.sent,
                sent,
            )
        final = replace(
            self.payment,
            state=OutgoingPaymentState.COMPLETED if completed else OutgoingPaymentState.FAILED,
            error=None if completed else failure or failure_text(report),
            sent=sent,
            delivered=report.delivered if report else self.snapshot().delivered,
            packets=report.fulfilled if report else self.snapshot().packets,
            fee=settlement.fee,
            updated_at=self._deps.clock.now(),
        )
        await self._write_quietly(final)
        logger.info(
            "outgoing payment %s %s: sent %d, delivered %d, fee %d, %d packets",
            payment.id,
            final.state.value,
            final.sent,
            final.delivered,
            settlement.fee,
            final.packets,
        )
        return final

    def _fee_for(self, sent: int) -> int:
        payment = self.payment
        return fee_charged(
            sent,
            payment.fee_rate,
            requested_debit=payment.requested_debit,
            send_target=payment.send_target,
        )
