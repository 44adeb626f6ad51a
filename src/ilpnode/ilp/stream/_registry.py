"""A bounded registry of STREAM receiver connections (RFC 0029), pure: time is an argument.

Connections are stateless to open (the token in the address carries everything needed), so
the registry only keeps what a live connection accumulates: its streams' totals, limits and
closes.  It holds at most ``max_connections`` and forgets a connection idle for
``idle_timeout`` seconds (ilp-protocol-stream's senders give up after 60 s of silence).
When full, the least recently used connection is forgotten to make room.

Forgetting a connection loses no money: money is credited by the ledger, not kept here.  A
forgotten connection that comes back starts afresh (its streams count from zero, so its
receipts restart low; verifiers credit only increases, so they under-count, never over-count;
a closed connection opens again).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable

from ._credentials import ConnectionToken
from ._decisions import DEFAULT_LIMITS, ReceiverLimits
from ._receiver import ReceiverConnection

__all__ = ["ReceiverConnections"]


class ReceiverConnections:
    """Receiver connections by token, bounded in number and idle time.

    ``now`` is seconds on any monotonic clock the caller chooses (``time.monotonic()``);
    it only has to be the same clock on every call.

    Args:
        max_connections: the most connections kept at once.
        idle_timeout: seconds after its last use a connection is forgotten.
        limits: the limits of each new connection.
    """

    __slots__ = ("_connections", "_idle_timeout", "_last_used", "_limits", "_max_connections")

    def __init__(
        self,
        *,
        max_connections: int = 10_000,
        idle_timeout: float = 300.0,
        limits: ReceiverLimits = DEFAULT_LIMITS,
    ) -> None:
        if max_connections < 1:
            raise ValueError("max_connections must be at least 1")
        if idle_timeout <= 0:
            raise ValueError("idle_timeout must be positive")
        self._max_connections = max_connections
        self._idle_timeout = idle_timeout
        self._limits = limits
        # Least recently used first; values are (connection, last use).
        self._connections: OrderedDict[str, ReceiverConnection] = OrderedDict()
        self._last_used: dict[str, float] = {}

    def __len__(self) -> int:
        return len(self._connections)

    def __contains__(self, token: object) -> bool:
        return token in self._connections

    def connection(
        self,
        token: ConnectionToken,
        *,
        now: float,
        asset: tuple[str, int] | None = None,
        factory: Callable[[ConnectionToken], ReceiverConnection] | None = None,
    ) -> ReceiverConnection:
        """Return the state of ``token``'s connection, making it on first use.

        Marks it used at ``now`` and forgets idle connections first, so a connection idle
        for longer than ``idle_timeout`` starts afresh.

        Args:
            token: from :func:`open_connection`.
            now: the current time, seconds on the caller's monotonic clock.
            asset: the receiver's asset for a new connection (defaults to the token's).
            factory: makes a new connection instead of ``ReceiverConnection.from_token``
                (e.g. with other limits).
        """
        self.expire(now=now)
        key = token.token
        found = self._connections.get(key)
        if found is not None:
            self._connections.move_to_end(key)
            self._last_used[key] = now
            return found
        if factory is not None:
            made = factory(token)
        else:
            made = ReceiverConnection.from_token(token, limits=self._limits, asset=asset)
        while len(self._connections) >= self._max_connections:
            oldest, _ = self._connections.popitem(last=False)
            del self._last_used[oldest]
        self._connections[key] = made
        self._last_used[key] = now
        return made

    def get(self, token: str) -> ReceiverConnection | None:
        """Return the connection kept for the address segment ``token``, if any (no touch)."""
        return self._connections.get(token)

    def forget(self, token: str) -> bool:
        """Drop a connection now; return whether it was kept."""
        self._last_used.pop(token, None)
        return self._connections.pop(token, None) is not None

    def expire(self, *, now: float) -> int:
        """Forget connections unused for ``idle_timeout`` seconds; return how many."""
        deadline = now - self._idle_timeout
        dropped = 0
        while self._connections:
            oldest = next(iter(self._connections))
            if self._last_used[oldest] > deadline:
                break
            del self._connections[oldest]
            del self._last_used[oldest]
            dropped += 1
        return dropped
