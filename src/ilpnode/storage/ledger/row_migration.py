"""Journal rows of an SQLite database from before the ledger log, moved into the log once.

Before the ledger log, the embedded ledger on SQLite kept its journal as rows of
`ledger_accounts`, `ledger_transfers` and `ledger_expiries`, with the balance columns. The log
journal reads only the log, so the first start on such a database moves them:

1. If the log does not start with a snapshot: replay the rows (checked against the stored
   balance columns, as before: a disagreement refuses to start), then the log's frames, and
   compact the log into a snapshot of the result (`LedgerLog.compact`: atomic, synced).
2. Delete the rows, in one transaction.

A crash between the two leaves a log whose snapshot already holds the rows; the next start
finds a snapshot and only deletes them. (A log compacted by an older node holds them as well:
its first snapshot was cut from an engine that had replayed them.) A database without such rows,
every database made since the log, costs one `SELECT` per start.
"""

from __future__ import annotations

import asyncio
import logging

from sqlalchemy import delete, exists, select

from ilpnode.ledger import JournalError
from ilpnode.storage.database import Database
from ilpnode.storage.ledger.journal import LedgerCorruptionError, replay_in_chunks
from ilpnode.storage.ledger.log_codec import DecodedLog, LogCorruptionError, encode_snapshot_frame
from ilpnode.storage.ledger.log_file import LedgerLog
from ilpnode.storage.ledger.row_journal import replay_rows
from ilpnode.storage.schema.ledger import ledger_accounts, ledger_expiries, ledger_transfers

__all__ = ["move_rows_into_log"]

logger = logging.getLogger(__name__)


async def move_rows_into_log(
    database: Database, log: LedgerLog, decoded: DecodedLog, forget_codes: frozenset[int]
) -> DecodedLog:
    """Move the database's journal rows, if any, into `log` (read as `decoded`); returns the log
    as it then is.

    Raises:
        LedgerCorruptionError: the rows or the log cannot be replayed, or the rows disagree with
            the stored balances; nothing was changed.
    """
    async with database.engine.connect() as connection:
        found = await connection.scalar(
            select(exists(select(ledger_accounts.c.id)) | exists(select(ledger_transfers.c.id)))
        )
    if not found:
        return decoded
    if decoded.snapshot is None:
        engine, rows = await replay_rows(database, forget_codes)
        try:
            replay_in_chunks(engine, decoded.entries, forget_codes)
        except JournalError as error:
            raise LedgerCorruptionError(
                f"the ledger log {log.path} cannot be replayed: {error}"
            ) from error
        snapshot = engine.snapshot()
        frame = await asyncio.to_thread(
            encode_snapshot_frame,
            last_timestamp=snapshot.last_timestamp,
            accounts=snapshot.accounts,
            transfers=snapshot.transfers,
            expired=snapshot.expired,
            forgotten=snapshot.forgotten,
        )
        await log.compact(frame)
        logger.warning(
            "moved %d ledger journal rows from before the ledger log into %s", rows, log.path
        )
    async with database.engine.begin() as connection:
        for table in (ledger_expiries, ledger_transfers, ledger_accounts):
            await connection.execute(delete(table))
    try:
        return await asyncio.to_thread(log.read)
    except LogCorruptionError as error:  # not raised by a log just written
        raise LedgerCorruptionError(f"the ledger log {log.path} is damaged: {error}") from error
