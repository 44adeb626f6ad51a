"""The embedded ledger's journal writer for SQLite: the stdlib driver, in a thread of its own.

Group commits are the ledger's only steady database work (one transaction per group, a few
milliseconds of changes each). Through SQLAlchemy's async layer every group paid for greenlet
switches, execution contexts and type processors on the event loop's thread, which is also the
thread that forwards packets. This writer builds plain tuples and runs `executemany` with the
stdlib `sqlite3` module in one dedicated thread, so the loop thread only hands a group over and
is woken when it is durable; the SQL and the column encodings are exactly those of
`ledger_rows.insert_entries` / `update_balances` (`types.UInt64`, `types.UInt128`), and a test
checks that the two writers store identical rows.

Pragmas as `database.py` sets them: WAL, `synchronous=FULL` (a commit survives a power cut;
`NORMAL` with `LEDGER_DURABILITY=process-crash`), a busy timeout for the short write locks the
admin side takes on the same file.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Final

from ilpnode.ledger import Account, AccountId, JournalEntry, Transfer
from ilpnode.storage.database import SQLITE_BUSY_TIMEOUT_MS

__all__ = ["SqliteJournal"]

_U64: Final = 2**64
_I64_MAX: Final = 2**63 - 1

_INSERT_TRANSFER: Final = (
    "INSERT INTO ledger_transfers (id, debit_account_id, credit_account_id, amount, pending_id, "
    "user_data_128, user_data_64, user_data_32, timeout, ledger, code, flags, timestamp, seq) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_ACCOUNT: Final = (
    "INSERT INTO ledger_accounts (id, ledger, code, flags, user_data_128, user_data_64, "
    "user_data_32, timestamp, seq, debits_pending, debits_posted, credits_pending, "
    "credits_posted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_INSERT_EXPIRY: Final = "INSERT INTO ledger_expiries (pending_id, timestamp, seq) VALUES (?, ?, ?)"
_UPDATE_BALANCES: Final = (
    "UPDATE ledger_accounts SET debits_pending = ?, debits_posted = ?, credits_pending = ?, "
    "credits_posted = ? WHERE id = ?"
)


def _u64(value: int) -> int:
    return value - _U64 if value > _I64_MAX else value


def _u128(value: int) -> str:
    return f"{value:032x}"


class SqliteJournal:
    """Commits journal groups to the SQLite file at `path`; one group at a time."""

    def __init__(self, path: str, *, fsync_every_commit: bool = True) -> None:
        self._path = path
        # FULL: each commit is fsynced (survives a power cut). NORMAL, in WAL mode: the WAL is
        # fsynced at checkpoints only; a commit survives the process dying, not the machine.
        self._synchronous = "FULL" if fsync_every_commit else "NORMAL"
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ledger-journal")
        self._connection: sqlite3.Connection | None = None

    async def commit(
        self,
        entries: Sequence[JournalEntry],
        new_accounts: Mapping[AccountId, Account],
        balances: Iterable[Account],
    ) -> None:
        """Insert `entries` (seq = their timestamps; new accounts with the balances given in
        `new_accounts`) and set the balance columns of `balances`, in one transaction.

        Raises:
            sqlite3.Error: the transaction failed and was rolled back.
        """
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._commit, entries, new_accounts, balances)

    def _commit(
        self,
        entries: Sequence[JournalEntry],
        new_accounts: Mapping[AccountId, Account],
        balances: Iterable[Account],
    ) -> None:
        transfers, accounts, expiries = [], [], []
        for entry in entries:
            seq = entry.timestamp
            if isinstance(entry, Transfer):
                transfers.append(
                    (
                        _u128(entry.id),
                        _u128(entry.debit_account_id),
                        _u128(entry.credit_account_id),
                        _u64(entry.amount),
                        _u128(entry.pending_id) if entry.pending_id else None,
                        _u128(entry.user_data_128),
                        _u64(entry.user_data_64),
                        entry.user_data_32,
                        entry.timeout,
                        entry.ledger,
                        entry.code,
                        int(entry.flags),
                        entry.timestamp,
                        seq,
                    )
                )
            elif isinstance(entry, Account):
                account = new_accounts.get(entry.id, entry)
                accounts.append(
                    (
                        _u128(account.id),
                        account.ledger,
                        account.code,
                        int(account.flags),
                        _u128(account.user_data_128),
                        _u64(account.user_data_64),
                        account.user_data_32,
                        account.timestamp,
                        seq,
                        _u64(account.debits_pending),
                        _u64(account.debits_posted),
                        _u64(account.credits_pending),
                        _u64(account.credits_posted),
                    )
                )
            else:
                expiries.append((_u128(entry.pending_id), entry.timestamp, seq))
        updates = [
            (
                _u64(account.debits_pending),
                _u64(account.debits_posted),
                _u64(account.credits_pending),
                _u64(account.credits_posted),
                _u128(account.id),
            )
            for account in balances
        ]
        connection = self._connection or self._connect()
        try:
            connection.execute("BEGIN IMMEDIATE")
            if accounts:
                connection.executemany(_INSERT_ACCOUNT, accounts)
            if transfers:
                connection.executemany(_INSERT_TRANSFER, transfers)
            if expiries:
                connection.executemany(_INSERT_EXPIRY, expiries)
            if updates:
                connection.executemany(_UPDATE_BALANCES, updates)
            connection.execute("COMMIT")
        except BaseException:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
            raise

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(self._path, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute(f"PRAGMA synchronous={self._synchronous}")
        connection.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        self._connection = connection
        return connection

    async def close(self) -> None:
        """Close the connection and stop the thread (after a commit in progress)."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._executor, self._close)
        self._executor.shutdown(wait=True)

    def _close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
