"""What the auto-peering service needs from the network: one JSON POST to a peer URL.

`http_client.HttpPeeringClient` implements it with httpx; the unit tests use a fake that
answers from a script. The port never raises for network trouble: an unreachable peer is a
value (`PeerUnreachable`), so the service maps every outcome explicitly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = ["PeerAnswer", "PeerUnreachable", "PeeringClient"]


@dataclass(frozen=True, slots=True)
class PeerAnswer:
    """An HTTP answer. `body` is None when it was longer than the client reads (it is then
    no auto-peering answer)."""

    status: int
    body: bytes | None


@dataclass(frozen=True, slots=True)
class PeerUnreachable:
    """No HTTP answer (DNS failure, connection refused or reset, timeout, TLS failure); `reason`
    says which, in words, without the URL."""

    reason: str


class PeeringClient(Protocol):
    """Sends peering requests."""

    async def post_json(self, url: str, payload: Mapping[str, Any]) -> PeerAnswer | PeerUnreachable:
        """POST `payload` as JSON to `url` (redirects are not followed); never raises for
        network trouble."""
        ...
