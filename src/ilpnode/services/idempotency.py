"""Idempotency keys for Admin API mutations (rafiki-peering §2.3), as a port and its values.

Theory of operation. A mutation carrying `idempotencyKey` first *claims* the key:

- no live record: a record is written with no result and a lock deadline (`Claimed`); the
  mutation runs; on success its result is stored (`complete`), on failure the record is removed
  (`release`), so a retry runs again (Rafiki caches only successes);
- a record with no result whose lock has not passed: another request holds the key (`Busy`);
- a record with a result, same operation and arguments: the stored result is replayed (`Replay`);
- a record with a result for other arguments or another operation: refused (`Mismatch`).

A record whose lock passed without a result (its process died mid-mutation) or whose time to live
passed is dead and may be claimed again. Records live in the database, not in process memory,
so replays survive a restart and hold across processes sharing one PostgreSQL database.
Arguments are compared as canonical JSON strings, so key order does not matter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final, Protocol, TypeAlias

__all__ = [
    "LOCK_DURATION",
    "TIME_TO_LIVE",
    "Busy",
    "Claim",
    "Claimed",
    "IdempotencyStore",
    "Mismatch",
    "Replay",
]

LOCK_DURATION: Final = timedelta(seconds=2)  # Rafiki's GRAPHQL_IDEMPOTENCY_KEY_LOCK_MS
TIME_TO_LIVE: Final = timedelta(days=1)  # Rafiki's GRAPHQL_IDEMPOTENCY_KEY_TTL_MS


@dataclass(frozen=True, slots=True)
class Claimed:
    """The key is ours: run the mutation, then `complete` or `release`."""


@dataclass(frozen=True, slots=True)
class Busy:
    """Another request holds the key right now."""


@dataclass(frozen=True, slots=True)
class Replay:
    """The same request succeeded before: answer `result` (the stored JSON text) again."""

    result: str


@dataclass(frozen=True, slots=True)
class Mismatch:
    """The key was used for another operation or other arguments."""


Claim: TypeAlias = Claimed | Busy | Replay | Mismatch


class IdempotencyStore(Protocol):
    """Durable idempotency records (implemented by `ilpnode.storage.idempotency_store`)."""

    async def claim(self, key: str, operation: str, arguments: str, *, now: datetime) -> Claim:
        """Claim `key` for `operation` with `arguments` (canonical JSON), atomically: of two
        concurrent claims of a free key exactly one gets `Claimed`. The lock lasts until
        `now + LOCK_DURATION`, the record until `now + TIME_TO_LIVE`."""
        ...

    async def complete(self, key: str, result: str) -> None:
        """Store the successful `result` (JSON text) of the claimed key and unlock it."""
        ...

    async def release(self, key: str) -> None:
        """Forget a claimed key whose mutation failed (a record with a result is kept)."""
        ...
