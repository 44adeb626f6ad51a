"""Check connection: send a peer an IL-DCP request through its endpoint, in words.

The same check as `ilpnode peers check` (cli_admin/peer_check.py), done by the node itself:
a Prepare to `peer.config`, amount 0 (RFC 0031), POSTed to the peer's outgoing endpoint with its
outgoing token by `ilp_over_http.post_prepare`, as this node's connector would; both read the
answer with `ilp.read_link_check_answer`. No money moves.

The last result per peer is kept in memory (for the peers table's "state"); it is gone at a
restart, like the traffic counters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final
from uuid import UUID

import httpx

from ilpnode.ilp import build_ildcp_request, read_link_check_answer
from ilpnode.ilp_over_http import post_prepare
from ilpnode.services.peering import Asset, Peer

__all__ = ["CHECK_TIMEOUT_SECONDS", "CheckResult", "PeerChecker"]

CHECK_TIMEOUT_SECONDS: Final = 5.0
"""How long the dashboard waits for the peer: a person is waiting for the page."""
_EXPIRY_MARGIN: Final = timedelta(seconds=10)  # the Prepare outlives our wait for it
_REMEMBERED_PEERS_MAX: Final = 10_000  # bounds memory if peers come and go


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckResult:
    """What a check found. `ok`: the peer answered in ILP (the link works); `lines` say it."""

    ok: bool
    lines: tuple[str, ...]
    at: datetime


class PeerChecker:
    """Sends the IL-DCP request with `client` (owned by the caller, who closes it)."""

    def __init__(self, *, client: httpx.AsyncClient, own_address: str) -> None:
        self._client = client
        self._own_address = own_address
        self._last: dict[UUID, CheckResult] = {}

    def last(self, peer_id: UUID) -> CheckResult | None:
        """The result of the last check of this peer since start, if any."""
        return self._last.get(peer_id)

    async def check(self, peer: Peer, asset: Asset, *, now: datetime) -> CheckResult:
        """Check `peer` (whose asset is `asset`). Never raises for what the peer does.

        Returns:
            The result; it is also remembered as `last(peer.id)`.
        """
        ok, lines = await self._check(peer, asset, now=now)
        result = CheckResult(ok=ok, lines=tuple(lines), at=now)
        if len(self._last) >= _REMEMBERED_PEERS_MAX and peer.id not in self._last:
            self._last.pop(next(iter(self._last)))
        self._last[peer.id] = result
        return result

    async def _check(self, peer: Peer, asset: Asset, *, now: datetime) -> tuple[bool, list[str]]:
        outgoing = peer.http_outgoing
        label = peer.label
        endpoint = outgoing.endpoint
        expires_at = now + timedelta(seconds=CHECK_TIMEOUT_SECONDS) + _EXPIRY_MARGIN
        request = build_ildcp_request(expires_at=expires_at)
        try:
            answer = await post_prepare(
                self._client,
                endpoint,
                outgoing.auth_token,
                request,
                timeout_seconds=CHECK_TIMEOUT_SECONDS,
            )
        except httpx.TimeoutException:
            return False, [
                f"Peer {label} did not answer at {endpoint} within "
                f"{CHECK_TIMEOUT_SECONDS:g} seconds."
            ]
        except httpx.HTTPError as error:
            return False, [f"Cannot reach peer {label} at {endpoint}: {_describe(error)}."]
        read = read_link_check_answer(
            answer.status,
            answer.body,
            label=label,
            endpoint=endpoint,
            asset_code=asset.code,
            asset_scale=asset.scale,
            own_address=self._own_address,
        )
        return read.ok, list(read.lines)


def _describe(error: httpx.HTTPError) -> str:
    text = str(error)
    if isinstance(error, httpx.ConnectError):
        return f"the connection failed ({text or 'refused'})"
    return text or type(error).__name__
