"""`ilpnode peers …`: list, show and delete peers (create and update are in `peer_edit`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import uuid4

import click

from ilpnode.cli_admin import documents
from ilpnode.cli_admin.connection import Connection, with_connection
from ilpnode.cli_admin.paging import PAGE_SIZE_MAX, fetch_pages
from ilpnode.cli_admin.tables import MISSING, Column, render_fields, render_table
from ilpnode.cli_admin.views import amount_with_units, asset_label

__all__ = ["peer_fields", "peer_label", "peers"]


@click.group(short_help="List, show, create, update and delete peers.")
def peers() -> None:
    """Peers: the other connectors this node exchanges ILP packets with.

    A peer has an ILP address (packets to it, and to its routes, go to it), an ILP-over-HTTP
    endpoint with a token in each direction, an asset, and liquidity: the credit this node
    extends to it, in the asset's smallest unit. A packet from the peer can never take its
    liquidity below zero.
    """


def peer_label(peer: Mapping[str, Any]) -> str:
    """How messages name a peer (as `Peer.label` does on the node): its name, or its address."""
    return str(peer.get("name") or peer["staticIlpAddress"])


def peer_fields(peer: Mapping[str, Any]) -> str:
    """A peer as aligned `label: value` lines (the outgoing token is not shown)."""
    asset = peer["asset"]
    return render_fields(
        [
            ("id", peer["id"]),
            ("name", peer.get("name")),
            ("address", peer["staticIlpAddress"]),
            ("routes", ", ".join(peer.get("routes") or ()) or None),
            ("asset", f"{asset_label(asset)} ({asset['id']})"),
            ("liquidity", amount_with_units(peer.get("liquidity"), asset)),
            ("max packet amount", amount_with_units(peer.get("maxPacketAmount"), asset)),
            ("liquidity threshold", amount_with_units(peer.get("liquidityThreshold"), asset)),
            (
                "high threshold",
                amount_with_units(peer.get("liquidityHighThreshold"), asset),
            ),
            ("endpoint", peer["http"]["outgoing"]["endpoint"]),
            ("outgoing token", "(hidden; --json shows it)"),
            ("created", peer.get("createdAt")),
        ]
    )


@peers.command("list")
@click.option(
    "--first",
    type=click.IntRange(1, PAGE_SIZE_MAX),
    metavar="N",
    help=f"Show only the newest N peers (at most {PAGE_SIZE_MAX}); default: all of them.",
)
@with_connection
def list_peers(connection: Connection, first: int | None) -> None:
    """List peers, newest first: id, name, address, asset, liquidity."""
    data = fetch_pages(connection, documents.PEERS_PAGE, "peers", first=first)
    if connection.as_json:
        connection.print_json(data)
        return
    nodes = [edge["node"] for edge in data["peers"]["edges"]]
    if not nodes:
        click.echo("No peers. Add one with `ilpnode peers create` (see --help).")
        return
    columns = [Column("ID"), Column("NAME"), Column("ADDRESS"), Column("ASSET")]
    columns.append(Column("LIQUIDITY", right=True))
    rows = [
        [
            node["id"],
            node.get("name"),
            node["staticIlpAddress"],
            asset_label(node["asset"]),
            node.get("liquidity"),
        ]
        for node in nodes
    ]
    click.echo(render_table(columns, rows))


@peers.command("show")
@click.argument("peer_id", metavar="ID")
@with_connection
def show_peer(connection: Connection, peer_id: str) -> None:
    """Show one peer: address, routes, asset, liquidity, limits and endpoint."""
    data = connection.execute(documents.PEER, {"id": peer_id})
    if connection.as_json:
        connection.print_json(data)
    else:
        click.echo(peer_fields(data["peer"]))


@peers.command("delete")
@click.argument("peer_id", metavar="ID")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@with_connection
def delete_peer(connection: Connection, peer_id: str, yes: bool) -> None:
    """Delete a peer, its tokens and its routes.

    Withdraw its liquidity first: afterwards no command can reach the peer's account.
    """
    if not yes:
        peer = connection.execute(documents.PEER, {"id": peer_id})["peer"]
        liquidity = amount_with_units(peer.get("liquidity"), peer["asset"]) or MISSING
        click.confirm(
            f"Delete peer {peer['id']} ({peer.get('name') or 'no name'}, "
            f"{peer['staticIlpAddress']}, liquidity {liquidity})?",
            abort=True,
        )
    payload = {"id": peer_id, "idempotencyKey": str(uuid4())}
    data = connection.execute(documents.DELETE_PEER, {"input": payload})
    if connection.as_json:
        connection.print_json(data)
    else:
        click.echo(f"Deleted peer {peer_id}.")
