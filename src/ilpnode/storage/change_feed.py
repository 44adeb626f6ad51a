"""The change feed: every peer, asset and wallet address change made through any process sharing
the PostgreSQL database reaches this process's in-memory view (routing table, token index,
directory, wallet address directory) within about a second, without a restart.

Theory of operation
===================

- **Sending** is the repositories': each write of a peer (its tokens included), an asset or a
  wallet address runs `pg_notify(CHANNEL, '<kind>:<id>')` in the writing transaction, so
  PostgreSQL delivers the notice to every listening session after the commit, and never for a
  rollback (`peering_repository`, `wallet_address_repository`, `change_notice`).
- **Listening** takes one dedicated asyncpg connection, outside the SQLAlchemy pool (LISTEN
  belongs to a session, and a pooled session is handed to whoever asks next), named
  `application_name` = `ilpnode change feed pid <pid>` so an operator can find it in
  `pg_stat_activity`. asyncpg calls `_heard` on the event loop for each notice; it only adds the
  id to a pending set and wakes the worker, never awaits: a burst of notices cannot block the
  loop, and duplicates coalesce in the set.
- **The worker** (one task) takes everything pending and refreshes it in one read transaction
  (`PeerService.refresh_peers`: re-read those peers, and the peers in memory of a changed
  asset, and install what the database has; `wallet_addresses.refresh` likewise for wallet
  addresses). One batch at a time; notices arriving meanwhile wait for the next. With more than
  `MAX_BATCH` ids pending it reconciles instead (re-read every peer and wallet address, forget
  those gone). Order and duplicates do not matter: every refresh reads the database
  as it is now, and an older read never overwrites a newer one (`services.peering.memory`).
- **The process hears its own notices** and refreshes those peers too. The service has already
  installed what it wrote, so this usually changes nothing, at the cost of one read per admin
  write; it is not skipped because it is what makes two racing writers converge: a process that
  wrote first may install its own (older) result after it refreshed the other's (newer) one; its
  own notice, refreshed afterwards, reads the newer row.
- **Connection states**: connecting -> listening -> lost -> connecting ... Once LISTEN is
  established a full reconcile is wanted: changes made while nobody listened (down, or between
  the start-up load and the first LISTEN) had notices nobody heard. `state` is "ok" from the end
  of that reconcile until the connection is lost, "down" otherwise: the process then keeps
  serving the view it has. Loss is seen by asyncpg's termination callback (the server closed
  the session: a restart, `pg_terminate_backend`) or by a failed ping every `PING_SECONDS` (a
  silently dead TCP connection). Reconnection backs off from `RECONNECT_MIN_SECONDS` to
  `RECONNECT_MAX_SECONDS`, back to the minimum once LISTEN succeeds.
- **A periodic reconcile** every `reconcile_seconds` (CHANGE_FEED_RECONCILE_SECONDS), feed up or
  down, is the safety net: a view that went wrong for any reason is right again within that
  period, and a process whose listener cannot connect still catches up through the pool.
- **Failures never end the feed.** A refresh or reconcile that fails (database down) is logged
  and becomes a wanted reconcile, retried with back-off; memory is left as it was. Only the
  first failure of a streak is a warning, and its end is logged, so an outage is two lines.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
from collections.abc import Iterable
from typing import Any, Final, Protocol
from uuid import UUID

import asyncpg

from ilpnode.services.peering import SyncCounts
from ilpnode.storage.change_notice import CHANNEL, NoticeKind, parse_notice

__all__ = ["ChangeFeed", "FeedTarget", "WalletAddressFeedTarget"]

logger = logging.getLogger(__name__)

# Pending ids above which one reconcile (one query for all peers) beats refreshing each.
MAX_BATCH: Final = 200
# A silently dead connection is noticed within PING_SECONDS + PING_TIMEOUT_SECONDS.
PING_SECONDS: Final = 5.0
PING_TIMEOUT_SECONDS: Final = 5.0
CONNECT_TIMEOUT_SECONDS: Final = 5.0
# Reconnect soon after a blip (the test kills the session: back in ~0.1 s), at most every 5 s
# while the server is away.
RECONNECT_MIN_SECONDS: Final = 0.1
RECONNECT_MAX_SECONDS: Final = 5.0
# A failed refresh is retried after 0.1 s, then less and less often, at most every 5 s.
RETRY_MIN_SECONDS: Final = 0.1
RETRY_MAX_SECONDS: Final = 5.0


class FeedTarget(Protocol):
    """What the feed keeps in step (`PeerService` fits)."""

    async def refresh_peers(
        self, peer_ids: Iterable[UUID], *, asset_ids: Iterable[UUID] = ()
    ) -> SyncCounts: ...

    async def reconcile(self) -> SyncCounts: ...


class WalletAddressFeedTarget(Protocol):
    """The wallet addresses the feed keeps in step (`WalletAddressService` fits)."""

    async def refresh(self, wallet_address_ids: set[UUID]) -> SyncCounts: ...

    async def reconcile(self) -> SyncCounts: ...


class ChangeFeed:
    """Listens for change notices and keeps `target` in step (see the module docstring)."""

    def __init__(
        self,
        *,
        dsn: str,
        target: FeedTarget,
        reconcile_seconds: float,
        wallet_addresses: WalletAddressFeedTarget | None = None,
    ) -> None:
        self._dsn = dsn
        self._target = target
        self._wallet_target = wallet_addresses
        self._reconcile_seconds = reconcile_seconds
        self.application_name = f"ilpnode change feed pid {os.getpid()}"
        self._peers: set[UUID] = set()
        self._assets: set[UUID] = set()
        self._wallet_addresses: set[UUID] = set()
        self._reconcile_wanted = False
        self._wake = asyncio.Event()
        self._listening = False
        self._generation = 0  # LISTENs established so far
        self._caught_up = 0  # the generation whose catch-up reconcile is done
        self._first_caught_up = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self.reconciles = 0
        """Reconciliations done (for tests and logs)."""

    @property
    def state(self) -> str:
        """ "ok": listening, and caught up since LISTEN was (re-)established; "down" otherwise."""
        listening = self._listening and self._caught_up == self._generation
        return "ok" if listening else "down"

    @property
    def pending(self) -> int:
        """Ids heard and not yet refreshed."""
        return len(self._peers) + len(self._assets) + len(self._wallet_addresses)

    @property
    def connections(self) -> int:
        """How many times LISTEN was established."""
        return self._generation

    async def start(self, *, wait_seconds: float = CONNECT_TIMEOUT_SECONDS) -> None:
        """Start listening; wait up to `wait_seconds` for the feed to be up and caught up. Never
        raises: if the database cannot be reached now, the feed keeps trying (state "down")."""
        self._tasks = [
            asyncio.create_task(self._listen(), name="change feed: listen"),
            asyncio.create_task(self._work(), name="change feed: refresh"),
            asyncio.create_task(self._every_period(), name="change feed: reconcile timer"),
        ]
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(wait_seconds):
                await self._first_caught_up.wait()
        if self.state != "ok":
            logger.warning("change feed not up yet: serving the peers loaded at start; retrying")

    async def close(self) -> None:
        """Stop listening and refreshing (an open refresh is rolled back)."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._listening = False

    def request_reconcile(self) -> None:
        """Have the worker reconcile every peer soon."""
        self._reconcile_wanted = True
        self._wake.set()

    # -- listening -------------------------------------------------------------------------------

    async def _listen(self) -> None:
        delay = RECONNECT_MIN_SECONDS
        failures = 0
        while True:
            try:
                await self._listen_once()
                reason = "the server closed the connection"
            except Exception as error:  # any driver, network or server fault: try again
                reason = f"{type(error).__name__}: {error}"
            was_listening, self._listening = self._listening, False
            if was_listening:
                delay, failures = RECONNECT_MIN_SECONDS, 0
                logger.warning(
                    "change feed down (%s): serving the peers in memory, reconnecting", reason
                )
            elif failures == 0:
                logger.warning("change feed cannot listen (%s): retrying", reason)
            else:
                logger.debug("change feed cannot listen (%s): retrying", reason)
            failures += 1
            await asyncio.sleep(delay * random.uniform(0.8, 1.2))  # jitter: replicas apart
            delay = min(delay * 2, RECONNECT_MAX_SECONDS)

    async def _listen_once(self) -> None:
        """Connect, LISTEN, and return when the connection is lost (raise if a ping fails)."""
        lost = asyncio.Event()
        connection: Any = await asyncpg.connect(
            self._dsn,
            timeout=CONNECT_TIMEOUT_SECONDS,
            server_settings={"application_name": self.application_name},
        )
        try:
            connection.add_termination_listener(lambda _connection: lost.set())
            await connection.add_listener(CHANNEL, self._heard)
            self._established()
            await self._watch(connection, lost)
        finally:
            connection.terminate()

    def _established(self) -> None:
        self._generation += 1
        self._listening = True
        if self._generation > 1:
            logger.info("change feed listening again: catching up")
        self.request_reconcile()

    async def _watch(self, connection: Any, lost: asyncio.Event) -> None:
        """Return when the connection is lost; raise if a ping fails."""
        while not lost.is_set():
            try:
                async with asyncio.timeout(PING_SECONDS):
                    await lost.wait()
            except TimeoutError:
                async with asyncio.timeout(PING_TIMEOUT_SECONDS):
                    await connection.fetchval("SELECT 1")

    def _heard(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        notice = parse_notice(payload)
        if notice is None:
            logger.warning("change feed: ignored a notice it cannot read: %r", payload[:80])
            return
        kind, row_id = notice
        if kind is NoticeKind.PEER:
            self._peers.add(row_id)
        elif kind is NoticeKind.ASSET:
            self._assets.add(row_id)
        elif self._wallet_target is not None:
            self._wallet_addresses.add(row_id)
        self._wake.set()

    # -- refreshing ------------------------------------------------------------------------------

    async def _work(self) -> None:
        failures = 0
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self._refresh_pending()
            except Exception as error:  # the database is down, or a bug: memory is unchanged
                failures += 1
                self._reconcile_wanted = True
                if failures == 1:
                    logger.warning("change feed: refreshing failed (%s): retrying", error)
                else:
                    logger.debug("change feed: refreshing failed again (%s)", error)
                await asyncio.sleep(
                    min(RETRY_MIN_SECONDS * 2 ** min(failures - 1, 10), RETRY_MAX_SECONDS)
                )
                self._wake.set()
                continue
            if failures:
                logger.info("change feed: refreshing works again after %d failures", failures)
                failures = 0

    async def _refresh_pending(self) -> None:
        if self._reconcile_wanted or self.pending > MAX_BATCH:
            # Everything heard so far was committed before this read: the reconcile covers it.
            self._reconcile_wanted = False
            self._peers.clear()
            self._assets.clear()
            self._wallet_addresses.clear()
            generation = self._generation
            counts = await self._target.reconcile()
            if self._wallet_target is not None:
                wallet_counts = await self._wallet_target.reconcile()
                if wallet_counts.changed:
                    logger.info(
                        "change feed reconciled: %d wallet addresses added, %d updated",
                        wallet_counts.added,
                        wallet_counts.updated,
                    )
            self.reconciles += 1
            self._caught_up = generation
            if generation and self._listening:
                self._first_caught_up.set()
            if counts.changed:
                logger.info(
                    "change feed reconciled: %d peers added, %d updated, %d removed",
                    counts.added,
                    counts.updated,
                    counts.removed,
                )
            return
        if self._wallet_addresses and self._wallet_target is not None:
            wallet_addresses, self._wallet_addresses = self._wallet_addresses, set()
            # If this fails, the worker reconciles everything (retrying with back-off).
            counts = await self._wallet_target.refresh(wallet_addresses)
            logger.debug(
                "change feed refreshed %d wallet addresses: %d added, %d updated",
                len(wallet_addresses),
                counts.added,
                counts.updated,
            )
        if self._peers or self._assets:
            peers, self._peers = self._peers, set()
            assets, self._assets = self._assets, set()
            counts = await self._target.refresh_peers(peers, asset_ids=assets)
            logger.debug(
                "change feed refreshed %d peers, %d assets: %d added, %d updated, %d removed",
                len(peers),
                len(assets),
                counts.added,
                counts.updated,
                counts.removed,
            )

    async def _every_period(self) -> None:
        while True:
            await asyncio.sleep(self._reconcile_seconds)
            self.request_reconcile()
