"""peering: assets, peers, peer incoming tokens, idempotency keys

Revision ID: 0003_peering
Revises: 0002_pg_ledger
Create Date: 2026-12-02

The tables behind the asset and peer services and the Admin API's idempotency keys (see
`ilpnode.storage.schema`). Constraint names are spelled out in full: the repository recognises a
violation by its constraint's name, so they must be exactly the names the metadata's naming
convention gives.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ilpnode.storage.types import UInt64, UtcDateTime

revision = "0003_peering"
down_revision = "0002_pg_ledger"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "assets",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("ledger", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("scale", sa.SmallInteger(), nullable=False),
        sa.Column("withdrawal_threshold", UInt64(), nullable=True),
        sa.Column("liquidity_threshold", UInt64(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("deleted_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_assets"),
        sa.UniqueConstraint("ledger", name="uq_assets_ledger"),
        sa.UniqueConstraint("code", "scale", name="uq_assets_code_scale"),
    )
    op.create_index("ix_assets_created_at_id", "assets", ["created_at", "id"])
    op.create_table(
        "peers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("asset_id", sa.Uuid(), nullable=False),
        sa.Column("static_ilp_address", sa.Text(), nullable=False),
        sa.Column("routes", sa.Text(), nullable=False),
        sa.Column("outgoing_token", sa.Text(), nullable=False),
        sa.Column("outgoing_endpoint", sa.Text(), nullable=False),
        sa.Column("max_packet_amount", UInt64(), nullable=True),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("liquidity_threshold", UInt64(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_peers"),
        sa.ForeignKeyConstraint(["asset_id"], ["assets.id"], name="fk_peers_asset_id_assets"),
        sa.UniqueConstraint(
            "asset_id", "static_ilp_address", name="uq_peers_asset_id_static_ilp_address"
        ),
    )
    op.create_index("ix_peers_static_ilp_address", "peers", ["static_ilp_address"])
    op.create_index("ix_peers_created_at_id", "peers", ["created_at", "id"])
    op.create_table(
        "peer_incoming_tokens",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("peer_id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("token_hash", name="pk_peer_incoming_tokens"),
        sa.ForeignKeyConstraint(
            ["peer_id"],
            ["peers.id"],
            name="fk_peer_incoming_tokens_peer_id_peers",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_peer_incoming_tokens_peer_id", "peer_incoming_tokens", ["peer_id"])
    op.create_table(
        "idempotency_keys",
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("operation", sa.Text(), nullable=False),
        sa.Column("arguments", sa.Text(), nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("locked_until", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_idempotency_keys"),
    )


def downgrade() -> None:
    op.drop_table("idempotency_keys")
    op.drop_index("ix_peer_incoming_tokens_peer_id", table_name="peer_incoming_tokens")
    op.drop_table("peer_incoming_tokens")
    op.drop_index("ix_peers_created_at_id", table_name="peers")
    op.drop_index("ix_peers_static_ilp_address", table_name="peers")
    op.drop_table("peers")
    op.drop_index("ix_assets_created_at_id", table_name="assets")
    op.drop_table("assets")
