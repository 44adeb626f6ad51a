"""The balance-limit predicate: TigerBeetle's formulas, exactly, in one place (STYLE rule 8).

Sources: TigerBeetle `docs/reference/account.md` (flags) and `src/state_machine.zig`
(`debits_exceed_credits`, `credits_exceed_debits`). Pending amounts count against the limit
("pessimistic"): a reservation already reduces what can be spent. The Postgres adapter mirrors
these formulas in SQL; keep the two in step.

A post of a pending transfer is never checked here: its amount is already included in
`debits_pending`/`credits_pending`, and posting (all or part of) it only moves it to `*_posted`,
which cannot raise the left-hand side. Checking it again would double-count the reservation.
"""

from __future__ import annotations

from typing import Protocol

from ilpnode.ledger.model import AccountFlags

__all__ = ["Balances", "credits_exceed_debits", "debits_exceed_credits", "exceeds_limit"]


class Balances(Protocol):
    """What the predicate reads: an `Account` record or the engine's internal balance row."""

    @property
    def flags(self) -> AccountFlags: ...
    @property
    def debits_pending(self) -> int: ...
    @property
    def debits_posted(self) -> int: ...
    @property
    def credits_pending(self) -> int: ...
    @property
    def credits_posted(self) -> int: ...


_DEBITS_LIMITED = int(AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS)
_CREDITS_LIMITED = int(AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS)


def debits_exceed_credits(account: Balances, amount: int) -> bool:
    """Would debiting `amount` break the account's DEBITS_MUST_NOT_EXCEED_CREDITS flag?

    Args:
        account: the debit account's current balances and flags.
        amount: the amount about to be debited (pending or posted); 0 checks the current state.

    Returns:
        True (refuse with EXCEEDS_CREDITS) iff the flag is set and
        `debits_pending + debits_posted + amount > credits_posted`. Never raises.
    """
    flags: int = account.flags + 0  # bits as a plain int: see model.py
    return bool(flags & _DEBITS_LIMITED) and (
        account.debits_pending + account.debits_posted + amount > account.credits_posted
    )


def credits_exceed_debits(account: Balances, amount: int) -> bool:
    """Would crediting `amount` break the account's CREDITS_MUST_NOT_EXCEED_DEBITS flag?

    Args:
        account: the credit account's current balances and flags.
        amount: the amount about to be credited (pending or posted); 0 checks the current state.

    Returns:
        True (refuse with EXCEEDS_DEBITS) iff the flag is set and
        `credits_pending + credits_posted + amount > debits_posted`. Never raises.
    """
    flags: int = account.flags + 0
    return bool(flags & _CREDITS_LIMITED) and (
        account.credits_pending + account.credits_posted + amount > account.debits_posted
    )


def exceeds_limit(account: Balances) -> bool:
    """Is the account over its flag limit right now? (An invariant: this must never be true.)"""
    return debits_exceed_credits(account, 0) or credits_exceed_debits(account, 0)
