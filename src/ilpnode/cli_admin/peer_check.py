"""`ilpnode peers check ID`: does the peering work in the outgoing direction?

The CLI reads the peer's outgoing endpoint and token from the Admin API and sends the peer an
IL-DCP request (RFC 0031: a Prepare to `peer.config`, amount 0) itself, as this node's connector
would. Any ILP answer proves the endpoint is reachable and the token accepted; an IL-DCP answer
also says which address and asset the peer has configured for us, and they are compared with
ours. No money moves: IL-DCP packets have amount 0.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Final

import click

from ilpnode.cli_admin import documents
from ilpnode.cli_admin.connection import CliFailure, Connection, with_connection
from ilpnode.cli_admin.peers import peers
from ilpnode.ilp import (
    Fulfill,
    IldcpError,
    IlpCodecError,
    build_ildcp_request,
    decode_ildcp_response,
    decode_reply,
    encode_prepare,
)

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
    endpoint, label = outgoing["endpoint"], peer.get("name") or peer["staticIlpAddress"]
    request = build_ildcp_request(expires_at=datetime.now(UTC) + timedelta(seconds=30))
    try:
        answer = httpx.post(
            endpoint,
            content=encode_prepare(request),
            headers={
                "authorization": f"Bearer {outgoing['authToken']}",
                "content-type": "application/octet-stream",
            },
            timeout=CHECK_TIMEOUT_SECONDS,
        )
    except httpx.HTTPError as error:
        raise CliFailure(f"cannot reach peer {label} at {endpoint}: {error}") from None
    if answer.status_code in (401, 403):
        raise CliFailure(
            f"peer {label} refused our outgoing token (HTTP {answer.status_code}): "
            "check the token it gave you"
        )
    if answer.status_code != 200:
        raise CliFailure(f"peer {label} answered HTTP {answer.status_code}: {answer.text[:200]}")
    try:
        reply = decode_reply(answer.content)
    except IlpCodecError as error:
        raise CliFailure(f"peer {label} answered something that is not ILP: {error}") from None
    click.echo(f"Peer {label} at {endpoint} accepted our token.")
    if not isinstance(reply, Fulfill):
        click.echo(
            f"It does not answer IL-DCP ({reply.code} from {reply.triggered_by or '?'}: "
            f"{reply.message}); Rafiki and ilp-connector peers often do not, which is fine."
        )
        return
    _report(reply, peer)


def _report(reply: Fulfill, peer: dict[str, Any]) -> None:
    try:
        told = decode_ildcp_response(reply)
    except (IldcpError, IlpCodecError, ValueError) as error:
        click.echo(f"Its IL-DCP answer cannot be read: {error}")
        return
    asset = peer["asset"]
    click.echo(
        f"It knows this node as {told.client_address}, asset {told.asset_code} "
        f"scale {told.asset_scale}."
    )
    if (told.asset_code, told.asset_scale) != (asset["code"], asset["scale"]):
        click.echo(
            f"Warning: this node peers with it in {asset['code']} scale {asset['scale']}: "
            "the two sides disagree on the asset, so amounts would be misread."
        )
