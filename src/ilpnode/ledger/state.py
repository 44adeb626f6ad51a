"""The engine's state and the only code that changes it: apply / undo one journal entry.

`LedgerState.apply(entry)` is used both live (after the rules accepted an event) and by replay,
so a replayed journal rebuilds exactly the live state. `undo(entry)` is its inverse, used to roll
back a failed linked chain in reverse order. Neither validates business rules (`rules.py` does);
they only assert the internal invariants.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

from ilpnode.ledger.model import (
    Account,
    AccountFlags,
    AccountId,
    ExpiredTransfer,
    JournalEntry,
    Transfer,
    TransferFlags,
    TransferId,
)
from ilpnode.ledger.statuses import TransferPendingStatus
from ilpnode.ledger.trusted import account_with_balances

__all__ = ["AccountRow", "LedgerSnapshot", "LedgerState"]

# Plain ints: bit tests on them are C operations, on enum members Python-level calls.
_PENDING = int(TransferFlags.PENDING)
_POST = int(TransferFlags.POST_PENDING_TRANSFER)
_VOID = int(TransferFlags.VOID_PENDING_TRANSFER)


@dataclass(slots=True)
class AccountRow:
    """The mutable balance row of one account; `record` is the account as created."""

    record: Account
    debits_pending: int = 0
    debits_posted: int = 0
    credits_pending: int = 0
    credits_posted: int = 0

    @property
    def flags(self) -> AccountFlags:
        return self.record.flags

    @property
    def ledger(self) -> int:
        return self.record.ledger

    def snapshot(self) -> Account:
        """The account with its current balances, as an immutable record."""
        return account_with_balances(
            self.record,
            self.debits_pending,
            self.debits_posted,
            self.credits_pending,
            self.credits_posted,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerSnapshot:
    """The whole observable state, as values: equal snapshots mean equal ledgers.

    `accounts`, `transfers` and `expired` are in timestamp order; `pending` is sorted by id.
    `forgotten`: per account (sorted by id), the posted debits and credits of the transfers the
    engine has forgotten (`LedgerEngine.forget_resolved`), which the balances still hold.
    """

    accounts: tuple[Account, ...]
    transfers: tuple[Transfer, ...]
    pending: tuple[tuple[TransferId, TransferPendingStatus], ...]
    expired: tuple[ExpiredTransfer, ...]
    last_timestamp: int
    forgotten: tuple[tuple[AccountId, int, int], ...] = ()


class LedgerState:
    """Accounts, transfers, derived pending states, expiries and the ledger clock."""

    __slots__ = (
        "accounts",
        "expired",
        "expiry_queue",
        "forgotten",
        "last_timestamp",
        "pending",
        "transfers",
    )

    def __init__(self) -> None:
        self.accounts: dict[int, AccountRow] = {}
        self.transfers: dict[int, Transfer] = {}
        self.pending: dict[int, TransferPendingStatus] = {}
        self.expired: dict[int, ExpiredTransfer] = {}
        # A cache: (expires_at, pending timestamp, pending id). Entries of transfers that were
        # resolved or rolled back are left in place and skipped when they reach the top.
        self.expiry_queue: list[tuple[int, int, int]] = []
        self.last_timestamp = 0
        # Account id -> [debits_posted, credits_posted] of forgotten transfers (see `forget`).
        self.forgotten: dict[int, list[int]] = {}

    def is_live_pending(self, pending_id: int, pending_timestamp: int) -> bool:
        """Is this the (same) pending transfer, still unresolved?"""
        pending = self.transfers.get(pending_id)
        return (
            pending is not None
            and pending.timestamp == pending_timestamp
            and self.pending.get(pending_id) is TransferPendingStatus.PENDING
        )

    def snapshot(self) -> LedgerSnapshot:
        return LedgerSnapshot(
            accounts=tuple(row.snapshot() for row in self.accounts.values()),
            transfers=tuple(self.transfers.values()),
            pending=tuple((TransferId(i), s) for i, s in sorted(self.pending.items())),
            expired=tuple(self.expired.values()),
            last_timestamp=self.last_timestamp,
            forgotten=tuple(
                (AccountId(i), debits, credits)
                for i, (debits, credits) in sorted(self.forgotten.items())
            ),
        )

    def forget(self, resolution: Transfer | ExpiredTransfer, codes: frozenset[int]) -> bool:
        """Drop a resolved pending transfer whose code is in `codes`, and the record that
        resolved it (`resolution`: its post, void or expiry), from memory; what it posted is
        added to `forgotten`. False (nothing changes) if `resolution` is not such a record.
        """
        pending_id = resolution.pending_id
        pending = self.transfers.get(pending_id)
        if pending is None or pending.code not in codes:
            return False
        if isinstance(resolution, ExpiredTransfer):
            if self.expired.get(pending_id) != resolution:
                return False
            del self.expired[pending_id]
        else:
            record = self.transfers.get(resolution.id)
            if record is None or record.pending_id != pending_id:
                return False
            del self.transfers[record.id]
            if int(record.flags) & _POST:
                self._forget_posted(record.debit_account_id, 0, record.amount)
                self._forget_posted(record.credit_account_id, 1, record.amount)
        del self.transfers[pending_id]
        del self.pending[pending_id]
        return True

    def _forget_posted(self, account_id: int, side: int, amount: int) -> None:
        totals = self.forgotten.get(account_id)
        if totals is None:
            totals = self.forgotten[account_id] = [0, 0]
        totals[side] += amount

    def apply(self, entry: JournalEntry) -> None:
        """Apply one accepted entry. Dicts keep insertion order, which is timestamp order."""
        assert entry.timestamp > self.last_timestamp, "timestamps must strictly increase"
        self.last_timestamp = entry.timestamp
        if isinstance(entry, Account):
            self.accounts[entry.id] = AccountRow(entry)
            return
        if isinstance(entry, ExpiredTransfer):
            pending = self.transfers[entry.pending_id]
            self._move(pending, pending_delta=-pending.amount, posted_delta=0)
            self.pending[pending.id] = TransferPendingStatus.EXPIRED
            self.expired[pending.id] = entry
            return
        flags: int = entry.flags + 0  # bits as a plain int: see model.py
        if flags & _PENDING:
            self._move(entry, pending_delta=entry.amount, posted_delta=0)
            self.pending[entry.id] = TransferPendingStatus.PENDING
            if (expires_at := entry.expires_at) is not None:
                heapq.heappush(self.expiry_queue, (expires_at, entry.timestamp, entry.id))
        elif flags & (_POST | _VOID):
            pending = self.transfers[entry.pending_id]
            posted = entry.amount if flags & _POST else 0
            self._move(pending, pending_delta=-pending.amount, posted_delta=posted)
            self.pending[pending.id] = (
                TransferPendingStatus.POSTED if posted else TransferPendingStatus.VOIDED
            )
        else:
            self._move(entry, pending_delta=0, posted_delta=entry.amount)
        self.transfers[entry.id] = entry

    def undo(self, entry: Account | Transfer) -> None:
        """Undo the latest applied entry (the caller restores `last_timestamp`)."""
        if isinstance(entry, Account):
            del self.accounts[entry.id]
            return
        del self.transfers[entry.id]
        flags = int(entry.flags)
        if flags & _PENDING:
            self._move(entry, pending_delta=-entry.amount, posted_delta=0)
            del self.pending[entry.id]  # its expiry-queue entry goes stale
        elif flags & (_POST | _VOID):
            pending = self.transfers[entry.pending_id]
            posted = entry.amount if flags & _POST else 0
            self._move(pending, pending_delta=pending.amount, posted_delta=-posted)
            self.pending[pending.id] = TransferPendingStatus.PENDING
        else:
            self._move(entry, pending_delta=0, posted_delta=-entry.amount)

    def _move(self, transfer: Transfer, *, pending_delta: int, posted_delta: int) -> None:
        debit = self.accounts[transfer.debit_account_id]
        credit = self.accounts[transfer.credit_account_id]
        debit.debits_pending += pending_delta
        debit.debits_posted += posted_delta
        credit.credits_pending += pending_delta
        credit.credits_posted += posted_delta
        assert debit.debits_pending >= 0, "pending debits can never go negative"
        assert credit.credits_pending >= 0, "pending credits can never go negative"
        assert debit.debits_posted >= 0, "posted debits can never go negative"
        assert credit.credits_posted >= 0, "posted credits can never go negative"
