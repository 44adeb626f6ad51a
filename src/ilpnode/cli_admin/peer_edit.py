"""`ilpnode peers create` and `ilpnode peers update`.

Neither sends an `idempotencyKey`: the CLI never retries a request, so a key would add nothing
(the node would keep a digest of the input for a day to recognise retries).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from ilpnode.cli_admin import documents
from ilpnode.cli_admin.amounts import amount_callback
from ilpnode.cli_admin.connection import Connection, with_connection
from ilpnode.cli_admin.peers import peer_fields, peers

__all__ = ["create_peer", "update_peer"]

F = TypeVar("F", bound=Callable[..., Any])

# --clear NAME -> the UpdatePeerInput field set to null (routes: to an empty list).
_CLEARABLE = {
    "name": "name",
    "max-packet-amount": "maxPacketAmount",
    "liquidity-threshold": "liquidityThreshold",
    "liquidity-high-threshold": "liquidityHighThreshold",
    "routes": "routes",
}

_HELP = {
    "address": "The peer's ILP address, e.g. g.othergreatwallet: packets for it (and for "
    "addresses under it) are sent to this peer.",
    "endpoint": "The peer's ILP-over-HTTP URL, where this node POSTs packets for the peer, "
    "e.g. https://ilp.othergreatwallet.com.",
    "outgoing-token": "The token this node sends to the peer (Authorization: Bearer …). "
    "The peer's operator gives it to you.",
    "incoming-token": "A token the peer must send to this node's connector. You give it to "
    "the peer's operator. Repeat the option to accept several (e.g. while rotating).",
    "name": "A name for the peer, for you: it is shown in lists.",
    "max-packet-amount": "The largest packet amount (in the asset's smallest unit) accepted "
    "from this peer; larger packets from it are rejected with F08 Amount Too Large.",
    "liquidity-threshold": "Low-liquidity webhook threshold, in the asset's smallest unit: "
    "when the peer's liquidity falls to it or below, the node sends peer.liquidity_low "
    "(once per crossing).",
    "liquidity-high-threshold": "High-liquidity webhook threshold, above the low one: when "
    "the peer's liquidity rises to it or above, the node sends peer.liquidity_high (time to "
    "settle).",
    "route": "An extra ILP address prefix reachable through this peer, e.g. g.partner. Repeatable.",
}


def _peer_options(*, create: bool) -> list[Callable[[F], F]]:
    def text(name: str, metavar: str, **extra: Any) -> Callable[[F], F]:
        return click.option(f"--{name}", metavar=metavar, help=_HELP[name], **extra)

    def amount(name: str) -> Callable[[F], F]:
        return click.option(
            f"--{name}", metavar="AMOUNT", callback=amount_callback, help=_HELP[name]
        )

    replaces = "" if create else " Replaces all of them."
    return [
        text("address", "ADDRESS", required=create),
        text("endpoint", "URL", required=create),
        text("outgoing-token", "TOKEN", required=create),
        click.option(
            "--incoming-token",
            "incoming_tokens",
            metavar="TOKEN",
            multiple=True,
            required=create,
            help=_HELP["incoming-token"] + replaces,
        ),
        text("name", "NAME"),
        amount("max-packet-amount"),
        amount("liquidity-threshold"),
        amount("liquidity-high-threshold"),
        click.option(
            "--route", "routes", metavar="PREFIX", multiple=True, help=_HELP["route"] + replaces
        ),
    ]


def _with_peer_options(*, create: bool) -> Callable[[F], F]:
    def decorate(command: F) -> F:
        for option in reversed(_peer_options(create=create)):
            command = option(command)
        return command

    return decorate


def _optional(payload: dict[str, object], **values: object) -> None:
    for key, value in values.items():
        if value is not None:
            payload[key] = str(value) if isinstance(value, int) else value


@peers.command("create")
@click.option(
    "--asset-id",
    required=True,
    metavar="ID",
    help="The asset (currency) of this peering; `ilpnode assets list` shows the ids.",
)
@_with_peer_options(create=True)
@click.option(
    "--initial-liquidity",
    metavar="AMOUNT",
    callback=amount_callback,
    help="Credit to extend to the peer at once, in the asset's smallest unit "
    "(like a later `ilpnode liquidity deposit --peer`).",
)
@with_connection
def create_peer(
    connection: Connection,
    asset_id: str,
    address: str,
    endpoint: str,
    outgoing_token: str,
    incoming_tokens: tuple[str, ...],
    name: str | None,
    max_packet_amount: int | None,
    liquidity_threshold: int | None,
    liquidity_high_threshold: int | None,
    routes: tuple[str, ...],
    initial_liquidity: int | None,
) -> None:
    """Add a peer: another connector this node sends packets to and accepts packets from.

    \b
    Example (amounts in the asset's smallest unit: 100.00 USD at scale 2 is 10000):
      ilpnode peers create --asset-id 4b7d… --name "Other Wallet" \\
        --address g.othergreatwallet --endpoint https://ilp.othergreatwallet.com \\
        --outgoing-token THEIR-TOKEN --incoming-token OUR-TOKEN --initial-liquidity 10000
    """
    payload: dict[str, object] = {
        "assetId": asset_id,
        "staticIlpAddress": address,
        "http": {
            "incoming": {"authTokens": list(incoming_tokens)},
            "outgoing": {"endpoint": endpoint, "authToken": outgoing_token},
        },
    }
    _optional(
        payload,
        name=name,
        maxPacketAmount=max_packet_amount,
        liquidityThreshold=liquidity_threshold,
        liquidityHighThreshold=liquidity_high_threshold,
        initialLiquidity=initial_liquidity,
    )
    if routes:
        payload["routes"] = list(routes)
    data = connection.execute(documents.CREATE_PEER, {"input": payload})
    if connection.as_json:
        connection.print_json(data)
    else:
        click.echo(peer_fields(data["createPeer"]["peer"]))


@peers.command("update")
@click.argument("peer_id", metavar="ID")
@_with_peer_options(create=False)
@click.option(
    "--clear",
    multiple=True,
    type=click.Choice(list(_CLEARABLE)),
    help="Remove the name, a limit or the extra routes (repeatable).",
)
@with_connection
def update_peer(
    connection: Connection,
    peer_id: str,
    address: str | None,
    endpoint: str | None,
    outgoing_token: str | None,
    incoming_tokens: tuple[str, ...],
    name: str | None,
    max_packet_amount: int | None,
    liquidity_threshold: int | None,
    liquidity_high_threshold: int | None,
    routes: tuple[str, ...],
    clear: tuple[str, ...],
) -> None:
    """Change a peer; what is not given is kept.

    Changing only the endpoint, only the outgoing token or only the incoming tokens is fine:
    the other connection details are read from the node and sent back unchanged.
    """
    payload: dict[str, object] = {"id": peer_id}
    given: dict[str, object] = {"name": name, "max-packet-amount": max_packet_amount}
    given |= {
        "liquidity-threshold": liquidity_threshold,
        "liquidity-high-threshold": liquidity_high_threshold,
        "routes": routes or None,
    }
    for option in clear:
        if given[option] is not None:
            raise click.UsageError(f"--{option} and --clear {option} contradict each other")
        payload[_CLEARABLE[option]] = [] if option == "routes" else None
    _optional(
        payload,
        staticIlpAddress=address,
        name=name,
        maxPacketAmount=max_packet_amount,
        liquidityThreshold=liquidity_threshold,
        liquidityHighThreshold=liquidity_high_threshold,
    )
    if routes:
        payload["routes"] = list(routes)
    changes_http = endpoint is not None or outgoing_token is not None or bool(incoming_tokens)
    if len(payload) == 1 and not changes_http:
        raise click.UsageError("nothing to update: give at least one option (see --help)")
    with connection.client() as client:
        if changes_http:
            # HttpInput requires both outgoing values: send back the ones not being changed.
            if endpoint is None or outgoing_token is None:
                current = connection.execute(documents.PEER, {"id": peer_id}, client=client)
                outgoing = current["peer"]["http"]["outgoing"]
                endpoint = outgoing["endpoint"] if endpoint is None else endpoint
                if outgoing_token is None:
                    outgoing_token = outgoing["authToken"]
            http: dict[str, object] = {
                "outgoing": {"endpoint": endpoint, "authToken": outgoing_token}
            }
            if incoming_tokens:
                http["incoming"] = {"authTokens": list(incoming_tokens)}
            payload["http"] = http
        data = connection.execute(documents.UPDATE_PEER, {"input": payload}, client=client)
    if connection.as_json:
        connection.print_json(data)
    else:
        click.echo(peer_fields(data["updatePeer"]["peer"]))
