"""`ilpnode wallet-addresses …` against a real node's signed Admin API: create, list, show,
update, withdraw (of nothing: there is no STREAM receiver in this test), and the node's errors."""

from __future__ import annotations

from typing import Any
from uuid import uuid4

import pytest

from .conftest import Cli, new_code

pytestmark = pytest.mark.e2e


def asset_id(cli: Cli) -> str:
    data = cli.json("assets", "create", "--code", new_code(), "--scale", "2")
    value: str = data["createAsset"]["asset"]["id"]
    return value


def create(cli: Cli, asset: str, address: str, *extra: str) -> dict[str, Any]:
    data = cli.json("wallet-addresses", "create", "--asset-id", asset, "--address", address, *extra)
    wallet: dict[str, Any] = data["createWalletAddress"]["walletAddress"]
    return wallet


def test_create_list_show_update(cli: Cli) -> None:
    asset = asset_id(cli)
    name = f"w{uuid4().hex[:12]}"
    shown = cli.ok(
        "wallet-addresses",
        "create",
        "--asset-id",
        asset,
        "--address",
        name,
        "--public-name",
        "Alice",
    ).stdout
    assert f"/{name}\n" in shown
    assert "public name: Alice" in shown
    assert "status:      active" in shown
    assert "liquidity:   0 (0.00 " in shown
    wallet = cli.json("wallet-addresses", "list")["walletAddresses"]["edges"][0]["node"]
    assert wallet["address"].endswith(f"/{name}")  # newest first
    table = cli.ok("wallet-addresses", "list", "--first", "1").stdout
    assert table.splitlines()[0].split() == ["ID", "ADDRESS", "STATUS", "ASSET", "LIQUIDITY"]
    assert wallet["id"] in table
    assert "active" in table

    updated = cli.ok(
        "wallet-addresses", "update", wallet["id"], "--status", "inactive", "--clear-public-name"
    ).stdout
    assert "status:      inactive" in updated
    assert "public name: -" in updated
    fetched = cli.json("wallet-addresses", "show", wallet["id"])["walletAddress"]
    assert (fetched["status"], fetched["publicName"]) == ("INACTIVE", None)


def test_the_nodes_errors_and_usage_errors(cli: Cli) -> None:
    asset = asset_id(cli)
    wallet = create(cli, asset, f"w{uuid4().hex[:12]}")
    duplicate = cli(
        "wallet-addresses", "create", "--asset-id", asset, "--address", wallet["address"]
    )
    assert duplicate.exit_code == 1
    assert duplicate.stderr == (
        "ilpnode: Duplicate wallet address found with the same url (DUPLICATE)\n"
    )
    outside = cli(
        "wallet-addresses", "create", "--asset-id", asset, "--address", "https://x.example/a"
    )
    assert outside.stderr == "ilpnode: invalid url (BAD_USER_INPUT)\n"
    nothing = cli("wallet-addresses", "withdraw", wallet["id"])
    assert nothing.exit_code == 1
    assert nothing.stderr == "ilpnode: Transfer amount is zero (FORBIDDEN)\n"
    unknown = cli("wallet-addresses", "show", str(uuid4()))
    assert unknown.stderr == "ilpnode: unknown wallet address (NOT_FOUND)\n"
    assert cli("wallet-addresses", "update", wallet["id"]).exit_code == 2  # nothing to update
    contradiction = cli(
        "wallet-addresses", "update", wallet["id"], "--public-name", "x", "--clear-public-name"
    )
    assert contradiction.exit_code == 2
    assert cli("wallet-addresses", "withdraw", wallet["id"], "--id", "nope").exit_code == 2
    assert cli.json("wallet-addresses", "show", wallet["id"])["walletAddress"]["status"] == (
        "ACTIVE"  # none of the refusals changed anything
    )
