"""The embedded ledger's own promises: group commit, restart, corruption checks, fail-closed."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from ilpnode.ledger import (
    Account,
    AccountFlags,
    AccountId,
    CreateTransferStatus,
    JournalEntry,
    LedgerEngine,
    Transfer,
    TransferFlags,
    TransferId,
    check_invariants,
)
from ilpnode.storage.database import Database
from ilpnode.storage.ledger.embedded import (
    EmbeddedLedger,
    LedgerCorruptionError,
    LedgerUnavailableError,
)
from ilpnode.storage.ledger.expiry_sweep import SWEEP_INTERVAL_SECONDS_MAX
from ilpnode.storage.ledger.log_codec import FILE_HEADER, decode_log, encode_frame
from ilpnode.storage.ledger.log_file import ledger_log_path
from ilpnode.storage.ledger.rows import insert_entries
from ilpnode.storage.migrate import migrate
from ilpnode.storage.schema.ledger import ledger_accounts, ledger_expiries, ledger_transfers
from tests.support import ManualClock, wait_until_available
from tests.unit.ledger import builders

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


def reservation(transfer_id: int) -> Transfer:
    """A packet's reservation of 1 from PEER to OTHER, held for a minute."""
    return builders.pending(transfer_id, PEER, OTHER, 1, timeout=60)


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
    pending = builders.pending(11, PEER, OTHER, 300, timeout=60)
    await ledger.create_transfers([pending])
    before = ledger.engine.snapshot()
    await ledger.close()

    reopened = await EmbeddedLedger.open(database, clock=clock)
    try:
        assert reopened.engine.snapshot() == before
        post = builders.post(12, 11)
        [result] = await reopened.create_transfers([post])
        assert result.status is CreateTransferStatus.CREATED
        [peer] = await reopened.lookup_accounts([PEER])
        assert (peer.debits_posted, peer.debits_pending) == (300, 0)
    finally:
        await reopened.close()


async def test_the_log_replays_to_the_engine_state_after_every_commit(
    database: Database, clock: ManualClock
) -> None:
    ledger = await open_with_accounts(database, clock)
    await asyncio.gather(*(ledger.create_transfers([deposit(100 + i, i + 1)]) for i in range(50)))
    try:
        replayed = LedgerEngine.replay(_logged(database))
        assert replayed.snapshot() == ledger.engine.snapshot()
        [peer] = replayed.lookup_accounts([PEER])
        assert peer.credits_posted == sum(range(1, 51))
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
        assert _stored_transfers(database) == 200
        commits = ledger.group_commits - commits_before
        assert 1 <= commits < 200  # grouped: far fewer commits than transfers
    finally:
        await ledger.close()


def _log_file(database: Database) -> Path:
    assert database.sqlite_path is not None
    return ledger_log_path(database.sqlite_path)


def _logged(database: Database) -> list[JournalEntry]:
    return decode_log(_log_file(database).read_bytes()).entries


def _stored_transfers(database: Database) -> int:
    return sum(isinstance(entry, Transfer) for entry in _logged(database))


async def _stored_within_a_second(database: Database, count: int) -> bool:
    """Whether the log holds `count` transfers within a second (deferred writes, flushed by
    the ledger's timer on their own)."""
    for _ in range(100):
        if _stored_transfers(database) == count:
            return True
        await asyncio.sleep(0.01)
    return _stored_transfers(database) == count


def _flush_armed(ledger: EmbeddedLedger) -> bool:
    return ledger._deferred_flush is not None and ledger._deferred_flush.armed


async def test_deferred_changes_ride_in_the_next_durable_group(
    database: Database, clock: ManualClock
) -> None:
    ledger = await open_with_accounts(database, clock)
    try:
        await ledger.create_transfers([deposit(700, 50)])
        stored = _stored_transfers(database)
        commits = ledger.group_commits
        pending = builders.pending(701, PEER, OTHER, 20, timeout=60)
        [reserved] = await ledger.create_transfers([pending], durable=False)
        assert reserved.status is CreateTransferStatus.CREATED
        # Decided at once (the balance shows it) but not yet on disk, and no commit was started.
        [peer] = await ledger.lookup_accounts([PEER])
        assert peer.debits_pending == 20
        assert _stored_transfers(database) == stored
        assert ledger.group_commits == commits
        post = builders.post(702, 701)
        [posted] = await ledger.create_transfers([post])
        assert posted.status is CreateTransferStatus.CREATED
        assert _stored_transfers(database) == stored + 2
        assert ledger.group_commits == commits + 1  # the reservation and the post, one commit
        # Nothing else was held: the reservation's flush timer went with the group.
        assert ledger._deferred_flush is not None
        assert not ledger._deferred_flush.armed
    finally:
        await ledger.close()


