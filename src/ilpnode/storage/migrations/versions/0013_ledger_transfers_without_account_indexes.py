"""ledger: ledger_transfers without its indexes on debit_account_id and credit_account_id

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07

No statement of ilpnode finds transfers by account: the ledger finds them by id and by
`pending_id`, and the journal reads them in `seq` order. Yet every transfer row paid for two
more index entries, in the shared ledger while its write holds the account locks: four rows
per forwarded packet. Dropping them made two processes on one PostgreSQL forward 7 % more
packets/s at concurrency 100, at 9 % less CPU per packet (`docs/benchmarks.md`, 2026-12-07).
An operator who queries history by account adds the index they need (`docs/operations.md`).
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_INDEXES = {
    "ix_ledger_transfers_debit_account_id": "debit_account_id",
    "ix_ledger_transfers_credit_account_id": "credit_account_id",
}


def upgrade() -> None:
    for name in _INDEXES:
        op.drop_index(name, table_name="ledger_transfers")


def downgrade() -> None:
    for name, column in _INDEXES.items():
        op.create_index(name, "ledger_transfers", [column])
