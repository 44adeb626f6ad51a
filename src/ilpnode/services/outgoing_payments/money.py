"""The money of an outgoing payment, on the ledger (Rafiki's chart of accounts, rafiki-peering §6).

Theory of operation
===================

Each payment has its own liquidity account (`OutgoingPaymentAccount`, code LIQUIDITY_OUTGOING,
its id derived from the payment's), on its source asset's ledger:

1. **Funding**: one transfer of the most the payment may debit (`max_debit`), from the source
   (the wallet address's account, or the asset's liquidity account) into the payment's account.
   Too little on the source: nothing moves (`InsufficientBalance`).
2. **Sending**: each packet is reserved from the payment's account to the next hop (the
   connector's `Balance`, `PacketAccounting` with the payment's account as source), posted when
   fulfilled, voided otherwise. So the account's `debits_posted` is, at every moment, exactly the
   source amount of the payment's fulfilled packets; a rejected packet debits nothing.
3. **Settling**, once no reservation is pending: the sending fee moves to the operator (the
   asset's liquidity account) and the remainder back to the source, in one linked batch. The
   source is debited exactly sent + fee, and the account ends at zero.

The three transfers' ids are derived from the payment's id (uuid5), so every step is idempotent:
funding twice or settling twice finds the first (`EXISTS`), and after a crash the ledger alone
says where a payment is: no funding transfer = nothing was debited; funded and not settled =
`debits_posted` is what was sent; settled = the fee and refund transfers say what was charged.
A zero fee or a zero refund is no transfer at all (the ledger refuses empty transfers), which
reads the same way.

When the source is the asset's liquidity itself, the fee would go from the operator to the
operator: such payments are charged no fee (`services.outgoing_payments.service`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, TypeAlias
from uuid import UUID, uuid5

from ilpnode.accounting import (
    AccountConflictError,
    OutgoingPaymentAccount,
    TransferCode,
    TransferError,
    transfer_error,
)
from ilpnode.ledger import (
    Account,
    AccountId,
    CreateTransferStatus,
    Ledger,
    Transfer,
    TransferFlags,
    TransferId,
)

__all__ = [
    "PAYMENT_TRANSFER_NAMESPACE",
    "FeeRule",
    "Funding",
    "PaymentMoney",
    "Settlement",
    "payment_transfer_id",
]

PAYMENT_TRANSFER_NAMESPACE: Final = UUID("5c0b1f0e-6a43-4d1e-9a55-2f3c8e7d9b61")
"""The fixed uuid5 namespace of a payment's transfer ids. Never change it: ids are persistent."""

_EXISTS: Final = frozenset({CreateTransferStatus.EXISTS})


def payment_transfer_id(payment_id: UUID, step: str) -> TransferId:
    """The id of a payment's `funding`, `fee` or `refund` transfer."""
    return TransferId(uuid5(PAYMENT_TRANSFER_NAMESPACE, f"{step}:{payment_id}").int)


@dataclass(frozen=True, slots=True, kw_only=True)
class Funding:
    """Where the money of one payment comes from and goes.

    Attributes:
        payment_id: the payment.
        account: the payment's own account.
        source_account_id: the wallet address's account, or the asset's liquidity account.
        operator_account_id: where the fee goes: the asset's liquidity account.
    """

    payment_id: UUID
    account: OutgoingPaymentAccount
    source_account_id: AccountId
    operator_account_id: AccountId


@dataclass(frozen=True, slots=True, kw_only=True)
class Settlement:
    """How a payment ended on the ledger: what it sent, the fee and what went back."""

    sent: int
    fee: int
    refund: int


