"""Packets per second per incoming peer: a token bucket; an empty bucket is T05.

Each peer's bucket holds up to `burst` tokens and refills continuously at `packets_per_second`
(the time since the last packet, however short, counts: Rafiki's bucket rounds each short gap
down to nothing and so never refills under steady load). One token per packet. Buckets live in
memory, per process, and start full.
"""

from __future__ import annotations

from collections.abc import Awaitable
from uuid import UUID

from ilpnode.clock import Clock
from ilpnode.connector.errors import RateLimited
from ilpnode.connector.types import Handler, PacketContext, Reply
from ilpnode.ilp import Prepare

__all__ = ["RateLimit"]


class RateLimit:
    def __init__(
        self, next_: Handler, *, packets_per_second: float, burst: int, clock: Clock
    ) -> None:
        if packets_per_second <= 0 or burst < 1:
            raise ValueError("a rate limit needs packets_per_second > 0 and burst >= 1")
        self._next = next_
        self._rate_per_ns = packets_per_second / 1e9
        self._burst = float(burst)
        self._clock = clock
        self._buckets: dict[UUID, tuple[float, int]] = {}  # peer -> (tokens, at_ns)

    def __call__(self, prepare: Prepare, context: PacketContext) -> Awaitable[Reply]:
        peer_id = context.incoming.id
        now = self._clock.now_ns()
        tokens, at = self._buckets.get(peer_id, (self._burst, now))
        tokens = min(self._burst, tokens + max(0, now - at) * self._rate_per_ns)
        if tokens < 1.0:
            self._buckets[peer_id] = (tokens, now)
            raise RateLimited("too many requests, throttling.")
        self._buckets[peer_id] = (tokens - 1.0, now)
        return self._next(prepare, context)
