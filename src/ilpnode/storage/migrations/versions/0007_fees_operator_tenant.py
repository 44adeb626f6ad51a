"""fees, operator_tenant: Rafiki's asset fees, and the creation time of the node's one tenant

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-12

`fees` keeps every fee ever set for an asset (`ilpnode.services.fees`): rows are only added, the
newest of each type is in force. `operator_tenant` holds one row, the creation time the Admin
API gives the operator tenant (`whoami`, `tenant`, `tenants`). A node that already has assets or
peers was created no later than the oldest of them, so that is the time recorded; a new node
records the time of this migration.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from ilpnode.storage.types import UInt64, UtcDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fees",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("asset_id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(9), nullable=False),
        sa.Column("fixed", UInt64(), nullable=False),
        sa.Column("basis_points", sa.Integer(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_fees"),
        sa.ForeignKeyConstraint(["asset_id"], ["assets.id"], name="fk_fees_asset_id_assets"),
        sa.CheckConstraint("type IN ('SENDING', 'RECEIVING')", name="ck_fees_type_known"),
        sa.CheckConstraint("basis_points BETWEEN 0 AND 10000", name="ck_fees_basis_points_range"),
    )
    op.create_index("ix_fees_asset_id_created_at_id", "fees", ["asset_id", "created_at", "id"])
    tenant = op.create_table(
        "operator_tenant",
        sa.Column("id", sa.SmallInteger(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_operator_tenant"),
        sa.CheckConstraint("id = 1", name="ck_operator_tenant_one_row"),
    )
    op.bulk_insert(tenant, [{"id": 1, "created_at": _oldest_record_or_now()}])


def _oldest_record_or_now() -> datetime:
    connection = op.get_bind()
    found = []
    for name in ("assets", "peers"):
        table = sa.table(name, sa.column("created_at", UtcDateTime()))
        query = sa.select(table.c.created_at).order_by(table.c.created_at).limit(1)
        value = connection.execute(query).scalar()
        if value is not None:
            found.append(value)
    return min(found, default=datetime.now(UTC))


def downgrade() -> None:
    op.drop_table("operator_tenant")
    op.drop_index("ix_fees_asset_id_created_at_id", "fees")
    op.drop_table("fees")
