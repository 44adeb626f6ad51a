"""`/metrics`: open on a loopback-only node; behind METRICS_TOKEN once the admin server is
reachable from the network (ADMIN_API_SECRET set)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from ilpnode.bootstrap import Node, build_node
from ilpnode.ledger import Account, AccountId
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


async def test_the_embedded_ledger_reports_its_commits_log_and_memory(tmp_path: Path) -> None:
    node = build_node(make_settings(database_url=f"sqlite:///{tmp_path / 'n.sqlite3'}"))
    await node.start()
    try:
        before = (await _get(node)).text
        assert node.ledger is not None
        [created] = await node.ledger.create_accounts([Account(id=AccountId(99), ledger=1, code=3)])
        assert created.ok
        text = (await _get(node)).text
        assert _value(text, "ilpnode_ledger_commits_total") == (
            _value(before, "ilpnode_ledger_commits_total") + 1
        )
        assert _value(text, "ilpnode_ledger_log_bytes") > _value(before, "ilpnode_ledger_log_bytes")
        assert _value(text, "ilpnode_ledger_available") == 1
        assert _value(text, "ilpnode_ledger_transfers_held") == 0
        assert _value(text, "ilpnode_ledger_log_compactions_total") == 0
    finally:
        await node.close()


def _value(text: str, name: str) -> float:
    [line] = [line for line in text.splitlines() if line.startswith(name + " ")]
    return float(line.split()[1])
