"""The Admin API's signature replay guard in Redis: the `ReplayGuard` when `REDIS_URL` is set.

Theory of operation. One key per accepted signature, `<prefix><digest>`, written with

    SET <prefix><digest> 1 NX PX <ms until the signature's expiry, plus 1>

Redis runs commands one at a time, so of any number of concurrent first uses, on one process or
many, exactly one `SET … NX` stores the key (answer OK) and every other gets nil: a replay. The
key carries its own time to live, so Redis forgets it once the signature has expired and there
is nothing to prune. The TTL is relative (PX, not PXAT), so Redis's clock does not matter; the
+1 keeps the key through `expires_at_ms` inclusive, as the port says.

Faults. Every Redis command has a `REDIS_TIMEOUT_SECONDS` socket timeout and one immediate retry
(a pooled connection may be stale after Redis restarted); a connection error, a timeout or an
error reply is a `ReplayGuardUnavailable`, and the caller refuses the request (fail closed). The
node checks Redis once at start (`check`) and reports it in `/healthz`.
"""

from __future__ import annotations

import logging
from typing import Final
from urllib.parse import urlsplit

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from ilpnode.services.replay_guard import ReplayGuardUnavailable

__all__ = ["KEY_PREFIX", "REDIS_TIMEOUT_SECONDS", "RedisReplayGuard", "redacted_redis_url"]

logger = logging.getLogger(__name__)

# Namespaces ilpnode's keys in a Redis that others may share.
KEY_PREFIX: Final = "ilpnode:admin-signature:"
# Connecting to, or an answer from, Redis may take this long before the request is refused.
REDIS_TIMEOUT_SECONDS: Final = 2.0


class RedisReplayGuard:
    """The `ReplayGuard` port over Redis (see the module docstring). Connects lazily: building
    one does no I/O; `close` ends its connections."""

    def __init__(self, url: str, *, prefix: str = KEY_PREFIX) -> None:
        self._client: Redis = Redis.from_url(
            url,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
            retry=Retry(NoBackoff(), retries=1),
        )
        self._prefix = prefix
        self.where = redacted_redis_url(url)
        """The URL without its password, for messages."""

    async def first_use(self, key: str, *, expires_at_ms: int, now_ms: int) -> bool:
        """See `ReplayGuard.first_use`.

        Raises:
            ReplayGuardUnavailable: Redis failed or did not answer in time.
        """
        ttl_ms = max(expires_at_ms - now_ms + 1, 1)
        try:
            stored = await self._client.set(self._prefix + key, b"1", nx=True, px=ttl_ms)
        except (RedisError, OSError) as error:
            raise self._unavailable(error) from error
        return stored is True

    async def check(self) -> None:
        """Ask Redis for a PING.

        Raises:
            ReplayGuardUnavailable: no answer, or not PONG; the message says why.
        """
        try:
            answered = await self._client.ping()
        except (RedisError, OSError) as error:
            raise self._unavailable(error) from error
        if answered is not True:
            raise ReplayGuardUnavailable(f"Redis at {self.where} answered PING with {answered!r}")

    async def close(self) -> None:
        await self._client.aclose()

    def _unavailable(self, error: Exception) -> ReplayGuardUnavailable:
        logger.warning("replay guard: Redis at %s failed: %s", self.where, error)
        return ReplayGuardUnavailable(f"Redis is unreachable ({type(error).__name__})")


def redacted_redis_url(url: str) -> str:
    """`url` without its password (`***` in its place) and query (which may carry one), for logs
    and error messages."""
    parts = urlsplit(url)
    location = parts.netloc.rpartition("@")[2]
    if parts.password is not None:
        location = f"{parts.username or ''}:***@{location}"
    elif parts.username:
        location = f"{parts.username}@{location}"
    return f"{parts.scheme}://{location}{parts.path}"
