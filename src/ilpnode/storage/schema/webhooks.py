"""The liquidity webhooks' tables (migration 0009), written by `webhook_store`.

- `liquidity_alerts`: per watched peer or asset account, the state last announced (`normal`,
  `low`, `high`) and the thresholds it was judged by (`services.webhooks.alerts`).
- `webhook_events`: the outbox of events with their delivery bookkeeping (`attempts`, the
  receiver's last `status_code`, `process_at` = when the next attempt is due, NULL once
  delivered).
"""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text, Uuid

from ilpnode.storage.schema.base import metadata
from ilpnode.storage.types import UInt64, UtcDateTime

__all__ = ["liquidity_alerts", "webhook_events"]

# The longest alert state name ("normal") and event type ("asset.liquidity_high"), with room.
ALERT_STATE_LENGTH_MAX = 8
EVENT_TYPE_LENGTH_MAX = 64

liquidity_alerts = Table(
    "liquidity_alerts",
    metadata,
    Column("account_id", Uuid(), primary_key=True),  # the peer's or the asset's id
    Column("state", String(ALERT_STATE_LENGTH_MAX), nullable=False),
    Column("liquidity_threshold", UInt64(), nullable=True),
    Column("liquidity_high_threshold", UInt64(), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
)

webhook_events = Table(
    "webhook_events",
    metadata,
    Column("id", Uuid(), primary_key=True),
    Column("type", String(EVENT_TYPE_LENGTH_MAX), nullable=False),
    Column("data", Text, nullable=False),  # the event's JSON object
    Column("created_at", UtcDateTime(), nullable=False),
    Column("account_id", Uuid(), nullable=True),  # the peer or asset it is about
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("status_code", Integer, nullable=True),
    Column("process_at", UtcDateTime(), nullable=True),
    Index("ix_webhook_events_created_at_id", "created_at", "id"),
    Index("ix_webhook_events_process_at", "process_at"),
)
