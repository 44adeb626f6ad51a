"""Child process for the crash test: applies transfers under load until it is killed.

Usage: python -m tests.e2e.ledger_crash_worker DATABASE_URL ID_BASE [COMPACT_AFTER_BYTES]

A SQLite URL runs the embedded ledger; with COMPACT_AFTER_BYTES (small), its ledger log is
compacted every few commits, so that kills land in compactions too. A PostgreSQL URL runs the
shared ledger (`PostgresLedger`), whose 16 workers' calls meet in group commits.

After each transfer is durable (the ledger call returned) it prints `durable <id>` and flushes,
so the parent knows exactly which transfers a crash must not lose.
"""

from __future__ import annotations

import asyncio
import random
import sys

from ilpnode import compiled

compiled.activate()  # a process of its own: choose compiled or sources before the imports below

from ilpnode.clock import SystemClock  # noqa: E402
from ilpnode.ledger import (  # noqa: E402
    Account,
    AccountFlags,
    AccountId,
    Ledger,
    Transfer,
    TransferFlags,
    TransferId,
)
from ilpnode.storage.database import Database  # noqa: E402
from ilpnode.storage.ledger.embedded import EmbeddedLedger  # noqa: E402
from ilpnode.storage.ledger.shared import PostgresLedger  # noqa: E402
from ilpnode.storage.migrate import migrate  # noqa: E402

SETTLEMENT = AccountId(1)
PEERS = [AccountId(10 + i) for i in range(4)]
WORKERS = 16


def report(transfer_id: int) -> None:
    sys.stdout.write(f"durable {transfer_id}\n")
    sys.stdout.flush()


async def work(ledger: Ledger, next_id: list[int], rng: random.Random) -> None:
    while True:
        next_id[0] += 2
        first = TransferId(next_id[0])
        source, destination = rng.sample(PEERS, 2)
        choice = rng.random()
        if choice < 0.3:  # deposit
            batch = [
                Transfer(
                    id=first,
                    debit_account_id=SETTLEMENT,
                    credit_account_id=source,
                    amount=rng.randint(1, 50),
                    ledger=1,
                    code=2,
                )
            ]
        elif choice < 0.6:  # a packet: pending, then post or void
            batch = [
                Transfer(
                    id=first,
                    debit_account_id=source,
                    credit_account_id=destination,
                    amount=rng.randint(1, 20),
                    ledger=1,
                    code=1,
                    flags=TransferFlags.PENDING,
                    timeout=rng.choice([0, 1, 30]),
                )
            ]
        else:  # a plain transfer that may exceed the credit line
            batch = [
                Transfer(
                    id=first,
                    debit_account_id=source,
                    credit_account_id=destination,
                    amount=rng.randint(1, 30),
                    ledger=1,
                    code=1,
                )
            ]
        [result] = await ledger.create_transfers(batch)
        if result.ok:
            report(first)
        if result.ok and batch[0].flags & TransferFlags.PENDING:
            flag = rng.choice(
                [TransferFlags.POST_PENDING_TRANSFER, TransferFlags.VOID_PENDING_TRANSFER]
            )
            resolve = Transfer(id=TransferId(first + 1), pending_id=first, flags=flag)
            [resolved] = await ledger.create_transfers([resolve])
            if resolved.ok:
                report(first + 1)


async def main(url: str, id_base: int, compact_after_bytes: int | None) -> None:
    database = Database(url)
    await migrate(database)
    ledger: Ledger
    if not database.is_sqlite:
        ledger = await PostgresLedger.open(database, clock=SystemClock())
    elif compact_after_bytes is None:
        ledger = await EmbeddedLedger.open(database, clock=SystemClock())
    else:
        ledger = await EmbeddedLedger.open(
            database, clock=SystemClock(), compact_after_bytes=compact_after_bytes
        )
    await ledger.create_accounts(
        [
            Account(
                id=SETTLEMENT, ledger=1, code=101, flags=AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS
            )
        ]
        + [
            Account(id=peer, ledger=1, code=3, flags=AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS)
            for peer in PEERS
        ]
    )
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    rng = random.Random(id_base)
    counters = [[id_base + worker * 1_000_000] for worker in range(WORKERS)]
    await asyncio.gather(*(work(ledger, counters[i], rng) for i in range(WORKERS)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if sys.argv[3:] else None))
