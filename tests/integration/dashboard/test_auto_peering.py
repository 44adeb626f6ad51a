"""Peer by URL (auto-peering) form, in-process: what is refused before any network call.
The whole flow against a real second node is a browser test (tests/browser)."""

from __future__ import annotations

from ilpnode.bootstrap import Node

from .conftest import Dashboard, create_asset, errors, field_value
from .test_peers import peer_count


async def test_peer_by_url_form_errors_save_nothing(dash: Dashboard, node: Node) -> None:
    page = await dash.get("/peers/auto")
    assert "This node has no assets yet" in page.text
    asset_id = await create_asset(dash)
    page = await dash.get("/peers/auto")
    assert f'<option value="{asset_id}" selected>' in page.text
    form = {
        "peer_url": "bob.example",
        "asset_id": asset_id,
        "name": "",
        "max_packet_amount": "1.234",
        "liquidity_threshold": "",
        "liquidity_to_deposit": "",
    }
    page = await dash.post("/peers/auto", form)
    assert page.status_code == 400
    assert set(errors(page)) == {"auto-peer_url", "auto-max_packet_amount"}
    assert field_value(page, "auto-peer_url") == "bob.example"
    # this node has no ILP_CONNECTOR_URL or INSTANCE_NAME: said before anything is sent
    page = await dash.post(
        "/peers/auto", {**form, "peer_url": "http://127.0.0.1:9/", "max_packet_amount": ""}
    )
    assert page.status_code == 409
    assert "The ILP configuration is misconfigured" in page.text
    assert "not set on this node" in page.text
    assert await peer_count(node) == 0
