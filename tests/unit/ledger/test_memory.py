"""`MemoryLedger` implements the `Ledger` port over the engine, with its own clock."""

from __future__ import annotations

from datetime import datetime

from ilpnode.ledger import (
    AccountFlags,
    AccountId,
    CreateTransferStatus,
    Ledger,
    MemoryLedger,
    TransferId,
)
from tests.support import datetime_of_ns

from .builders import SECOND, T0, account, pending, post, transfer


class FakeClock:
    def __init__(self, now: int) -> None:
        self.value_ns = now

    def now_ns(self) -> int:
        return self.value_ns

    def now(self) -> datetime:
        return datetime_of_ns(self.value_ns)


async def test_the_memory_ledger_serves_the_port_and_sweeps_expired_reservations() -> None:
    clock = FakeClock(T0)
    memory = MemoryLedger(clock=clock)
    ledger: Ledger = memory  # checked by mypy: MemoryLedger satisfies the Protocol
    created = await ledger.create_accounts(
        [account(1), account(2, flags=AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS)]
    )
    assert all(r.ok for r in created)
    results = await ledger.create_transfers(
        [transfer(10, 1, 2, 50), pending(11, 2, 1, 50, timeout=1)]
    )
    assert [r.status for r in results] == [CreateTransferStatus.CREATED] * 2
    [peer] = await ledger.lookup_accounts([AccountId(2)])
    assert peer.debits_pending == 50

    clock.value_ns = T0 + 2 * SECOND
    [peer] = await ledger.lookup_accounts([AccountId(2)])
    assert peer.debits_pending == 0  # swept before the lookup
    [late] = await ledger.create_transfers([post(12, 11)])
    assert late.status is CreateTransferStatus.PENDING_TRANSFER_EXPIRED
    assert [t.id for t in await ledger.lookup_transfers([TransferId(11), TransferId(12)])] == [11]
    assert memory.engine.drain_journal() == []  # the memory ledger keeps no journal
