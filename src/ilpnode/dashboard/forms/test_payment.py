"""The Send test payment form of a peer's page: a receiver at that peer and a small amount,
paid from the operator's liquidity of the peer's asset.

The form carries a payment id made when the page is rendered (a UUIDv4): the payment is
idempotent by it, so a form sent twice (a double click, a reload) makes one payment.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final
from uuid import UUID, uuid4

from ilpnode.dashboard.forms.state import FormState
from ilpnode.uuids import parse_uuid

__all__ = [
    "RECEIVER_LENGTH_MAX",
    "TEST_PAYMENT_FIELDS",
    "PeerTestPayment",
    "blank_test_payment_values",
    "parse_test_payment",
]

TEST_PAYMENT_FIELDS: Final = ("receiver", "amount", "payment_id")
RECEIVER_LENGTH_MAX: Final = 2048  # a URL longer than this is no wallet address


@dataclass(frozen=True, slots=True)
class PeerTestPayment:
    """A valid form: pay `receiver` `amount` (smallest unit of the peer's asset)."""

    receiver: str
    amount: int
    payment_id: UUID


def blank_test_payment_values() -> dict[str, str]:
    """A fresh form."""
    return {"receiver": "", "amount": "", "payment_id": str(uuid4())}


def parse_test_payment(
    values: Mapping[str, str], *, scale: int, code: str
) -> tuple[PeerTestPayment | None, FormState]:
    """The payment the form asks for, or None and the form with its errors."""
    state = FormState(values=dict(values))
    receiver = state.require(
        "receiver", "Enter the receiver: a payment pointer ($…) or a wallet address URL."
    )
    if receiver and not (
        receiver.startswith(("$", "https://", "http://")) and len(receiver) > len("https://")
    ):
        state.errors.setdefault(
            "receiver",
            "Enter a payment pointer such as $wallet.example/alice, or a wallet address URL "
            "such as https://wallet.example/alice.",
        )
    elif len(receiver) > RECEIVER_LENGTH_MAX or any(char.isspace() for char in receiver):
        state.errors.setdefault(
            "receiver", "A payment pointer or URL has no spaces and is not that long."
        )
    amount = state.amount("amount", scale=scale, code=code, required=True)
    if amount is not None and amount == 0:
        state.errors.setdefault("amount", "Enter an amount greater than 0.")
    payment_id = parse_uuid(state.text("payment_id"))
    if payment_id is None:
        state.message = "The form is out of date: reload the page and try again."
    if not state.ok or amount is None or payment_id is None:
        return None, state
    return PeerTestPayment(receiver=receiver, amount=amount, payment_id=payment_id), state
