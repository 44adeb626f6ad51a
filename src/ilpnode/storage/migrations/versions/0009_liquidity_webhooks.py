"""liquidity webhooks: high thresholds, alert states and the events outbox

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-20

`assets.liquidity_high_threshold` and `peers.liquidity_high_threshold`: the optional threshold
whose upward crossing sends `*.liquidity_high`. `liquidity_alerts`: per watched account, the
state last announced and the thresholds it was judged by, changed only by conditional UPDATEs so
that one process records each crossing. `webhook_events`: the events, written in the same
transaction as the state change that caused them, with their delivery bookkeeping
(`ilpnode.services.webhooks`). Existing accounts start without a stored state: the node arms
them at its next start, without an event.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ilpnode.storage.types import UInt64, UtcDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("assets") as batch:
        batch.add_column(sa.Column("liquidity_high_threshold", UInt64(), nullable=True))
    with op.batch_alter_table("peers") as batch:
        batch.add_column(sa.Column("liquidity_high_threshold", UInt64(), nullable=True))
    op.create_table(
        "liquidity_alerts",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(8), nullable=False),
        sa.Column("liquidity_threshold", UInt64(), nullable=True),
        sa.Column("liquidity_high_threshold", UInt64(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", name="pk_liquidity_alerts"),
    )
    op.create_table(
        "webhook_events",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("process_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_webhook_events"),
    )
    op.create_index("ix_webhook_events_created_at_id", "webhook_events", ["created_at", "id"])
    op.create_index("ix_webhook_events_process_at", "webhook_events", ["process_at"])


def downgrade() -> None:
    op.drop_index("ix_webhook_events_process_at", "webhook_events")
    op.drop_index("ix_webhook_events_created_at_id", "webhook_events")
    op.drop_table("webhook_events")
    op.drop_table("liquidity_alerts")
    with op.batch_alter_table("peers") as batch:
        batch.drop_column("liquidity_high_threshold")
    with op.batch_alter_table("assets") as batch:
        batch.drop_column("liquidity_high_threshold")
