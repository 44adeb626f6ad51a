"""Ledger records <-> rows of `ledger_accounts`, `ledger_transfers`, `ledger_expiries`.

The journal is the three tables read in `seq` order. Reading gives back the records exactly as
the engine journaled them (accounts with zero balances, transfers as stored, expiries), so
`LedgerEngine.replay` can rebuild the state; the balance columns are read separately as a check.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from ilpnode.ledger import (
    Account,
    AccountFlags,
    AccountId,
    ExpiredTransfer,
    JournalEntry,
    Transfer,
    TransferFlags,
    TransferId,
)
from ilpnode.storage.schema.ledger import ledger_accounts, ledger_expiries, ledger_transfers

__all__ = [
    "Balances",
    "account_from_row",
    "insert_entries",
    "load_balances",
    "load_journal",
    "transfer_from_row",
    "update_balances",
]

# (debits_pending, debits_posted, credits_pending, credits_posted)
Balances = tuple[int, int, int, int]


def account_values(account: Account, seq: int) -> dict[str, Any]:
    return {
        "id": account.id,
        "ledger": account.ledger,
        "code": account.code,
        "flags": int(account.flags),
        "user_data_128": account.user_data_128,
        "user_data_64": account.user_data_64,
        "user_data_32": account.user_data_32,
        "timestamp": account.timestamp,
        "seq": seq,
        "debits_pending": account.debits_pending,
        "debits_posted": account.debits_posted,
        "credits_pending": account.credits_pending,
        "credits_posted": account.credits_posted,
    }


def transfer_values(transfer: Transfer, seq: int) -> dict[str, Any]:
    return {
        "id": transfer.id,
        "debit_account_id": transfer.debit_account_id,
        "credit_account_id": transfer.credit_account_id,
        "amount": transfer.amount,
        "pending_id": transfer.pending_id or None,  # NULL, so the partial unique index skips it
        "user_data_128": transfer.user_data_128,
        "user_data_64": transfer.user_data_64,
        "user_data_32": transfer.user_data_32,
        "timeout": transfer.timeout,
        "ledger": transfer.ledger,
        "code": transfer.code,
        "flags": int(transfer.flags),
        "timestamp": transfer.timestamp,
        "seq": seq,
    }


def account_from_row(row: Any, *, with_balances: bool) -> Account:
    return Account(
        id=AccountId(row.id),
        ledger=row.ledger,
        code=row.code,
        flags=AccountFlags(row.flags),
        user_data_128=row.user_data_128,
        user_data_64=row.user_data_64,
        user_data_32=row.user_data_32,
        timestamp=row.timestamp,
        debits_pending=row.debits_pending if with_balances else 0,
        debits_posted=row.debits_posted if with_balances else 0,
        credits_pending=row.credits_pending if with_balances else 0,
        credits_posted=row.credits_posted if with_balances else 0,
    )


def transfer_from_row(row: Any) -> Transfer:
    return Transfer(
        id=TransferId(row.id),
        debit_account_id=AccountId(row.debit_account_id),
        credit_account_id=AccountId(row.credit_account_id),
        amount=row.amount,
        pending_id=TransferId(row.pending_id or 0),
        user_data_128=row.user_data_128,
        user_data_64=row.user_data_64,
        user_data_32=row.user_data_32,
        timeout=row.timeout,
        ledger=row.ledger,
        code=row.code,
        flags=TransferFlags(row.flags),
        timestamp=row.timestamp,
    )


async def load_journal(connection: AsyncConnection) -> list[JournalEntry]:
    """Every journaled record, in the order the ledger applied them (`seq`)."""
    accounts: list[tuple[int, JournalEntry]] = [
        (row.seq, account_from_row(row, with_balances=False))
        for row in await connection.execute(select(ledger_accounts).order_by(ledger_accounts.c.seq))
    ]
    transfers: list[tuple[int, JournalEntry]] = [
        (row.seq, transfer_from_row(row))
        for row in await connection.execute(
            select(ledger_transfers).order_by(ledger_transfers.c.seq)
        )
    ]
    expiries: list[tuple[int, JournalEntry]] = [
        (row.seq, ExpiredTransfer(pending_id=TransferId(row.pending_id), timestamp=row.timestamp))
        for row in await connection.execute(select(ledger_expiries).order_by(ledger_expiries.c.seq))
    ]
    merged = heapq.merge(accounts, transfers, expiries, key=lambda pair: pair[0])
    return [entry for _, entry in merged]


async def load_balances(connection: AsyncConnection) -> dict[int, Balances]:
    """The balance columns as of the last commit, by account id."""
    rows = await connection.execute(
        select(
            ledger_accounts.c.id,
            ledger_accounts.c.debits_pending,
            ledger_accounts.c.debits_posted,
            ledger_accounts.c.credits_pending,
            ledger_accounts.c.credits_posted,
        )
    )
    return {
        row.id: (row.debits_pending, row.debits_posted, row.credits_pending, row.credits_posted)
        for row in rows
    }


async def insert_entries(
    connection: AsyncConnection,
    entries: Iterable[tuple[int, JournalEntry]],
    new_account_balances: Mapping[AccountId, Account],
) -> None:
    """INSERT journal entries with their `seq`; new accounts get their current balances."""
    accounts: list[dict[str, Any]] = []
    transfers: list[dict[str, Any]] = []
    expiries: list[dict[str, Any]] = []
    for seq, entry in entries:
        if isinstance(entry, Transfer):
            transfers.append(transfer_values(entry, seq))
        elif isinstance(entry, Account):
            accounts.append(account_values(new_account_balances.get(entry.id, entry), seq))
        else:
            expiries.append(
                {"pending_id": entry.pending_id, "timestamp": entry.timestamp, "seq": seq}
            )
    if accounts:
        await connection.execute(ledger_accounts.insert(), accounts)
    if transfers:
        await connection.execute(ledger_transfers.insert(), transfers)
    if expiries:
        await connection.execute(ledger_expiries.insert(), expiries)


_UPDATE_BALANCES = (
    update(ledger_accounts)
    .where(ledger_accounts.c.id == bindparam("account_id"))
    .values(
        debits_pending=bindparam("dp"),
        debits_posted=bindparam("dpo"),
        credits_pending=bindparam("cp"),
        credits_posted=bindparam("cpo"),
    )
)


async def update_balances(connection: AsyncConnection, accounts: Sequence[Account]) -> None:
    """UPDATE the balance columns of existing accounts to these values."""
    if not accounts:
        return
    await connection.execute(
        _UPDATE_BALANCES,
        [
            {
                "account_id": account.id,
                "dp": account.debits_pending,
                "dpo": account.debits_posted,
                "cp": account.credits_pending,
                "cpo": account.credits_posted,
            }
            for account in accounts
        ],
    )
