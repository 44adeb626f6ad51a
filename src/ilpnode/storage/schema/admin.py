"""The Admin API's own tables.

- `idempotency_keys` (migration 0003): the Admin API's idempotency records
  (`ilpnode.services.idempotency`), written by `idempotency_store`.
- `admin_signature_replays` (migration 0005), written by `replay_guard`: the digest of every
  signed Admin API request accepted within its time to live (`ilpnode.services.replay_guard`),
  with its expiry in Unix milliseconds; expired rows are pruned a few at a time.
- `operator_tenant` (migration 0007): one row, the creation time of the node's one tenant (the
  Admin API's `whoami`/`tenant`); the tenant's id and name are settings.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, Column, SmallInteger, String, Table, Text

from ilpnode.storage.schema.base import metadata
from ilpnode.storage.types import UtcDateTime

__all__ = ["admin_signature_replays", "idempotency_keys", "operator_tenant"]

# An HMAC-SHA256 hex digest (the `v<N>=` part of an Admin API signature).
SIGNATURE_DIGEST_LENGTH = 64

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("key", Text, primary_key=True),
    Column("operation", Text, nullable=False),
    Column("arguments", Text, nullable=False),  # "sha256:<hex>" of the canonical arguments
    Column("result", Text, nullable=True),  # JSON, once the mutation succeeded
    Column("locked_until", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
)

admin_signature_replays = Table(
    "admin_signature_replays",
    metadata,
    Column("digest", String(SIGNATURE_DIGEST_LENGTH), primary_key=True),  # the HMAC, hex
    Column("expires_at_ms", BigInteger, nullable=False, index=True),  # Unix ms; pruning order
)

operator_tenant = Table(
    "operator_tenant",
    metadata,
    Column("id", SmallInteger, primary_key=True),  # always 1: one row
    Column("created_at", UtcDateTime(), nullable=False),
    CheckConstraint("id = 1", name="one_row"),
)
