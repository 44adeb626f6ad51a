"""The one exception a `Ledger` backend raises for an infrastructure fault callers can name.

Business failures are statuses, never exceptions (`statuses.py`). A backend that cannot reach
its storage (the shared ledger's database went away, the embedded ledger is rebuilding after a
failed commit) raises a subclass of `LedgerUnavailable`, so the connector and the services can
fail closed (a T00 Reject, a 503) without knowing which backend runs, and without logging a
traceback for every call of an outage.

Not compiled with mypyc (it is missing from `tools/build_compiled.py` on purpose): native classes
cannot subclass built-in exceptions, and backends subclass this one together with theirs.
"""

from __future__ import annotations

__all__ = ["LedgerUnavailable"]


class LedgerUnavailable(Exception):
    """The ledger cannot serve the call now; it recovers by itself.

    `outcome_unknown` is False when the call did not run (nothing was committed), True when the
    failure came while it committed, so it may or may not have taken effect. Resubmitting the
    same transfer ids is safe either way (they answer EXISTS, or the pending transfer's
    ALREADY_POSTED/ALREADY_VOIDED, for what had been committed); a new post or void of the same
    pending transfer tells whether an unknown one happened.
    """

    def __init__(self, message: str, *, outcome_unknown: bool = False) -> None:
        super().__init__(message)
        self.outcome_unknown = outcome_unknown
