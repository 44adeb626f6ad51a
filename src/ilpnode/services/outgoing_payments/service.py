"""The outgoing payment service: `sendPayment`, the queries, and the runs of this process.

Theory of operation
===================

`send` does, in order, everything that can fail without moving money, and answers as soon as
the payment is funded:

1. the input (`validation.py`): id, amounts, source, receiver spelling, the fee;
2. idempotency by the client's id: a payment with that id answers as it is now if it asked for
   the same (source, receiver, amounts), else BAD_USER_INPUT;
3. a fixed send's source must hold its debit amount (FORBIDDEN, "Insufficient transfer
   balance");
4. SPSP (RFC 0009) for the receiver's ILP address and shared secret (BAD_USER_INPUT "invalid
   receiver: …" when it does not answer as an SPSP server);
5. the route to that address (no route: BAD_USER_INPUT) and a rate to the next hop's asset;
6. the row, FUNDING, owned by this process; then a `PaymentRun` (`run.py`) probes the receiver,
   fixes the minimum rate, funds the payment and sends. `send` waits for it to be funded (the
   payment, SENDING) or refused (the refusal: no rate for the receiver's asset, a probe that
   failed, too little balance for a fixed receive). A payment refused after its row was written
   stays FAILED with the reason (nothing was debited); one refused before (steps 1-5) leaves no
   row, so a retry with the same id tries again.

The run goes on in the background; `get` and `page` read the rows, and a payment this process
runs shows its progress live (`PaymentRun.snapshot`). Several processes on one PostgreSQL: only
the process that runs a payment writes its row (`ports.py`: owner and lease). Every
`SWEEP_SECONDS` (and at `start`) the service claims the payments whose lease ran out, and ends
each from the ledger (`recovery.py`). `close` aborts the runs (their packets in flight settle,
then they settle on the ledger), waits for them up to a timeout, and cancels what is left: those
rows stay SENDING and the next start recovers them.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Callable
from dataclasses import replace
from fractions import Fraction
from typing import Final
from uuid import UUID

from ilpnode.accounting import OutgoingPaymentAccount
from ilpnode.clock import Clock
from ilpnode.ilp.stream import SenderLimits
from ilpnode.ledger import AccountId
from ilpnode.services.fees import FeeService
from ilpnode.services.outgoing_payments.model import (
    OutgoingPayment,
    OutgoingPaymentState,
    PaymentRefused,
    SendPayment,
)
from ilpnode.services.outgoing_payments.money import Funding, PaymentMoney
from ilpnode.services.outgoing_payments.ports import (
    ExchangeRateUnavailable,
    OutgoingPaymentStore,
    PaymentPath,
    ResolveReceiver,
)
from ilpnode.services.outgoing_payments.recovery import recover
from ilpnode.services.outgoing_payments.run import PaymentRun, RunDeps
from ilpnode.services.outgoing_payments.validation import CheckedPayment, check_request
from ilpnode.services.payments import WalletAddressService
from ilpnode.services.payments_sender import SpspError, SpspReceiver
from ilpnode.services.peering import AssetService, Page, PageRequest
from ilpnode.uuids import parse_uuid

__all__ = ["SWEEP_SECONDS", "OutgoingPaymentService"]

logger = logging.getLogger("ilpnode.payments")

SWEEP_SECONDS: Final = 10.0
"""How often a process looks for payments whose process died (their lease ran out)."""


class OutgoingPaymentService:
    """Outgoing payments (see the module docstring)."""

    def __init__(
        self,
        *,
        store: OutgoingPaymentStore,
        money: PaymentMoney,
        path: PaymentPath,
        resolve_receiver: ResolveReceiver,
        wallet_addresses: WalletAddressService,
        assets: AssetService,
        fees: FeeService,
        clock: Clock,
        owner: str,
        slippage: Fraction,
        only_process: bool,
        limits: SenderLimits | None = None,
    ) -> None:
        self._store = store
        self._money = money
        self._path = path
        self._resolve = resolve_receiver
        self._wallet_addresses = wallet_addresses
        self._assets = assets
        self._fees = fees
        self._only_process = only_process
        self._deps = RunDeps(
            store=store,
            money=money,
            path=path,
            clock=clock,
            owner=owner,
            slippage=slippage,
            limits=limits or SenderLimits(),
        )
        self._runs: dict[UUID, PaymentRun] = {}
        self._recovering: set[UUID] = set()
        self._tasks: set[asyncio.Task[OutgoingPayment]] = set()
        self._sweeper: asyncio.Task[None] | None = None
        self._closing = False

    # -- sending ------------------------------------------------------------------------------

    async def send(self, request: SendPayment) -> OutgoingPayment | PaymentRefused:
        """Send a payment; see the module docstring. Raises only on infrastructure faults."""
        if self._closing:
            return PaymentRefused(code="INTERNAL_SERVER_ERROR", message="the node is stopping")
        checked = await check_request(
            request, wallet_addresses=self._wallet_addresses, assets=self._assets, fees=self._fees
        )
        if isinstance(checked, PaymentRefused):
            return checked
        existing = await self._existing(checked)
        if existing is not None:
            return existing
        if checked.requested_debit is not None:
            available = await self._money.available(checked.source_account_id) or 0
            if available < checked.requested_debit:
                return PaymentRefused(
                    code="FORBIDDEN",
                    message=f"Insufficient transfer balance: {checked.source_label} holds "
                    f"{available}, the payment needs {checked.requested_debit}",
                )
        try:
            receiver = await self._resolve(checked.receiver)
        except SpspError as error:
            return PaymentRefused(code="BAD_USER_INPUT", message=f"invalid receiver: {error}")
        refusal = await self._check_route(checked, receiver)
        if refusal is not None:
            return refusal
        now = self._deps.clock.now()
        payment = OutgoingPayment(
            id=checked.id,
            wallet_address_id=checked.wallet_address_id,
            asset_id=checked.asset.id,
            asset_code=checked.asset.code,
            asset_scale=checked.asset.scale,
            ledger=checked.asset.ledger,
            receiver=checked.receiver,
            state=OutgoingPaymentState.FUNDING,
            created_at=now,
            updated_at=now,
            requested_debit=checked.requested_debit,
            requested_receive=checked.requested_receive,
            fee_rate=checked.fee_rate,
            destination_account=receiver.destination_account,
            send_target=checked.send_target,
        )
        if not await self._store.insert(
            payment, owner=self._deps.owner, lease_until=self._deps.lease_until()
        ):
            raced = await self._existing(checked)  # the same id, inserted meanwhile
            assert raced is not None, "an id that exists is found"
            return raced
        run = PaymentRun(
            payment,
            receiver=receiver,
            funding=self._funding(payment),
            deps=self._deps,
            source_label=checked.source_label,
        )
        self._start(run)
        # Shielded: a client that goes away does not stop the payment.
        return await asyncio.shield(run.ready)

    async def _existing(self, checked: CheckedPayment) -> OutgoingPayment | PaymentRefused | None:
        """The stored payment with the request's id (as now), a refusal if it asked for
        another payment, or None."""
        found = await self.get(checked.id)
        if found is None:
            return None
        asked = replace(
            found,
            wallet_address_id=checked.wallet_address_id,
            asset_id=checked.asset.id,
            receiver=checked.receiver,
            requested_debit=checked.requested_debit,
            requested_receive=checked.requested_receive,
        )
        if not found.same_request(asked):
            return PaymentRefused(
                code="BAD_USER_INPUT",
                message=f"payment {checked.id} exists, with other input (an id names one payment)",
            )
        return found

    async def _check_route(
        self, checked: CheckedPayment, receiver: SpspReceiver
    ) -> PaymentRefused | None:
        """The receiver's address is routed somewhere, and the source asset converts there."""
        destination = receiver.destination_account
        hop = self._path.next_hop(destination)
        if hop is None:
            return PaymentRefused(
                code="BAD_USER_INPUT",
                message=f"no route to {destination} (the receiver's ILP address)",
            )
        code = checked.asset.code
        if hop.asset_code is not None and hop.asset_code != code:
            try:
                await self._path.rate(code, hop.asset_code)
            except ExchangeRateUnavailable as error:
                return PaymentRefused(
                    code="BAD_USER_INPUT",
                    message=f"no exchange rate from {code} to {hop.asset_code}, the asset of "
                    f"the next hop {hop.label}: {error}",
                )
        return None

    def _funding(self, payment: OutgoingPayment) -> Funding:
        account = OutgoingPaymentAccount.for_payment(
            payment_id=payment.id, asset_id=payment.asset_id, ledger=payment.ledger
        )
        source = payment.wallet_address_id or payment.asset_id
        return Funding(
            payment_id=payment.id,
            account=account,
            source_account_id=AccountId(source.int),
            operator_account_id=account.asset_account_id,
        )

    def _start(self, run: PaymentRun) -> None:
        self._runs[run.payment.id] = run
        task = asyncio.create_task(run.run(), name=f"outgoing payment {run.payment.id}")
        self._track(task, lambda: self._runs.pop(run.payment.id, None))

    def _track(
        self, task: asyncio.Task[OutgoingPayment], then: Callable[[], object] | None = None
    ) -> None:
        self._tasks.add(task)

        def done(finished: asyncio.Task[OutgoingPayment]) -> None:
            self._tasks.discard(finished)
            if then is not None:
                then()

        task.add_done_callback(done)

    # -- reading ------------------------------------------------------------------------------

    async def get(self, payment_id: UUID | str) -> OutgoingPayment | None:
        """The payment (live, if this process runs it), or None (unknown, or not a UUID)."""
        id_ = parse_uuid(payment_id)
        if id_ is None:
            return None
        run = self._runs.get(id_)
        if run is not None:
            return run.snapshot()
        return await self._store.get(id_)

    async def page(
        self, request: PageRequest, *, wallet_address_id: UUID | None = None
    ) -> Page[OutgoingPayment]:
        """A page of payments, newest first by default; the ones running here shown live."""
        page = await self._store.page(request, wallet_address_id=wallet_address_id)
        if not self._runs:
            return page
        live = tuple(self._runs[p.id].snapshot() if p.id in self._runs else p for p in page.items)
        return replace(page, items=live)

    # -- this process's share -------------------------------------------------------------------

    async def start(self) -> None:
        """Start the sweep for payments left by a dead process (the first one now)."""
        self._sweeper = asyncio.create_task(self._sweep_forever(), name="outgoing payment sweep")

    async def _sweep_forever(self) -> None:
        every_unfinished = self._only_process  # alone on the database: nothing runs elsewhere
        while True:
            try:
                await self._sweep(every_unfinished=every_unfinished)
                every_unfinished = False
            except Exception as error:  # the database is away: the next sweep tries again
                logger.warning("cannot look for unfinished outgoing payments: %s", error)
            await asyncio.sleep(SWEEP_SECONDS)

    async def _sweep(self, *, every_unfinished: bool) -> None:
        deps = self._deps
        claimed = await self._store.claim_stale(
            owner=deps.owner,
            now=deps.clock.now(),
            lease_until=deps.lease_until(),
            every_unfinished=every_unfinished,
        )
        for payment in claimed:
            if payment.id in self._runs or payment.id in self._recovering:
                continue  # ours already: its lease ran out while the database was away
            logger.warning(
                "outgoing payment %s was left %s by a process that stopped: ending it from the "
                "ledger",
                payment.id,
                payment.state.value,
            )
            task = asyncio.create_task(
                recover(payment, funding=self._funding(payment), deps=deps),
                name=f"recovering outgoing payment {payment.id}",
            )
            self._recovering.add(payment.id)
            self._track(task, functools.partial(self._recovering.discard, payment.id))

    def halt(self) -> None:
        """Stop at once, moving no more money (the ledger may be another process's now): the
        runs and recoveries are cancelled where they are, their rows stay unfinished, and the
        next start ends them from the ledger."""
        self._closing = True
        if self._sweeper is not None:
            self._sweeper.cancel()
        for task in list(self._tasks):
            task.cancel()

    async def close(self, *, timeout_seconds: float) -> None:
        """Stop: abort the runs, wait for them to settle (up to `timeout_seconds`), cancel the
        rest (the next start recovers them)."""
        self._closing = True
        if self._sweeper is not None:
            self._sweeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._sweeper
            self._sweeper = None
        for run in list(self._runs.values()):
            run.abort("the node is stopping")
        tasks = list(self._tasks)
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=timeout_seconds)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
            logger.warning(
                "%d outgoing payments did not end before the node stopped: the next start "
                "ends them from the ledger",
                len(pending),
            )
