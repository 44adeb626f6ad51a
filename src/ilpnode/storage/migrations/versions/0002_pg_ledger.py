"""shared PostgreSQL ledger: journal sequence, per-account clock, pending-deadline index

Revision ID: 0002_pg_ledger
Revises: 0001_ledger
Create Date: 2026-11-25

What `ilpnode.storage.ledger.shared` (several processes over one database) needs beyond 0001:

- `ledger_accounts.last_timestamp` (both dialects): the engine timestamp of the last event that
  changed the account's balances, 0 if unknown (rows written by the embedded ledger). The shared
  ledger seeds its engine clock from it, so timestamps increase per account even across processes
  whose clocks disagree.
- PostgreSQL only:
  - sequence `ledger_journal_seq` for `seq` (the embedded ledger uses its unique timestamps; in
    shared mode several processes assign timestamps independently, so the database numbers rows);
  - table `ledger_pending_deadlines` (pending_id, expires_at) with an index on `expires_at`: one
    row per *unresolved* pending transfer with a timeout, so the sweeper finds due transfers with
    an index range scan whose cost does not grow with history. It is a derived cache of the
    immutable rows, kept by statement-level triggers on INSERT into `ledger_transfers` (a pending
    transfer with a timeout adds its row, a post/void removes its pending transfer's row) and
    `ledger_expiries` (removes it). Both ledger backends therefore keep it right without knowing
    it; the upgrade fills it from the rows already there.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ilpnode.storage.types import UInt128

revision = "0002_pg_ledger"
down_revision = "0001_ledger"
branch_labels = None
depends_on = None

_TRACK_TRANSFERS = """
CREATE FUNCTION ledger_transfers_track_deadlines() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO ledger_pending_deadlines (pending_id, expires_at)
    SELECT n.id, n."timestamp" + n.timeout * 1000000000
    FROM new_transfers AS n
    WHERE (n.flags & 2) <> 0 AND n.timeout > 0;
    DELETE FROM ledger_pending_deadlines AS d
    USING new_transfers AS n
    WHERE n.pending_id IS NOT NULL AND d.pending_id = n.pending_id;
    RETURN NULL;
END
$$
"""

_TRACK_EXPIRIES = """
CREATE FUNCTION ledger_expiries_track_deadlines() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM ledger_pending_deadlines AS d
    USING new_expiries AS n
    WHERE d.pending_id = n.pending_id;
    RETURN NULL;
END
$$
"""

_BACKFILL = """
INSERT INTO ledger_pending_deadlines (pending_id, expires_at)
SELECT t.id, t."timestamp" + t.timeout * 1000000000
FROM ledger_transfers AS t
WHERE (t.flags & 2) <> 0 AND t.timeout > 0
  AND NOT EXISTS (SELECT 1 FROM ledger_transfers AS r WHERE r.pending_id = t.id)
  AND NOT EXISTS (SELECT 1 FROM ledger_expiries AS e WHERE e.pending_id = t.id)
"""


def upgrade() -> None:
    op.add_column(
        "ledger_accounts",
        sa.Column("last_timestamp", sa.BigInteger(), nullable=False, server_default="0"),
    )
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE SEQUENCE ledger_journal_seq AS BIGINT")
    op.create_table(
        "ledger_pending_deadlines",
        sa.Column("pending_id", UInt128(), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("pending_id", name="pk_ledger_pending_deadlines"),
    )
    op.create_index(
        "ix_ledger_pending_deadlines_expires_at", "ledger_pending_deadlines", ["expires_at"]
    )
    op.execute(_TRACK_TRANSFERS)
    op.execute(
        "CREATE TRIGGER ledger_transfers_track_deadlines AFTER INSERT ON ledger_transfers "
        "REFERENCING NEW TABLE AS new_transfers FOR EACH STATEMENT "
        "EXECUTE FUNCTION ledger_transfers_track_deadlines()"
    )
    op.execute(_TRACK_EXPIRIES)
    op.execute(
        "CREATE TRIGGER ledger_expiries_track_deadlines AFTER INSERT ON ledger_expiries "
        "REFERENCING NEW TABLE AS new_expiries FOR EACH STATEMENT "
        "EXECUTE FUNCTION ledger_expiries_track_deadlines()"
    )
    op.execute(_BACKFILL)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER ledger_expiries_track_deadlines ON ledger_expiries")
        op.execute("DROP FUNCTION ledger_expiries_track_deadlines()")
        op.execute("DROP TRIGGER ledger_transfers_track_deadlines ON ledger_transfers")
        op.execute("DROP FUNCTION ledger_transfers_track_deadlines()")
        op.drop_index(
            "ix_ledger_pending_deadlines_expires_at", table_name="ledger_pending_deadlines"
        )
        op.drop_table("ledger_pending_deadlines")
        op.execute("DROP SEQUENCE ledger_journal_seq")
    with op.batch_alter_table("ledger_accounts") as batch:
        batch.drop_column("last_timestamp")
