"""`ilpnode assets …`: list, show, create, update and delete assets, and set their fees."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import uuid4

import click

from ilpnode.cli_admin import documents
from ilpnode.cli_admin.amounts import amount_callback
from ilpnode.cli_admin.connection import Connection, with_connection
from ilpnode.cli_admin.paging import PAGE_SIZE_MAX, fetch_pages
from ilpnode.cli_admin.tables import Column, render_fields, render_table
from ilpnode.cli_admin.views import amount_with_units, asset_label, fee_text

__all__ = ["assets"]

_THRESHOLDS = {
    "withdrawal-threshold": "withdrawalThreshold",
    "liquidity-threshold": "liquidityThreshold",
    "liquidity-high-threshold": "liquidityHighThreshold",
}
_LOW_HELP = (
    "Low-liquidity webhook threshold: when the asset's liquidity falls to it or below, the "
    "node sends asset.liquidity_low (once per crossing)."
)
_HIGH_HELP = (
    "High-liquidity webhook threshold, above the low one: when the liquidity rises to it or "
    "above, the node sends asset.liquidity_high."
)


@click.group(short_help="List, show, create, update and delete assets; set their fees.")
def assets() -> None:
    """Assets: the currencies this node keeps accounts in, each a code and a scale.

    Amounts everywhere are integers in the asset's smallest unit: at scale 2, 10000 is 100.00.
    """


def _asset_fields(asset: Mapping[str, Any]) -> str:
    scale = int(asset["scale"])
    return render_fields(
        [
            ("id", asset["id"]),
            ("code", asset["code"]),
            ("scale", str(scale)),
            ("liquidity", amount_with_units(asset.get("liquidity"), asset)),
            ("withdrawal threshold", amount_with_units(asset.get("withdrawalThreshold"), asset)),
            ("liquidity threshold", amount_with_units(asset.get("liquidityThreshold"), asset)),
            ("sending fee", fee_text(asset.get("sendingFee"), asset)),
            ("receiving fee", fee_text(asset.get("receivingFee"), asset)),
            (
                "high threshold",
                amount_with_units(asset.get("liquidityHighThreshold"), asset),
            ),
            ("created", asset.get("createdAt")),
        ]
    )


@assets.command("list")
@click.option(
    "--first",
    type=click.IntRange(1, PAGE_SIZE_MAX),
    metavar="N",
    help=f"Show only the newest N assets (at most {PAGE_SIZE_MAX}); default: all of them.",
)
@with_connection
def list_assets(connection: Connection, first: int | None) -> None:
    """List assets, newest first: id, code, scale, liquidity."""
    data = fetch_pages(connection, documents.ASSETS_PAGE, "assets", first=first)
    if connection.as_json:
        connection.print_json(data)
        return
    nodes = [edge["node"] for edge in data["assets"]["edges"]]
    if not nodes:
        click.echo("No assets. Create one with `ilpnode assets create --code USD --scale 2`.")
        return
    columns = [Column("ID"), Column("CODE"), Column("SCALE", right=True)]
    columns.append(Column("LIQUIDITY", right=True))
    rows = [[node["id"], node["code"], str(node["scale"]), node.get("liquidity")] for node in nodes]
    click.echo(render_table(columns, rows))


@assets.command("show")
@click.argument("asset_id", metavar="ID")
@with_connection
def show_asset(connection: Connection, asset_id: str) -> None:
    """Show one asset, with its liquidity and thresholds."""
    data = connection.execute(documents.ASSET, {"id": asset_id})
    if connection.as_json:
        connection.print_json(data)
    else:
        click.echo(_asset_fields(data["asset"]))


@assets.command("create")
@click.option("--code", required=True, help="Currency code, A-Z and 0-9, e.g. USD.")
@click.option(
    "--scale",
    required=True,
    type=click.IntRange(0, 255),
    help="Decimal places of the smallest unit: 2 for cents (10000 = 100.00).",
)
@click.option(
    "--withdrawal-threshold",
    metavar="AMOUNT",
    callback=amount_callback,
    help="Rafiki's withdrawal threshold (minimum withdrawal); stored and shown.",
)
@click.option("--liquidity-threshold", metavar="AMOUNT", callback=amount_callback, help=_LOW_HELP)
@click.option(
    "--liquidity-high-threshold", metavar="AMOUNT", callback=amount_callback, help=_HIGH_HELP
)
@with_connection
def create_asset(
    connection: Connection,
    code: str,
    scale: int,
    withdrawal_threshold: int | None,
    liquidity_threshold: int | None,
    liquidity_high_threshold: int | None,
) -> None:
    """Create an asset (and its liquidity and settlement accounts)."""
    payload: dict[str, object] = {"code": code, "scale": scale, "idempotencyKey": str(uuid4())}
    if withdrawal_threshold is not None:
        payload["withdrawalThreshold"] = str(withdrawal_threshold)
    if liquidity_threshold is not None:
        payload["liquidityThreshold"] = str(liquidity_threshold)
    if liquidity_high_threshold is not None:
        payload["liquidityHighThreshold"] = str(liquidity_high_threshold)
    data = connection.execute(documents.CREATE_ASSET, {"input": payload})
    if connection.as_json:
        connection.print_json(data)
    else:
        click.echo(_asset_fields(data["createAsset"]["asset"]))


@assets.command("update")
@click.argument("asset_id", metavar="ID")
@click.option(
    "--withdrawal-threshold",
    metavar="AMOUNT",
    callback=amount_callback,
    help="New withdrawal threshold.",
)
@click.option(
    "--liquidity-threshold",
    metavar="AMOUNT",
    callback=amount_callback,
    help="New low-liquidity threshold.",
)
@click.option(
    "--liquidity-high-threshold",
    metavar="AMOUNT",
    callback=amount_callback,
    help="New high-liquidity threshold.",
)
@click.option(
    "--clear",
    "clear",
    multiple=True,
    type=click.Choice(sorted(_THRESHOLDS)),
    help="Remove a threshold (repeatable).",
)
@with_connection
def update_asset(
    connection: Connection,
    asset_id: str,
    withdrawal_threshold: int | None,
    liquidity_threshold: int | None,
    liquidity_high_threshold: int | None,
    clear: tuple[str, ...],
) -> None:
    """Change an asset's thresholds; the ones not given are kept."""
    given = {
        "withdrawal-threshold": withdrawal_threshold,
        "liquidity-threshold": liquidity_threshold,
        "liquidity-high-threshold": liquidity_high_threshold,
    }
    payload: dict[str, object] = {"id": asset_id, "idempotencyKey": str(uuid4())}
    for name, value in given.items():
        if value is not None and name in clear:
            raise click.UsageError(f"--{name} and --clear {name} contradict each other")
        if value is not None:
            payload[_THRESHOLDS[name]] = str(value)
        elif name in clear:
            payload[_THRESHOLDS[name]] = None
    if len(payload) == 2:
        raise click.UsageError(
            "nothing to update: give --withdrawal-threshold, --liquidity-threshold,"
            " --liquidity-high-threshold or --clear"
        )
    data = connection.execute(documents.UPDATE_ASSET, {"input": payload})
    if connection.as_json:
        connection.print_json(data)
    else:
        click.echo(_asset_fields(data["updateAsset"]["asset"]))


