"""Migrations: they build exactly the schema `ilpnode.storage.schema` declares, on both databases,
and can be undone and redone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, insert, select

from ilpnode.storage.database import Database
from ilpnode.storage.migrate import _config, current_revision, head_revision, migrate
from ilpnode.storage.schema import metadata
from ilpnode.storage.schema.admin import operator_tenant
from ilpnode.storage.schema.peering import assets, peers
from tests.support import run_on_server, throwaway_database_url

# Declared only in migrations: PostgreSQL-only, maintained by triggers (schema/ledger.py).
MIGRATION_ONLY_TABLES = {"ledger_pending_deadlines"}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Database]:
    if request.param == "sqlite":
        db = Database(f"sqlite:///{tmp_path / 'schema.sqlite3'}")
        yield db
        await db.close()
        return
    name, url = throwaway_database_url()
    await run_on_server(f'CREATE DATABASE "{name}"')
    db = Database(url)
    try:
        yield db
    finally:
        await db.close()
        await run_on_server(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def schema_differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": False})
    return [
        difference
        for difference in compare_metadata(context, metadata)
        if not _belongs_to_migration_only_table(difference)
    ]


def _belongs_to_migration_only_table(difference: Any) -> bool:
    kind, item = difference[0], difference[1]
    if kind == "remove_table":
        return item.name in MIGRATION_ONLY_TABLES
    if kind == "remove_index":
        return item.table.name in MIGRATION_ONLY_TABLES
    return False


async def test_migrated_database_matches_the_declared_schema(database: Database) -> None:
    await migrate(database)

    async with database.engine.connect() as connection:
        differences = await connection.run_sync(schema_differences)

    assert differences == []
    assert await current_revision(database) == head_revision()


async def test_migrating_twice_changes_nothing(database: Database) -> None:
    await migrate(database)
    await migrate(database)

    assert await current_revision(database) == head_revision()


async def test_downgrade_to_base_and_upgrade_again(database: Database) -> None:
    await migrate(database)
    async with database.engine.begin() as connection:
        await connection.run_sync(lambda sync: command.downgrade(_config(sync), "base"))
    assert await current_revision(database) is None

    await migrate(database)

    assert await current_revision(database) == head_revision()


async def test_0004_marks_existing_peers_as_made_by_hand(database: Database) -> None:
    """Peers from before 0004 get auto_peered false: a request can never take them over."""
    now = datetime.now(UTC)
    asset_id, peer_id = uuid4(), uuid4()
    async with database.engine.begin() as connection:
        await connection.run_sync(lambda sync: command.upgrade(_config(sync), "0003_peering"))
        await connection.execute(
            insert(assets).values(
                id=asset_id, ledger=1, code="USD", scale=2, created_at=now, updated_at=now
            )
        )
        await connection.execute(
            insert(peers).values(
                id=peer_id,
                asset_id=asset_id,
                static_ilp_address="test.old",
                routes='["test.old"]',
                outgoing_token="t",
                outgoing_endpoint="http://old.example",
                created_at=now,
                updated_at=now,
            )
        )

    await migrate(database)

    async with database.engine.connect() as connection:
        flag = await connection.scalar(select(peers.c.auto_peered).where(peers.c.id == peer_id))
    assert flag is False
    assert await current_revision(database) == head_revision()


async def test_0007_dates_the_tenant_from_the_oldest_asset_or_peer(database: Database) -> None:
    """A node that had assets was created no later than its oldest one."""
    oldest = datetime(2025, 3, 4, 5, 6, 7, 89, tzinfo=UTC)
    async with database.engine.begin() as connection:
        await connection.run_sync(lambda sync: command.upgrade(_config(sync), "0006"))
        for code, created in (("EUR", datetime.now(UTC)), ("USD", oldest)):
            await connection.execute(
                insert(assets).values(
                    id=uuid4(),
                    ledger=len(code) + (code == "USD"),
                    code=code,
                    scale=2,
                    created_at=created,
                    updated_at=created,
                )
            )

    await migrate(database)

    async with database.engine.connect() as connection:
        stored = await connection.scalar(select(operator_tenant.c.created_at))
    assert stored == oldest


async def test_0007_dates_a_new_nodes_tenant_now(database: Database) -> None:
    before = datetime.now(UTC)
    await migrate(database)
    async with database.engine.connect() as connection:
        rows = (await connection.execute(select(operator_tenant))).all()
    assert len(rows) == 1
    assert before <= rows[0].created_at <= datetime.now(UTC)
