"""ledger: no account's debits or credits beyond the u64 range, checked by PostgreSQL

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07

The shared ledger writes balances as changes (`debits_pending = debits_pending + delta`) and
may decide a batch on a read taken without locks (`ilpnode.storage.ledger.shared_apply`); the
CHECK constraints then refuse, in the database, what another process made impossible since.
Migration 0001 covers the flag limits and negative balances; this adds the engine's overflow
rules: each side's pending plus posted stays within 2^64 - 1 (which bounds each column too).
PostgreSQL only, like the other balance constraints.
"""

from __future__ import annotations

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

_U64_MAX = 2**64 - 1
_NAME = "ck_ledger_accounts_balances_within_u64"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        f"ALTER TABLE ledger_accounts ADD CONSTRAINT {_NAME} CHECK ("
        f"debits_pending + debits_posted <= {_U64_MAX} "
        f"AND credits_pending + credits_posted <= {_U64_MAX})"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER TABLE ledger_accounts DROP CONSTRAINT {_NAME}")
