"""`MemoryLedger`: the `Ledger` port over a `LedgerEngine`, not durable (unit tests, fakes).

It sweeps expired pending transfers before every command, so callers of the port never see an
unswept reservation. The journal is drained and dropped: nothing survives the process.
"""

from __future__ import annotations

from collections.abc import Sequence

from ilpnode.clock import Clock
from ilpnode.ledger.engine import LedgerEngine
from ilpnode.ledger.model import Account, AccountId, Transfer, TransferId
from ilpnode.ledger.statuses import CreateAccountResult, CreateTransferResult

__all__ = ["MemoryLedger"]


class MemoryLedger:
    """An in-memory implementation of `ports.Ledger`."""

    def __init__(self, *, clock: Clock, engine: LedgerEngine | None = None) -> None:
        self._clock = clock
        self.engine = LedgerEngine() if engine is None else engine

    async def create_accounts(self, accounts: Sequence[Account]) -> list[CreateAccountResult]:
        now = self._clock.now_ns()
        results = self.engine.create_accounts(accounts, now=now)
        self.engine.drain_journal()
        return results

    async def create_transfers(
        self, transfers: Sequence[Transfer], *, durable: bool = True
    ) -> list[CreateTransferResult]:
        _ = durable  # nothing here is durable
        now = self._clock.now_ns()
        self.engine.expire_pending(now=now)
        results = self.engine.create_transfers(transfers, now=now)
        self.engine.drain_journal()
        return results

    async def lookup_accounts(self, ids: Sequence[AccountId]) -> list[Account]:
        self.engine.expire_pending(now=self._clock.now_ns())
        self.engine.drain_journal()
        return self.engine.lookup_accounts(ids)

    async def lookup_transfers(self, ids: Sequence[TransferId]) -> list[Transfer]:
        return self.engine.lookup_transfers(ids)