async def test_under_load_a_group_leaves_the_flush_timer_for_later_deferred_changes(
    database: Database, clock: ManualClock
) -> None:
    ledger = await open_with_accounts(database, clock)
    try:
        await ledger.create_transfers([deposit(720, 50)])
        held = builders.pending(719, PEER, OTHER, 5, timeout=60)  # another packet in flight
        await ledger.create_transfers([held], durable=False)
        rejected = builders.pending(721, PEER, OTHER, 5, timeout=60)
        await ledger.create_transfers([rejected], durable=False)
        await ledger.create_transfers([builders.void(724, 721)], durable=False)  # arms it
        fulfilled = builders.pending(725, PEER, OTHER, 5, timeout=60)
        await ledger.create_transfers([fulfilled], durable=False)
        await ledger.create_transfers([builders.post(722, 725)])  # takes them all
        timer = ledger._deferred_flush
        assert timer is not None
        assert timer.armed  # kept (cleared), not made again for the next deferred change
        stored = _stored_transfers(database)
        later = builders.void(723, 719)  # the other packet was rejected
        await ledger.create_transfers([later], durable=False)
        # Flushed on its own, by the same timer moved on.
        assert await _stored_within_a_second(database, stored + 1)
    finally:
        await ledger.close()


async def test_a_reservation_waits_for_its_resolution_which_carries_it_to_disk(
    database: Database, clock: ManualClock
) -> None:
    """A reservation alone arms no flush timer: its post's durable group carries it, or the
    expiry sweep's (within a second); a void arms one, so a rejected packet's entries reach the
    disk on their own within DEFERRED_FLUSH_SECONDS."""
    ledger = await open_with_accounts(database, clock)
    try:
        await ledger.create_transfers([deposit(730, 50)])
        stored = _stored_transfers(database)
        pending = builders.pending(731, PEER, OTHER, 5, timeout=60)
        [reserved] = await ledger.create_transfers([pending], durable=False)
        assert reserved.status is CreateTransferStatus.CREATED
        assert not _flush_armed(ledger)
        assert _stored_transfers(database) == stored
        deadline = asyncio.get_running_loop().time() + 2 * SWEEP_INTERVAL_SECONDS_MAX
        while _stored_transfers(database) == stored:  # the sweep's durable call takes it
            assert asyncio.get_running_loop().time() < deadline
            await asyncio.sleep(0.01)
        assert _stored_transfers(database) == stored + 1

        await ledger.create_transfers([builders.void(732, 731)], durable=False)

        assert _flush_armed(ledger)
        assert await _stored_within_a_second(database, stored + 2)
    finally:
        await ledger.close()


async def test_an_expiry_carries_its_reservation_to_disk(
    database: Database, clock: ManualClock
) -> None:
    ledger = await open_with_accounts(database, clock)
    try:
        await ledger.create_transfers([deposit(740, 50)])
        stored = _stored_transfers(database)
        pending = builders.pending(741, PEER, OTHER, 5, timeout=1)
        await ledger.create_transfers([pending], durable=False)
        clock.advance(2)

        assert await ledger.expire_due() == 1

        assert _stored_transfers(database) == stored + 1  # the reservation; its expiry too
        [peer] = await ledger.lookup_accounts([PEER])
        assert peer.debits_pending == 0
    finally:
        await ledger.close()


async def test_deferred_changes_reach_the_disk_on_their_own(
    database: Database, clock: ManualClock
) -> None:
    ledger = await open_with_accounts(database, clock)
    try:
        stored = _stored_transfers(database)
        await ledger.create_transfers([deposit(710, 5)], durable=False)
        assert await _stored_within_a_second(database, stored + 1)
    finally:
        await ledger.close()


