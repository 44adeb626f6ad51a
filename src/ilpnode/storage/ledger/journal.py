"""The embedded ledger's journal: one interface, one implementation per medium.

The embedded ledger (`embedded`) decides in memory and hands every group of journal entries to
a `Journal`, which makes it durable and, at start or after a failed commit, rebuilds the engine
from what it stored. Two media:

- `log_journal.LogJournal` (SQLite, the default): frames appended to the ledger log file beside
  the database, written at once while earlier groups are still being synced (pipelined), and
  compacted into a snapshot now and then.
- `row_journal.RowJournal` (PostgreSQL with `LEDGER_BACKEND=embedded`): one transaction per
  group, the entries as rows of `ledger_accounts`, `ledger_transfers`, `ledger_expiries` and
  the touched accounts' balance columns, compared with the replay at start.

Rebuilds replay in chunks, forgetting the resolved transfers of `forget_codes` after each
(`LedgerEngine.forget_resolved`), as the live ledger does after each commit, so the rebuilt
engine equals the live one and never holds the whole history at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from ilpnode.ledger import JournalEntry, LedgerEngine
from ilpnode.storage.ledger.log_file import LedgerLog

__all__ = ["Journal", "LedgerCorruptionError", "replay_in_chunks"]

# A rebuild replays the journal this many entries at a time, forgetting after each chunk.
REPLAY_CHUNK_ENTRIES = 65_536


class LedgerCorruptionError(RuntimeError):
    """The stored journal cannot be replayed, or it disagrees with the stored balances."""


class Journal(Protocol):
    """Where the embedded ledger's groups become durable, and what it is rebuilt from."""

    @property
    def log(self) -> LedgerLog | None:
        """The ledger log file, when the medium is one (for metrics and tests)."""
        ...

    async def rebuild(self) -> LedgerEngine:
        """The engine as of the last durable group (at start, and after a failed commit).

        Raises:
            LedgerCorruptionError: what is stored cannot be replayed or disagrees with itself.
        """
        ...

    def start(self) -> None:
        """Get ready to commit (after `rebuild`, on the event loop's thread)."""
        ...

    def can_write_now(self) -> bool:
        """True: the next group may go to `write`, even while earlier ones are not yet durable.
        False: it must go to `commit`, once no group is in flight."""
        ...

    def write(
        self,
        entries: list[JournalEntry],
        on_durable: Callable[[OSError | None], None],
        *,
        sync_now: bool = False,
    ) -> None:
        """Write one group now; `on_durable(None)` once it is durable, `on_durable(error)` if it
        never will be (groups are answered in order). `sync_now`: nothing else is going on,
        so make it durable within the call if that can keep the order (see `LedgerLog.write`).

        Raises:
            OSError: the write failed; `on_durable` is not called.
        """
        ...

    async def commit(self, entries: list[JournalEntry], engine: LedgerEngine) -> None:
        """Make one group durable; returns once it is. Called synchronously after the group was
        cut from the engine's journal: what it reads from `engine` before its first await is
        the state after the group's last entry.

        Raises:
            Exception: the commit failed (the ledger fails closed and rebuilds).
        """
        ...

    async def close(self) -> None: ...


def replay_in_chunks(
    engine: LedgerEngine, entries: list[JournalEntry], forget_codes: frozenset[int]
) -> None:
    """`engine.replay_more(entries)`, forgetting as it goes: the engine never holds the whole
    history at once.

    Raises:
        JournalError: an entry cannot be replayed.
    """
    for start in range(0, len(entries), REPLAY_CHUNK_ENTRIES):
        chunk = entries[start : start + REPLAY_CHUNK_ENTRIES]
        engine.replay_more(chunk)
        engine.forget_resolved(chunk, codes=forget_codes)
