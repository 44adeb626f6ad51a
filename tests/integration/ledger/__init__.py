"""The `Ledger` contract suite (every backend) and the shared PostgreSQL ledger's own tests.

Shared helpers live here: the chart of accounts the tests use and the invariant checks.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from ilpnode.ledger import (
    Account,
    AccountFlags,
    AccountId,
    ExpiredTransfer,
    Ledger,
    Transfer,
    TransferId,
    check_invariants,
    exceeds_limit,
)
from ilpnode.ledger.seed import seeded_engine
from ilpnode.storage.database import Database
from ilpnode.storage.ledger.rows import account_from_row, transfer_from_row
from ilpnode.storage.schema.ledger import ledger_accounts, ledger_expiries, ledger_transfers
from tests.unit.ledger.builders import transfer

LEDGER = 1
SETTLEMENT = AccountId(1)  # the asset's settlement account: credits must not exceed debits
PEER = AccountId(2)  # a peer's liquidity: debits must not exceed credits (its credit line)
OTHER = AccountId(3)  # another peer, no limit
DEPOSIT_CODE = 2


def chart() -> list[Account]:
    """SETTLEMENT, PEER and OTHER, as `create_accounts` input."""
    return [
        Account(
            id=SETTLEMENT,
            ledger=LEDGER,
            code=101,
            flags=AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS,
        ),
        Account(id=PEER, ledger=LEDGER, code=3, flags=AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS),
        Account(id=OTHER, ledger=LEDGER, code=3, user_data_32=7),
    ]


def deposit(id_: int, amount: int, to: AccountId = PEER) -> Transfer:
    """Settlement -> `to`, posted: extends `to`'s credit line by `amount`."""
    return transfer(id_, SETTLEMENT, to, amount, code=DEPOSIT_CODE)


async def open_chart(ledger: Ledger, credit_line: int = 0) -> None:
    """Create the chart and deposit `credit_line` into PEER (transfer id 1)."""
    results = await ledger.create_accounts(chart())
    assert [r.status.name for r in results] == ["CREATED"] * 3
    if credit_line:
        [result] = await ledger.create_transfers([deposit(1, credit_line)])
        assert result.status.name == "CREATED"


async def one(ledger: Ledger, account_id: AccountId) -> Account:
    [account] = await ledger.lookup_accounts([account_id])
    return account


def available(account: Account) -> int:
    """What a DEBITS_MUST_NOT_EXCEED_CREDITS account may still spend (pending debits reserve)."""
    return account.credits_posted - account.debits_posted - account.debits_pending


def balance_problems(accounts: Sequence[Account]) -> list[str]:
    """The invariants visible through the port: the sums balance, no flagged account over."""
    problems = [f"account {a.id} is over its limit" for a in accounts if exceeds_limit(a)]
    debits = sum(a.debits_posted for a in accounts), sum(a.debits_pending for a in accounts)
    credits = sum(a.credits_posted for a in accounts), sum(a.credits_pending for a in accounts)
    if debits != credits:
        problems.append(f"Σ debits (posted, pending) {debits} != Σ credits {credits}")
    return problems


async def stored_ledger_problems(database: Database) -> list[str]:
    """`check_invariants` over everything stored: every balance column equals its transfers.

    Shared-mode timestamps are unique per account, not globally (see `shared`), so the
    global timestamp-order checks are left out.
    """
    async with database.engine.connect() as connection:
        accounts = [
            account_from_row(row, with_balances=True)
            for row in await connection.execute(select(ledger_accounts))
        ]
        transfers = [
            transfer_from_row(row) for row in await connection.execute(select(ledger_transfers))
        ]
        expired = [
            ExpiredTransfer(pending_id=TransferId(row.pending_id), timestamp=row.timestamp)
            for row in await connection.execute(select(ledger_expiries))
        ]
    engine = seeded_engine(
        accounts=accounts, transfers=transfers, expired=expired, last_timestamp=0
    )
    return [problem for problem in check_invariants(engine) if "timestamps" not in problem]


def ledger_problems_at(url: str) -> list[str]:
    """`stored_ledger_problems` of the database at `url`, from synchronous (e2e) code."""
    import asyncio

    async def check() -> list[str]:
        database = Database(url)
        try:
            return await stored_ledger_problems(database)
        finally:
            await database.close()

    return asyncio.run(check())
