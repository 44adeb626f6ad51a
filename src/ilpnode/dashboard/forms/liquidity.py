"""Liquidity forms: deposit, withdraw (pending for a while, or at once), post or void.

Each deposit and withdrawal form carries a fresh transfer id (a UUIDv4, made when the page is
rendered): the service uses it as the ledger transfer's id, so a form sent twice (a double
click, a reload) is refused as TransferExists and never moves money twice (STYLE rule 15).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final
from uuid import UUID, uuid4

from ilpnode.accounting import WITHDRAWAL_TIMEOUT_SECONDS_MAX
from ilpnode.dashboard.forms.state import FormState
from ilpnode.uuids import parse_uuid

__all__ = [
    "DEFAULT_HOLD_MINUTES",
    "DEPOSIT_FIELDS",
    "WITHDRAW_FIELDS",
    "Deposit",
    "Withdrawal",
    "deposit_values",
    "parse_deposit",
    "parse_hold_and_id",
    "parse_withdrawal",
    "withdraw_values",
]

DEPOSIT_FIELDS: Final = ("amount", "transfer_id")
WITHDRAW_FIELDS: Final = ("amount", "hold_minutes", "transfer_id")
DEFAULT_HOLD_MINUTES: Final = 60
"""A pending withdrawal is released by itself after this long unless posted or voided: time
enough to pay the money out off-ledger, short enough not to lock liquidity for days."""
_HOLD_MINUTES_MAX: Final = WITHDRAWAL_TIMEOUT_SECONDS_MAX // 60


@dataclass(frozen=True, slots=True)
class Deposit:
    amount: int
    transfer_id: UUID


@dataclass(frozen=True, slots=True)
class Withdrawal:
    amount: int
    transfer_id: UUID
    timeout_seconds: int  # 0: posted at once


def deposit_values() -> dict[str, str]:
    """A fresh deposit form."""
    return {"amount": "", "transfer_id": str(uuid4())}


def withdraw_values() -> dict[str, str]:
    """A fresh withdrawal form."""
    return {"amount": "", "hold_minutes": str(DEFAULT_HOLD_MINUTES), "transfer_id": str(uuid4())}


def parse_deposit(
    values: Mapping[str, str], *, scale: int, code: str
) -> tuple[Deposit | None, FormState]:
    state = FormState(values=dict(values))
    amount = state.amount("amount", scale=scale, code=code, required=True)
    transfer_id = _transfer_id(state)
    if amount is not None and amount == 0:
        state.errors.setdefault("amount", "Enter an amount greater than 0.")
    if not state.ok or amount is None or transfer_id is None:
        return None, state
    return Deposit(amount=amount, transfer_id=transfer_id), state


def parse_withdrawal(
    values: Mapping[str, str], *, scale: int, code: str
) -> tuple[Withdrawal | None, FormState]:
    state = FormState(values=dict(values))
    amount = state.amount("amount", scale=scale, code=code, required=True)
    if amount is not None and amount == 0:
        state.errors.setdefault("amount", "Enter an amount greater than 0.")
    held = parse_hold_and_id(state)
    if not state.ok or amount is None or held is None:
        return None, state
    minutes, transfer_id = held
    return Withdrawal(amount=amount, transfer_id=transfer_id, timeout_seconds=minutes * 60), state


def parse_hold_and_id(state: FormState) -> tuple[int, UUID] | None:
    """A withdrawal form's `hold_minutes` (0 to 30 days) and `transfer_id`, or None with the
    errors recorded in `state`."""
    hold = state.text("hold_minutes")
    minutes: int | None = None
    if hold.isdigit() and int(hold) <= _HOLD_MINUTES_MAX:
        minutes = int(hold)
    else:
        state.errors.setdefault(
            "hold_minutes",
            f"Enter a whole number of minutes from 0 (withdraw at once) to {_HOLD_MINUTES_MAX} "
            "(30 days).",
        )
    transfer_id = _transfer_id(state)
    if minutes is None or transfer_id is None:
        return None
    return minutes, transfer_id


def _transfer_id(state: FormState) -> UUID | None:
    value = parse_uuid(state.text("transfer_id"))
    if value is None or value.version != 4:
        state.message = "This form is incomplete (no transfer id): reload the page and try again."
        return None
    return value
