"""`GET /healthz` on the admin server reports the database, the ledger and the change feed."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from ilpnode.admin.app import create_admin_app
from ilpnode.bootstrap import Node, StartupError, build_node
from tests.support import make_settings, run_on_server, throwaway_database_url


async def health(node: Node) -> httpx.Response:
    transport = httpx.ASGITransport(app=node.admin_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://admin") as client:
        return await client.get("/healthz")


async def test_healthy_once_started_with_sqlite(tmp_path: Path) -> None:
    node = build_node(make_settings(database_url=f"sqlite:///{tmp_path / 'node.sqlite3'}"))
    try:
        before = await health(node)
        await node.start()
        after = await health(node)
    finally:
        await node.close()

    assert before.status_code == 503
    assert before.json()["ledger"] == "starting"
    assert after.status_code == 200
    assert after.json()["status"] == "ok"
    assert after.json()["database"] == "ok"
    assert after.json()["ledger"] == "ok"
    assert after.json()["changeFeed"] == "off"  # SQLite: one process, nothing to hear
    assert after.json()["ilpAddress"] == "test.ilpnode"


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["embedded", "postgres"])
async def test_healthy_with_postgres(backend: str) -> None:
    name, url = throwaway_database_url()
    await run_on_server(f'CREATE DATABASE "{name}"')
    node = build_node(make_settings(database_url=url, ledger_backend=backend))
    try:
        await node.start()
        response = await health(node)
    finally:
        await node.close()
        await run_on_server(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    assert response.status_code == 200
    assert response.json()["database"] == response.json()["ledger"] == "ok"
    assert response.json()["changeFeed"] == "ok"


async def test_unreachable_database_is_503_and_refuses_to_start() -> None:
    # Port 9 (discard) on loopback has no PostgreSQL: connecting fails at once.
    node = build_node(make_settings(database_url="postgresql://postgres@127.0.0.1:9/none"))
    try:
        response = await health(node)
        with pytest.raises(StartupError, match="cannot migrate the database at postgresql://"):
            await node.start()
    finally:
        await node.close()

    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"
    assert response.json()["database"] == "unreachable"


@pytest.mark.parametrize(
    ("components", "status_code", "status"),
    [
        ({"database": "ok", "changeFeed": "ok"}, 200, "ok"),
        ({"database": "ok", "changeFeed": "off"}, 200, "ok"),
        ({"database": "ok", "changeFeed": "down"}, 200, "degraded"),
        ({"database": "unreachable", "changeFeed": "down"}, 503, "unavailable"),
        ({"database": "unreachable", "changeFeed": "ok"}, 503, "unavailable"),
    ],
)
async def test_an_advisory_component_degrades_but_never_makes_it_503(
    components: dict[str, str], status_code: int, status: str
) -> None:
    async def check() -> dict[str, str]:
        return components

    app = create_admin_app(
        health=check, version="0", ilp_address="test.x", advisory=frozenset({"changeFeed"})
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://admin") as client:
        response = await client.get("/healthz")

    assert (response.status_code, response.json()["status"]) == (status_code, status)
    assert response.json()["changeFeed"] == components["changeFeed"]
