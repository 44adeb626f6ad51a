"""ledger tables: accounts, transfers, expiries

Revision ID: 0001_ledger
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ilpnode.storage.types import UInt64, UInt128

revision = "0001_ledger"
down_revision = None
branch_labels = None
depends_on = None


# Constraint names are given without their table prefix: the metadata's naming convention
# (`ilpnode.storage.schema`) adds `ck_<table>_`.


def upgrade() -> None:
    op.create_table(
        "ledger_accounts",
        sa.Column("id", UInt128(), nullable=False),
        sa.Column("ledger", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.Integer(), nullable=False),
        sa.Column("flags", sa.Integer(), nullable=False),
        sa.Column("user_data_128", UInt128(), nullable=False),
        sa.Column("user_data_64", UInt64(), nullable=False),
        sa.Column("user_data_32", sa.BigInteger(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("debits_pending", UInt64(), nullable=False),
        sa.Column("debits_posted", UInt64(), nullable=False),
        sa.Column("credits_pending", UInt64(), nullable=False),
        sa.Column("credits_posted", UInt64(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_accounts"),
        sa.UniqueConstraint("seq", name="uq_ledger_accounts_seq"),
        sa.CheckConstraint(
            "(flags & 2) = 0 OR debits_pending + debits_posted <= credits_posted",
            name="debits_must_not_exceed_credits",
        ).ddl_if(dialect="postgresql"),
        sa.CheckConstraint(
            "(flags & 4) = 0 OR credits_pending + credits_posted <= debits_posted",
            name="credits_must_not_exceed_debits",
        ).ddl_if(dialect="postgresql"),
        sa.CheckConstraint(
            "debits_pending >= 0 AND debits_posted >= 0 AND credits_pending >= 0 "
            "AND credits_posted >= 0",
            name="balances_not_negative",
        ).ddl_if(dialect="postgresql"),
    )
    op.create_table(
        "ledger_transfers",
        sa.Column("id", UInt128(), nullable=False),
        sa.Column("debit_account_id", UInt128(), nullable=False),
        sa.Column("credit_account_id", UInt128(), nullable=False),
        sa.Column("amount", UInt64(), nullable=False),
        sa.Column("pending_id", UInt128(), nullable=True),
        sa.Column("user_data_128", UInt128(), nullable=False),
        sa.Column("user_data_64", UInt64(), nullable=False),
        sa.Column("user_data_32", sa.BigInteger(), nullable=False),
        sa.Column("timeout", sa.BigInteger(), nullable=False),
        sa.Column("ledger", sa.BigInteger(), nullable=False),
        sa.Column("code", sa.Integer(), nullable=False),
        sa.Column("flags", sa.Integer(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ledger_transfers"),
        sa.UniqueConstraint("seq", name="uq_ledger_transfers_seq"),
        sa.CheckConstraint("debit_account_id <> credit_account_id", name="accounts_differ"),
    )
    op.create_index(
        "ix_ledger_transfers_debit_account_id", "ledger_transfers", ["debit_account_id"]
    )
    op.create_index(
        "ix_ledger_transfers_credit_account_id", "ledger_transfers", ["credit_account_id"]
    )
    op.create_index(
        "uq_ledger_transfers_pending_id",
        "ledger_transfers",
        ["pending_id"],
        unique=True,
        postgresql_where=sa.text("pending_id IS NOT NULL"),
        sqlite_where=sa.text("pending_id IS NOT NULL"),
    )
    op.create_table(
        "ledger_expiries",
        sa.Column("pending_id", UInt128(), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("pending_id", name="pk_ledger_expiries"),
        sa.UniqueConstraint("seq", name="uq_ledger_expiries_seq"),
    )


def downgrade() -> None:
    op.drop_table("ledger_expiries")
    op.drop_index("uq_ledger_transfers_pending_id", table_name="ledger_transfers")
    op.drop_index("ix_ledger_transfers_credit_account_id", table_name="ledger_transfers")
    op.drop_index("ix_ledger_transfers_debit_account_id", table_name="ledger_transfers")
    op.drop_table("ledger_transfers")
    op.drop_table("ledger_accounts")