class PaymentMoney:
    """A payment's ledger operations (see the module docstring)."""

    def __init__(self, *, ledger: Ledger, poll_seconds: float = 0.5) -> None:
        self._ledger = ledger
        self._poll_seconds = poll_seconds

    async def available(self, account_id: AccountId) -> int | None:
        """What an account can spend now (posted credits - posted and pending debits), or None
        if the ledger has no such account."""
        found = await self._ledger.lookup_accounts([account_id])
        if not found:
            return None
        account = found[0]
        return account.credits_posted - account.debits_posted - account.debits_pending

    async def fund(self, funding: Funding, amount: int) -> TransferError | None:
        """Create the payment's account and move `amount` into it from the source.

        Returns:
            None once funded (now or before), or InsufficientBalance (nothing moved),
            UnknownSourceAccount, or another `TransferError` (a bug). Raises only on
            infrastructure faults (then the call may be repeated).
        """
        await self._create_account(funding.account.account())
        account = funding.account
        transfer = Transfer(
            id=payment_transfer_id(funding.payment_id, "funding"),
            debit_account_id=funding.source_account_id,
            credit_account_id=account.account_id,
            amount=amount,
            user_data_128=account.account_id,
            ledger=account.ledger,
            code=TransferCode.TRANSFER,
        )
        [result] = await self._ledger.create_transfers([transfer])
        if result.ok or result.status in _EXISTS:
            return None
        return transfer_error(result.status) or TransferError.UnknownError

    async def funded(self, funding: Funding) -> bool:
        """Whether the funding transfer exists (the source was debited)."""
        found = await self._ledger.lookup_transfers(
            [payment_transfer_id(funding.payment_id, "funding")]
        )
        return bool(found)

    async def pending(self, funding: Funding) -> int:
        """The payment's reserved amounts not yet posted or voided (packets in flight)."""
        found = await self._ledger.lookup_accounts([funding.account.account_id])
        return found[0].debits_pending if found else 0

    async def wait_unreserved(self, funding: Funding) -> None:
        """Return once no reservation is pending on the payment's account: after a crash,
        the reservations of the packets that were in flight time out (about 35 s)."""
        while await self.pending(funding):
            await asyncio.sleep(self._poll_seconds)

    async def settle(self, funding: Funding, *, fee_for: FeeRule) -> Settlement:
        """Charge the fee on what was sent and give the rest back (idempotent; see the module
        docstring). Call only once no reservation is pending (`wait_unreserved`).

        Args:
            funding: the payment's accounts.
            fee_for: the fee for an amount sent.

        Raises:
            RuntimeError: the ledger refused the settlement for a reason only a bug can cause
                (a pending reservation, a fee above the funds).
        """
        payment_id = funding.payment_id
        fee_id = payment_transfer_id(payment_id, "fee")
        refund_id = payment_transfer_id(payment_id, "refund")
        for _ in range(2):  # a concurrent settlement may win the race once
            done = await self._settled(funding, fee_id, refund_id)
            if done is not None:
                return done
            account = await self._account(funding)
            if account.debits_pending:
                raise RuntimeError(f"payment {payment_id} still has reservations pending")
            sent = account.debits_posted
            fee = fee_for(sent)
            refund = account.credits_posted - sent - fee
            if refund < 0:
                raise RuntimeError(f"payment {payment_id}: fee {fee} above its funds")
            legs = [
                (fee_id, funding.operator_account_id, fee),
                (refund_id, funding.source_account_id, refund),
            ]
            legs = [leg for leg in legs if leg[2] > 0]
            if not legs:
                return Settlement(sent=sent, fee=0, refund=0)
            batch = [
                Transfer(
                    id=id_,
                    debit_account_id=funding.account.account_id,
                    credit_account_id=credit,
                    amount=amount,
                    user_data_128=funding.account.account_id,
                    ledger=funding.account.ledger,
                    code=TransferCode.TRANSFER,
                    flags=TransferFlags.LINKED if index < len(legs) - 1 else TransferFlags.NONE,
                )
                for index, (id_, credit, amount) in enumerate(legs)
            ]
            results = await self._ledger.create_transfers(batch)
            if all(result.status is CreateTransferStatus.CREATED for result in results):
                return Settlement(sent=sent, fee=fee, refund=refund)
            # Another settlement won the race (EXISTS...): read what it did, next turn.
            refused = [r.status.name for r in results if not _raced(r.status)]
            if refused:
                raise RuntimeError(
                    f"the ledger refused to settle payment {payment_id}: {', '.join(refused)}"
                )
        raise RuntimeError(f"payment {payment_id}: settlement did not converge")

    async def _settled(
        self, funding: Funding, fee_id: TransferId, refund_id: TransferId
    ) -> Settlement | None:
        """The settlement made before (its transfers exist), or None."""
        found = {t.id: t.amount for t in await self._ledger.lookup_transfers([fee_id, refund_id])}
        if not found:
            return None
        account = await self._account(funding)
        fee, refund = found.get(fee_id, 0), found.get(refund_id, 0)
        return Settlement(sent=account.debits_posted - fee - refund, fee=fee, refund=refund)

    async def _account(self, funding: Funding) -> Account:
        found = await self._ledger.lookup_accounts([funding.account.account_id])
        if not found:
            raise RuntimeError(f"payment {funding.payment_id} has no ledger account")
        return found[0]

    async def _create_account(self, account: Account) -> None:
        [result] = await self._ledger.create_accounts([account])
        if not result.ok:  # created now or before: fine; anything else is a derived-id bug
            raise AccountConflictError(account.id, result.status)


FeeRule: TypeAlias = Callable[[int], int]
"""The fee charged for an amount sent."""


def _raced(status: CreateTransferStatus) -> bool:
    """A status a concurrent settlement of the same payment explains."""
    return (
        status.ok
        or status is CreateTransferStatus.LINKED_EVENT_FAILED
        or status.name.startswith("EXISTS_WITH_DIFFERENT")
    )
