"""Resolving a receiver to STREAM credentials (SPSP, RFC 0009), local ones without HTTP.

A receiver under this node's OPEN_PAYMENTS_URL (its URL, or the URL a payment pointer stands
for) gets its credentials from the node's own `SpspServer`, in memory, exactly as its HTTP
endpoint would answer (an unknown or inactive wallet address: 404), so a node pays its own
wallet addresses without reaching its OPEN_PAYMENTS_PORT, as Rafiki pays a local receiver.
Any other receiver is asked over HTTP (`query_spsp`: https, plain http only to a loopback host).
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

import httpx

from ilpnode.services.payments import OpenPaymentsUrls, SpspFailure, SpspServer
from ilpnode.services.payments_sender import SpspError, SpspReceiver, query_spsp, spsp_url

__all__ = ["ReceiverResolver"]


class ReceiverResolver:
    """`ResolveReceiver` (see the module docstring)."""

    def __init__(
        self,
        *,
        client: httpx.AsyncClient,
        urls: OpenPaymentsUrls,
        server: Callable[[], SpspServer | None],
    ) -> None:
        self._client = client
        self._base = urls.base
        self._server = server

    async def __call__(self, receiver: str) -> SpspReceiver:
        """The receiver's credentials.

        Raises:
            SpspError: not a receiver (see `query_spsp`).
        """
        url = spsp_url(receiver)
        server = self._server()
        if server is not None and url.lower().startswith(self._base):
            answer = server.credentials(urlsplit(url).path, receipt_nonce=None, receipt_secret=None)
            if isinstance(answer, SpspFailure):
                raise SpspError(f"no such receiver at {url} ({answer.status}: {answer.message})")
            return SpspReceiver(
                url=url,
                destination_account=answer.destination_account,
                shared_secret=answer.shared_secret,
                receipts_enabled=answer.receipts_enabled,
            )
        return await query_spsp(self._client, receiver)
