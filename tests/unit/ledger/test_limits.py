"""Balance limits: TigerBeetle's formula at the boundary, pending counts, posts do not re-count."""

from __future__ import annotations

import pytest

from ilpnode.ledger import (
    Account,
    AccountFlags,
    AccountId,
    CreateTransferStatus,
    credits_exceed_debits,
    debits_exceed_credits,
    exceeds_limit,
)

from .builders import (
    CREDIT_LIMITED,
    DEBIT_LIMITED,
    A,
    B,
    balances,
    pending,
    post,
    standard_engine,
    status,
    statuses,
    transfer,
    void,
)

S = CreateTransferStatus
DEBITS = AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS
CREDITS = AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS


def row(flags: AccountFlags, dp: int = 0, dP: int = 0, cp: int = 0, cP: int = 0) -> Account:
    return Account(
        id=AccountId(1),
        flags=flags,
        debits_pending=dp,
        debits_posted=dP,
        credits_pending=cp,
        credits_posted=cP,
    )


@pytest.mark.parametrize(
    ("account", "amount", "expected"),
    [
        (row(DEBITS, cP=10), 10, False),
        (row(DEBITS, cP=10), 11, True),
        (row(DEBITS, dp=3, dP=4, cP=10), 3, False),
        (row(DEBITS, dp=3, dP=4, cP=10), 4, True),
        (row(DEBITS, cp=100, cP=10), 11, True),  # pending credits do not count as credit
        (row(AccountFlags.NONE), 1, False),
        (row(CREDITS, cP=10), 1, False),  # the other flag does not limit debits
    ],
)
def test_debits_exceed_credits_formula(account: Account, amount: int, expected: bool) -> None:
    assert debits_exceed_credits(account, amount) is expected


@pytest.mark.parametrize(
    ("account", "amount", "expected"),
    [
        (row(CREDITS, dP=10), 10, False),
        (row(CREDITS, dP=10), 11, True),
        (row(CREDITS, cp=3, cP=4, dP=10), 3, False),
        (row(CREDITS, cp=3, cP=4, dP=10), 4, True),
        (row(CREDITS, dp=100, dP=10), 11, True),
        (row(DEBITS, dP=10), 11, False),
    ],
)
def test_credits_exceed_debits_formula(account: Account, amount: int, expected: bool) -> None:
    assert credits_exceed_debits(account, amount) is expected


def test_exceeds_limit_checks_the_current_state() -> None:
    assert exceeds_limit(row(DEBITS, dP=1))
    assert exceeds_limit(row(CREDITS, cP=1))
    assert not exceeds_limit(row(DEBITS, dP=1, cP=1))


def test_exactly_the_balance_can_be_spent_and_one_more_cannot() -> None:
    engine = standard_engine()
    assert status(engine, transfer(1, A, DEBIT_LIMITED, 100)) is S.CREATED
    assert status(engine, transfer(10, DEBIT_LIMITED, B, 101)) is S.EXCEEDS_CREDITS
    assert status(engine, transfer(11, DEBIT_LIMITED, B, 100)) is S.CREATED
    assert status(engine, transfer(12, DEBIT_LIMITED, B, 1)) is S.EXCEEDS_CREDITS
    assert balances(engine, DEBIT_LIMITED) == (0, 100, 0, 100)


def test_pending_debits_count_against_the_limit() -> None:
    engine = standard_engine()
    assert status(engine, transfer(1, A, DEBIT_LIMITED, 100)) is S.CREATED
    assert status(engine, pending(10, DEBIT_LIMITED, B, 60)) is S.CREATED
    assert status(engine, transfer(11, DEBIT_LIMITED, B, 41)) is S.EXCEEDS_CREDITS
    assert status(engine, pending(12, DEBIT_LIMITED, B, 41)) is S.EXCEEDS_CREDITS
    assert status(engine, transfer(13, DEBIT_LIMITED, B, 40)) is S.CREATED


def test_posting_a_reservation_of_the_whole_balance_is_not_double_counted() -> None:
    engine = standard_engine()
    assert status(engine, transfer(1, A, DEBIT_LIMITED, 100)) is S.CREATED
    assert statuses(engine, [pending(10, DEBIT_LIMITED, B, 100), post(11, 10)]) == [S.CREATED] * 2
    assert balances(engine, DEBIT_LIMITED) == (0, 100, 0, 100)


def test_a_partial_post_frees_the_rest_for_new_debits() -> None:
    engine = standard_engine()
    assert status(engine, transfer(1, A, DEBIT_LIMITED, 100)) is S.CREATED
    assert (
        statuses(engine, [pending(10, DEBIT_LIMITED, B, 100), post(11, 10, 30)]) == [S.CREATED] * 2
    )
    assert status(engine, transfer(12, DEBIT_LIMITED, B, 71)) is S.EXCEEDS_CREDITS
    assert status(engine, transfer(13, DEBIT_LIMITED, B, 70)) is S.CREATED


def test_a_void_frees_the_reservation() -> None:
    engine = standard_engine()
    assert status(engine, transfer(1, A, DEBIT_LIMITED, 100)) is S.CREATED
    assert statuses(engine, [pending(10, DEBIT_LIMITED, B, 100), void(11, 10)]) == [S.CREATED] * 2
    assert status(engine, transfer(12, DEBIT_LIMITED, B, 100)) is S.CREATED


def test_credits_must_not_exceed_debits_at_the_boundary() -> None:
    engine = standard_engine()
    assert status(engine, transfer(1, CREDIT_LIMITED, A, 50)) is S.CREATED
    assert status(engine, pending(10, B, CREDIT_LIMITED, 20)) is S.CREATED
    assert status(engine, transfer(11, B, CREDIT_LIMITED, 31)) is S.EXCEEDS_DEBITS
    assert status(engine, transfer(12, B, CREDIT_LIMITED, 30)) is S.CREATED
    assert status(engine, post(13, 10)) is S.CREATED
    assert balances(engine, CREDIT_LIMITED) == (0, 50, 0, 50)
