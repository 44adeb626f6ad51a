"""The embedded ledger's journal as SQL rows: the medium on PostgreSQL (`LEDGER_BACKEND=embedded`
with a PostgreSQL `DATABASE_URL`).

Each group is one transaction through SQLAlchemy: the entries as rows of `ledger_accounts`,
`ledger_transfers` and `ledger_expiries` (`rows`, `seq` = the entry's engine timestamp), and the
balance columns of every account the group touched. The group is cut synchronously, when the
buffer holds every entry the engine has produced so far, so the engine's balances at that
instant are exactly those after the group's last entry: the stored balances always match the
stored journal. A start replays the rows in `seq` order and compares the result with the balance
columns. There is no compaction: a start replays every row.

The shared backend (`LEDGER_BACKEND=postgres`, `shared`) writes the same tables its own way; a
database it wrote cannot be replayed here (see docs/ledger.md, "Known limits").
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from ilpnode.ledger import (
    Account,
    AccountId,
    JournalEntry,
    JournalError,
    LedgerEngine,
    Transfer,
)
from ilpnode.storage.database import Database
from ilpnode.storage.ledger.journal import LedgerCorruptionError, replay_in_chunks
from ilpnode.storage.ledger.log_file import LedgerLog
from ilpnode.storage.ledger.rows import (
    Balances,
    insert_entries,
    load_balances,
    load_journal,
    update_balances,
)

__all__ = ["RowJournal", "check_stored_balances", "replay_rows"]

logger = logging.getLogger(__name__)

# At most this many mismatching accounts are named in a corruption error.
MISMATCHES_REPORTED_MAX = 10


class RowJournal:
    """The `Journal` on SQL rows, one transaction per group."""

    def __init__(self, database: Database, *, forget_codes: frozenset[int]) -> None:
        self._database = database
        self._forget_codes = forget_codes

    @property
    def log(self) -> LedgerLog | None:
        return None

    async def rebuild(self) -> LedgerEngine:
        engine, rows = await replay_rows(self._database, self._forget_codes)
        logger.info("ledger rebuilt: %d journal rows", rows)
        return engine

    def start(self) -> None:
        pass

    def can_write_now(self) -> bool:
        return False  # every group is a transaction: awaited, one at a time

    def write(
        self,
        entries: list[JournalEntry],
        on_durable: Callable[[OSError | None], None],
        *,
        sync_now: bool = False,
    ) -> None:
        raise RuntimeError("the journal rows are written by `commit` only")

    async def commit(self, entries: list[JournalEntry], engine: LedgerEngine) -> None:
        # No await before the balance lookup: the balances are those after the group.
        balances = engine.lookup_accounts(_touched_accounts(entries, engine))
        created = {entry.id for entry in entries if isinstance(entry, Account)}
        new_accounts = {account.id: account for account in balances if account.id in created}
        existing = [account for account in balances if account.id not in created]
        async with self._database.engine.begin() as connection:
            await insert_entries(
                connection, ((entry.timestamp, entry) for entry in entries), new_accounts
            )
            await update_balances(connection, existing)

    async def close(self) -> None:
        pass


async def replay_rows(database: Database, forget_codes: frozenset[int]) -> tuple[LedgerEngine, int]:
    """An engine with every journal row replayed, checked against the stored balance columns;
    and how many rows there were.

    Raises:
        LedgerCorruptionError: a row cannot be replayed, or a balance column disagrees.
    """
    async with database.engine.connect() as connection:
        entries = await load_journal(connection)
        stored = await load_balances(connection)
    engine = LedgerEngine()
    try:
        replay_in_chunks(engine, entries, forget_codes)
    except JournalError as error:
        raise LedgerCorruptionError(f"the ledger journal cannot be replayed: {error}") from error
    check_stored_balances(engine, stored)
    return engine, len(entries)


def check_stored_balances(engine: LedgerEngine, stored: dict[int, Balances]) -> None:
    """Raises: LedgerCorruptionError: a stored balance differs from the engine's."""
    mismatches = []
    for account in engine.lookup_accounts([AccountId(account_id) for account_id in stored]):
        live = (
            account.debits_pending,
            account.debits_posted,
            account.credits_pending,
            account.credits_posted,
        )
        if live != stored[account.id]:
            mismatches.append(f"account {account.id}: journal {live}, stored {stored[account.id]}")
    if mismatches:
        raise LedgerCorruptionError(
            "stored balances disagree with the journal: "
            + "; ".join(mismatches[:MISMATCHES_REPORTED_MAX])
        )


def _touched_accounts(entries: list[JournalEntry], engine: LedgerEngine) -> list[AccountId]:
    touched: dict[AccountId, None] = {}
    for entry in entries:
        if isinstance(entry, Transfer):
            touched[entry.debit_account_id] = None
            touched[entry.credit_account_id] = None
        elif isinstance(entry, Account):
            touched[entry.id] = None
        else:
            for pending in engine.lookup_transfers([entry.pending_id]):
                touched[pending.debit_account_id] = None
                touched[pending.credit_account_id] = None
    return list(touched)
