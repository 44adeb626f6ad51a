"""A node holds its database's ledger lock from start to close (`storage.ledger.lock`): a
second embedded-ledger node on the same database does not start, and a node that loses the
lock to another process stops moving money."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from ilpnode.bootstrap import Node, StartupError, build_node
from ilpnode.storage.database import Database
from ilpnode.storage.ledger.lock import LEDGER_LOCK_ID
from tests.support import make_settings, run_on_server, throwaway_database_url


async def _get(node: Node, path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=node.admin_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://admin") as client:
        return await client.get(path)


async def test_a_second_node_on_one_sqlite_file_is_refused_until_the_first_closes(
    tmp_path: Path,
) -> None:
    settings = make_settings(database_url=f"sqlite:///{tmp_path / 'node.sqlite3'}")
    first = build_node(settings)
    await first.start()
    second = build_node(settings)
    try:
        with pytest.raises(StartupError, match="is open in another process") as refused:
            await second.start()
        still_serving = await _get(first, "/healthz")
    finally:
        await second.close()
        await first.close()
    third = build_node(settings)
    try:
        await third.start()
        after = await _get(third, "/healthz")
    finally:
        await third.close()

    assert "LEDGER_BACKEND=postgres" in str(refused.value)
    assert second.ledger is None
    assert still_serving.status_code == 200
    assert after.status_code == 200


@pytest.mark.postgres
async def test_a_node_that_loses_the_lock_stops_moving_money() -> None:
    name, url = throwaway_database_url()
    await run_on_server(f'CREATE DATABASE "{name}"')
    node = build_node(make_settings(database_url=url, ledger_backend="embedded"))
    other = Database(url)
    try:
        await node.start()
        before = await _get(node, "/healthz")
        async with other.engine.connect() as thief:
            waiting = asyncio.create_task(
                thief.execute(text("SELECT pg_advisory_lock(:id)"), {"id": LEDGER_LOCK_ID})
            )
            await asyncio.sleep(0.2)
            assert not waiting.done()
            async with other.engine.connect() as admin:
                await admin.execute(
                    text(
                        "SELECT pg_terminate_backend(pid, 5000) FROM pg_locks WHERE "
                        "locktype = 'advisory' AND granted AND objid = :low AND database = "
                        "(SELECT oid FROM pg_database WHERE datname = current_database())"
                    ),
                    {"low": LEDGER_LOCK_ID & 0xFFFF_FFFF},
                )
            await waiting
            for _ in range(100):
                await asyncio.sleep(0.05)
                if node.connector is None:
                    break
            health = await _get(node, "/healthz")
            graphql = await _get(node, "/graphql")
            await thief.rollback()
    finally:
        await node.close()
        await other.close()
        await run_on_server(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    assert before.status_code == 200
    assert node.connector is None  # packets get T03 "the node is not ready"
    assert health.status_code == 503
    assert health.json()["ledger"] == "lock lost"
    assert graphql.status_code == 503
