"""Global invariants of the ledger, checked from scratch (tests, and a start-up self-check).

`check_invariants` recomputes every balance from the immutable transfer records and the pending
states, and compares. It is O(accounts + transfers): for tests and for a check after `replay`,
not for the packet path.
"""

from __future__ import annotations

import itertools
from collections import Counter

from ilpnode.ledger.engine import LedgerEngine
from ilpnode.ledger.limits import credits_exceed_debits, debits_exceed_credits
from ilpnode.ledger.model import AMOUNT_MAX, AccountFlags, Transfer, TransferFlags
from ilpnode.ledger.state import LedgerSnapshot
from ilpnode.ledger.statuses import TransferPendingStatus

__all__ = ["check_invariants"]

_BOTH_LIMITS = (
    AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS | AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS
)


def check_invariants(ledger: LedgerEngine | LedgerSnapshot) -> list[str]:
    """Every broken invariant, as a readable message; an empty list means the ledger is sound.

    Checked: Σ debits_posted = Σ credits_posted; Σ debits_pending = Σ credits_pending; every
    balance fits in u64 and equals the sum of the transfers that made it (the forgotten ones
    included, by their totals); no flagged account is over its limit; each pending transfer is
    resolved at most once and its state matches its resolving record; post/void records match
    their pending transfer; timestamps are unique and increasing, and `last_timestamp` is the
    latest of them (or later, once transfers were forgotten).
    """
    state = ledger.snapshot() if isinstance(ledger, LedgerEngine) else ledger
    problems: list[str] = []
    accounts = {a.id: a for a in state.accounts}
    transfers = {t.id: t for t in state.transfers}
    pending_state = dict(state.pending)
    expected: dict[int, list[int]] = {a.id: [0, 0, 0, 0] for a in state.accounts}  # dp, dP, cp, cP
    for account_id, debits_posted, credits_posted in state.forgotten:
        if account_id not in expected:
            problems.append(f"forgotten transfers name an unknown account {account_id}")
            continue
        expected[account_id][1] += debits_posted
        expected[account_id][3] += credits_posted
    resolutions: Counter[int] = Counter()
    resolved_as: dict[int, TransferPendingStatus] = {}

    for t in state.transfers:
        if t.debit_account_id not in accounts or t.credit_account_id not in accounts:
            problems.append(f"transfer {t.id} names an unknown account")
            continue
        dr, cr = expected[t.debit_account_id], expected[t.credit_account_id]
        if t.flags & (TransferFlags.POST_PENDING_TRANSFER | TransferFlags.VOID_PENDING_TRANSFER):
            problems.extend(_check_resolution(t, transfers.get(t.pending_id)))
            resolutions[t.pending_id] += 1
            is_post = bool(t.flags & TransferFlags.POST_PENDING_TRANSFER)
            resolved_as[t.pending_id] = (
                TransferPendingStatus.POSTED if is_post else TransferPendingStatus.VOIDED
            )
            if is_post:
                dr[1] += t.amount
                cr[3] += t.amount
        elif t.flags & TransferFlags.PENDING:
            if t.id not in pending_state:
                problems.append(f"pending transfer {t.id} has no pending state")
            elif pending_state[t.id] is TransferPendingStatus.PENDING:
                dr[0] += t.amount
                cr[2] += t.amount
        else:
            dr[1] += t.amount
            cr[3] += t.amount
    for e in state.expired:
        resolutions[e.pending_id] += 1
        resolved_as[e.pending_id] = TransferPendingStatus.EXPIRED
        p = transfers.get(e.pending_id)
        if p is None or p.expires_at is None or p.expires_at > e.timestamp:
            problems.append(f"expiry of {e.pending_id} at {e.timestamp} is not due")

    for pending_id, count in sorted(resolutions.items()):
        if count > 1:
            problems.append(f"pending transfer {pending_id} resolved {count} times")
    for pending_id, status in state.pending:
        want = resolved_as.get(pending_id, TransferPendingStatus.PENDING)
        if status is not want:
            problems.append(
                f"pending transfer {pending_id} is {status.name}, records say {want.name}"
            )

    problems.extend(_check_balances(state, expected))
    problems.extend(_check_timestamps(state))
    return problems


def _check_resolution(t: Transfer, p: Transfer | None) -> list[str]:
    if p is None or not p.flags & TransferFlags.PENDING:
        return [f"post/void {t.id} names {t.pending_id}, which is not a pending transfer"]
    problems = []
    if (t.debit_account_id, t.credit_account_id) != (p.debit_account_id, p.credit_account_id):
        problems.append(f"post/void {t.id} moves other accounts than pending {p.id}")
    if not 0 < t.amount <= p.amount:
        problems.append(f"post/void {t.id} amount {t.amount} not in 1..{p.amount}")
    if t.flags & TransferFlags.VOID_PENDING_TRANSFER and t.amount != p.amount:
        problems.append(f"void {t.id} amount {t.amount} differs from pending {p.amount}")
    if t.timestamp <= p.timestamp or (p.expires_at is not None and t.timestamp >= p.expires_at):
        problems.append(f"post/void {t.id} at {t.timestamp} outside pending {p.id}'s lifetime")
    return problems


def _check_balances(state: LedgerSnapshot, expected: dict[int, list[int]]) -> list[str]:
    problems = []
    for a in state.accounts:
        actual = [a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted]
        if actual != expected[a.id]:
            problems.append(f"account {a.id} balances {actual} != from transfers {expected[a.id]}")
        if a.debits_pending + a.debits_posted > AMOUNT_MAX:
            problems.append(f"account {a.id} debits overflow u64")
        if a.credits_pending + a.credits_posted > AMOUNT_MAX:
            problems.append(f"account {a.id} credits overflow u64")
        if a.flags & _BOTH_LIMITS == _BOTH_LIMITS:
            problems.append(f"account {a.id} has both limit flags")
        if debits_exceed_credits(a, 0):
            problems.append(f"account {a.id} debits exceed credits")
        if credits_exceed_debits(a, 0):
            problems.append(f"account {a.id} credits exceed debits")
    sums = [
        sum(a.debits_posted for a in state.accounts),
        sum(a.credits_posted for a in state.accounts),
    ]
    if sums[0] != sums[1]:
        problems.append(f"Σ debits_posted {sums[0]} != Σ credits_posted {sums[1]}")
    pend = [
        sum(a.debits_pending for a in state.accounts),
        sum(a.credits_pending for a in state.accounts),
    ]
    if pend[0] != pend[1]:
        problems.append(f"Σ debits_pending {pend[0]} != Σ credits_pending {pend[1]}")
    return problems


def _check_timestamps(state: LedgerSnapshot) -> list[str]:
    problems = []
    for name, stamps in (
        ("accounts", [a.timestamp for a in state.accounts]),
        ("transfers", [t.timestamp for t in state.transfers]),
        ("expiries", [e.timestamp for e in state.expired]),
    ):
        if any(b <= a for a, b in itertools.pairwise(stamps)):
            problems.append(f"{name} timestamps are not strictly increasing")
    every = (
        [a.timestamp for a in state.accounts]
        + [t.timestamp for t in state.transfers]
        + [e.timestamp for e in state.expired]
    )
    if len(set(every)) != len(every):
        problems.append("timestamps are not unique")
    latest = max(every, default=0)
    if latest > state.last_timestamp or (not state.forgotten and latest != state.last_timestamp):
        problems.append(f"last_timestamp {state.last_timestamp} != latest {latest}")
    return problems
