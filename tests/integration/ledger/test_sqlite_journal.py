"""The SQLite journal writer stores exactly the rows the SQLAlchemy writer stores."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from ilpnode.ledger import (
    Account,
    AccountFlags,
    AccountId,
    JournalEntry,
    LedgerEngine,
    Transfer,
    TransferFlags,
    TransferId,
)
from ilpnode.storage.database import Database
from ilpnode.storage.ledger_rows import insert_entries, update_balances
from ilpnode.storage.migrate import migrate
from ilpnode.storage.schema import ledger_accounts, ledger_expiries, ledger_transfers
from ilpnode.storage.sqlite_journal import SqliteJournal

BIG = 2**64 - 1  # u64 values above 2**63 take SQLite's two's-complement path
HUGE_ID = 2**128 - 2


def _groups() -> tuple[list[list[JournalEntry]], LedgerEngine]:
    engine = LedgerEngine()
    now = 1_800_000_000 * 10**9
    groups: list[list[JournalEntry]] = []
    engine.create_accounts(
        [
            Account(id=AccountId(1), ledger=1, code=101, user_data_64=BIG),
            Account(
                id=AccountId(HUGE_ID),
                ledger=1,
                code=3,
                flags=AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS,
                user_data_128=HUGE_ID,
            ),
        ],
        now=now,
    )
    groups.append(engine.drain_journal())
    deposit = Transfer(
        id=TransferId(10),
        debit_account_id=AccountId(1),
        credit_account_id=AccountId(HUGE_ID),
        amount=BIG - 5,
        ledger=1,
        code=2,
        user_data_64=BIG,
    )
    pending = Transfer(
        id=TransferId(HUGE_ID),
        debit_account_id=AccountId(HUGE_ID),
        credit_account_id=AccountId(1),
        amount=7,
        ledger=1,
        code=1,
        flags=TransferFlags.PENDING,
        timeout=1,
    )
    results = engine.create_transfers([deposit, pending], now=now + 1)
    assert all(r.ok for r in results), results
    groups.append(engine.drain_journal())
    engine.expire_pending(now=now + 10 * 10**9)
    groups.append(engine.drain_journal())
    return groups, engine


async def _rows(database: Database) -> list[list[tuple[object, ...]]]:
    async with database.engine.connect() as connection:
        tables = (ledger_accounts, ledger_transfers, ledger_expiries)
        return [
            [tuple(row) for row in await connection.execute(select(t).order_by(t.c.seq))]
            for t in tables
        ]


async def test_both_writers_store_identical_rows(tmp_path: Path) -> None:
    groups, engine = _groups()
    stores: dict[str, Database] = {}
    for name in ("alchemy", "stdlib"):
        database = Database(f"sqlite:///{tmp_path / name}.sqlite3")
        await migrate(database)
        stores[name] = database
    journal = SqliteJournal(str(tmp_path / "stdlib.sqlite3"))
    try:
        for entries in groups:
            created = {e.id for e in entries if isinstance(e, Account)}
            touched = engine.lookup_accounts([AccountId(1), AccountId(HUGE_ID)])
            new = {a.id: a for a in touched if a.id in created}
            existing = [a for a in touched if a.id not in created]
            await journal.commit(entries, new, existing)
            async with stores["alchemy"].engine.begin() as connection:
                await insert_entries(connection, ((e.timestamp, e) for e in entries), new)
                await update_balances(connection, existing)
        alchemy, stdlib = await _rows(stores["alchemy"]), await _rows(stores["stdlib"])
        assert stdlib == alchemy
        assert [len(rows) for rows in stdlib] == [2, 2, 1]
    finally:
        await journal.close()
        for database in stores.values():
            await database.close()


async def test_durability_setting_chooses_the_sync_mode(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'j.sqlite3'}")
    await migrate(database)
    await database.close()
    for fsync, mode in ((True, 2), (False, 1)):  # FULL, NORMAL
        journal = SqliteJournal(str(tmp_path / "j.sqlite3"), fsync_every_commit=fsync)
        try:
            await journal.commit([], {}, [])
            assert journal._connection is not None
            assert journal._connection.execute("PRAGMA synchronous").fetchone()[0] == mode
        finally:
            await journal.close()
