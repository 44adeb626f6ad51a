"""Balance reports: after each group commit, the balances of the watched accounts it touched.

`EmbeddedLedger.watch_balances(ids, report)` sets them up (the liquidity webhooks,
`services.webhooks.watch`, watch the accounts with a threshold). After each group is durable,
`report` gets the balances, as of then, of the accounts in `ids` that the group touched: one set
lookup per entry's account when `ids` is not empty, nothing at all when it is, never an await.
A report that raises is logged; it never fails a commit, which is durable already.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from ilpnode.ledger import Account, AccountId, ExpiredTransfer, JournalEntry, LedgerEngine, Transfer

__all__ = ["BalanceReports"]

logger = logging.getLogger(__name__)


class BalanceReports:
    """Who wants which balances after a commit (`watched` empty: nobody)."""

    def __init__(self) -> None:
        self.watched: set[int] = set()
        """Account ids whose balances `report` wants; the caller may change the set any time."""
        self._report: Callable[[list[Account]], None] | None = None

    def watch(self, ids: set[int], report: Callable[[list[Account]], None]) -> None:
        self.watched = ids
        self._report = report

    def after_commit(self, entries: list[JournalEntry], engine: LedgerEngine) -> None:
        """Report the watched accounts `entries` touched. Before the engine forgets the group's
        resolved transfers: an expiry's accounts are its pending transfer's."""
        watched = self.watched
        touched: list[AccountId] = []
        for entry in entries:
            if isinstance(entry, Transfer):
                if entry.debit_account_id in watched:
                    touched.append(entry.debit_account_id)
                if entry.credit_account_id in watched:
                    touched.append(entry.credit_account_id)
            elif isinstance(entry, ExpiredTransfer):
                for pending in engine.lookup_transfers([entry.pending_id]):
                    for account_id in (pending.debit_account_id, pending.credit_account_id):
                        if account_id in watched:
                            touched.append(account_id)
        report = self._report
        if not touched or report is None:
            return
        try:
            report(engine.lookup_accounts(list(dict.fromkeys(touched))))
        except Exception:  # the watch's bug must not fail a commit that is durable already
            logger.exception("the balance report after a ledger commit failed")
