"""The overview: this node, liquidity against thresholds, traffic since start (in-process)."""

from __future__ import annotations

import html
import re
import time
from uuid import UUID

from ilpnode.bootstrap import Node

from .conftest import Dashboard, create_asset, create_peer


async def test_overview_shows_the_node_and_its_peers(dash: Dashboard, node: Node) -> None:
    page = await dash.get("/")
    assert page.status_code == 200
    assert "test.ilpnode" in page.text
    assert "No peers yet" in page.text
    assert "No packets received" in page.text
    asset_id = await create_asset(dash)
    await create_peer(dash, asset_id, liquidity_threshold="150")  # 100 of 150: low
    await create_peer(
        dash,
        asset_id,
        name="Carol",
        static_ilp_address="test.carol",
        incoming_tokens="carol",
        liquidity_threshold="10",
    )
    page = await dash.get("/")
    assert "Below threshold" in page.text
    assert "Liquidity OK" in page.text
    meters = re.findall(r"<meter [^>]*>", page.text)
    assert len(meters) == 2
    assert 'max="60000" low="15000" high="30000" optimum="60000" value="10000"' in page.text
    assert 'max="10000" low="1000" high="2000" optimum="10000" value="10000"' in page.text


async def test_overview_shows_traffic_per_peer_since_start(dash: Dashboard, node: Node) -> None:
    asset_id = await create_asset(dash)
    bob_id = await create_peer(dash, asset_id)
    bob = node.directory.get(UUID(bob_id))
    assert bob is not None
    now_ns = time.time_ns()
    long_ago = now_ns - 3600 * 10**9  # counted since start, not in the last 15 minutes
    for _ in range(3):
        node.packet_metrics.record(bob, amount=250, code=None, seconds=0.001)
    node.packet_metrics.record(bob, amount=999, code="T04", seconds=0.001)
    node.packet_metrics.record(bob, amount=1, code="F02", seconds=0.001)
    node.packet_metrics.record(bob, amount=1, code="T04", seconds=0.001, at_ns=long_ago)
    node.packet_metrics.record(bob, amount=400, code=None, seconds=0.001, at_ns=long_ago)
    page = await dash.get("/")
    text = html.unescape(re.sub(r"\s+", " ", page.text))
    traffic = text[text.index("Traffic: the last 15 minutes and since start") :]
    row = traffic[traffic.index(f'/peers/{bob_id}">Bob</a>') :]
    cells = [c.strip() for c in re.sub(r"<[^>]+>", "|", row).split("|") if c.strip()]
    # the last 15 minutes (3 fulfilled, 2 rejected), then since start (4 and 3)
    assert cells[1:6] == ["3 / 2", "7.50 USD", "4", "3", "11.50 USD"]
    assert "10.01 USD" in row
    assert "T04: 2, F02: 1" in row
    assert "All USD peers" in traffic
