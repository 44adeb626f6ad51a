"""Balance reports of the shared ledger: after a commit, the committed balances of the watched
accounts it changed (the liquidity webhooks watch the accounts with a threshold), but for those
whose available balance is within their quiet band (`ilpnode.ledger.watching`).

A commit decided under locks knows its accounts' committed balances: the engine's. One decided
on a read without locks (`shared_apply`, the optimistic path) knows only what its read plus its
own changes make, while another process may have moved the same accounts since: those accounts
are read again. Not in a round trip of their own: the writer hands them to its next
transaction's read (`observe`), which returns them as committed by then, and only when no
transaction follows within `REPORT_WAIT_SECONDS` does it read them on its own
(`report_when_idle`). So a report may come a transaction (or those 50 ms) later
and include later commits, never with a balance that was not committed.
A report that raises is logged, never fails a call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import Any, Final

import asyncpg

from ilpnode.ledger import REPORT_ALWAYS, Account, QuietBand, available_balance, quiet
from ilpnode.storage.ledger.shared_apply import Decided, read_accounts

__all__ = ["CommitReports"]

logger = logging.getLogger(__name__)

Report = Callable[[list[Account]], None]

REPORT_WAIT_SECONDS: Final = 0.05
"""Balances still to report wait this long for the next transaction's read to bring them,
before an idle writer reads them in a round trip of their own."""


class CommitReports:
    """The watched accounts, whom to tell, and which balances are still to be read."""

    def __init__(self) -> None:
        self._watched: dict[int, QuietBand] = {}
        self._report: Report | None = None
        self._unreported: set[int] = set()
        """Watched accounts changed by optimistic commits, their balances not reported yet."""

    def watch(self, watched: dict[int, QuietBand], report: Report) -> None:
        """Report the accounts of `watched` (id -> quiet band, a dict the caller may change at
        any time)."""
        self._watched = watched
        self._report = report

    @property
    def pending(self) -> bool:
        """Whether some watched balances still need a read of their own."""
        return bool(self._unreported)

    def to_observe(self) -> list[int]:
        """The accounts the next transaction's read should read for us."""
        return list(self._unreported)

    def after_commit(self, committed: Decided[Any] | None) -> None:
        """Report what `committed` observed, then the watched accounts it changed (or, decided
        without locks, note them for a read)."""
        report = self._report
        if committed is None or not self._watched or report is None:
            return
        if committed.observed:
            self._unreported.difference_update(account.id for account in committed.observed)
            self._deliver(report, committed.observed)
        changed = [account for account in committed.accounts if account.id in self._watched]
        if committed.optimistic:  # not the committed balances: no band can judge them yet
            self._unreported.update(account.id for account in changed)
        elif changed:
            self._deliver(report, changed)

    async def report_when_idle(
        self, woken: asyncio.Event, connection: Callable[[], asyncpg.Connection | None]
    ) -> None:
        """The writer is idle: wait up to `REPORT_WAIT_SECONDS` for its next call (`woken`),
        whose read will bring the balances still to report; if none comes, read them on the
        writer's `connection` now and report them. Lost with a broken connection: the next
        commit to those accounts reports them."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(woken.wait(), REPORT_WAIT_SECONDS)
        if not woken.is_set():
            await self._report_unreported(connection())

    async def _report_unreported(self, connection: asyncpg.Connection | None) -> None:
        ids, self._unreported = list(self._unreported), set()
        report = self._report
        if report is None or connection is None or connection.is_closed():
            return
        failure: Exception | None = None
        try:
            accounts = await read_accounts(connection, ids)
        except Exception as error:
            failure = error
        if failure is not None:  # the next batch finds the connection broken and reconnects
            logger.warning("could not read the balances to report after a commit: %s", failure)
            return
        self._deliver(report, accounts)

    def _deliver(self, report: Report, accounts: Sequence[Account]) -> None:
        watched = self._watched
        news = [
            account
            for account in accounts
            if not quiet(watched.get(account.id, REPORT_ALWAYS), available_balance(account))
        ]
        if not news:
            return
        try:
            report(news)
        except Exception:  # the watch's bug must not fail a committed call
            logger.exception("the balance report after a ledger commit failed")
