"""Balance reports: after each group commit, the balances of the watched accounts it touched.

`EmbeddedLedger.watch_balances(watched, report)` sets them up (the liquidity webhooks,
`services.webhooks.watch`, watch the accounts with a threshold). After each group is durable,
`report` gets the balances, as of then, of the accounts in `watched` that the group touched and
whose available balance is outside their quiet band (`ilpnode.ledger.watching`): one dict
lookup per entry's account when `watched` is not empty, nothing at all when it is, a snapshot
only of the accounts reported, never an await. A report that raises is logged; it never fails a
commit, which is durable already.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from ilpnode.ledger import (
    Account,
    AccountId,
    ExpiredTransfer,
    JournalEntry,
    LedgerEngine,
    QuietBand,
    Transfer,
    quiet,
)

__all__ = ["BalanceReports"]

logger = logging.getLogger(__name__)


class BalanceReports:
    """Who wants which balances after a commit (`watched` empty: nobody)."""

    def __init__(self) -> None:
        self.watched: dict[int, QuietBand] = {}
        """Account id -> its quiet band, for the accounts whose balances `report` wants; the
        caller may change the mapping any time."""
        self._report: Callable[[list[Account]], None] | None = None

    def watch(self, watched: dict[int, QuietBand], report: Callable[[list[Account]], None]) -> None:
        self.watched = watched
        self._report = report

    def after_commit(self, entries: list[JournalEntry], engine: LedgerEngine) -> None:
        """Report the watched accounts `entries` touched whose balances left their quiet bands.
        Before the engine forgets the group's resolved transfers: an expiry's accounts are its
        pending transfer's."""
        watched = self.watched
        report = self._report
        if not watched or report is None:
            return
        judged: list[AccountId] = []
        news: list[AccountId] = []
        for entry in entries:
            if isinstance(entry, Transfer):
                accounts = (entry.debit_account_id, entry.credit_account_id)
            elif isinstance(entry, ExpiredTransfer):
                found = engine.lookup_transfers([entry.pending_id])
                if not found:
                    continue
                accounts = (found[0].debit_account_id, found[0].credit_account_id)
            else:
                continue
            for account_id in accounts:
                band = watched.get(account_id)
                if band is None or account_id in judged:
                    continue
                judged.append(account_id)
                balance = engine.available_balance(account_id)
                if balance is not None and not quiet(band, balance):
                    news.append(account_id)
        if not news:
            return
        try:
            report(engine.lookup_accounts(news))
        except Exception:  # the watch's bug must not fail a commit that is durable already
            logger.exception("the balance report after a ledger commit failed")
