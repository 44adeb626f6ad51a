"""Fixtures: a started node on SQLite (embedded ledger) or PostgreSQL (shared ledger), and a
client that speaks GraphQL to its admin app in-process.

PostgreSQL cases share one throwaway database per session, emptied before each test. Without a
reachable server they are skipped, except under CI, where they fail.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from ilpnode.bootstrap import Node, build_node
from ilpnode.storage.database import Database
from tests.support import (
    make_settings,
    migrated_throwaway_database,
)

TABLES = (
    "ledger_accounts, ledger_transfers, ledger_expiries, ledger_pending_deadlines, "
    "peer_incoming_tokens, peers, fees, outgoing_payments, wallet_addresses, assets, "
    "idempotency_keys, admin_signature_replays, node_secrets, liquidity_alerts, webhook_events"
)


class GraphQLClient:
    """POSTs GraphQL to a node's admin app; `data` and `error` assert the answer's shape."""

    def __init__(self, node: Node, headers: dict[str, str] | None = None) -> None:
        self.node = node
        self.headers = headers or {}

    async def post(self, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
        transport = httpx.ASGITransport(app=self.node.admin_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://admin") as client:
            return await client.post(
                "/graphql", json=body, headers={**self.headers, **(headers or {})}
            )

    async def query(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = await self.post({"query": query, "variables": variables or {}})
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        body = await self.query(query, variables)
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    async def error(self, query: str, variables: dict[str, Any] | None = None) -> tuple[str, str]:
        """(extensions.code, message) of the only error."""
        body = await self.query(query, variables)
        [error] = body["errors"]
        return error["extensions"]["code"], error["message"]


@pytest.fixture(scope="session")
def admin_pg_url() -> Iterator[str]:
    """A migrated PostgreSQL database for this session."""
    yield from migrated_throwaway_database()


async def _empty(url: str) -> None:
    database = Database(url)
    try:
        async with database.engine.begin() as connection:
            await connection.execute(text(f"TRUNCATE {TABLES}"))
    finally:
        await database.close()


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=[pytest.mark.postgres]),
    ]
)
def node_settings(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """Settings (as keyword arguments) for a node on an empty database of each kind."""
    if request.param == "postgres":
        url = request.getfixturevalue("admin_pg_url")
        asyncio.run(_empty(url))
        return {"database_url": url, "ledger_backend": "postgres"}
    return {"database_url": f"sqlite:///{tmp_path / 'node.sqlite3'}"}


@pytest.fixture
async def node(node_settings: dict[str, Any]) -> AsyncIterator[Node]:
    """A started node without an admin secret (unsigned requests)."""
    started = build_node(make_settings(**node_settings))
    await started.start()
    try:
        yield started
    finally:
        await started.close()


@pytest.fixture
def api(node: Node) -> GraphQLClient:
    return GraphQLClient(node)
