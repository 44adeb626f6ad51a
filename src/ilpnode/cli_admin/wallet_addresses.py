"""`ilpnode wallet-addresses …`: list, show, create and update the wallet addresses a node
hosts, and withdraw what one has received.

A withdrawal takes everything the wallet address has (as Rafiki's
`createWalletAddressWithdrawal`); by default it is pending until `ilpnode liquidity post` (once
the money is paid out to the wallet's owner) or `ilpnode liquidity void`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID, uuid4

import click

from ilpnode.cli_admin import documents
from ilpnode.cli_admin.connection import Connection, with_connection
from ilpnode.cli_admin.liquidity import (
    DEFAULT_WITHDRAWAL_TIMEOUT_SECONDS,
    WITHDRAWAL_TIMEOUT_SECONDS_MAX,
)
from ilpnode.cli_admin.paging import PAGE_SIZE_MAX, fetch_pages
from ilpnode.cli_admin.tables import Column, render_fields, render_table
from ilpnode.cli_admin.views import amount_with_units, asset_label

__all__ = ["wallet_addresses"]

_STATUSES = {"active": "ACTIVE", "inactive": "INACTIVE"}


@click.group("wallet-addresses", short_help="List, show, create and update wallet addresses.")
def wallet_addresses() -> None:
    """Wallet addresses: URLs under the node's OPEN_PAYMENTS_URL where anyone can pay.

    Payers resolve them with SPSP on the node's OPEN_PAYMENTS_PORT; what arrives is the wallet
    address's liquidity, until it is withdrawn. Amounts are integers in the asset's smallest
    unit.
    """


def _fields(wallet_address: Mapping[str, Any]) -> str:
    asset = wallet_address["asset"]
    return render_fields(
        [
            ("id", wallet_address["id"]),
            ("address", wallet_address["address"]),
            ("public name", wallet_address.get("publicName")),
            ("status", str(wallet_address["status"]).lower()),
            ("asset", f"{asset_label(asset)} ({asset['id']})"),
            ("liquidity", amount_with_units(wallet_address.get("liquidity"), asset)),
            ("created", wallet_address.get("createdAt")),
        ]
    )


@wallet_addresses.command("list")
@click.option(
    "--first",
    type=click.IntRange(1, PAGE_SIZE_MAX),
    metavar="N",
    help=f"Show only the newest N wallet addresses (at most {PAGE_SIZE_MAX}); default: all.",
)
@with_connection
def list_wallet_addresses(connection: Connection, first: int | None) -> None:
    """List wallet addresses, newest first: id, address, status, asset, liquidity."""
    data = fetch_pages(connection, documents.WALLET_ADDRESSES_PAGE, "walletAddresses", first=first)
    if connection.as_json:
        connection.print_json(data)
        return
    nodes = [edge["node"] for edge in data["walletAddresses"]["edges"]]
    if not nodes:
        click.echo(
            "No wallet addresses. Create one with "
            "`ilpnode wallet-addresses create --asset-id ID --address alice`."
        )
        return
    columns = [Column("ID"), Column("ADDRESS"), Column("STATUS"), Column("ASSET")]
    columns.append(Column("LIQUIDITY", right=True))
    rows = [
        [
            node["id"],
            node["address"],
            str(node["status"]).lower(),
            asset_label(node["asset"]),
            node.get("liquidity"),
        ]
        for node in nodes
    ]
    click.echo(render_table(columns, rows))


@wallet_addresses.command("show")
@click.argument("wallet_address_id", metavar="ID")
@with_connection
def show_wallet_address(connection: Connection, wallet_address_id: str) -> None:
    """Show one wallet address, with its liquidity."""
    data = connection.execute(documents.WALLET_ADDRESS, {"id": wallet_address_id})
    if connection.as_json:
        connection.print_json(data)
    else:
        click.echo(_fields(data["walletAddress"]))


@wallet_addresses.command("create")
@click.option("--asset-id", required=True, metavar="ID", help="The asset it is paid in.")
@click.option(
    "--address",
    required=True,
    metavar="URL",
    help="A URL under the node's OPEN_PAYMENTS_URL, or a path below it (e.g. alice).",
)
@click.option("--public-name", metavar="NAME", help="A name anyone who looks it up can see.")
@with_connection
def create_wallet_address(
    connection: Connection, asset_id: str, address: str, public_name: str | None
) -> None:
    """Create a wallet address (and its ledger account)."""
    payload: dict[str, object] = {
        "assetId": asset_id,
        "address": address,
        "idempotencyKey": str(uuid4()),
    }
    if public_name is not None:
        payload["publicName"] = public_name
    data = connection.execute(documents.CREATE_WALLET_ADDRESS, {"input": payload})
    if connection.as_json:
        connection.print_json(data)
    else:
        click.echo(_fields(data["createWalletAddress"]["walletAddress"]))


@wallet_addresses.command("update")
@click.argument("wallet_address_id", metavar="ID")
@click.option("--public-name", metavar="NAME", help="A new public name.")
@click.option("--clear-public-name", is_flag=True, help="Remove the public name.")
@click.option(
    "--status",
    type=click.Choice(sorted(_STATUSES)),
    help="inactive: it receives nothing (and keeps its balance); active: it receives again.",
)
@with_connection
def update_wallet_address(
    connection: Connection,
    wallet_address_id: str,
    public_name: str | None,
    clear_public_name: bool,
    status: str | None,
) -> None:
    """Change a wallet address's public name or status; what is not given is kept."""
    if public_name is not None and clear_public_name:
        raise click.UsageError("--public-name and --clear-public-name contradict each other")
    payload: dict[str, object] = {"id": wallet_address_id, "idempotencyKey": str(uuid4())}
    if public_name is not None:
        payload["publicName"] = public_name
    if clear_public_name:
        payload["publicName"] = None
    if status is not None:
        payload["status"] = _STATUSES[status]
    if len(payload) == 2:
        raise click.UsageError(
            "nothing to update: give --public-name, --clear-public-name or --status"
        )
    data = connection.execute(documents.UPDATE_WALLET_ADDRESS, {"input": payload})
    if connection.as_json:
        connection.print_json(data)
    else:
        click.echo(_fields(data["updateWalletAddress"]["walletAddress"]))


