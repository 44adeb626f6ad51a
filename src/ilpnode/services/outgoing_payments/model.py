"""Outgoing payments as values: their states, the `sendPayment` request, the stored payment and
the refusals (Rafiki's `OutgoingPayment` names where they fit, `services.outgoing_payments`).

All amounts are integers in a smallest unit: the source asset's for debits, sends and fees, the
receiver's for receive and delivered amounts. Timestamps are timezone-aware UTC.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from uuid import UUID

__all__ = [
    "ACTIVE_STATES",
    "OutgoingPayment",
    "OutgoingPaymentState",
    "PaymentRefused",
    "SendPayment",
    "SendingFee",
]


class OutgoingPaymentState(enum.Enum):
    """Rafiki's `OutgoingPaymentState`. FUNDING: probing the receiver, nothing debited yet;
    SENDING: funded, packets going; COMPLETED / FAILED: over, settled (the source debited
    exactly what was sent plus the fee). CANCELLED is Rafiki's, never used by ilpnode."""

    FUNDING = "FUNDING"
    SENDING = "SENDING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


ACTIVE_STATES: Final = (OutgoingPaymentState.FUNDING, OutgoingPaymentState.SENDING)
"""The states of a payment some process is running (or must recover)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SendingFee:
    """The sending fee in force when the payment was made: `fixed` (smallest unit) plus
    `basis_points` of the amount sent (Rafiki's `Fee`)."""

    fixed: int = 0
    basis_points: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class SendPayment:
    """`sendPayment` input, as the caller wrote it (validated by the service).

    Exactly one of `wallet_address_id` / `asset_id` (the source) and exactly one of
    `debit_amount` (fixed send: the source is debited exactly this, the fee included) /
    `receive_amount` (fixed receive, the receiver's smallest unit).
    """

    receiver: str
    id: str | None = None
    wallet_address_id: str | None = None
    asset_id: str | None = None
    debit_amount: int | None = None
    receive_amount: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PaymentRefused:
    """Why `sendPayment` did nothing (or failed before anything was debited): a GraphQL code
    (`BAD_USER_INPUT`, `NOT_FOUND`, `INACTIVE`, `FORBIDDEN`) and a message for a person."""

    code: str
    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class OutgoingPayment:
    """A stored outgoing payment.

    Attributes:
        wallet_address_id: the source wallet address, or None when paid from the asset's
            liquidity (then `asset_id` is the source).
        asset_id, asset_code, asset_scale, ledger: the source asset (copied from it: an asset
            never changes them).
        receiver: as given (payment pointer or URL).
        destination_account: the receiver's ILP address, from SPSP.
        requested_debit: the fixed send's debit amount, or None (fixed receive).
        requested_receive: the fixed receive's amount, or None (fixed send).
        fee_rate: the asset's sending fee in force at creation (zero for liquidity payments).
        send_target: source units it sets out to send: the fixed send's amount less the fee,
            or the fixed receive's most (known once probed); None before.
        max_debit: what was moved into the payment's account (the most it may debit), once
            funded.
        sent: source units of fulfilled packets (exact from the ledger once over).
        delivered: receiver units the receiver reported for them.
        packets: fulfilled packets.
        receive_asset_code, receive_asset_scale: the receiver's asset, once probed.
        estimated_receive: a fixed send's estimate (receiver units), once probed.
        fee: the sending fee charged, once over.
    """

    id: UUID
    wallet_address_id: UUID | None
    asset_id: UUID
    asset_code: str
    asset_scale: int
    ledger: int
    receiver: str
    state: OutgoingPaymentState
    created_at: datetime
    updated_at: datetime
    requested_debit: int | None = None
    requested_receive: int | None = None
    fee_rate: SendingFee = SendingFee()
    destination_account: str | None = None
    error: str | None = None
    send_target: int | None = None
    max_debit: int | None = None
    sent: int = 0
    delivered: int = 0
    packets: int = 0
    receive_asset_code: str | None = None
    receive_asset_scale: int | None = None
    estimated_receive: int | None = None
    fee: int | None = None

    @property
    def done(self) -> bool:
        """True once COMPLETED or FAILED (settled: nothing more moves)."""
        return self.state not in ACTIVE_STATES

    @property
    def debit_amount(self) -> int:
        """What the source is debited in all: sent + fee once over; before, the most it may
        be (the funded amount, or the fixed send's debit amount before funding; 0 for a fixed
        receive not yet probed)."""
        if self.done:
            return self.sent + (self.fee or 0)
        if self.max_debit is not None:
            return self.max_debit
        return self.requested_debit or 0

    @property
    def receive_amount(self) -> int:
        """The fixed receive's amount, or a fixed send's estimate (0 before the probe)."""
        if self.requested_receive is not None:
            return self.requested_receive
        return self.estimated_receive or 0

    def same_request(self, other: OutgoingPayment) -> bool:
        """Whether `other` asks for the same payment (idempotency by the client's id)."""
        return (
            self.wallet_address_id,
            self.asset_id,
            self.receiver,
            self.requested_debit,
            self.requested_receive,
        ) == (
            other.wallet_address_id,
            other.asset_id,
            other.receiver,
            other.requested_debit,
            other.requested_receive,
        )
