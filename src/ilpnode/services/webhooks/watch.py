"""The liquidity watch: one webhook event per crossing of a threshold, recorded durably.

Theory of operation
===================

Where balances change. Every change of a balance goes through the ledger backend, which tells
the watch, after each commit, the balances of the *watched* accounts it touched
(`balances_changed`; the embedded ledger once per group commit, the shared ledger once per
transaction). The backend only checks each entry's accounts against `watched`, a dict this
watch fills, so a node whose accounts have no thresholds pays nothing, and one whose accounts
do pays a dict lookup per ledger entry: no database round trip and no await on the packet path.

Detecting a crossing, in memory. The watch keeps, per watched account, its thresholds and the
state of the last balance it saw (`alerts.AlertState`). A balance whose state differs is a
crossing: it is queued as an `Observation` and the background task is woken. Balances are seen
as of each commit, so two crossings within one group commit (a few milliseconds) cancel out.
Beside each account in `watched` is the band of balances in which its state is the one last
seen (`alerts.quiet_band`), kept in step with that state and the thresholds in the same
synchronous steps that change them: the backend reports only balances outside it, the only
ones that can be crossings, and skips the snapshot and the check of all the others.

Recording it, durably and once. The task settles the queue in order in one database
transaction (`WebhookStore.settle`): the stored state (normal / low / high, with the
thresholds it was judged by) changes by a conditional UPDATE, and a change into LOW or HIGH
inserts the event into the outbox in the same transaction. With several processes over one
PostgreSQL database, each sees the crossings its own commits make; if two see the same one,
the condition lets exactly one record it. The delivery worker (`delivery.py`) sends the outbox.

Arming. When thresholds are set or changed (the services call `thresholds_changed` after their
commit), the account's state is set to where its balance is then, without an event: setting a
threshold is not a crossing; the next crossing sends one. The same happens for an account seen
for the first time.

Reconciling. At start and every `reconcile_seconds` the watch re-reads every watched account
(thresholds from the database, balances from the ledger) and settles them, arming where the
thresholds changed. So a crossing whose commit was not followed by its settle (the process was
killed in between, the database was briefly away, another process crossed back meanwhile) is
recorded at the next start or within `reconcile_seconds`; and thresholds changed by another
process take effect here (at once when the change feed passes the change on: `refresh_soon`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Final
from uuid import UUID

from ilpnode.clock import Clock
from ilpnode.ledger import REPORT_ALWAYS, Account, AccountId, Ledger, QuietBand, available_balance
from ilpnode.services.webhooks.alerts import AlertState, WatchedAccount, quiet_band
from ilpnode.services.webhooks.ports import Observation, Settled, WebhookStore

__all__ = ["RECONCILE_SECONDS", "LiquidityWatch"]

logger = logging.getLogger("ilpnode.webhooks")

RECONCILE_SECONDS: Final = 5.0
"""How often every watched account is settled from scratch (the safety net above)."""
PENDING_MAX: Final = 10_000
"""Observations queued at most; past it new crossings wait for the next reconciliation."""
SETTLE_BATCH_MAX: Final = 500
"""Observations settled per transaction."""
RETRY_SECONDS: Final = 1.0
"""After a failed settle (the database away), the queue is tried again this late."""
CLOSE_TIMEOUT_SECONDS: Final = 5.0
"""At close, how long the queue may take to be recorded."""


class LiquidityWatch:
    """Turns balance changes into stored liquidity events (see the module docstring)."""

    def __init__(
        self,
        *,
        store: WebhookStore,
        ledger: Ledger,
        clock: Clock,
        on_event: Callable[[], None] = lambda: None,
        reconcile_seconds: float = RECONCILE_SECONDS,
    ) -> None:
        self._store = store
        self._ledger = ledger
        self._clock = clock
        self._on_event = on_event
        self._reconcile_seconds = reconcile_seconds
        self.watched: dict[int, QuietBand] = {}
        """The ledger account ids to report, each with its quiet band; changed in place (the
        ledger holds this dict)."""
        self._accounts: dict[int, WatchedAccount] = {}
        self._seen: dict[int, AlertState] = {}
        self._changes: dict[int, int] = {}  # per account: how often `_seen` moved (see `_arm`)
        self._pending: deque[Observation] = deque()
        self._overflowed = False
        self._refresh: set[UUID] = set()
        self._wake = asyncio.Event()
        self._settling = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    # -- what the ledger and the services call --------------------------------------------------

    def balances_changed(self, accounts: Sequence[Account]) -> None:
        """The ledger's report after a commit: these watched accounts have these balances now.
        Synchronous and cheap; never raises for an account it does not watch."""
        queued = False
        for account in accounts:
            watched = self._accounts.get(account.id)
            if watched is None:
                continue
            balance = available_balance(account)
            state = watched.state_of(balance)
            if self._seen.get(account.id) is state:
                continue
            self._see(watched, state)
            self._changes[account.id] = self._changes.get(account.id, 0) + 1
            if len(self._pending) >= PENDING_MAX:
                if not self._overflowed:
                    logger.warning(
                        "liquidity crossings arrive faster than they are recorded: the next"
                        " reconciliation records the rest"
                    )
                self._overflowed = True
                continue
            self._pending.append(Observation(account=watched, balance=balance))
            queued = True
        if queued:
            self._wake.set()

    async def thresholds_changed(self, owner_id: UUID) -> None:
        """An asset's or a peer's thresholds may have changed (created, updated, deleted),
        committed: arm it afresh now. Never raises (a failure is logged; the next
        reconciliation arms it)."""
        try:
            await self._rearm([owner_id])
        except Exception as error:  # the database away: the mutation itself is committed
            logger.warning("could not arm the liquidity alerts of %s: %s", owner_id, error)

    def refresh_soon(self, ids: Iterable[UUID]) -> None:
        """Re-read these assets' and peers' thresholds in the background (another process
        changed them: the change feed)."""
        self._refresh.update(ids)
        self._wake.set()

    # -- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        """Settle every watched account (recording crossings missed while the node was down),
        then keep watching."""
        await self.reconcile()
        self._task = asyncio.create_task(self._run(), name="liquidity-watch")

    async def close(self) -> None:
        """Stop, recording what is queued (what cannot be recorded now is left to the next
        start's reconciliation)."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        try:
            async with asyncio.timeout(CLOSE_TIMEOUT_SECONDS):
                await self.flush()
        except Exception as error:  # the database away: the next start reconciles
            logger.warning("liquidity alerts left to the next start: %s", error)

    async def flush(self) -> None:
        """Record every crossing queued so far, now."""
        await self._settle_pending()

    async def reconcile(self) -> None:
        """Settle every watched account from the database and the ledger, arming accounts whose
        thresholds changed and forgetting those without thresholds any more."""
        async with self._settling:
            # States first: one armed since (by another process) has its thresholds committed
            # before it, so the accounts read next include it and it is not taken for stale.
            stored = await self._store.alert_ids()
            accounts = await self._store.watched_accounts()
            ids = {account.id for account in accounts}
            stale = stored - ids
            stale.update(UUID(int=account_id) for account_id in self._accounts)
            stale -= ids
            if stale:
                await self._store.forget(stale)
            self._drop(stale)
            await self._arm(accounts)
            self._overflowed = False

    # -- the background task ----------------------------------------------------------------

    async def _run(self) -> None:
        next_reconcile = time.monotonic() + self._reconcile_seconds
        while True:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(0.0, next_reconcile - time.monotonic())):
                    await self._wake.wait()
            self._wake.clear()
            failure: Exception | None = None
            try:
                await self._settle_pending()
                if self._refresh:
                    ids, self._refresh = self._refresh, set()
                    await self._rearm(ids)
                if time.monotonic() >= next_reconcile:
                    await self.reconcile()
                    next_reconcile = time.monotonic() + self._reconcile_seconds
            except Exception as error:  # the database away: keep the queue, try again
                failure = error
            if failure is not None:
                logger.warning(
                    "could not record liquidity alerts (retrying in %.0f s): %s",
                    RETRY_SECONDS,
                    failure,
                )
                failure = None
                await asyncio.sleep(RETRY_SECONDS)
                self._wake.set()

    async def _settle_pending(self) -> None:
        while True:
            # Taken, settled and removed under the lock: a concurrent `flush` settles the rest.
            async with self._settling:
                if not self._pending:
                    return
                batch = [self._pending[i] for i in range(min(len(self._pending), SETTLE_BATCH_MAX))]
                settled = await self._store.settle(batch, now=self._clock.now())
                for _ in batch:
                    self._pending.popleft()
            # Judged by thresholds the database no longer has: re-read them (and arm).
            skipped = [result.account_id for result in settled if result.state is None]
            if skipped:
                self.refresh_soon(skipped)
            self._announce(settled, batch)

    async def _rearm(self, ids: Collection[UUID]) -> None:
        async with self._settling:
            accounts = await self._store.watched_accounts(ids)
            # Only what this process watched: a peer that never had a threshold costs no write
            # (a stored state of one watched elsewhere goes at the next reconciliation).
            gone = {i for i in ids if i.int in self._accounts} - {a.id for a in accounts}
            if gone:
                await self._store.forget(gone)
            self._drop(gone)
            await self._arm(accounts)

    async def _arm(self, accounts: Sequence[WatchedAccount]) -> None:
        """Settle `accounts` (fresh from the database) at their balances now, arming where
        needed; then watch them with these thresholds. Hold `_settling`."""
        if not accounts:
            return
        changes = {
            account.account_id: self._changes.get(account.account_id, 0) for account in accounts
        }
        ledger_ids = [AccountId(account.account_id) for account in accounts]
        found = await self._ledger.lookup_accounts(ledger_ids)
        balances: dict[int, int] = {account.id: available_balance(account) for account in found}
        observations = [
            Observation(account=account, balance=balances[account.account_id], arm=True)
            for account in accounts
            if account.account_id in balances  # no ledger account yet: the next pass
        ]
        settled = await self._store.settle(observations, now=self._clock.now())
        for observation, result in zip(observations, settled, strict=True):
            account = observation.account
            key = account.account_id
            self._accounts[key] = account
            # A balance reported while this read was under way is newer than ours: keep it.
            if self._changes.get(key, 0) == changes[key]:
                self._seen[key] = result.state or account.state_of(observation.balance)
            self._bound(account)  # the state seen, judged by the thresholds of now
        self._announce(settled, observations)

    def _drop(self, ids: Iterable[UUID]) -> None:
        for owner_id in ids:
            key = owner_id.int
            self.watched.pop(key, None)
            self._accounts.pop(key, None)
            self._seen.pop(key, None)
            self._changes.pop(key, None)

    def _see(self, account: WatchedAccount, state: AlertState) -> None:
        """`state` is the last seen of `account`."""
        self._seen[account.account_id] = state
        self._bound(account)

    def _bound(self, account: WatchedAccount) -> None:
        """The ledger reports `account`'s balances outside the band of the state last seen of
        it (every balance, before one is seen)."""
        key = account.account_id
        seen = self._seen.get(key)
        self.watched[key] = REPORT_ALWAYS if seen is None else quiet_band(account, seen)

    def _announce(self, settled: Sequence[Settled], observations: Sequence[Observation]) -> None:
        recorded = False
        for result, observation in zip(settled, observations, strict=True):
            if result.event is None:
                continue
            recorded = True
            logger.info(
                "%s: %s %s has %d (low threshold %s, high %s); event %s",
                result.event.type,
                observation.account.kind.value,
                observation.account.id,
                observation.balance,
                observation.account.low,
                observation.account.high,
                result.event.id,
            )
        if recorded:
            self._on_event()