def _check_id(_ctx: click.Context, param: click.Parameter, value: str | None) -> str:
    if value is None:
        return str(uuid4())
    try:
        UUID(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a UUID", param=param) from None
    return value


@wallet_addresses.command("withdraw")
@click.argument("wallet_address_id", metavar="ID")
@click.option(
    "--id",
    "withdrawal_id",
    metavar="UUID",
    callback=_check_id,
    help="The withdrawal id to use; default: a new random UUID v4.",
)
@click.option(
    "--timeout-seconds",
    type=click.IntRange(0, WITHDRAWAL_TIMEOUT_SECONDS_MAX),
    metavar="SECONDS",
    default=DEFAULT_WITHDRAWAL_TIMEOUT_SECONDS,
    show_default=True,
    help="Seconds until the withdrawal is voided unless posted; 0 withdraws at once "
    "(nothing to post).",
)
@with_connection
def withdraw(
    connection: Connection, wallet_address_id: str, withdrawal_id: str, timeout_seconds: int
) -> None:
    """Withdraw everything a wallet address has received.

    Prints the withdrawal id on stdout (`WID=$(ilpnode wallet-addresses withdraw ID)`) and
    what to do next on stderr: `ilpnode liquidity post WID` once paid out, or `… void WID`.
    """
    payload = {
        "walletAddressId": wallet_address_id,
        "id": withdrawal_id,
        "timeoutSeconds": str(timeout_seconds),
        "idempotencyKey": str(uuid4()),
    }
    data = connection.execute(documents.CREATE_WALLET_ADDRESS_WITHDRAWAL, {"input": payload})
    if connection.as_json:
        connection.print_json(data)
        click.echo(f"withdrawal id: {withdrawal_id}", err=True)
        return
    withdrawal = data["createWalletAddressWithdrawal"]["withdrawal"]
    wallet = withdrawal["walletAddress"]
    amount = amount_with_units(withdrawal["amount"], wallet["asset"])
    now = amount_with_units(wallet.get("liquidity"), wallet["asset"])
    click.echo(withdrawal_id)
    if timeout_seconds == 0:
        click.echo(f"Withdrew {amount} from {wallet['address']}; liquidity now {now}.", err=True)
        return
    click.echo(
        f"Withdrawal of {amount} from {wallet['address']} is pending; liquidity now {now}.\n"
        f"Post it with `ilpnode liquidity post {withdrawal_id}` once paid out, or void it with "
        f"`ilpnode liquidity void {withdrawal_id}`; it is voided by itself in "
        f"{timeout_seconds} s.",
        err=True,
    )
