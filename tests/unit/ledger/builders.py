"""Small builders for ledger tests: accounts, transfers and a standard chart of accounts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from ilpnode.ledger import (
    Account,
    AccountFlags,
    AccountId,
    CreateTransferStatus,
    LedgerEngine,
    Transfer,
    TransferFlags,
    TransferId,
)

SECOND = 1_000_000_000
T0 = 1_700_000_000 * SECOND  # an arbitrary "now", ns since the Unix epoch
LEDGER = 1
CODE = 1

# The standard chart (see `standard_engine`): ids of accounts on LEDGER unless noted.
A = AccountId(1)  # no flags
B = AccountId(2)  # no flags
C = AccountId(6)  # no flags
DEBIT_LIMITED = AccountId(3)  # DEBITS_MUST_NOT_EXCEED_CREDITS (a peer's liquidity)
CREDIT_LIMITED = AccountId(4)  # CREDITS_MUST_NOT_EXCEED_DEBITS (a settlement account)
OTHER_LEDGER = AccountId(5)  # no flags, ledger 2


def account(
    id_: int,
    *,
    flags: AccountFlags = AccountFlags.NONE,
    ledger: int = LEDGER,
    code: int = CODE,
) -> Account:
    return Account(id=AccountId(id_), ledger=ledger, code=code, flags=flags)


def transfer(
    id_: int,
    debit: int,
    credit: int,
    amount: int,
    *,
    flags: TransferFlags = TransferFlags.NONE,
    timeout: int = 0,
    ledger: int = LEDGER,
    code: int = CODE,
) -> Transfer:
    return Transfer(
        id=TransferId(id_),
        debit_account_id=AccountId(debit),
        credit_account_id=AccountId(credit),
        amount=amount,
        flags=flags,
        timeout=timeout,
        ledger=ledger,
        code=code,
    )


def pending(id_: int, debit: int, credit: int, amount: int, *, timeout: int = 0) -> Transfer:
    return transfer(id_, debit, credit, amount, flags=TransferFlags.PENDING, timeout=timeout)


def post(id_: int, pending_id: int, amount: int = 0) -> Transfer:
    return Transfer(
        id=TransferId(id_),
        pending_id=TransferId(pending_id),
        amount=amount,
        flags=TransferFlags.POST_PENDING_TRANSFER,
    )


def void(id_: int, pending_id: int, amount: int = 0) -> Transfer:
    return Transfer(
        id=TransferId(id_),
        pending_id=TransferId(pending_id),
        amount=amount,
        flags=TransferFlags.VOID_PENDING_TRANSFER,
    )


def linked(t: Transfer) -> Transfer:
    return replace(t, flags=t.flags | TransferFlags.LINKED)


def standard_engine() -> LedgerEngine:
    """An engine with the standard chart of accounts, created at T0 - 1 s."""
    engine = LedgerEngine()
    results = engine.create_accounts(
        [
            account(A),
            account(B),
            account(C),
            account(DEBIT_LIMITED, flags=AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS),
            account(CREDIT_LIMITED, flags=AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS),
            account(OTHER_LEDGER, ledger=2),
        ],
        now=T0 - SECOND,
    )
    assert all(r.ok for r in results)
    return engine


def statuses(
    engine: LedgerEngine, transfers: Sequence[Transfer], now: int = T0
) -> list[CreateTransferStatus]:
    return [r.status for r in engine.create_transfers(transfers, now=now)]


def status(engine: LedgerEngine, t: Transfer, now: int = T0) -> CreateTransferStatus:
    [result] = engine.create_transfers([t], now=now)
    return result.status


def balances(engine: LedgerEngine, id_: int) -> tuple[int, int, int, int]:
    """(debits_pending, debits_posted, credits_pending, credits_posted) of one account."""
    [a] = engine.lookup_accounts([AccountId(id_)])
    return (a.debits_pending, a.debits_posted, a.credits_pending, a.credits_posted)
