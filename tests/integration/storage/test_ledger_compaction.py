"""Compaction: the ledger log is replaced by a snapshot, atomically, and a start agrees."""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ilpnode.ledger import (
    Account,
    AccountFlags,
    AccountId,
    CreateTransferStatus,
    Transfer,
    TransferFlags,
    TransferId,
    check_invariants,
)
from ilpnode.storage.database import Database
from ilpnode.storage.ledger.embedded import EmbeddedLedger, LedgerUnavailableError
from ilpnode.storage.ledger.log_codec import decode_log
from ilpnode.storage.ledger.log_file import ledger_log_path
from ilpnode.storage.migrate import migrate
from tests.support import ManualClock, wait_until_available

SETTLEMENT, PEER, OTHER = AccountId(1), AccountId(2), AccountId(3)
PACKET, DEPOSIT, WITHDRAWAL = 1, 2, 3
SMALL = 4096  # bytes of frames after which the log is compacted, in these tests


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[Database]:
    db = Database(f"sqlite:///{tmp_path / 'ledger.sqlite3'}")
    await migrate(db)
    yield db
    await db.close()


def _log_path(database: Database) -> Path:
    assert database.sqlite_path is not None
    return ledger_log_path(database.sqlite_path)


async def _open(database: Database, clock: ManualClock) -> EmbeddedLedger:
    return await EmbeddedLedger.open(
        database, clock=clock, forget_codes=frozenset({PACKET}), compact_after_bytes=SMALL
    )


async def _accounts(ledger: EmbeddedLedger) -> None:
    results = await ledger.create_accounts(
        [
            Account(id=SETTLEMENT, ledger=1, code=101),
            Account(id=PEER, ledger=1, code=3, flags=AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS),
            Account(id=OTHER, ledger=1, code=3),
        ]
    )
    assert all(result.ok for result in results)


def _transfer(
    id_: int, amount: int, *, code: int, pending: bool = False, timeout: int = 0
) -> Transfer:
    debit, credit = (SETTLEMENT, PEER) if code == DEPOSIT else (PEER, OTHER)
    return Transfer(
        id=TransferId(id_),
        debit_account_id=debit,
        credit_account_id=credit,
        amount=amount,
        ledger=1,
        code=code,
        flags=TransferFlags.PENDING if pending else TransferFlags.NONE,
        timeout=timeout,
    )


def _post(id_: int, pending_id: int) -> Transfer:
    return Transfer(
        id=TransferId(id_),
        pending_id=TransferId(pending_id),
        flags=TransferFlags.POST_PENDING_TRANSFER,
    )


async def _packets(ledger: EmbeddedLedger, first_id: int, count: int) -> None:
    async def one(number: int) -> None:
        reservation = _transfer(first_id + 2 * number, 1, code=PACKET, pending=True, timeout=30)
        [reserved] = await ledger.create_transfers([reservation], durable=False)
        assert reserved.status is CreateTransferStatus.CREATED
        [posted] = await ledger.create_transfers([_post(first_id + 2 * number + 1, reservation.id)])
        assert posted.status is CreateTransferStatus.CREATED

    await asyncio.gather(*(one(number) for number in range(count)))


async def _fill_until_compaction_is_due(ledger: EmbeddedLedger) -> None:
    """Accounts, a deposit, then packets until the next commit compacts the log."""
    log = ledger.log
    assert log is not None
    await _accounts(ledger)
    await ledger.create_transfers([_transfer(10, 1_000_000, code=DEPOSIT)])
    first_id = 1_000
    while log.bytes_since_snapshot < SMALL:
        await _packets(ledger, first_id, 5)
        first_id += 10


