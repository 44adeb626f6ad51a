"""`create_accounts`: every status has a case, precedence, idempotency, chains, lookups."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from ilpnode.ledger import (
    ID_INT_MAX,
    Account,
    AccountFlags,
    AccountId,
    CreateAccountStatus,
    LedgerEngine,
)

from .builders import SECOND, T0, account

S = CreateAccountStatus
BOTH_LIMITS = (
    AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS | AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS
)


def create(*accounts: Account, engine: LedgerEngine | None = None) -> list[CreateAccountStatus]:
    engine = LedgerEngine() if engine is None else engine
    return [r.status for r in engine.create_accounts(accounts, now=T0)]


def after(first: Account, second: Account) -> CreateAccountStatus:
    engine = LedgerEngine()
    assert create(first, engine=engine) == [S.CREATED]
    [result] = engine.create_accounts([second], now=T0 + SECOND)
    return result.status


CASES: dict[CreateAccountStatus, Callable[[], CreateAccountStatus]] = {
    S.CREATED: lambda: create(account(1))[0],
    S.LINKED_EVENT_CHAIN_OPEN: lambda: create(account(1, flags=AccountFlags.LINKED))[0],
    S.LINKED_EVENT_FAILED: lambda: create(account(1, flags=AccountFlags.LINKED), account(0))[0],
    S.TIMESTAMP_MUST_BE_ZERO: lambda: create(replace(account(1), timestamp=1))[0],
    S.RESERVED_FLAG: lambda: create(account(1, flags=AccountFlags(1 << 3)))[0],
    S.ID_MUST_NOT_BE_ZERO: lambda: create(account(0))[0],
    S.ID_MUST_NOT_BE_INT_MAX: lambda: create(account(ID_INT_MAX))[0],
    S.FLAGS_ARE_MUTUALLY_EXCLUSIVE: lambda: create(account(1, flags=BOTH_LIMITS))[0],
    S.DEBITS_PENDING_MUST_BE_ZERO: lambda: create(replace(account(1), debits_pending=1))[0],
    S.DEBITS_POSTED_MUST_BE_ZERO: lambda: create(replace(account(1), debits_posted=1))[0],
    S.CREDITS_PENDING_MUST_BE_ZERO: lambda: create(replace(account(1), credits_pending=1))[0],
    S.CREDITS_POSTED_MUST_BE_ZERO: lambda: create(replace(account(1), credits_posted=1))[0],
    S.LEDGER_MUST_NOT_BE_ZERO: lambda: create(account(1, ledger=0))[0],
    S.CODE_MUST_NOT_BE_ZERO: lambda: create(account(1, code=0))[0],
    S.EXISTS_WITH_DIFFERENT_FLAGS: lambda: after(
        account(1), account(1, flags=AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS)
    ),
    S.EXISTS_WITH_DIFFERENT_USER_DATA_128: lambda: after(
        account(1), replace(account(1), user_data_128=7)
    ),
    S.EXISTS_WITH_DIFFERENT_USER_DATA_64: lambda: after(
        account(1), replace(account(1), user_data_64=7)
    ),
    S.EXISTS_WITH_DIFFERENT_USER_DATA_32: lambda: after(
        account(1), replace(account(1), user_data_32=7)
    ),
    S.EXISTS_WITH_DIFFERENT_LEDGER: lambda: after(account(1), account(1, ledger=2)),
    S.EXISTS_WITH_DIFFERENT_CODE: lambda: after(account(1), account(1, code=2)),
    S.EXISTS: lambda: after(account(1), account(1)),
}


@pytest.mark.parametrize("expected", list(CreateAccountStatus), ids=lambda s: s.name)
def test_every_status_is_reached_by_its_case(expected: CreateAccountStatus) -> None:
    assert expected in CASES, f"no test case reaches CreateAccountStatus.{expected.name}"
    assert CASES[expected]() is expected


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        (replace(account(0, ledger=0), timestamp=1), S.TIMESTAMP_MUST_BE_ZERO),
        (account(0, flags=AccountFlags(1 << 5)), S.RESERVED_FLAG),
        (account(0, flags=BOTH_LIMITS), S.ID_MUST_NOT_BE_ZERO),
        (replace(account(1, flags=BOTH_LIMITS), debits_posted=1), S.FLAGS_ARE_MUTUALLY_EXCLUSIVE),
        (replace(account(1, ledger=0), credits_posted=1), S.CREDITS_POSTED_MUST_BE_ZERO),
        (account(1, ledger=0, code=0), S.LEDGER_MUST_NOT_BE_ZERO),
    ],
)
def test_the_earlier_status_wins(candidate: Account, expected: CreateAccountStatus) -> None:
    assert create(candidate) == [expected]


def test_validation_outranks_existence() -> None:
    assert after(account(1), account(1, code=0)) is S.CODE_MUST_NOT_BE_ZERO


def test_different_flags_outrank_other_differences() -> None:
    engine = LedgerEngine()
    create(account(1), engine=engine)
    results = engine.create_accounts(
        [account(1, flags=AccountFlags.LINKED, ledger=2), account(2)], now=T0 + 1
    )
    assert [r.status for r in results] == [S.EXISTS_WITH_DIFFERENT_FLAGS, S.LINKED_EVENT_FAILED]


def test_exists_returns_the_original_timestamp_and_changes_nothing() -> None:
    engine = LedgerEngine()
    [first] = engine.create_accounts([account(1)], now=T0)
    engine.drain_journal()
    before = engine.snapshot()
    [again] = engine.create_accounts([account(1)], now=T0 + SECOND)
    assert again.status is S.EXISTS
    assert again.ok
    assert again.timestamp == first.timestamp == T0
    assert engine.snapshot() == before
    assert engine.drain_journal() == []


def test_failed_results_carry_no_timestamp() -> None:
    [result] = LedgerEngine().create_accounts([account(0)], now=T0)
    assert result.timestamp is None
    assert not result.ok


def test_a_failed_chain_creates_none_of_its_accounts() -> None:
    engine = LedgerEngine()
    results = engine.create_accounts(
        [
            account(1, flags=AccountFlags.LINKED),
            account(2, flags=AccountFlags.LINKED),
            account(3, code=0),
            account(4),
        ],
        now=T0,
    )
    assert [r.status for r in results] == [
        S.LINKED_EVENT_FAILED,
        S.LINKED_EVENT_FAILED,
        S.CODE_MUST_NOT_BE_ZERO,
        S.CREATED,
    ]
    assert [a.id for a in engine.lookup_accounts([AccountId(i) for i in (1, 2, 3, 4)])] == [4]
    assert results[3].timestamp == T0  # the rolled-back chain gave its timestamps back
    assert engine.drain_journal() == [replace(account(4), timestamp=T0)]


def test_lookup_returns_records_in_the_order_asked_and_omits_unknown_ids() -> None:
    engine = LedgerEngine()
    create(account(1), account(2, flags=AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS), engine=engine)
    found = engine.lookup_accounts([AccountId(2), AccountId(9), AccountId(1)])
    assert [(a.id, a.timestamp) for a in found] == [(2, T0 + 1), (1, T0)]
    assert found[0].flags is AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS
