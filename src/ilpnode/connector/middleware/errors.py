"""Outermost middleware: every failure below becomes a Reject triggered by our address.

An `IlpError` becomes a Reject with its code, message and data; anything else is a bug or an
infrastructure fault: it is logged with its traceback and becomes T00 `unexpected internal
error` (Rafiki's words), so a peer never sees our internals.

One infrastructure fault is expected rather than a bug: the ledger unavailable
(`LedgerUnavailable`, e.g. its PostgreSQL restarting). Every packet of such an outage is T00
`temporarily unavailable`, without a traceback, and one warning line per
`UNAVAILABLE_LOG_SECONDS` counts them (the ledger logs when it loses and regains its database).
"""

from __future__ import annotations

import logging
import time
from typing import Final

from ilpnode.connector.errors import IlpError
from ilpnode.connector.types import Handler, PacketContext, Reply
from ilpnode.ilp import IlpErrorCode, Prepare, Reject
from ilpnode.ledger import LedgerUnavailable

__all__ = ["UNAVAILABLE_LOG_SECONDS", "ErrorHandler"]

logger = logging.getLogger("ilpnode.connector")

UNAVAILABLE_LOG_SECONDS: Final = 10.0
"""At most one warning per this interval for packets rejected while the ledger is unavailable
(an outage under load rejects thousands a second)."""


class ErrorHandler:
    def __init__(self, next_: Handler, *, own_address: str) -> None:
        self._next = next_
        self._own_address = own_address
        self._unavailable_rejects = 0
        self._unavailable_logged_at = -float("inf")

    async def __call__(self, prepare: Prepare, context: PacketContext) -> Reply:
        # The Reject is built after the handler, not in it: compiled with mypyc, a coroutine
        # that returns from a handler can leave its exception as the thread's current one.
        failure: Exception | None = None
        try:
            return await self._next(prepare, context)
        except Exception as error:
            failure = error
        reject = self._reject(failure, prepare, context)
        failure = None  # the exception's traceback holds this frame: no reference cycle
        return reject

    def _reject(
        self, failure: Exception | None, prepare: Prepare, context: PacketContext
    ) -> Reject:
        if isinstance(failure, IlpError):
            return Reject(
                code=failure.code,
                triggered_by=self._own_address,
                message=failure.message,
                data=failure.data,
            )
        if isinstance(failure, LedgerUnavailable):
            self._count_unavailable(failure)
            return Reject(
                code=IlpErrorCode.T00_INTERNAL_ERROR,
                triggered_by=self._own_address,
                message="temporarily unavailable",
            )
        logger.error(
            "unexpected error forwarding a packet from peer %s to %s",
            context.incoming.label,
            prepare.destination,
            exc_info=failure,
        )
        return Reject(
            code=IlpErrorCode.T00_INTERNAL_ERROR,
            triggered_by=self._own_address,
            message="unexpected internal error",
        )

    def _count_unavailable(self, failure: LedgerUnavailable) -> None:
        self._unavailable_rejects += 1
        now = time.monotonic()
        if now - self._unavailable_logged_at < UNAVAILABLE_LOG_SECONDS:
            return
        logger.warning(
            "the ledger is unavailable (%s): rejecting packets T00 (%d since the last such"
            " warning)",
            failure,
            self._unavailable_rejects,
        )
        self._unavailable_rejects = 0
        self._unavailable_logged_at = now
