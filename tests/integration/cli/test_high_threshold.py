"""`--liquidity-high-threshold` on `ilpnode assets` and `ilpnode peers` against a real node."""

from __future__ import annotations

import pytest

from .conftest import Cli, new_code

pytestmark = pytest.mark.e2e


def test_assets_high_threshold(cli: Cli) -> None:
    created = cli.ok(
        "assets",
        "create",
        "--code",
        new_code(),
        "--scale",
        "2",
        "--liquidity-threshold",
        "100",
        "--liquidity-high-threshold",
        "5000",
    )
    assert "high threshold:       5000 (50.00 " in created.stdout
    asset_id = created.stdout.split()[1]

    refused = cli("assets", "update", asset_id, "--liquidity-high-threshold", "100")
    cli.ok("assets", "update", asset_id, "--clear", "liquidity-high-threshold")

    assert refused.exit_code == 1
    assert refused.stderr == (
        "ilpnode: liquidityHighThreshold must be greater than liquidityThreshold (BAD_USER_INPUT)\n"
    )
    shown = cli.json("assets", "show", asset_id)["asset"]
    assert (shown["liquidityThreshold"], shown["liquidityHighThreshold"]) == ("100", None)


def test_peers_high_threshold(cli: Cli) -> None:
    asset_id = cli.json("assets", "create", "--code", new_code(), "--scale", "2")["createAsset"][
        "asset"
    ]["id"]
    created = cli.json(
        "peers",
        "create",
        "--asset-id",
        asset_id,
        "--address",
        "test.highpeer",
        "--endpoint",
        "http://127.0.0.1:9/ilp",
        "--outgoing-token",
        "out-token",
        "--incoming-token",
        f"in-{new_code()}",
        "--liquidity-high-threshold",
        "900",
    )["createPeer"]["peer"]
    assert created["liquidityHighThreshold"] == "900"

    shown = cli.ok("peers", "update", created["id"], "--liquidity-high-threshold", "1200")
    cli.ok("peers", "update", created["id"], "--clear", "liquidity-high-threshold")

    assert "high threshold:      1200 (12.00 " in shown.stdout
    assert cli.json("peers", "show", created["id"])["peer"]["liquidityHighThreshold"] is None
