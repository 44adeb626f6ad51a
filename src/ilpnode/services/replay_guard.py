"""The Admin API's signature replay guard, as a port, and its in-memory implementation.

Theory of operation. `SignedRequests` (admin/signed_requests.py) remembers every authentic
signature it accepts until the signature is past its time to live, and refuses one it has seen
before. With several node processes behind one Admin API address, "seen before" must mean "seen
by any of them": a request accepted by P1 and replayed to P2 is a replay. So the memory is a port,
`ReplayGuard`, whose `first_use` is atomic across every process that shares the store:

- `ilpnode.storage.replay_guard.SqlReplayGuard`, the node's database (the default; on PostgreSQL
  shared by every process, on SQLite it outlives a restart);
- `ilpnode.storage.redis_replay_guard.RedisReplayGuard`, Redis, when `REDIS_URL` is set;
- `MemoryReplayGuard` here, one process only: for tests and for callers with nothing to share.

A guard that cannot reach its store raises `ReplayGuardUnavailable`; the caller must then refuse
the request (fail closed), never run it unguarded.
"""

from __future__ import annotations

import heapq
from typing import Protocol

__all__ = ["MemoryReplayGuard", "ReplayGuard", "ReplayGuardUnavailable"]


class ReplayGuardUnavailable(Exception):
    """The guard's store cannot be reached; the message says which store and why (no secret)."""


class ReplayGuard(Protocol):
    """Signatures accepted so far, each kept until its expiry (Unix ms)."""

    async def first_use(self, key: str, *, expires_at_ms: int, now_ms: int) -> bool:
        """Record `key` until `expires_at_ms` and return True, or return False when it is
        recorded already and not expired (an entry counts until `expires_at_ms` inclusive).

        Atomic across everyone sharing the store: of concurrent first uses of one key exactly
        one returns True.

        Raises:
            ReplayGuardUnavailable: the store cannot be reached; nothing is known about `key`.
        """
        ...


class MemoryReplayGuard:
    """A `ReplayGuard` in this process's memory (one event loop; not shared, not thread-safe).

    Expired entries are dropped on every check, so the size is bounded by the number of keys
    recorded within one expiry window. `first_use` has no `await` inside, so two concurrent
    calls on one event loop cannot both win.
    """

    def __init__(self) -> None:
        self._expires_at: dict[str, int] = {}
        self._by_expiry: list[tuple[int, str]] = []

    def __len__(self) -> int:
        return len(self._expires_at)

    async def first_use(self, key: str, *, expires_at_ms: int, now_ms: int) -> bool:
        """See `ReplayGuard.first_use`; never raises."""
        while self._by_expiry and self._by_expiry[0][0] < now_ms:
            _, old = heapq.heappop(self._by_expiry)
            del self._expires_at[old]
        if key in self._expires_at:
            return False
        self._expires_at[key] = expires_at_ms
        heapq.heappush(self._by_expiry, (expires_at_ms, key))
        return True
