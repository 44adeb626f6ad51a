"""wallet addresses hosted by the node, and the node's generated secrets

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-07

`wallet_addresses`: the wallet addresses this node hosts (issue 18), under its OPEN_PAYMENTS_URL;
`node_secrets`: secrets generated once and shared by every process of the node, such as the
STREAM server secret when STREAM_SECRET is unset (see `ilpnode.storage.schema`). Constraint
names are the metadata's naming convention, spelled out: the repository recognises a violation
by its constraint's name.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ilpnode.storage.types import UtcDateTime

revision = "0009"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wallet_addresses",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("asset_id", sa.Uuid(), nullable=False),
        sa.Column("public_name", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("deactivated_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_wallet_addresses"),
        sa.UniqueConstraint("url", name="uq_wallet_addresses_url"),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name="fk_wallet_addresses_asset_id_assets"
        ),
    )
    op.create_index("ix_wallet_addresses_asset_id", "wallet_addresses", ["asset_id"])
    op.create_index("ix_wallet_addresses_created_at_id", "wallet_addresses", ["created_at", "id"])
    op.create_table(
        "node_secrets",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_node_secrets"),
    )


def downgrade() -> None:
    op.drop_table("node_secrets")
    op.drop_index("ix_wallet_addresses_created_at_id", table_name="wallet_addresses")
    op.drop_index("ix_wallet_addresses_asset_id", table_name="wallet_addresses")
    op.drop_table("wallet_addresses")
