"""outgoing payments: the payments the node sends

Revision ID: 0011
Revises: 0009
Create Date: 2027-01-10

`outgoing_payments`: one row per payment sent by the node (issue 19), from a wallet address it
hosts or from an asset's liquidity, over SPSP and STREAM (`ilpnode.services.outgoing_payments`;
columns in `ilpnode.storage.schema`). The money is on the ledger (each payment's own account);
the row holds the request, the progress and which process runs the payment (`owner`,
`lease_until`). Constraint names are the metadata's naming convention, spelled out.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ilpnode.storage.types import UInt64, UtcDateTime

revision = "0011"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outgoing_payments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("wallet_address_id", sa.Uuid(), nullable=True),
        sa.Column("asset_id", sa.Uuid(), nullable=False),
        sa.Column("asset_code", sa.String(64), nullable=False),
        sa.Column("asset_scale", sa.SmallInteger(), nullable=False),
        sa.Column("ledger", sa.BigInteger(), nullable=False),
        sa.Column("receiver", sa.Text(), nullable=False),
        sa.Column("destination_account", sa.Text(), nullable=True),
        sa.Column("state", sa.String(9), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("requested_debit", UInt64(), nullable=True),
        sa.Column("requested_receive", UInt64(), nullable=True),
        sa.Column("fee_fixed", UInt64(), nullable=False),
        sa.Column("fee_basis_points", sa.Integer(), nullable=False),
        sa.Column("send_target", UInt64(), nullable=True),
        sa.Column("max_debit", UInt64(), nullable=True),
        sa.Column("sent", UInt64(), nullable=False),
        sa.Column("delivered", UInt64(), nullable=False),
        sa.Column("packets", sa.BigInteger(), nullable=False),
        sa.Column("receive_asset_code", sa.String(64), nullable=True),
        sa.Column("receive_asset_scale", sa.SmallInteger(), nullable=True),
        sa.Column("estimated_receive", UInt64(), nullable=True),
        sa.Column("fee", UInt64(), nullable=True),
        sa.Column("owner", sa.String(200), nullable=True),
        sa.Column("lease_until", UtcDateTime(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_outgoing_payments"),
        sa.ForeignKeyConstraint(
            ["wallet_address_id"],
            ["wallet_addresses.id"],
            name="fk_outgoing_payments_wallet_address_id",
        ),
        sa.ForeignKeyConstraint(
            ["asset_id"], ["assets.id"], name="fk_outgoing_payments_asset_id_assets"
        ),
        sa.CheckConstraint(
            "state IN ('FUNDING', 'SENDING', 'COMPLETED', 'FAILED', 'CANCELLED')",
            name="ck_outgoing_payments_state_known",
        ),
        sa.CheckConstraint(
            "(requested_debit IS NULL) <> (requested_receive IS NULL)",
            name="ck_outgoing_payments_one_amount",
        ),
    )
    op.create_index("ix_outgoing_payments_created_at_id", "outgoing_payments", ["created_at", "id"])
    op.create_index(
        "ix_outgoing_payments_wallet_address_id_created_at_id",
        "outgoing_payments",
        ["wallet_address_id", "created_at", "id"],
    )
    op.create_index(
        "ix_outgoing_payments_state_lease_until", "outgoing_payments", ["state", "lease_until"]
    )


def downgrade() -> None:
    op.drop_index("ix_outgoing_payments_state_lease_until", table_name="outgoing_payments")
    op.drop_index(
        "ix_outgoing_payments_wallet_address_id_created_at_id", table_name="outgoing_payments"
    )
    op.drop_index("ix_outgoing_payments_created_at_id", table_name="outgoing_payments")
    op.drop_table("outgoing_payments")
