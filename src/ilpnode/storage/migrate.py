"""Bring the database schema to the newest Alembic revision (run at every start).

With PostgreSQL several node processes may start at once, so the upgrade runs under a
transaction-level advisory lock; the second process finds the schema already current.
"""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, text

from ilpnode.storage.database import Database

__all__ = ["current_revision", "head_revision", "migrate"]

MIGRATIONS = Path(__file__).parent / "migrations"
# Arbitrary but fixed: identifies ilpnode's migration lock among advisory locks.
MIGRATION_LOCK_ID = 0x11D_0DE


def _config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_config()).get_current_head()


async def migrate(database: Database) -> None:
    """Upgrade to head in one transaction."""
    async with database.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            await connection.execute(
                text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID}
            )
        await connection.run_sync(_upgrade)


async def current_revision(database: Database) -> str | None:
    async with database.engine.connect() as connection:
        return await connection.run_sync(
            lambda sync: MigrationContext.configure(sync).get_current_revision()
        )


def _upgrade(connection: Connection) -> None:
    command.upgrade(_config(connection), "head")
