"""the payments received by the wallet addresses

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-27

`received_payments`: one row per STREAM connection that paid into a wallet address hosted by the
node (issue 18, "the payments received"): the connection's id (derived from its token, never
its shared secret), the wallet address, its asset, the total received (u64), the packets and the
first and latest packet's time. Written in batches from the tally the packet path keeps in memory
(`ilpnode.services.payments.received_payments`); the ledger stays the books. Existing nodes
start with an empty list: payments received before this revision are in the balances only.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ilpnode.storage.types import UInt64, UtcDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "received_payments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("wallet_address_id", sa.Uuid(), nullable=False),
        sa.Column("asset_code", sa.String(64), nullable=False),
        sa.Column("asset_scale", sa.SmallInteger(), nullable=False),
        sa.Column("total_received", UInt64(), nullable=False),
        sa.Column("packets", sa.BigInteger(), nullable=False),
        sa.Column("first_packet_at", UtcDateTime(), nullable=False),
        sa.Column("last_packet_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_received_payments"),
        sa.ForeignKeyConstraint(
            ["wallet_address_id"],
            ["wallet_addresses.id"],
            name="fk_received_payments_wallet_address_id_wallet_addresses",
        ),
    )
    op.create_index(
        "ix_received_payments_wallet_address_id_first_packet_at_id",
        "received_payments",
        ["wallet_address_id", "first_packet_at", "id"],
    )


def downgrade() -> None:
    op.drop_index(
        "ix_received_payments_wallet_address_id_first_packet_at_id", table_name="received_payments"
    )
    op.drop_table("received_payments")
