"""A server's request to stop serving: the flag its `should_exit` property shows, and the
event its loop sleeps on, so that a set flag wakes the loop at once rather than at its next
periodic tick (an idle node wakes rarely: once a second).

Shared by the connector's server (`connector.ilp_server.IlpServer`) and the node's uvicorn
servers (`serve._NodeServer`). This module sits outside the layers, like `clock`.
"""

from __future__ import annotations

import asyncio
import contextlib

__all__ = ["ExitRequest"]


class ExitRequest:
    """Set by the node's signal handler through a server's `should_exit`; awaited by its loop."""

    def __init__(self) -> None:
        self.requested = False
        self._event = asyncio.Event()

    def set(self, requested: bool) -> None:
        self.requested = requested
        if requested:
            self._event.set()
        else:
            self._event.clear()

    async def sleep(self, seconds: float) -> bool:
        """Wait up to `seconds`, or until the request is set: whether it is."""
        if not self.requested:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._event.wait(), seconds)
        return self.requested
