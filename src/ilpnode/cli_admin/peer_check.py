"""`ilpnode peers check ID`: does the peering work in the outgoing direction?

The CLI reads the peer's outgoing endpoint and token from the Admin API and sends the peer an
IL-DCP request (RFC 0031: a Prepare to `peer.config`, amount 0) itself, with
`ilp_over_http.post_prepare`, as this node's connector would, and reads the answer as the
dashboard does (`ilp.read_link_check_answer`): any ILP answer proves the endpoint is reachable
and the token accepted; an IL-DCP answer also says which address and asset the peer has
configured for us, and they are compared with ours. No money moves: IL-DCP packets have
amount 0.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Final

import click

from ilpnode.cli_admin import documents
from ilpnode.cli_admin.connection import CliFailure, Connection, with_connection
from ilpnode.cli_admin.peers import peer_label, peers
from ilpnode.ilp import Prepare, build_ildcp_request, read_link_check_answer
from ilpnode.ilp_over_http import Answer, post_prepare

__all__ = ["check_peer"]

CHECK_TIMEOUT_SECONDS: Final = 10.0


@peers.command("check")
@click.argument("peer_id", metavar="ID")
@with_connection
def check_peer(connection: Connection, peer_id: str) -> None:
    """Check a peer's endpoint and token: send it an IL-DCP request and show its answer.

    Exit status 0 when the peer answered in ILP (the link works), 1 otherwise.
    """
    import httpx

    peer = connection.execute(documents.PEER, {"id": peer_id})["peer"]
    outgoing = peer["http"]["outgoing"]
    endpoint, label = outgoing["endpoint"], peer_label(peer)
    request = build_ildcp_request(expires_at=datetime.now(UTC) + timedelta(seconds=30))
    try:
        answer = asyncio.run(_post(endpoint, outgoing["authToken"], request))
    except httpx.HTTPError as error:
        raise CliFailure(f"cannot reach peer {label} at {endpoint}: {error}") from None
    asset = peer["asset"]
    read = read_link_check_answer(
        answer.status,
        answer.body,
        label=label,
        endpoint=endpoint,
        asset_code=asset["code"],
        asset_scale=asset["scale"],
    )
    if not read.ok:
        raise CliFailure(" ".join(read.lines))
    for line in read.lines:
        click.echo(line)


async def _post(endpoint: str, token: str, request: Prepare) -> Answer:
    import httpx

    async with httpx.AsyncClient() as client:
        return await post_prepare(
            client, endpoint, token, request, timeout_seconds=CHECK_TIMEOUT_SECONDS
        )
