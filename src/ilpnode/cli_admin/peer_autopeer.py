"""`ilpnode peers autopeer URL`: peer with another node through its auto-peering URL.

One `createOrUpdatePeerByUrl` mutation: the *node* (not the CLI) posts its ILP address,
connector URL, the asset and a fresh token to the URL, and creates the peer from the answer, or
updates the one it already has for that address and asset (new tokens both ways). No
`idempotencyKey` is sent: the CLI never retries, and running the command again simply re-peers.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import click

from ilpnode.cli_admin import documents
from ilpnode.cli_admin.amounts import amount_callback
from ilpnode.cli_admin.connection import Connection, with_connection
from ilpnode.cli_admin.peers import peer_fields, peer_label, peers

__all__ = ["autopeer"]


def _check_peer_url(_ctx: click.Context, param: click.Parameter, value: str) -> str:
    try:
        parts = urlsplit(value)
        valid = parts.scheme in ("http", "https") and bool(parts.hostname)
        _ = parts.port  # raises ValueError for a bad port
    except ValueError:
        valid = False
    if not valid:
        raise click.BadParameter(
            f"{_shown(value)!r} is not an http(s) URL such as https://peer.example:3005/",
            param=param,
        )
    return value


def _shown(url: str) -> str:
    """`url` without user info (it may carry the peer's auto-peering secret)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    if "@" not in parts.netloc:
        return url
    return parts._replace(netloc="***@" + parts.netloc.rpartition("@")[2]).geturl()


@peers.command("autopeer")
@click.argument("peer_url", metavar="URL", callback=_check_peer_url)
@click.option(
    "--asset-id",
    required=True,
    metavar="ID",
    help="The asset of this peering (`ilpnode assets list`); the peer must have an asset with "
    "the same code and scale.",
)
@click.option(
    "--name",
    metavar="NAME",
    help="A name for the peer, for you (default: the name the peer announces).",
)
@click.option(
    "--max-packet-amount",
    metavar="AMOUNT",
    callback=amount_callback,
    help="The largest packet amount (smallest unit) either side accepts from the other; "
    "the peer is told too. Default (or 0): no limit.",
)
@click.option(
    "--liquidity-threshold",
    metavar="AMOUNT",
    callback=amount_callback,
    help="Rafiki's low-liquidity webhook threshold, in the asset's smallest unit.",
)
@click.option(
    "--liquidity",
    metavar="AMOUNT",
    callback=amount_callback,
    help="Credit to extend to the peer, in the asset's smallest unit, deposited once the "
    "peering is done (also when re-peering).",
)
@with_connection
def autopeer(
    connection: Connection,
    peer_url: str,
    asset_id: str,
    name: str | None,
    max_packet_amount: int | None,
    liquidity_threshold: int | None,
    liquidity: int | None,
) -> None:
    """Peer with another node through its auto-peering URL, in one step.

    The node sends the peer its ILP address, connector URL, the asset and a new token; the peer
    answers with its own and grants this node a credit line. Running it again for the same
    peer and asset updates the peer (new tokens both ways) instead of adding another. If the
    peer has an auto-peering secret, put it in the URL: http://ilpnode:SECRET@host:3005/.
    The node needs ILP_ADDRESS, ILP_CONNECTOR_URL and INSTANCE_NAME set.

    \b
    Example (amounts in the asset's smallest unit: 100.00 USD at scale 2 is 10000):
      ilpnode peers autopeer https://peer.example:3005/ --asset-id 4b7d… --liquidity 10000
    """
    payload: dict[str, object] = {"peerUrl": peer_url, "assetId": asset_id}
    for key, value in (
        ("name", name),
        ("maxPacketAmount", max_packet_amount),
        ("liquidityThreshold", liquidity_threshold),
        ("liquidityToDeposit", liquidity),
    ):
        if value is not None:
            payload[key] = str(value) if isinstance(value, int) else value
    data = connection.execute(documents.CREATE_OR_UPDATE_PEER_BY_URL, {"input": payload})
    if connection.as_json:
        connection.print_json(data)
        return
    peer = data["createOrUpdatePeerByUrl"]["peer"]
    label = peer_label(peer)
    click.echo(f"Peered with {label} ({peer['staticIlpAddress']}) through {_shown(peer_url)}.")
    click.echo(peer_fields(peer))
