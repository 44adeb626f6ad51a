"""peers.auto_peered: whether auto-peering created the peer

Revision ID: 0004_peer_auto_peered
Revises: 0003_peering
Create Date: 2026-12-09

The auto-peering server updates an existing peer only when auto-peering created it, so a
peering request cannot take over a peer the operator created by hand (docs/auto-peering.md,
Security). Existing rows get false: they are treated as made by hand, the safe side.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_peer_auto_peered"
down_revision = "0003_peering"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("peers") as batch:
        batch.add_column(
            sa.Column("auto_peered", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("peers") as batch:
        batch.drop_column("auto_peered")
