"""`/metrics`: open on a loopback-only node; behind METRICS_TOKEN once the admin server is
reachable from the network (ADMIN_API_SECRET set)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from ilpnode.bootstrap import Node, build_node
from tests.support import make_settings

SECRET = "s3cret-s3cret-s3cret-s3cret"
TOKEN = "scraper-token-0123456789"


async def _get(node: Node, headers: dict[str, str] | None = None) -> httpx.Response:
    transport = httpx.ASGITransport(app=node.admin_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://admin") as client:
        return await client.get("/metrics", headers=headers or {})


@pytest.mark.parametrize(
    ("settings", "headers", "status"),
    [
        ({}, {}, 200),
        ({"admin_api_secret": SECRET}, {}, 401),
        ({"admin_api_secret": SECRET, "metrics_token": TOKEN}, {}, 401),
        ({"admin_api_secret": SECRET, "metrics_token": TOKEN}, {"authorization": "Bearer no"}, 401),
        (
            {"admin_api_secret": SECRET, "metrics_token": TOKEN},
            {"authorization": f"Bearer {TOKEN}"},
            200,
        ),
    ],
)
async def test_metrics_access(
    tmp_path: Path, settings: dict[str, Any], headers: dict[str, str], status: int
) -> None:
    node = build_node(make_settings(database_url=f"sqlite:///{tmp_path / 'n.sqlite3'}", **settings))
    await node.start()
    try:
        response = await _get(node, headers)
        assert response.status_code == status
        if status == 200:
            assert "# HELP ilpnode_packets_total" in response.text
    finally:
        await node.close()
