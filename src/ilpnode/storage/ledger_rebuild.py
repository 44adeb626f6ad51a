"""Rebuilding the embedded ledger's engine from what is stored, and writing its snapshots.

`rebuild_engine` is what `EmbeddedLedger.open` and its recovery after a failed commit run:

1. Read the ledger log (SQLite; a torn last frame is cut off, damage refuses to start).
2. If the log starts with a snapshot (a compacted log), load it (`restored_engine`, which
   checks every invariant); the SQL journal rows from before the log are inside it. Otherwise
   replay the SQL journal rows (PostgreSQL, or an SQLite database from before the log) and
   compare the result with the stored balance columns.
3. Replay the log's frames after the snapshot.

Replays run in chunks, forgetting the resolved transfers of `forget_codes` after each
(`LedgerEngine.forget_resolved`), as the live ledger does after each commit, so the rebuilt
engine equals the live one and never holds the whole history at once.
"""

from __future__ import annotations

import asyncio
import logging

from ilpnode.ledger import AccountId, JournalEntry, JournalError, LedgerEngine, LedgerSnapshot
from ilpnode.ledger.seed import restored_engine
from ilpnode.storage.database import Database
from ilpnode.storage.ledger_log import LedgerLog
from ilpnode.storage.ledger_log_codec import (
    LogCorruptionError,
    LogSnapshot,
    encode_snapshot_frame,
)
from ilpnode.storage.ledger_rows import Balances, load_balances, load_journal

__all__ = ["LedgerCorruptionError", "encode_snapshot", "rebuild_engine"]

logger = logging.getLogger(__name__)

# A rebuild replays the journal this many entries at a time, forgetting after each chunk.
REPLAY_CHUNK_ENTRIES = 65_536
# At most this many mismatching accounts are named in a corruption error.
MISMATCHES_REPORTED_MAX = 10


class LedgerCorruptionError(RuntimeError):
    """The stored journal cannot be replayed, or it disagrees with the stored balances."""


async def rebuild_engine(
    database: Database, log: LedgerLog | None, forget_codes: frozenset[int]
) -> LedgerEngine:
    decoded = None
    if log is not None:
        try:
            decoded = await asyncio.to_thread(log.read)
        except LogCorruptionError as error:
            raise LedgerCorruptionError(f"the ledger log {log.path} is damaged: {error}") from error
    if decoded is not None and decoded.snapshot is not None:
        engine = _restore(decoded.snapshot, log)
        rows = 0  # the journal rows from before the log are inside the snapshot
    else:
        async with database.engine.connect() as connection:
            entries = await load_journal(connection)
            stored = await load_balances(connection)
        engine = LedgerEngine()
        try:
            _replay_forgetting(engine, entries, forget_codes)
        except JournalError as error:
            raise LedgerCorruptionError(
                f"the ledger journal cannot be replayed: {error}"
            ) from error
        _check_stored_balances(engine, stored)
        rows = len(entries)
    logged = 0
    if log is not None and decoded is not None:
        if decoded.torn_bytes:
            logger.warning(
                "ledger log %s: cut off %d bytes of a last write that never completed",
                log.path,
                decoded.torn_bytes,
            )
        try:
            _replay_forgetting(engine, decoded.entries, forget_codes)
        except JournalError as error:
            raise LedgerCorruptionError(
                f"the ledger log {log.path} cannot be replayed: {error}"
            ) from error
        logged = len(decoded.entries)
    logger.info(
        "ledger rebuilt: %s, %d journal rows, %d log entries",
        "from a snapshot" if decoded is not None and decoded.snapshot else "no snapshot",
        rows,
        logged,
    )
    return engine


def encode_snapshot(snapshot: LedgerSnapshot) -> bytes:
    """The snapshot frame of `snapshot` (pure: may run in a thread)."""
    return encode_snapshot_frame(
        last_timestamp=snapshot.last_timestamp,
        accounts=snapshot.accounts,
        transfers=snapshot.transfers,
        expired=snapshot.expired,
        forgotten=snapshot.forgotten,
    )


def _restore(snapshot: LogSnapshot, log: LedgerLog | None) -> LedgerEngine:
    try:
        return restored_engine(
            accounts=snapshot.accounts,
            transfers=snapshot.transfers,
            expired=snapshot.expired,
            forgotten=snapshot.forgotten,
            last_timestamp=snapshot.last_timestamp,
        )
    except ValueError as error:
        where = log.path if log is not None else "the ledger log"
        raise LedgerCorruptionError(f"the snapshot in {where} is unusable: {error}") from error


def _replay_forgetting(
    engine: LedgerEngine, entries: list[JournalEntry], forget_codes: frozenset[int]
) -> None:
    # In chunks, forgetting as it goes: the engine never holds the whole history at once.
    for start in range(0, len(entries), REPLAY_CHUNK_ENTRIES):
        chunk = entries[start : start + REPLAY_CHUNK_ENTRIES]
        engine.replay_more(chunk)
        engine.forget_resolved(chunk, codes=forget_codes)


def _check_stored_balances(engine: LedgerEngine, stored: dict[int, Balances]) -> None:
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
