"""What the shared ledger's writer makes of a database error: a race lost (run the batch
again), a connection lost (`DatabaseUnavailable`: fail closed, reconnect), or a fault.
`shared_writer` explains what it does with each."""

from __future__ import annotations

from typing import Final

import asyncpg

from ilpnode.ledger import LedgerUnavailable

__all__ = [
    "RETRYABLE_SQLSTATES",
    "DatabaseUnavailable",
    "is_connection_failure",
    "is_outspent",
    "is_race",
    "unavailable",
]

# unique_violation, serialization_failure, deadlock_detected, and IL001 (an expiry the batch's
# read missed: migration 0006): a race lost, safe to re-run.
RETRYABLE_SQLSTATES: Final = frozenset({"23505", "40001", "40P01", "IL001"})
# A CHECK constraint refused an optimistic write: another process spent first (a race lost,
# run again under locks); refusing a write decided under locks, it is a fault.
_CHECK_VIOLATION: Final = "23514"
# Connection exception, operator intervention (shutdown, restart, cancelled statement).
_CONNECTION_CLASSES: Final = ("08", "57")
_CONNECTION_ERRORS: Final = (OSError, asyncpg.InterfaceError, TimeoutError)


class DatabaseUnavailable(LedgerUnavailable, ConnectionError):
    """The ledger's database connection failed or cannot be opened; the call did not run
    (or, if the connection broke during COMMIT, its outcome is unknown: `outcome_unknown`)."""


def _is_connection_state(error: BaseException) -> bool:
    return isinstance(error, asyncpg.PostgresError) and str(error.sqlstate).startswith(
        _CONNECTION_CLASSES
    )


def is_connection_failure(error: Exception) -> bool:
    """The connection is gone (or the server is going): nothing more can run on it."""
    return isinstance(error, _CONNECTION_ERRORS) or _is_connection_state(error)


def is_race(error: Exception) -> bool:
    """Another transaction got there first; the batch may be run again."""
    return isinstance(error, asyncpg.PostgresError) and error.sqlstate in RETRYABLE_SQLSTATES


def is_outspent(error: Exception) -> bool:
    """A CHECK constraint on the balances refused the write."""
    return isinstance(error, asyncpg.PostgresError) and error.sqlstate == _CHECK_VIOLATION


def unavailable(error: BaseException, *, committing: bool = False) -> DatabaseUnavailable:
    """`error` as the callers see it (a connection lost during COMMIT: outcome unknown)."""
    if isinstance(error, DatabaseUnavailable):
        return error
    if committing:
        return DatabaseUnavailable(
            f"the ledger database connection failed during COMMIT: {error}", outcome_unknown=True
        )
    return DatabaseUnavailable(f"the ledger database connection failed: {error}")
