"""The high liquidity threshold in the dashboard: Create Asset, the asset's thresholds, Create
Peer and a peer's general part (in-process)."""

from __future__ import annotations

from ilpnode.bootstrap import Node
from ilpnode.services.peering import Asset, Peer

from .conftest import Dashboard, create_asset, create_peer, errors, field_value, flashes


async def test_an_assets_high_threshold(dash: Dashboard, node: Node) -> None:
    await dash.get("/assets/new")
    created = await dash.follow(
        await dash.post(
            "/assets/new",
            {
                "code": "EUR",
                "scale": "2",
                "withdrawal_threshold": "",
                "liquidity_threshold": "1",
                "liquidity_high_threshold": "250",
            },
        )
    )
    asset_id = str(created.url).rsplit("/", 1)[-1]
    assert field_value(created, "thresholds-liquidity_high_threshold") == "250.00"
    assert "high 250.00" in (await dash.get("/assets")).text

    refused = await dash.post(
        f"/assets/{asset_id}/thresholds",
        {"withdrawal_threshold": "", "liquidity_threshold": "300", "liquidity_high_threshold": "2"},
    )

    assert refused.status_code == 409  # the form parsed; the service refused it
    assert errors(refused) == {
        "thresholds-liquidity_high_threshold": (
            "The high liquidity threshold must be above the (low) liquidity threshold."
        )
    }
    assert node.services is not None
    asset = await node.services.assets.get(asset_id)
    assert isinstance(asset, Asset)
    assert (asset.liquidity_threshold, asset.liquidity_high_threshold) == (100, 25000)


async def test_a_peers_high_threshold(dash: Dashboard, node: Node) -> None:
    asset_id = await create_asset(dash)
    peer_id = await create_peer(dash, asset_id, liquidity_high_threshold="500")
    page = await dash.get(f"/peers/{peer_id}")
    assert field_value(page, "general-liquidity_high_threshold") == "500.00"

    general = {
        "name": "Bob",
        "static_ilp_address": "test.bob",
        "max_packet_amount": "",
        "liquidity_threshold": "5",
        "liquidity_high_threshold": "",
    }
    page = await dash.follow(await dash.post(f"/peers/{peer_id}/general", general))

    assert flashes(page) == [("ok", "Peer Bob updated.")]
    assert node.services is not None
    peer = await node.services.peers.get(peer_id)
    assert isinstance(peer, Peer)
    assert (peer.liquidity_threshold, peer.liquidity_high_threshold) == (500, None)
