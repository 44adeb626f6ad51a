"""admin_signature_replays: the Admin API's signature replay guard, shared by every process

Revision ID: 0005
Revises: 0004_peer_auto_peered
Create Date: 2026-12-06

A signed Admin API request accepted by one node process must be a replay on every other, so the
digests of accepted signatures live in the database (`ilpnode.storage.replay_guard`) instead of
each process's memory. Rows lapse at `expires_at_ms` and are pruned in its order, hence the index.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004_peer_auto_peered"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "admin_signature_replays",
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("expires_at_ms", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("digest", name="pk_admin_signature_replays"),
    )
    op.create_index(
        "ix_admin_signature_replays_expires_at_ms", "admin_signature_replays", ["expires_at_ms"]
    )


def downgrade() -> None:
    op.drop_index("ix_admin_signature_replays_expires_at_ms", "admin_signature_replays")
    op.drop_table("admin_signature_replays")
