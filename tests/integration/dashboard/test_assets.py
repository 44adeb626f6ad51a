"""The Assets page, Create Asset and an asset's page (in-process)."""

from __future__ import annotations

import re
from uuid import uuid4

from ilpnode.bootstrap import Node
from ilpnode.services.peering import Asset

from .conftest import Dashboard, create_asset, create_peer, errors, field_value, flashes

EMPTY = {"withdrawal_threshold": "", "liquidity_threshold": ""}


async def stored_asset(node: Node, asset_id: str) -> Asset:
    assert node.services is not None
    asset = await node.services.assets.get(asset_id)
    assert isinstance(asset, Asset)
    return asset


def liquidity_shown(text: str) -> str:
    found = re.search(r'<strong id="asset-liquidity">([^<]*)</strong>', text)
    assert found
    return found.group(1)


async def test_create_an_asset_and_see_it_in_the_table(dash: Dashboard, node: Node) -> None:
    await dash.get("/assets/new")
    response = await dash.post(
        "/assets/new",
        {"code": "eur", "scale": "2", "withdrawal_threshold": "100", "liquidity_threshold": "0.5"},
    )
    page = await dash.follow(response)
    assert flashes(page) == [("ok", "Asset EUR (scale 2) created.")]
    asset = await stored_asset(node, str(page.url).rsplit("/", 1)[-1])
    assert (asset.code, asset.scale) == ("EUR", 2)
    assert (asset.withdrawal_threshold, asset.liquidity_threshold) == (10000, 50)
    table = await dash.get("/assets")
    assert "EUR" in table.text
    assert "100.00" in table.text
    assert "0.50" in table.text


async def test_create_asset_errors_keep_the_typed_values_and_save_nothing(
    dash: Dashboard, node: Node
) -> None:
    await dash.get("/assets/new")
    page = await dash.post(
        "/assets/new",
        {"code": "U$", "scale": "two", "withdrawal_threshold": "1", "liquidity_threshold": ""},
    )
    assert page.status_code == 400
    assert errors(page) == {
        "new-code": "Enter 1 to 64 capital letters or digits, e.g. USD or EUR.",
        "new-scale": "Enter a whole number from 0 to 255.",
    }
    assert field_value(page, "new-code") == "U$"
    assert field_value(page, "new-scale") == "two"
    page = await dash.post(
        "/assets/new",
        {"code": "USD", "scale": "0", "withdrawal_threshold": "1.5", "liquidity_threshold": ""},
    )
    assert errors(page) == {
        "new-withdrawal_threshold": "USD has no decimal places here: enter a whole number."
    }
    page = await dash.post("/assets/new", {"code": "", "scale": "", **EMPTY})
    assert set(errors(page)) == {"new-code", "new-scale"}
    assert "Nothing was saved: correct the 2 fields marked below." in page.text
    assert node.services is not None
    assert await node.services.assets.by_code_and_scale("USD", 0) is None
    await create_asset(dash)
    await dash.get("/assets/new")
    duplicate = await dash.post("/assets/new", {"code": "USD", "scale": "2", **EMPTY})
    assert duplicate.status_code == 409
    assert errors(duplicate) == {"new-code": "There is already an asset with this code and scale."}


async def test_edit_thresholds(dash: Dashboard, node: Node) -> None:
    asset_id = await create_asset(dash)
    await dash.get(f"/assets/{asset_id}")
    page = await dash.follow(
        await dash.post(
            f"/assets/{asset_id}/thresholds",
            {"withdrawal_threshold": "12.34", "liquidity_threshold": ""},
        )
    )
    assert flashes(page) == [("ok", "Thresholds of USD updated.")]
    assert field_value(page, "thresholds-withdrawal_threshold") == "12.34"
    asset = await stored_asset(node, asset_id)
    assert (asset.withdrawal_threshold, asset.liquidity_threshold) == (1234, None)
    bad = await dash.post(
        f"/assets/{asset_id}/thresholds", {"withdrawal_threshold": "x", "liquidity_threshold": "1"}
    )
    assert bad.status_code == 400
    assert set(errors(bad)) == {"thresholds-withdrawal_threshold"}
    assert field_value(bad, "thresholds-liquidity_threshold") == "1"
    assert (await stored_asset(node, asset_id)).withdrawal_threshold == 1234


async def test_asset_liquidity(dash: Dashboard) -> None:
    asset_id = await create_asset(dash)
    base = f"/assets/{asset_id}"
    await dash.get(base)
    page = await dash.follow(
        await dash.post(f"{base}/deposit", {"amount": "75.5", "transfer_id": str(uuid4())})
    )
    assert liquidity_shown(page.text) == "75.50 USD"
    withdrawal_id = str(uuid4())
    page = await dash.follow(
        await dash.post(
            f"{base}/withdraw",
            {"amount": "25.5", "hold_minutes": "10", "transfer_id": withdrawal_id},
        )
    )
    assert liquidity_shown(page.text) == "50.00 USD"
    page = await dash.follow(
        await dash.post(f"{base}/settle", {"withdrawal_id": withdrawal_id, "action": "void"})
    )
    assert liquidity_shown(page.text) == "75.50 USD"


async def test_delete_only_an_unused_asset(dash: Dashboard, node: Node) -> None:
    asset_id = await create_asset(dash)
    peer_id = await create_peer(dash, asset_id, initial_liquidity="")
    await dash.get(f"/assets/{asset_id}/delete")
    wrong = await dash.post(f"/assets/{asset_id}/delete", {"confirm": "usd"})
    assert errors(wrong) == {"delete-confirm": "Type the asset's code, USD, exactly to confirm."}
    refused = await dash.post(f"/assets/{asset_id}/delete", {"confirm": "USD"})
    assert refused.status_code == 409
    assert (
        "Peers or wallet addresses still use this asset: delete those peers first" in refused.text
    )
    await dash.follow(await dash.post(f"/peers/{peer_id}/delete", {"confirm": "test.bob"}))
    page = await dash.follow(await dash.post(f"/assets/{asset_id}/delete", {"confirm": "USD"}))
    assert flashes(page) == [("ok", "Asset USD (scale 2) deleted.")]
    assert node.services is not None
    assert await node.services.assets.by_code_and_scale("USD", 2) is None
    assert (await dash.get(f"/assets/{asset_id}")).status_code == 404
