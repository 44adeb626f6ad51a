"""Replaying a journal: how a durable adapter rebuilds the engine it lost (`LedgerEngine.replay`).

Journal and replay. Every accepted state change is one `JournalEntry`: the created `Account`
record, the created `Transfer` record (with its timestamp; a post/void as stored, with accounts
and amount filled in) or an `ExpiredTransfer`. They are queued in application order, which is
timestamp order, and `drain_journal()` hands them over; failed events and rolled-back chains
leave nothing. A durable adapter appends the drained entries to its journal, in order, before it
acknowledges the results. `LedgerEngine.replay(entries)` rebuilds the state by re-executing every
entry through the same validation with `now = entry.timestamp` and demanding that it be accepted
and produce the identical record (expiries: the pending transfer must be PENDING and due). So the
rebuilt engine has the same accounts, balances, transfers, pending states and `last_timestamp`,
and a corrupt or reordered journal raises `JournalError` instead of silently diverging. Replay
re-checks the limits too, so a change to the rules that would refuse old entries needs a journal
migration. If the durable append fails, the engine is ahead of the journal: the adapter must
discard it and rebuild it by replay, never carry on with it.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ilpnode.ledger.model import Account, ExpiredTransfer, JournalEntry, Transfer
from ilpnode.ledger.state import LedgerState

if TYPE_CHECKING:  # the engine calls this module: no import cycle at run time
    from ilpnode.ledger.engine import LedgerEngine

__all__ = ["JournalError", "replay_entry"]


class JournalError(ValueError):
    """`replay` met an entry that the ledger could not have produced at that point."""


def replay_entry(engine: LedgerEngine, position: int, entry: JournalEntry) -> None:
    """Apply `entry`, the journal's entry number `position`, through the engine's own rules.

    Raises:
        JournalError: the engine would not have produced exactly this entry at this point.
    """
    state = engine._state
    if entry.timestamp <= state.last_timestamp:
        raise JournalError(
            f"journal entry {position}: timestamp {entry.timestamp} does not follow "
            f"{state.last_timestamp}"
        )
    if isinstance(entry, Account):
        name = engine._create_account(replace(entry, timestamp=0), entry.timestamp)[0].name
    elif isinstance(entry, Transfer):
        name = engine._create_transfer(replace(entry, timestamp=0), entry.timestamp)[0].name
    elif _is_due(state, entry):
        engine._commit(entry)
        name = "CREATED"
    else:
        name = "NOT_A_DUE_PENDING_TRANSFER"
    if name != "CREATED" or engine._journal[-1] != entry:
        raise JournalError(f"journal entry {position} cannot be replayed ({name}): {entry!r}")
    engine._journal.clear()


def _is_due(state: LedgerState, entry: ExpiredTransfer) -> bool:
    pending = state.transfers.get(entry.pending_id)
    if pending is None or not state.is_live_pending(pending.id, pending.timestamp):
        return False
    expires_at = pending.expires_at
    return expires_at is not None and expires_at <= entry.timestamp
