"""Alembic environment: runs on the connection `ilpnode.storage.migrate` hands it."""

from __future__ import annotations

from alembic import context

from ilpnode.storage.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `ilpnode migrate` or ilpnode.storage.migrate")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",  # SQLite can't ALTER most things
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
