"""The HTTP clients the node's services use, closed together when the node closes."""

from __future__ import annotations

import httpx

__all__ = ["HttpClients"]


class HttpClients:
    """Hands out `httpx.AsyncClient`s (SPSP, auto-peering, the dashboard's link check)."""

    def __init__(self) -> None:
        self._open: list[httpx.AsyncClient] = []

    def new(self) -> httpx.AsyncClient:
        client = httpx.AsyncClient()
        self._open.append(client)
        return client

    async def close(self) -> None:
        while self._open:
            await self._open.pop().aclose()
