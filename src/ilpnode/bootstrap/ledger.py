"""Opening the ledger: take its lock, migrate the database, open the configured backend.

The lock (`storage.ledger.lock`) comes first: with the embedded ledger this process is the only
one on its database; with the shared PostgreSQL ledger every process of the node holds it
shared. Losing it later is reported to `on_lost` (the node stops moving money).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from prometheus_client import CollectorRegistry

from ilpnode.accounting import TransferCode
from ilpnode.bootstrap.errors import StartupError
from ilpnode.clock import SystemClock
from ilpnode.config import Settings
from ilpnode.ledger import Account, Ledger, QuietBand
from ilpnode.storage.database import Database, redacted_url
from ilpnode.storage.ledger.embedded import EmbeddedLedger
from ilpnode.storage.ledger.lock import LedgerLock, LedgerLockHeld, lock_ledger
from ilpnode.storage.ledger.metrics import LedgerMetrics
from ilpnode.storage.ledger.shared import PostgresLedger
from ilpnode.storage.migrate import current_revision, migrate

__all__ = ["OpenLedger", "ledger_state", "lock_and_migrate", "open_ledger"]

logger = logging.getLogger("ilpnode")


class OpenLedger(Ledger, Protocol):
    """A ledger backend as the node holds it: the port plus its lifecycle."""

    async def expire_due(self) -> int: ...

    def watch_balances(
        self, watched: dict[int, QuietBand], report: Callable[[list[Account]], None]
    ) -> None: ...

    async def close(self) -> None: ...


async def lock_and_migrate(
    settings: Settings, database: Database, *, on_lost: Callable[[str], None]
) -> LedgerLock:
    """Take the ledger's lock, then bring the schema to the newest revision.

    Raises:
        StartupError: the database is unreachable, the migration failed (the lock is let go),
            or another process holds the ledger.
    """
    where = redacted_url(settings.database_url)
    lock: LedgerLock | None = None
    try:
        lock = await lock_ledger(
            database, shared=settings.ledger_backend == "postgres", on_lost=on_lost
        )
        await migrate(database)
    except LedgerLockHeld as error:
        raise StartupError(str(error)) from None
    except Exception as error:
        if lock is not None:
            await lock.release()
        raise StartupError(f"cannot migrate the database at {where}: {error}") from error
    logger.info("database %s at schema revision %s", where, await current_revision(database))
    return lock


async def open_ledger(
    settings: Settings, database: Database, *, clock: SystemClock, registry: CollectorRegistry
) -> OpenLedger:
    """The configured backend, open (the embedded one rebuilt from its journal, its metrics
    registered).

    Raises:
        StartupError: the ledger cannot be opened or rebuilt.
    """
    ledger: OpenLedger
    try:
        if settings.ledger_backend == "postgres":
            ledger = await PostgresLedger.open(database, clock=clock)
        else:
            embedded = await EmbeddedLedger.open(
                database,
                clock=clock,
                fsync_every_commit=settings.ledger_durability == "power-loss",
                # A packet's legs are never looked up once resolved: memory stays bounded.
                forget_codes=frozenset({TransferCode.TRANSFER}),
            )
            registry.register(LedgerMetrics(embedded))
            ledger = embedded
    except Exception as error:
        raise StartupError(f"cannot open the ledger: {error}") from error
    logger.info("ledger ready (%s backend)", settings.ledger_backend)
    return ledger


def ledger_state(ledger: OpenLedger | None, *, lock_lost: bool) -> str:
    """The ledger's line in /healthz: ok, starting, recovering or lock lost."""
    if lock_lost:
        return "lock lost"
    if ledger is None:
        return "starting"
    if isinstance(ledger, EmbeddedLedger) and not ledger.available:
        return "recovering"
    return "ok"
