"""What a watcher of balances tells a ledger backend: per account, where a change is news.

A backend reports the watched accounts a commit touched (the liquidity webhooks watch the
accounts with a threshold). Most commits leave an account's alert state as it was, and judging
that in the watcher means a snapshot of the account and an interpreted check per commit. So
the watcher keeps, per account, its *quiet band*: the inclusive range of available balances
(`available_balance`) at which it needs no report, because the state it last saw would not
change. The backend reports an account only when its balance is outside its band; an empty
band (`REPORT_ALWAYS`, lowest above highest) reports every change. The band only spares
reports the watcher would drop: it never stands in for the watcher's own judgement.
"""

from __future__ import annotations

from typing import Final

from ilpnode.ledger.limits import Balances

__all__ = [
    "BALANCE_MAX",
    "BALANCE_MIN",
    "REPORT_ALWAYS",
    "QuietBand",
    "available",
    "available_balance",
    "quiet",
]

QuietBand = tuple[int, int]
"""(lowest, highest) available balance, inclusive, at which the watcher needs no report."""

BALANCE_MAX: Final = 1 << 129
"""Above any available balance (the balances are u128 each): an open upper end."""
BALANCE_MIN: Final = -BALANCE_MAX
"""Below any available balance: an open lower end."""
REPORT_ALWAYS: Final[QuietBand] = (BALANCE_MAX, BALANCE_MIN)
"""The empty band: every change is reported."""


def available_balance(account: Balances) -> int:
    """What the account can still be debited (`available`)."""
    return available(account.credits_posted, account.debits_posted, account.debits_pending)


def available(credits_posted: int, debits_posted: int, debits_pending: int) -> int:
    """An account's available balance from its balances: `credits_posted - debits_posted -
    debits_pending` (reservations count against it; Rafiki's balance of a liquidity account)."""
    return credits_posted - debits_posted - debits_pending


def quiet(band: QuietBand, balance: int) -> bool:
    """Whether `balance` is within `band` (no report needed)."""
    return band[0] <= balance <= band[1]
