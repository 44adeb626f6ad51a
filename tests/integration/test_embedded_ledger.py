"""The embedded ledger's own promises: group commit, restart, corruption checks, fail-closed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update

from ilpnode.ledger import (
    Account,
    AccountFlags,
    AccountId,
    CreateTransferStatus,
    JournalEntry,
    Transfer,
    TransferFlags,
    TransferId,
    check_invariants,
)
from ilpnode.storage.database import Database
from ilpnode.storage.embedded_ledger import (
    EmbeddedLedger,
    LedgerCorruptionError,
    LedgerUnavailableError,
)
from ilpnode.storage.migrate import migrate
from ilpnode.storage.schema import ledger_accounts, ledger_transfers
from tests.support import ManualClock

SETTLEMENT = AccountId(1)
PEER = AccountId(2)
OTHER = AccountId(3)


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    await migrate(db)
    yield db
    await db.close()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


async def open_with_accounts(database: Database, clock: ManualClock) -> EmbeddedLedger:
    ledger = await EmbeddedLedger.open(database, clock=clock)
    results = await ledger.create_accounts(
        [
            Account(
                id=SETTLEMENT, ledger=1, code=101, flags=AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS
            ),
            Account(id=PEER, ledger=1, code=3, flags=AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS),
            Account(id=OTHER, ledger=1, code=3),
        ]
    )
    assert all(result.ok for result in results)
    return ledger


def deposit(transfer_id: int, amount: int) -> Transfer:
    return Transfer(
        id=TransferId(transfer_id),
        debit_account_id=SETTLEMENT,
        credit_account_id=PEER,
        amount=amount,
        ledger=1,
        code=2,
    )


async def test_reopen_restores_every_balance_transfer_and_pending_state(
    database: Database, clock: ManualClock
) -> None:
    ledger = await open_with_accounts(database, clock)
    await ledger.create_transfers([deposit(10, 1_000)])
    pending = Transfer(
        id=TransferId(11),
        debit_account_id=PEER,
        credit_account_id=OTHER,
        amount=300,
        ledger=1,
        code=1,
        flags=TransferFlags.PENDING,
        timeout=60,
    )
    await ledger.create_transfers([pending])
    before = ledger.engine.snapshot()
    await ledger.close()

    reopened = await EmbeddedLedger.open(database, clock=clock)
    try:
        assert reopened.engine.snapshot() == before
        post = Transfer(
            id=TransferId(12), pending_id=TransferId(11), flags=TransferFlags.POST_PENDING_TRANSFER
        )
        [result] = await reopened.create_transfers([post])
        assert result.status is CreateTransferStatus.CREATED
        [peer] = await reopened.lookup_accounts([PEER])
        assert (peer.debits_posted, peer.debits_pending) == (300, 0)
    finally:
        await reopened.close()


async def test_stored_balance_columns_match_the_engine_after_every_commit(
    database: Database, clock: ManualClock
) -> None:
    ledger = await open_with_accounts(database, clock)
    await asyncio.gather(*(ledger.create_transfers([deposit(100 + i, i + 1)]) for i in range(50)))
    try:
        async with database.engine.connect() as connection:
            stored = (
                await connection.execute(
                    select(ledger_accounts.c.credits_posted).where(ledger_accounts.c.id == PEER)
                )
            ).scalar_one()
        assert stored == sum(range(1, 51))
        assert check_invariants(ledger.engine) == []
    finally:
        await ledger.close()


async def test_concurrent_callers_share_group_commits(
    database: Database, clock: ManualClock
) -> None:
    ledger = await open_with_accounts(database, clock)
    commits_before = ledger.group_commits
    try:
        await asyncio.gather(*(ledger.create_transfers([deposit(500 + i, 1)]) for i in range(200)))
        async with database.engine.connect() as connection:
            count = await connection.execute(select(func.count()).select_from(ledger_transfers))
            assert count.scalar_one() == 200
        commits = ledger.group_commits - commits_before
        assert 1 <= commits < 200  # grouped: far fewer transactions than transfers
    finally:
        await ledger.close()


async def _stored_transfers(database: Database) -> int:
    async with database.engine.connect() as connection:
        count = await connection.execute(select(func.count()).select_from(ledger_transfers))
        return int(count.scalar_one())


async def test_deferred_changes_ride_in_the_next_durable_group(
    database: Database, clock: ManualClock
) -> None:
    ledger = await open_with_accounts(database, clock)
    try:
        await ledger.create_transfers([deposit(700, 50)])
        stored = await _stored_transfers(database)
        commits = ledger.group_commits
        pending = Transfer(
            id=TransferId(701),
            debit_account_id=PEER,
            credit_account_id=OTHER,
            amount=20,
            ledger=1,
            code=1,
            flags=TransferFlags.PENDING,
            timeout=60,
        )
        [reserved] = await ledger.create_transfers([pending], durable=False)
        assert reserved.status is CreateTransferStatus.CREATED
        # Decided at once (the balance shows it) but not yet on disk, and no commit was started.
        [peer] = await ledger.lookup_accounts([PEER])
        assert peer.debits_pending == 20
        assert await _stored_transfers(database) == stored
        assert ledger.group_commits == commits
        post = Transfer(
            id=TransferId(702),
            pending_id=TransferId(701),
            flags=TransferFlags.POST_PENDING_TRANSFER,
        )
        [posted] = await ledger.create_transfers([post])
        assert posted.status is CreateTransferStatus.CREATED
        assert await _stored_transfers(database) == stored + 2
        assert ledger.group_commits == commits + 1  # the reservation and the post, one commit
    finally:
        await ledger.close()


async def test_deferred_changes_reach_the_disk_on_their_own(
    database: Database, clock: ManualClock
) -> None:
    ledger = await open_with_accounts(database, clock)
    try:
        stored = await _stored_transfers(database)
        await ledger.create_transfers([deposit(710, 5)], durable=False)
        for _ in range(100):
            if await _stored_transfers(database) == stored + 1:
                break
            await asyncio.sleep(0.01)
        assert await _stored_transfers(database) == stored + 1
    finally:
        await ledger.close()


async def test_tampered_balance_refuses_to_start(database: Database, clock: ManualClock) -> None:
    ledger = await open_with_accounts(database, clock)
    await ledger.create_transfers([deposit(10, 1_000)])
    await ledger.close()
    async with database.engine.begin() as connection:
        await connection.execute(
            update(ledger_accounts).where(ledger_accounts.c.id == PEER).values(credits_posted=9_999)
        )

    with pytest.raises(LedgerCorruptionError, match="stored balances disagree"):
        await EmbeddedLedger.open(database, clock=clock)


async def test_unreplayable_journal_refuses_to_start(
    database: Database, clock: ManualClock
) -> None:
    ledger = await open_with_accounts(database, clock)
    await ledger.create_transfers([deposit(10, 1_000)])
    await ledger.close()
    async with database.engine.begin() as connection:  # a transfer whose account vanished
        await connection.execute(text("DELETE FROM ledger_accounts WHERE code = 101"))

    with pytest.raises(LedgerCorruptionError, match="cannot be replayed"):
        await EmbeddedLedger.open(database, clock=clock)


async def test_pending_transfers_that_expired_while_down_are_released_at_start(
    database: Database, clock: ManualClock
) -> None:
    ledger = await open_with_accounts(database, clock)
    await ledger.create_transfers([deposit(10, 1_000)])
    withdrawal = Transfer(
        id=TransferId(20),
        debit_account_id=PEER,
        credit_account_id=SETTLEMENT,
        amount=400,
        ledger=1,
        code=3,
        flags=TransferFlags.PENDING,
        timeout=5,
    )
    await ledger.create_transfers([withdrawal])
    await ledger.close()
    clock.advance(6)

    reopened = await EmbeddedLedger.open(database, clock=clock)
    try:
        [peer] = await reopened.lookup_accounts([PEER])
        assert peer.debits_pending == 0
        assert peer.credits_posted - peer.debits_posted == 1_000
    finally:
        await reopened.close()
    # The expiry itself was made durable: a third start finds it in the journal.
    third = await EmbeddedLedger.open(database, clock=clock)
    try:
        assert len(third.engine.snapshot().expired) == 1
    finally:
        await third.close()


async def test_failed_commit_fails_closed_then_recovers_from_the_database(
    database: Database, clock: ManualClock
) -> None:
    ledger = await open_with_accounts(database, clock)
    await ledger.create_transfers([deposit(10, 1_000)])
    original = ledger._commit
    failures = 1

    async def failing_once(entries: list[JournalEntry], balances: list[Account]) -> None:
        nonlocal failures
        if failures:
            failures -= 1
            raise OSError("disk full")
        await original(entries, balances)

    ledger._commit = failing_once  # type: ignore[method-assign]
    try:
        with pytest.raises(LedgerUnavailableError, match="disk full"):
            await ledger.create_transfers([deposit(11, 500)])
        with pytest.raises(LedgerUnavailableError):
            await ledger.lookup_accounts([PEER])

        for _ in range(100):  # recovery rebuilds from what was committed
            await asyncio.sleep(0.05)
            try:
                [peer] = await ledger.lookup_accounts([PEER])
                break
            except LedgerUnavailableError:
                continue
        else:
            pytest.fail("the ledger did not recover")
        assert peer.credits_posted == 1_000  # the uncommitted deposit is gone, and was refused
        [result] = await ledger.create_transfers([deposit(11, 500)])
        assert result.status is CreateTransferStatus.CREATED
    finally:
        await ledger.close()
