"""`GET /healthz` on the admin server reports the database state."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from ilpnode.bootstrap import Node, build_node
from tests.support import TEST_DATABASE_URL, make_settings


async def health(node: Node) -> httpx.Response:
    transport = httpx.ASGITransport(app=node.admin_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://admin") as client:
        return await client.get("/healthz")


async def test_healthy_with_sqlite(tmp_path: Path) -> None:
    node = build_node(make_settings(database_url=f"sqlite:///{tmp_path / 'node.sqlite3'}"))
    try:
        response = await health(node)
    finally:
        await node.close()

    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] == "ok"
    assert response.json()["ilpAddress"] == "test.ilpnode"


@pytest.mark.postgres
async def test_healthy_with_postgres() -> None:
    node = build_node(make_settings(database_url=TEST_DATABASE_URL))
    try:
        response = await health(node)
    finally:
        await node.close()

    assert response.status_code == 200
    assert response.json()["database"] == "ok"


async def test_unreachable_database_is_503() -> None:
    # Port 9 (discard) on loopback has no PostgreSQL: connecting fails at once.
    node = build_node(make_settings(database_url="postgresql://postgres@127.0.0.1:9/none"))
    try:
        response = await health(node)
    finally:
        await node.close()

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "database": "unreachable",
        "version": response.json()["version"],
        "ilpAddress": "test.ilpnode",
    }