async def test_the_log_is_compacted_and_a_start_rebuilds_the_same_ledger(
    database: Database,
) -> None:
    clock = ManualClock()
    ledger = await _open(database, clock)
    log = ledger.log
    assert log is not None
    try:
        await _accounts(ledger)
        await ledger.create_transfers([_transfer(10, 1_000_000, code=DEPOSIT)])
        held = _transfer(11, 50, code=WITHDRAWAL, pending=True, timeout=3600)
        await ledger.create_transfers([held])  # a pending withdrawal: live across snapshots
        for batch in range(10):
            await _packets(ledger, 1_000 + batch * 1_000, 40)
        assert log.compactions >= 2
        assert _log_path(database).stat().st_size < 3 * (1 << 20)  # header, snapshot, 1 MiB
        decoded = decode_log(_log_path(database).read_bytes())
        assert decoded.snapshot is not None
        assert {t.id for t in decoded.snapshot.transfers} == {10, 11}  # packets: forgotten
        live = ledger.engine.snapshot()
        assert check_invariants(ledger.engine) == []
    finally:
        await ledger.close()

    reopened = await _open(database, clock)
    try:
        assert reopened.engine.snapshot() == live
        [peer] = await reopened.lookup_accounts([PEER])
        assert (peer.debits_posted, peer.debits_pending) == (400, 50)
        [posted] = await reopened.create_transfers([_post(12, 11)])  # the withdrawal survived
        assert posted.status is CreateTransferStatus.CREATED
    finally:
        await reopened.close()


async def test_leftovers_of_a_compaction_cut_short_are_ignored_and_removed(
    database: Database,
) -> None:
    clock = ManualClock()
    ledger = await _open(database, clock)
    try:
        await _accounts(ledger)
        await ledger.create_transfers([_transfer(10, 500, code=DEPOSIT)])
        live = ledger.engine.snapshot()
    finally:
        await ledger.close()
    path = _log_path(database)
    new, old = path.with_name(path.name + ".new"), path.with_name(path.name + ".old")
    new.write_bytes(b"half a new log")  # killed while writing the new log
    old.write_bytes(path.read_bytes())  # killed between the rename and removing the link

    reopened = await _open(database, clock)
    try:
        assert reopened.engine.snapshot() == live
        assert not new.exists()
        assert not old.exists()
    finally:
        await reopened.close()


async def test_a_failed_directory_sync_puts_the_old_log_back_and_the_commit_fails(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = ManualClock()
    ledger = await _open(database, clock)
    log = ledger.log
    assert log is not None
    try:
        await _fill_until_compaction_is_due(ledger)
        before = _log_path(database).read_bytes()
        [peer] = await ledger.lookup_accounts([PEER])

        real_fsync = os.fsync

        def failing_for_directories(fd: int) -> None:
            # os.fsync itself, not log_file's helper around it: a compiled (mypyc) module
            # calls its own functions directly, past any patch of the module's attribute.
            if stat.S_ISDIR(os.fstat(fd).st_mode):
                raise OSError(5, "Input/output error")
            real_fsync(fd)

        monkeypatch.setattr(os, "fsync", failing_for_directories)
        with pytest.raises(LedgerUnavailableError, match="Input/output error"):
            await ledger.create_transfers([_transfer(20, 7, code=DEPOSIT)])
        assert _log_path(database).read_bytes() == before  # the old log is back
        monkeypatch.undo()
        await wait_until_available(ledger)
        [after] = await ledger.lookup_accounts([PEER])
        assert after.credits_posted == peer.credits_posted  # the failed deposit is not there
        [result] = await ledger.create_transfers([_transfer(20, 7, code=DEPOSIT)])
        assert result.status is CreateTransferStatus.CREATED  # and the next compaction works
        assert log.compactions >= 1
    finally:
        await ledger.close()


async def test_a_compaction_that_cannot_make_its_new_log_appends_instead(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = ManualClock()
    ledger = await _open(database, clock)
    log = ledger.log
    assert log is not None
    try:
        await _fill_until_compaction_is_due(ledger)

        def no_hard_links(source: object, target: object) -> None:
            raise PermissionError(1, "Operation not permitted")

        monkeypatch.setattr("ilpnode.storage.ledger.log_file.os.link", no_hard_links)
        [result] = await ledger.create_transfers([_transfer(20, 7, code=DEPOSIT)])
        assert result.status is CreateTransferStatus.CREATED  # the commit went on
        assert ledger.available
        assert log.compactions == 0
        path = _log_path(database)
        assert not path.with_name(path.name + ".new").exists()
        decoded = decode_log(path.read_bytes())
        assert decoded.snapshot is None
        assert TransferId(20) in {e.id for e in decoded.entries if isinstance(e, Transfer)}
        live = ledger.engine.snapshot()
    finally:
        await ledger.close()
    reopened = await _open(database, clock)
    try:
        assert reopened.engine.snapshot() == live
    finally:
        await reopened.close()
