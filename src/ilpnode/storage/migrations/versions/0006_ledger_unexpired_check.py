"""shared ledger: a function that stops a write whose read missed an expiry

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-06

The shared ledger reads a batch's transfers in the statement that takes its account locks, so
the read may miss an expiry committed while it waited for them (`ilpnode.storage.ledger.shared`).
Its write, sent together with COMMIT, first calls `ledger_check_unexpired(ids)`, which raises
SQLSTATE `IL001` if one of the pending transfers the batch resolves has expired: the whole
transaction then fails, nothing is written, and the batch is run again. PostgreSQL only.
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_CREATE = """
CREATE FUNCTION ledger_check_unexpired(ids NUMERIC[]) RETURNS BOOLEAN
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM ledger_expiries WHERE pending_id = ANY(ids)) THEN
        RAISE EXCEPTION 'a pending transfer this batch resolves expired meanwhile'
            USING ERRCODE = 'IL001';
    END IF;
    RETURN TRUE;
END
$$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(_CREATE)


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP FUNCTION ledger_check_unexpired(NUMERIC[])")
