"""Benchmark: the ledger under packet-shaped load (a pending transfer, then its post).

Run from the project root::

    python bench/ledger.py [--packets N] [--concurrency 1,10,100] [--postgres SERVER_URL]
                           [--rebuild-packets N]

Prints, for the pure in-memory engine and for the durable embedded ledger on SQLite
(its journal is the ledger log, fdatasynced per group commit: every acknowledged change is on
disk), packets per second (one packet =
one pending transfer + one post, each acknowledged only once durable), the latency of one packet
(p50/p99), and how many group commits the durable run took. With `--postgres`, the same for the
shared PostgreSQL ledger, in a throwaway database created on that server and dropped after (the
database named in the URL is only used to connect). Then a rebuild: a ledger log of
`--rebuild-packets` forwarded packets is written (compacted as the node compacts it), and the
time a start takes to load and replay it is printed, with how many transfers the rebuilt engine
still holds (a packet's are forgotten, as the node does: `forget_codes`), and the memory each
forwarded packet leaves behind (tracemalloc), with and without forgetting. Exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import secrets
import statistics
import tempfile
import time
import tracemalloc
from itertools import count
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from ilpnode import compiled

compiled.activate()  # a script: choose compiled or sources before the imports below

from ilpnode.clock import SystemClock  # noqa: E402
from ilpnode.ledger import (  # noqa: E402
    Account,
    AccountFlags,
    AccountId,
    CreateTransferStatus,
    LedgerEngine,
    Transfer,
    TransferFlags,
    TransferId,
)
from ilpnode.storage.database import Database  # noqa: E402
from ilpnode.storage.ledger.embedded import EmbeddedLedger  # noqa: E402
from ilpnode.storage.ledger.shared import PostgresLedger  # noqa: E402
from ilpnode.storage.migrate import migrate  # noqa: E402

SETTLEMENT, SOURCE, DESTINATION = AccountId(1), AccountId(2), AccountId(3)
ACCOUNTS = [
    Account(id=SETTLEMENT, ledger=1, code=101, flags=AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS),
    Account(id=SOURCE, ledger=1, code=3, flags=AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS),
    Account(id=DESTINATION, ledger=1, code=3, flags=AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS),
]
FUNDING = Transfer(
    id=TransferId(1),
    debit_account_id=SETTLEMENT,
    credit_account_id=SOURCE,
    amount=10**15,
    ledger=1,
    code=2,
)


def pending(transfer_id: int) -> Transfer:
    return Transfer(
        id=TransferId(transfer_id),
        debit_account_id=SOURCE,
        credit_account_id=DESTINATION,
        amount=1,
        ledger=1,
        code=1,
        flags=TransferFlags.PENDING,
        timeout=35,
    )


def post(transfer_id: int, pending_id: int) -> Transfer:
    return Transfer(
        id=TransferId(transfer_id),
        pending_id=TransferId(pending_id),
        flags=TransferFlags.POST_PENDING_TRANSFER,
    )


def bench_engine(packets: int) -> float:
    engine = LedgerEngine()
    clock = SystemClock()
    engine.create_accounts(ACCOUNTS, now=clock.now_ns())
    engine.create_transfers([FUNDING], now=clock.now_ns())
    started = time.perf_counter()
    for i in range(packets):
        engine.create_transfers([pending(10 + 2 * i)], now=clock.now_ns())
        engine.create_transfers([post(11 + 2 * i, 10 + 2 * i)], now=clock.now_ns())
        engine.drain_journal()
    return packets / (time.perf_counter() - started)


PACKET_CODES = frozenset({1})  # what the node forgets once resolved (bootstrap)


async def bench_durable(
    packets: int, concurrency: int, url: str, *, fsync: bool = True
) -> dict[str, float]:
    database = Database(url)
    await migrate(database)
    ledger: EmbeddedLedger | PostgresLedger
    if url.startswith("postgresql"):
        ledger = await PostgresLedger.open(database, clock=SystemClock())
    else:
        ledger = await EmbeddedLedger.open(
            database, clock=SystemClock(), fsync_every_commit=fsync, forget_codes=PACKET_CODES
        )
    await ledger.create_accounts(ACCOUNTS)
    await ledger.create_transfers([FUNDING])
    commits_before = ledger.group_commits if isinstance(ledger, EmbeddedLedger) else 0
    ids = count(1000, 2)
    latencies: list[float] = []

    async def worker(share: int) -> None:
        for _ in range(share):
            first = next(ids)
            began = time.perf_counter()
            [held] = await ledger.create_transfers([pending(first)])
            [done] = await ledger.create_transfers([post(first + 1, first)])
            latencies.append(time.perf_counter() - began)
            assert held.status is done.status is CreateTransferStatus.CREATED

    started = time.perf_counter()
    await asyncio.gather(*(worker(packets // concurrency) for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    commits = ledger.group_commits - commits_before if isinstance(ledger, EmbeddedLedger) else 0
    await ledger.close()
    await database.close()
    latencies.sort()
    return {
        "packets_per_second": len(latencies) / elapsed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
        "commits": commits,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--packets", type=int, default=5000)
    parser.add_argument("--concurrency", default="1,10,100")
    parser.add_argument("--postgres", metavar="SERVER_URL", help="also bench the shared ledger")
    parser.add_argument("--rebuild-packets", type=int, default=100_000)
    args = parser.parse_args()
    levels = [int(level) for level in args.concurrency.split(",")]

    print(f"pure engine (no I/O): {bench_engine(args.packets * 4):,.0f} packets/s")
    print()
    print(f"durable embedded ledger (ledger log, fdatasync per commit), {args.packets} packets")
    print(f"{'concurrency':>11} {'packets/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'commits':>8}")
    with tempfile.TemporaryDirectory() as directory:
        for level in levels:
            url = f"sqlite:///{Path(directory) / f'bench-{level}.sqlite3'}"
            print_row(level, asyncio.run(bench_durable(args.packets, level, url)))
    if args.postgres:
        print()
        print(f"shared PostgreSQL ledger (LEDGER_BACKEND=postgres), {args.packets} packets")
        print(f"{'concurrency':>11} {'packets/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'commits':>8}")
        for level in levels:
            print_row(level, asyncio.run(bench_postgres(args.packets, level, args.postgres)))
    if args.rebuild_packets:
        print()
        with tempfile.TemporaryDirectory() as directory:
            asyncio.run(bench_rebuild(args.rebuild_packets, Path(directory)))
            held = {
                forget: asyncio.run(bench_memory(20_000, Path(directory), forget=forget))
                for forget in (False, True)
            }
        print(
            f"memory held per forwarded packet (20,000 packets): {held[False]:,.0f} bytes"
            f" remembering every transfer, {held[True]:,.0f} forgetting resolved packets (the node)"
        )


async def bench_rebuild(packets: int, directory: Path) -> None:
    url = f"sqlite:///{directory / 'rebuild.sqlite3'}"
    await bench_durable(packets, 100, url, fsync=False)  # writes the log
    log = directory / "rebuild.sqlite3-ledger.log"
    database = Database(url)
    started = time.perf_counter()
    ledger = await EmbeddedLedger.open(database, clock=SystemClock(), forget_codes=PACKET_CODES)
    elapsed = time.perf_counter() - started
    held = len(ledger.engine.snapshot().transfers)
    await ledger.close()
    await database.close()
    print(
        f"rebuild after {packets:,} packets: {log.stat().st_size / 1e6:,.1f} MB of log (its"
        f" last snapshot and the frames after it) read and replayed in {elapsed:.2f} s;"
        f" transfers held after: {held}"
    )


async def bench_memory(packets: int, directory: Path, *, forget: bool) -> float:
    """Bytes of Python memory still held per packet after `packets` packets."""
    database = Database(f"sqlite:///{directory / f'memory-{forget}.sqlite3'}")
    await migrate(database)
    ledger = await EmbeddedLedger.open(
        database,
        clock=SystemClock(),
        fsync_every_commit=False,
        forget_codes=PACKET_CODES if forget else frozenset(),
    )
    await ledger.create_accounts(ACCOUNTS)
    await ledger.create_transfers([FUNDING])
    ids = count(1000, 2)

    async def packet() -> None:
        first = next(ids)
        await ledger.create_transfers([pending(first)], durable=False)
        await ledger.create_transfers([post(first + 1, first)])

    await asyncio.gather(*(packet() for _ in range(100)))  # warm up
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for _ in range(packets // 100):
        await asyncio.gather(*(packet() for _ in range(100)))
    await ledger.flush()
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    await ledger.close()
    await database.close()
    return held / packets


def print_row(level: int, result: dict[str, float]) -> None:
    commits = f"{result['commits']:>8,.0f}" if result["commits"] else f"{'-':>8}"
    print(
        f"{level:>11} {result['packets_per_second']:>10,.0f} {result['p50_ms']:>8.2f} "
        f"{result['p99_ms']:>8.2f} {commits}"
    )


async def bench_postgres(packets: int, concurrency: int, server_url: str) -> dict[str, float]:
    name = f"ilpnode_bench_{secrets.token_hex(4)}"
    await on_server(server_url, f'CREATE DATABASE "{name}"')
    try:
        url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
        return await bench_durable(packets, concurrency, url)
    finally:
        await on_server(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


async def on_server(server_url: str, sql: str) -> None:
    server = Database(server_url)
    try:
        async with server.engine.connect() as connection:
            connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text(sql))
    finally:
        await server.close()


if __name__ == "__main__":
    main()
