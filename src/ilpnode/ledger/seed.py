"""An engine seeded with a slice of a stored ledger, so a shared backend can reuse the rules.

A backend whose state lives in a database (several processes over one PostgreSQL) cannot keep
the whole ledger in memory. For each batch it loads the slice the batch can touch, builds an
engine holding exactly that slice, runs the batch through the engine's own rules (statuses,
precedence, linked chains, timestamps, expiry) and writes back what the engine journaled. The
rules are never written a second time.

The slice must be *closed* for what the engine will read:

- `accounts`: every account the batch names (debit/credit of its plain and pending transfers,
  the accounts of every pending transfer a post/void names), with their current balances. An
  account that is not in the slice is "not found".
- `transfers`: every stored transfer whose id the batch uses (for EXISTS) or names as
  `pending_id`, and every stored post/void of each pending transfer given.
- `expired`: the expiry record of each given pending transfer that expired.

The pending state of each given pending transfer is *derived* here from those records, the same
way `LedgerState.apply` derives it: POSTED/VOIDED if a given post/void names it, EXPIRED if an
expiry record does, else PENDING (and queued for `expire_pending` if it has a timeout). Records
that resolve transfers outside the slice are kept as plain records (an EXISTS check may need
them) and derive nothing.

`last_timestamp` is a floor for the ledger clock: the engine starts at the maximum of it and of
every given record's timestamp, so whatever it creates is later than everything it saw.

The seeded engine is a partial ledger: `check_invariants` on it is meaningless unless the slice
is the whole ledger.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import replace

from ilpnode.ledger.engine import LedgerEngine
from ilpnode.ledger.invariants import check_invariants
from ilpnode.ledger.model import Account, ExpiredTransfer, Transfer, TransferFlags
from ilpnode.ledger.state import AccountRow, LedgerState
from ilpnode.ledger.statuses import TransferPendingStatus

__all__ = ["restored_engine", "seeded_engine"]

_PENDING = TransferFlags.PENDING
_POST = TransferFlags.POST_PENDING_TRANSFER
_VOID = TransferFlags.VOID_PENDING_TRANSFER


def seeded_engine(
    *,
    accounts: Iterable[Account],
    transfers: Iterable[Transfer],
    expired: Iterable[ExpiredTransfer],
    last_timestamp: int,
) -> LedgerEngine:
    """An engine holding exactly these stored records (see the module docstring).

    Args:
        accounts: stored accounts, with their current balances.
        transfers: stored transfer records (timestamps assigned).
        expired: stored expiry records of pending transfers among `transfers`.
        last_timestamp: a floor for the engine clock (e.g. the accounts' last event times).

    Returns:
        A fresh engine with an empty journal.

    Raises:
        ValueError: the records contradict each other (a duplicate id, a pending transfer
            resolved twice, a post/void or expiry of a transfer that is not pending, an expiry
            of a transfer not given): the stored ledger is corrupt or the slice was mis-read.
    """
    return LedgerEngine.from_state(_seeded_state(accounts, transfers, expired, last_timestamp))


def restored_engine(
    *,
    accounts: Iterable[Account],
    transfers: Iterable[Transfer],
    expired: Iterable[ExpiredTransfer],
    forgotten: Iterable[tuple[int, int, int]],
    last_timestamp: int,
) -> LedgerEngine:
    """An engine holding a *whole* ledger as a snapshot of it recorded it: every account with
    its balances, every transfer and expiry the engine held, the posted totals per account of
    the transfers it had forgotten (`LedgerSnapshot.forgotten`), and its clock.

    Raises:
        ValueError: the records contradict each other (as for `seeded_engine`) or break an
            invariant of a whole ledger (`check_invariants`): the snapshot is corrupt.
    """
    state = _seeded_state(accounts, transfers, expired, last_timestamp)
    for account_id, debits_posted, credits_posted in forgotten:
        if account_id in state.forgotten:
            raise ValueError(f"forgotten totals of account {account_id} given twice")
        state.forgotten[account_id] = [debits_posted, credits_posted]
    engine = LedgerEngine.from_state(state)
    problems = check_invariants(engine)
    if problems:
        raise ValueError("the snapshot breaks the ledger's invariants: " + "; ".join(problems[:5]))
    return engine


def _seeded_state(
    accounts: Iterable[Account],
    transfers: Iterable[Transfer],
    expired: Iterable[ExpiredTransfer],
    last_timestamp: int,
) -> LedgerState:
    state = LedgerState()
    clock = last_timestamp
    for account in sorted(accounts, key=lambda a: a.timestamp):
        if account.id in state.accounts:
            raise ValueError(f"account {account.id} given twice")
        state.accounts[account.id] = AccountRow(
            record=replace(
                account, debits_pending=0, debits_posted=0, credits_pending=0, credits_posted=0
            ),
            debits_pending=account.debits_pending,
            debits_posted=account.debits_posted,
            credits_pending=account.credits_pending,
            credits_posted=account.credits_posted,
        )
        clock = max(clock, account.timestamp)
    for transfer in sorted(transfers, key=lambda t: t.timestamp):
        if transfer.id in state.transfers:
            raise ValueError(f"transfer {transfer.id} given twice")
        state.transfers[transfer.id] = transfer
        clock = max(clock, transfer.timestamp)

    for transfer in state.transfers.values():
        if transfer.flags & (_POST | _VOID) and transfer.pending_id in state.transfers:
            resolved = (
                TransferPendingStatus.POSTED
                if transfer.flags & _POST
                else TransferPendingStatus.VOIDED
            )
            _resolve(state, transfer.pending_id, resolved)
    for record in sorted(expired, key=lambda e: e.timestamp):
        if record.pending_id not in state.transfers:
            raise ValueError(f"expiry of transfer {record.pending_id}, which is not given")
        _resolve(state, record.pending_id, TransferPendingStatus.EXPIRED)
        state.expired[record.pending_id] = record
        clock = max(clock, record.timestamp)
    for transfer in state.transfers.values():
        if transfer.flags & _PENDING and transfer.id not in state.pending:
            state.pending[transfer.id] = TransferPendingStatus.PENDING
            if (expires_at := transfer.expires_at) is not None:
                heapq.heappush(state.expiry_queue, (expires_at, transfer.timestamp, transfer.id))

    state.last_timestamp = clock
    return state


def _resolve(state: LedgerState, pending_id: int, status: TransferPendingStatus) -> None:
    if not state.transfers[pending_id].flags & _PENDING:
        raise ValueError(f"transfer {pending_id} is resolved but is not a pending transfer")
    if pending_id in state.pending:
        raise ValueError(f"pending transfer {pending_id} is resolved more than once")
    state.pending[pending_id] = status