async def test_a_log_damaged_before_its_end_refuses_to_start(
    database: Database, clock: ManualClock
) -> None:
    ledger = await open_with_accounts(database, clock)
    await ledger.create_transfers([deposit(10, 1_000)])
    await ledger.close()
    data = bytearray(_log_file(database).read_bytes())
    data[len(FILE_HEADER) + 30] ^= 0x01  # inside the first frame (the accounts)
    _log_file(database).write_bytes(bytes(data))

    with pytest.raises(LedgerCorruptionError, match="is damaged"):
        await EmbeddedLedger.open(database, clock=clock)


async def test_a_torn_last_write_is_cut_off_and_the_log_goes_on(
    database: Database, clock: ManualClock, caplog: pytest.LogCaptureFixture
) -> None:
    ledger = await open_with_accounts(database, clock)
    await ledger.create_transfers([deposit(10, 1_000)])
    await ledger.close()
    whole = _log_file(database).read_bytes()
    good_end = decode_log(whole).good_end
    assert whole[good_end:] == bytes(len(whole) - good_end)  # preallocated zeros follow
    frame = encode_frame([deposit(11, 5)])
    torn = frame[: len(frame) // 2]  # a crash in the middle of a write
    _log_file(database).write_bytes(whole[:good_end] + torn + whole[good_end + len(torn) :])

    reopened = await EmbeddedLedger.open(database, clock=clock)
    try:
        assert f"cut off {len(torn.rstrip(bytes(1)))} bytes" in caplog.text
        [peer] = await reopened.lookup_accounts([PEER])
        assert peer.credits_posted == 1_000
        [result] = await reopened.create_transfers([deposit(12, 7)])
        assert result.status is CreateTransferStatus.CREATED
    finally:
        await reopened.close()
    assert _stored_transfers(database) == 2  # the torn frame is gone, the new one follows


async def test_an_unreplayable_log_refuses_to_start(database: Database, clock: ManualClock) -> None:
    ledger = await open_with_accounts(database, clock)
    await ledger.close()
    stray = Transfer(  # a transfer between accounts that were never created
        id=TransferId(10),
        debit_account_id=AccountId(77),
        credit_account_id=AccountId(78),
        amount=5,
        ledger=1,
        code=2,
        timestamp=clock.now_ns(),
    )
    whole = _log_file(database).read_bytes()
    good_end = decode_log(whole).good_end
    frame = encode_frame([stray])  # written where the next frame goes, over the padding
    _log_file(database).write_bytes(whole[:good_end] + frame + whole[good_end + len(frame) :])

    with pytest.raises(LedgerCorruptionError, match="cannot be replayed"):
        await EmbeddedLedger.open(database, clock=clock)


async def _write_rows_as_before_the_log(database: Database, clock: ManualClock) -> LedgerEngine:
    """A database from before the ledger log: its journal and balances are SQL rows."""
    engine = LedgerEngine()
    engine.create_accounts(
        [
            Account(id=SETTLEMENT, ledger=1, code=101),
            Account(id=PEER, ledger=1, code=3, flags=AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS),
            Account(id=OTHER, ledger=1, code=3),
        ],
        now=clock.now_ns(),
    )
    accounts = engine.drain_journal()
    assert all(r.ok for r in engine.create_transfers([deposit(10, 1_000)], now=clock.now_ns()))
    transfers = engine.drain_journal()
    balances = engine.lookup_accounts([SETTLEMENT, PEER, OTHER])
    async with database.engine.begin() as connection:
        entries = accounts + transfers
        new = {account.id: account for account in balances}
        await insert_entries(connection, ((entry.timestamp, entry) for entry in entries), new)
    return engine


async def test_rows_from_before_the_log_are_moved_into_the_log_once(
    database: Database, clock: ManualClock
) -> None:
    engine = await _write_rows_as_before_the_log(database, clock)
    clock.advance(1)
    ledger = await EmbeddedLedger.open(database, clock=clock)
    assert ledger.engine.snapshot() == engine.snapshot()
    assert await _journal_rows(database) == 0  # moved: the log's snapshot holds them now
    decoded = decode_log(_log_file(database).read_bytes())
    assert decoded.snapshot is not None
    assert {t.id for t in decoded.snapshot.transfers} == {TransferId(10)}
    await ledger.create_transfers([deposit(11, 500)])
    await ledger.close()

    reopened = await EmbeddedLedger.open(database, clock=clock)
    try:
        [peer] = await reopened.lookup_accounts([PEER])
        assert peer.credits_posted == 1_500
        assert _stored_transfers(database) == 1  # only the new one went to the log
    finally:
        await reopened.close()


async def test_rows_left_beside_a_log_that_holds_them_are_deleted_not_replayed_again(
    database: Database, clock: ManualClock
) -> None:
    """A crash after the rows were moved into the log's snapshot, before they were deleted."""
    await _write_rows_as_before_the_log(database, clock)
    clock.advance(1)
    ledger = await EmbeddedLedger.open(database, clock=clock)
    await ledger.close()
    await _write_rows_as_before_the_log(database, clock)  # the same rows, back

    reopened = await EmbeddedLedger.open(database, clock=clock)
    try:
        [peer] = await reopened.lookup_accounts([PEER])
        assert peer.credits_posted == 1_000  # once, from the snapshot
        assert await _journal_rows(database) == 0
    finally:
        await reopened.close()


async def _journal_rows(database: Database) -> int:
    async with database.engine.connect() as connection:
        counts = [
            await connection.scalar(select(func.count()).select_from(table))
            for table in (ledger_accounts, ledger_transfers, ledger_expiries)
        ]
    return sum(count or 0 for count in counts)


async def test_rows_from_before_the_log_with_a_tampered_balance_refuse_to_start(
    database: Database, clock: ManualClock
) -> None:
    await _write_rows_as_before_the_log(database, clock)
    async with database.engine.begin() as connection:
        await connection.execute(
            update(ledger_accounts).where(ledger_accounts.c.id == PEER).values(credits_posted=9_999)
        )

    with pytest.raises(LedgerCorruptionError, match="stored balances disagree"):
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
    database: Database, clock: ManualClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = await open_with_accounts(database, clock)
    await ledger.create_transfers([deposit(10, 1_000)])
    original = os.pwrite
    failures = 1

    def failing_once(fd: int, data: bytes | memoryview, offset: int) -> int:
        # The log's write, at the os call: a compiled (mypyc) ledger calls its own methods
        # directly, past any patch of them.
        nonlocal failures
        if failures:
            failures -= 1
            raise OSError(28, "No space left on device (disk full)")
        return original(fd, data, offset)

    monkeypatch.setattr(os, "pwrite", failing_once)
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


async def test_a_failed_sync_leaves_the_log_as_it_was_and_the_ledger_recovers(
    database: Database, clock: ManualClock
) -> None:
    ledger = await open_with_accounts(database, clock)
    await ledger.create_transfers([deposit(10, 1_000)])
    size = _log_file(database).stat().st_size
    log = ledger.log
    assert log is not None
    assert log._sync is not None
    os.kill(log._sync.pid, signal.SIGKILL)  # the sync process dies: nothing more is durable
    await asyncio.sleep(0.1)
    try:
        # A reservation held, as under traffic: the next group is not alone, so it is synced by
        # the sync process (a lone one is synced in the write itself, without it).
        await ledger.create_transfers([reservation(12)], durable=False)
        with pytest.raises(LedgerUnavailableError, match="sync process"):
            await ledger.create_transfers([deposit(11, 500)])
        assert _log_file(database).stat().st_size == size  # the frame was cut off again
        await wait_until_available(ledger)
        [peer] = await ledger.lookup_accounts([PEER])
        assert peer.credits_posted == 1_000  # the refused deposit is not there
        [result] = await ledger.create_transfers([deposit(11, 500)])  # durable again
        assert result.status is CreateTransferStatus.CREATED
        assert await ledger.lookup_transfers([TransferId(12)]) == []  # cut off with its group
    finally:
        await ledger.close()
    assert _stored_transfers(database) == 2


@pytest.mark.parametrize("fsync_every_commit", [True, False])
async def test_the_durability_setting_decides_whether_commits_are_synced(
    tmp_path: Path, clock: ManualClock, fsync_every_commit: bool
) -> None:
    db = Database(f"sqlite:///{tmp_path / 'durability.sqlite3'}")
    await migrate(db)
    ledger = await EmbeddedLedger.open(db, clock=clock, fsync_every_commit=fsync_every_commit)
    try:
        log = ledger.log
        assert log is not None
        await ledger.create_accounts([Account(id=SETTLEMENT, ledger=1, code=101)])
        await ledger.create_accounts([Account(id=PEER, ledger=1, code=3)])
        assert log.syncs == (2 if fsync_every_commit else 0)
        assert _stored_accounts(db) == 2  # written either way: it survives the process dying
    finally:
        await ledger.close()
        await db.close()


def _stored_accounts(database: Database) -> int:
    return sum(isinstance(entry, Account) for entry in _logged(database))


async def test_resolved_packet_transfers_leave_memory_and_a_rebuild_agrees(
    database: Database, clock: ManualClock
) -> None:
    packet_code = 1
    ledger = await EmbeddedLedger.open(database, clock=clock, forget_codes=frozenset({packet_code}))
    results = await ledger.create_accounts(
        [
            Account(id=SETTLEMENT, ledger=1, code=101),
            Account(id=PEER, ledger=1, code=3, flags=AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS),
            Account(id=OTHER, ledger=1, code=3),
        ]
    )
    assert all(result.ok for result in results)
    await ledger.create_transfers([deposit(10, 10_000)])  # code 2: kept

    async def packet(number: int, *, fulfilled: bool) -> None:
        reservation = builders.transfer(
            1_000 + 2 * number,
            PEER,
            OTHER,
            number,
            flags=TransferFlags.PENDING,
            timeout=30,
            code=packet_code,
        )
        [reserved] = await ledger.create_transfers([reservation], durable=False)
        assert reserved.status is CreateTransferStatus.CREATED
        flag = (
            TransferFlags.POST_PENDING_TRANSFER
            if fulfilled
            else TransferFlags.VOID_PENDING_TRANSFER
        )
        resolve = Transfer(id=TransferId(1_001 + 2 * number), pending_id=reservation.id, flags=flag)
        [resolved] = await ledger.create_transfers([resolve], durable=fulfilled)
        assert resolved.status is CreateTransferStatus.CREATED

    try:
        await asyncio.gather(*(packet(n, fulfilled=n % 4 != 0) for n in range(1, 101)))
        await ledger.flush()
        await ledger.create_transfers([deposit(11, 1)])  # a group after the last voids
        posted = sum(n for n in range(1, 101) if n % 4 != 0)
        [peer, other] = await ledger.lookup_accounts([PEER, OTHER])
        assert (peer.debits_posted, other.credits_posted) == (posted, posted)
        snapshot = ledger.engine.snapshot()
        assert [t.id for t in snapshot.transfers] == [10, 11]  # only the deposits are held
        assert check_invariants(ledger.engine) == []
        assert len([e for e in _logged(database) if isinstance(e, Transfer)]) == 202  # all logged
    finally:
        await ledger.close()

    reopened = await EmbeddedLedger.open(database, clock=clock, forget_codes=frozenset({1}))
    try:
        assert reopened.engine.snapshot() == snapshot
    finally:
        await reopened.close()
    remembering = await EmbeddedLedger.open(database, clock=clock)  # forgets nothing
    try:
        assert len(remembering.engine.snapshot().transfers) == 202
        [peer] = await remembering.lookup_accounts([PEER])
        assert peer.debits_posted == posted
    finally:
        await remembering.close()


async def test_a_lone_group_is_synced_without_the_sync_process(
    database: Database, clock: ManualClock
) -> None:
    ledger = await open_with_accounts(database, clock)
    log = ledger.log
    assert log is not None
    assert log._sync is not None
    helper = log._sync._process
    helper.send_signal(signal.SIGSTOP)  # it could answer nothing now
    try:
        [alone] = await asyncio.wait_for(ledger.create_transfers([deposit(20, 5)]), 10)
        assert alone.status is CreateTransferStatus.CREATED
        # With a reservation held (traffic), the group goes to the sync process: it waits.
        await ledger.create_transfers([reservation(21)], durable=False)
        waiting = asyncio.ensure_future(ledger.create_transfers([deposit(22, 5)]))
        await asyncio.sleep(0.3)
        assert not waiting.done()
        helper.send_signal(signal.SIGCONT)
        [together] = await asyncio.wait_for(waiting, 10)
        assert together.status is CreateTransferStatus.CREATED
    finally:
        helper.send_signal(signal.SIGCONT)
        await ledger.close()
    assert _stored_transfers(database) == 3
