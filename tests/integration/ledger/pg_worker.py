"""Child process for the two-process test: spends one credit line as fast as it can.

Usage: python tests/integration/ledger/pg_worker.py DATABASE_URL ID_BASE COUNT (by path, with
the project root on PYTHONPATH: `-m` would import this package before `compiled.activate()`)

Opens a `PostgresLedger` on the (migrated) database, prints `ready`, waits for a line on stdin
(so that both processes start together), then submits COUNT transfers of 1 unit from PEER to
OTHER at once, ids ID_BASE, ID_BASE + 1, …, every other one pending (a reservation spends the
credit line as well). Prints one line of JSON: how many transfers got each status.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter

from ilpnode import compiled

compiled.activate()  # a process of its own: choose compiled or sources before the imports below

from ilpnode.clock import SystemClock  # noqa: E402
from ilpnode.ledger import TransferFlags  # noqa: E402
from ilpnode.storage.database import Database  # noqa: E402
from ilpnode.storage.ledger.shared import PostgresLedger  # noqa: E402
from tests.integration.ledger import OTHER, PEER  # noqa: E402
from tests.unit.ledger.builders import transfer  # noqa: E402


async def main(url: str, id_base: int, count: int) -> None:
    database = Database(url)
    ledger = await PostgresLedger.open(database, clock=SystemClock(), sweep_interval_seconds=None)
    try:
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        batches = [
            [
                transfer(
                    id_base + i,
                    PEER,
                    OTHER,
                    1,
                    flags=TransferFlags.PENDING if i % 2 else TransferFlags.NONE,
                )
            ]
            for i in range(count)
        ]
        results = await asyncio.gather(*(ledger.create_transfers(batch) for batch in batches))
        counts = Counter(result.status.name for [result] in results)
        sys.stdout.write(json.dumps(dict(counts)) + "\n")
        sys.stdout.flush()
    finally:
        await ledger.close()
        await database.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
