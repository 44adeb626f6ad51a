"""The node's generated secrets in SQL: the `SecretStore` port (`node_secrets`, migration 0008).

`keep_first` inserts the candidate with ON CONFLICT DO NOTHING (both SQLite and PostgreSQL), then
reads the row back, in one transaction: of two processes starting at once on one database, one
inserts and both read the winner's value. A stored value is never changed by the node.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ilpnode.storage.database import Database
from ilpnode.storage.schema.payments import node_secrets

__all__ = ["SqlSecretStore"]


class SqlSecretStore:
    """The `SecretStore` port over the node's database."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def keep_first(self, name: str, candidate: str) -> str:
        insert = sqlite_insert if self._database.is_sqlite else postgresql_insert
        statement = (
            insert(node_secrets)
            .values(name=name, value=candidate, created_at=datetime.now(UTC))
            .on_conflict_do_nothing(index_elements=[node_secrets.c.name])
        )
        async with self._database.writer(), self._database.engine.begin() as connection:
            await connection.execute(statement)
            stored = await connection.execute(
                select(node_secrets.c.value).where(node_secrets.c.name == name)
            )
            return str(stored.scalar_one())
