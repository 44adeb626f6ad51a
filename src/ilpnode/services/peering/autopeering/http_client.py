"""`PeeringClient` over httpx: one JSON POST per peering request, bounded in time and size.

User info in the peer URL (`http://ilpnode:SECRET@host:3005/`) becomes a Basic `Authorization`
header (as axios makes it for a Rafiki node), which is how a peer's AUTO_PEERING_SECRET is
presented. It is taken out of the URL first, so that httpx's request log line never shows it.
Redirects are not followed: a peering request carries a
token, and a redirect would hand it to another server.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final
from urllib.parse import unquote, urlsplit, urlunsplit

import httpx

from ilpnode.services.peering.autopeering.messages import MAX_MESSAGE_BYTES
from ilpnode.services.peering.autopeering.ports import PeerAnswer, PeerUnreachable

__all__ = ["REQUEST_TIMEOUT_SECONDS", "HttpPeeringClient"]

# A peering request is a few database writes on the other side; 10 s means it is stuck or the
# URL points at something that does not answer (Rafiki sets no timeout at all).
REQUEST_TIMEOUT_SECONDS: Final = 10.0


class HttpPeeringClient:
    """Posts peering requests with a shared `httpx.AsyncClient` (the node owns and closes it)."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        timeout_seconds: float = REQUEST_TIMEOUT_SECONDS,
        max_answer_bytes: int = MAX_MESSAGE_BYTES,
    ) -> None:
        self._client = client
        self._timeout = timeout_seconds
        self._max_answer_bytes = max_answer_bytes

    async def post_json(self, url: str, payload: Mapping[str, Any]) -> PeerAnswer | PeerUnreachable:
        """POST `payload`; the answer's status and (at most `max_answer_bytes` of) body."""
        content = json.dumps(payload, separators=(",", ":")).encode()
        headers = {"content-type": "application/json", "accept": "application/json"}
        try:
            url, auth = _without_user_info(url)
            async with self._client.stream(
                "POST",
                url,
                content=content,
                headers=headers,
                auth=auth,
                timeout=self._timeout,
                follow_redirects=False,
            ) as response:
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > self._max_answer_bytes:
                        return PeerAnswer(response.status_code, None)
                return PeerAnswer(response.status_code, bytes(body))
        except httpx.TimeoutException:
            return PeerUnreachable(f"no answer within {self._timeout:g} s")
        except (httpx.InvalidURL, ValueError) as error:
            return PeerUnreachable(f"invalid URL ({error})")
        except httpx.TransportError as error:
            return PeerUnreachable(str(error) or type(error).__name__)


def _without_user_info(url: str) -> tuple[str, httpx.BasicAuth | None]:
    """`url` without its user info, and that user info as Basic credentials (or None).

    Raises:
        ValueError: the URL cannot be parsed.
    """
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url, None
    host = parts.netloc.rpartition("@")[2]
    auth = httpx.BasicAuth(unquote(parts.username or ""), unquote(parts.password or ""))
    return urlunsplit(parts._replace(netloc=host)), auth