@assets.command("delete")
@click.argument("asset_id", metavar="ID")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@with_connection
def delete_asset(connection: Connection, asset_id: str, yes: bool) -> None:
    """Delete an asset that no peer uses."""
    if not yes:
        asset = connection.execute(documents.ASSET, {"id": asset_id})["asset"]
        click.confirm(f"Delete asset {asset['id']} ({asset_label(asset)})?", abort=True)
    payload = {"id": asset_id, "idempotencyKey": str(uuid4())}
    data = connection.execute(documents.DELETE_ASSET, {"input": payload})
    if connection.as_json:
        connection.print_json(data)
        return
    deleted = data["deleteAsset"]["asset"]
    click.echo(f"Deleted asset {deleted['id']} ({asset_label(deleted)}).")


@assets.command("set-fee")
@click.argument("asset_id", metavar="ID")
@click.option(
    "--type",
    "fee_type",
    required=True,
    type=click.Choice(["sending", "receiving"], case_sensitive=False),
    help="sending: paid by the sender, on top; receiving: paid by the receiver.",
)
@click.option(
    "--fixed",
    required=True,
    metavar="AMOUNT",
    callback=amount_callback,
    help="The fixed part, in the asset's smallest unit (0 for none).",
)
@click.option(
    "--basis-points",
    required=True,
    type=click.IntRange(0, 10_000),
    metavar="N",
    help="The variable part: 0 to 10000 basis points of the amount (100 is 1 %).",
)
@with_connection
def set_fee(
    connection: Connection, asset_id: str, fee_type: str, fixed: int, basis_points: int
) -> None:
    """Set an asset's sending or receiving fee: a new fee, in force from now on (the old ones
    stay in its history). The sending fee is charged on the payments the node sends from a
    wallet address (`ilpnode pay --from`); the receiving fee is stored, not charged yet."""
    payload = {
        "assetId": asset_id,
        "type": fee_type.upper(),
        "fee": {"fixed": str(fixed), "basisPoints": basis_points},
        "idempotencyKey": str(uuid4()),
    }
    data = connection.execute(documents.SET_FEE, {"input": payload})
    if connection.as_json:
        connection.print_json(data)
        return
    fee = data["setFee"]["fee"]
    asset = connection.execute(documents.ASSET, {"id": asset_id})["asset"]
    click.echo(
        render_fields(
            [
                ("id", fee["id"]),
                ("asset", f"{fee['assetId']} ({asset_label(asset)})"),
                ("type", fee["type"].lower()),
                ("fee", fee_text(fee, asset)),
                ("created", fee["createdAt"]),
            ]
        )
    )
