"""Outermost middleware: every failure below becomes a Reject triggered by our address.

An `IlpError` becomes a Reject with its code, message and data; anything else is a bug or an
infrastructure fault: it is logged with its traceback and becomes T00 `unexpected internal
error` (Rafiki's words), so a peer never sees our internals.
"""

from __future__ import annotations

import logging

from ilpnode.connector.errors import IlpError
from ilpnode.connector.types import Handler, PacketContext, Reply
from ilpnode.ilp import IlpErrorCode, Prepare, Reject

__all__ = ["ErrorHandler"]

logger = logging.getLogger("ilpnode.connector")


class ErrorHandler:
    def __init__(self, next_: Handler, *, own_address: str) -> None:
        self._next = next_
        self._own_address = own_address

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
