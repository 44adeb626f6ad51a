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
        try:
            return await self._next(prepare, context)
        except IlpError as error:
            return Reject(
                code=error.code,
                triggered_by=self._own_address,
                message=error.message,
                data=error.data,
            )
        except Exception:
            logger.exception(
                "unexpected error forwarding a packet from peer %s to %s",
                context.incoming.label,
                prepare.destination,
            )
            return Reject(
                code=IlpErrorCode.T00_INTERNAL_ERROR,
                triggered_by=self._own_address,
                message="unexpected internal error",
            )
