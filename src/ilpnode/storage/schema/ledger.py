"""The ledger's tables (migrations 0001, 0002, 0006, 0012, 0013), shared by both ledger backends.

- `ledger_accounts`: one row per account; its four balance columns are the balances as of the
  last commit (the embedded ledger on PostgreSQL writes them with each group commit, the shared
  ledger under row locks). On PostgreSQL, CHECK constraints back the flag invariants.
- `ledger_transfers`: every transfer ever created, immutable. A post or void is its own row whose
  `pending_id` names the pending transfer; the partial unique index on `pending_id` makes a second
  resolution of the same pending transfer impossible even if the application were wrong.
- `ledger_expiries`: one row per pending transfer released by its timeout.

`seq` orders every row across the three tables the way the ledger applied them (journal order).
On SQLite the embedded ledger journals to its log file instead (`storage.ledger.log_journal`);
these tables stay empty there.

On PostgreSQL, migration 0002 adds `ledger_pending_deadlines`, a cache of unresolved pending
transfers' deadlines kept by triggers (not by application code), so it is not declared here.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, CheckConstraint, Column, Index, Integer, Table, text

from ilpnode.storage.schema.base import metadata
from ilpnode.storage.types import UInt64, UInt128

__all__ = ["ledger_accounts", "ledger_expiries", "ledger_transfers"]

_DEBITS_MUST_NOT_EXCEED_CREDITS = 2
_CREDITS_MUST_NOT_EXCEED_DEBITS = 4
_U64_MAX = 2**64 - 1

ledger_accounts = Table(
    "ledger_accounts",
    metadata,
    Column("id", UInt128(), primary_key=True),
    Column("ledger", BigInteger, nullable=False),
    Column("code", Integer, nullable=False),
    Column("flags", Integer, nullable=False),
    Column("user_data_128", UInt128(), nullable=False),
    Column("user_data_64", UInt64(), nullable=False),
    Column("user_data_32", BigInteger, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("seq", BigInteger, nullable=False, unique=True),
    # The timestamp of the last event that changed the balances (shared ledger's clock seed).
    Column("last_timestamp", BigInteger, nullable=False, server_default="0"),
    Column("debits_pending", UInt64(), nullable=False),
    Column("debits_posted", UInt64(), nullable=False),
    Column("credits_pending", UInt64(), nullable=False),
    Column("credits_posted", UInt64(), nullable=False),
    # PostgreSQL only: SQLite's signed 64-bit arithmetic cannot add u64 balances exactly.
    CheckConstraint(
        f"(flags & {_DEBITS_MUST_NOT_EXCEED_CREDITS}) = 0 "
        "OR debits_pending + debits_posted <= credits_posted",
        name="debits_must_not_exceed_credits",
    ).ddl_if(dialect="postgresql"),
    CheckConstraint(
        f"(flags & {_CREDITS_MUST_NOT_EXCEED_DEBITS}) = 0 "
        "OR credits_pending + credits_posted <= debits_posted",
        name="credits_must_not_exceed_debits",
    ).ddl_if(dialect="postgresql"),
    CheckConstraint(
        "debits_pending >= 0 AND debits_posted >= 0 AND credits_pending >= 0 "
        "AND credits_posted >= 0",
        name="balances_not_negative",
    ).ddl_if(dialect="postgresql"),
    # Migration 0012: the engine's overflow rules (each side within u64, pending included).
    CheckConstraint(
        f"debits_pending + debits_posted <= {_U64_MAX} "
        f"AND credits_pending + credits_posted <= {_U64_MAX}",
        name="balances_within_u64",
    ).ddl_if(dialect="postgresql"),
)

ledger_transfers = Table(
    "ledger_transfers",
    metadata,
    Column("id", UInt128(), primary_key=True),
    Column("debit_account_id", UInt128(), nullable=False),
    Column("credit_account_id", UInt128(), nullable=False),
    Column("amount", UInt64(), nullable=False),
    Column("pending_id", UInt128(), nullable=True),
    Column("user_data_128", UInt128(), nullable=False),
    Column("user_data_64", UInt64(), nullable=False),
    Column("user_data_32", BigInteger, nullable=False),
    Column("timeout", BigInteger, nullable=False),
    Column("ledger", BigInteger, nullable=False),
    Column("code", Integer, nullable=False),
    Column("flags", Integer, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("seq", BigInteger, nullable=False, unique=True),
    CheckConstraint("debit_account_id <> credit_account_id", name="accounts_differ"),
    # Found by id and by pending_id only; no index by account (migration 0013 says why).
    Index(
        "uq_ledger_transfers_pending_id",
        "pending_id",
        unique=True,
        postgresql_where=text("pending_id IS NOT NULL"),
        sqlite_where=text("pending_id IS NOT NULL"),
    ),
)

ledger_expiries = Table(
    "ledger_expiries",
    metadata,
    Column("pending_id", UInt128(), primary_key=True),
    Column("timestamp", BigInteger, nullable=False),
    Column("seq", BigInteger, nullable=False, unique=True),
)
