"""Fixtures: an empty, migrated database per test, on SQLite and on PostgreSQL.

SQLite cases get a new file per test. PostgreSQL cases share a throwaway database created for the
session (`ilpnode_test_<random>` on the server of `TEST_DATABASE_URL`, migrated once, dropped at
the end), with the peering tables truncated before each test. Without a reachable server the
PostgreSQL cases are skipped, except under CI, where they fail.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ilpnode.storage.database import Database, redacted_url
from ilpnode.storage.migrate import migrate
from tests.support import TEST_DATABASE_URL, run_on_server, throwaway_database_url

PEERING_TABLES = (
    "assets, peers, peer_incoming_tokens, idempotency_keys, admin_signature_replays, "
    "wallet_addresses, node_secrets, liquidity_alerts, webhook_events, received_payments"
)


async def _create_and_migrate(url: str, name: str) -> None:
    await run_on_server(f'CREATE DATABASE "{name}"')
    database = Database(url)
    try:
        await migrate(database)
    finally:
        await database.close()


@pytest.fixture(scope="session")
def storage_pg_url() -> Iterator[str]:
    """The URL of a migrated PostgreSQL database that lives as long as the test session."""
    name, url = throwaway_database_url()
    try:
        asyncio.run(_create_and_migrate(url, name))
    except (OSError, DBAPIError) as error:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no PostgreSQL at {redacted_url(TEST_DATABASE_URL)}: {error}")
    try:
        yield url
    finally:
        asyncio.run(run_on_server(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of the database under test. Sync, so the session database is made outside a
    loop."""
    if request.param == "postgresql":
        url: str = request.getfixturevalue("storage_pg_url")
        return url
    return f"sqlite:///{tmp_path / 'storage.sqlite3'}"


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    """An open `Database` on an empty, migrated database."""
    database = Database(database_url)
    try:
        if database.is_sqlite:
            await migrate(database)
        else:
            async with database.engine.begin() as connection:
                await connection.execute(text(f"TRUNCATE {PEERING_TABLES} CASCADE"))
        yield database
    finally:
        await database.close()
