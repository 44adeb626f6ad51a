"""Every `CreateTransferStatus` is reachable, and each has a case here (a new member fails)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from ilpnode.ledger import (
    AMOUNT_MAX,
    ID_INT_MAX,
    TIMESTAMP_MAX,
    AccountId,
    CreateTransferStatus,
    Transfer,
    TransferFlags,
    TransferId,
)

from .builders import (
    CREDIT_LIMITED,
    DEBIT_LIMITED,
    OTHER_LEDGER,
    SECOND,
    T0,
    A,
    B,
    C,
    linked,
    pending,
    post,
    standard_engine,
    status,
    statuses,
    transfer,
    void,
)

S = CreateTransferStatus
Case = Callable[[], CreateTransferStatus]
CASES: dict[CreateTransferStatus, Case] = {}


def case(expected: CreateTransferStatus) -> Callable[[Case], Case]:
    def register(function: Case) -> Case:
        assert expected not in CASES, f"two cases for {expected.name}"
        CASES[expected] = function
        return function

    return register


@pytest.mark.parametrize("expected", list(CreateTransferStatus), ids=lambda s: s.name)
def test_every_status_is_reached_by_its_case(expected: CreateTransferStatus) -> None:
    assert expected in CASES, f"no test case reaches CreateTransferStatus.{expected.name}"
    assert CASES[expected]() is expected


@case(S.CREATED)
def _created() -> S:
    return status(standard_engine(), transfer(10, A, B, 1))


@case(S.LINKED_EVENT_CHAIN_OPEN)
def _chain_open() -> S:
    return status(standard_engine(), linked(transfer(10, A, B, 1)))


@case(S.LINKED_EVENT_FAILED)
def _linked_failed() -> S:
    return statuses(standard_engine(), [linked(transfer(10, A, B, 1)), transfer(11, A, A, 1)])[0]


@case(S.TIMESTAMP_MUST_BE_ZERO)
def _timestamp() -> S:
    return status(standard_engine(), replace(transfer(10, A, B, 1), timestamp=T0))


@case(S.RESERVED_FLAG)
def _reserved_flag() -> S:
    return status(standard_engine(), transfer(10, A, B, 1, flags=TransferFlags(1 << 4)))


@case(S.ID_MUST_NOT_BE_ZERO)
def _id_zero() -> S:
    return status(standard_engine(), transfer(0, A, B, 1))


@case(S.ID_MUST_NOT_BE_INT_MAX)
def _id_max() -> S:
    return status(standard_engine(), transfer(ID_INT_MAX, A, B, 1))


@case(S.FLAGS_ARE_MUTUALLY_EXCLUSIVE)
def _flags_exclusive() -> S:
    both = TransferFlags.POST_PENDING_TRANSFER | TransferFlags.VOID_PENDING_TRANSFER
    return status(standard_engine(), replace(post(11, 10), flags=both))


@case(S.DEBIT_ACCOUNT_ID_MUST_NOT_BE_ZERO)
def _debit_zero() -> S:
    return status(standard_engine(), transfer(10, 0, B, 1))


@case(S.DEBIT_ACCOUNT_ID_MUST_NOT_BE_INT_MAX)
def _debit_max() -> S:
    return status(standard_engine(), transfer(10, ID_INT_MAX, B, 1))


@case(S.CREDIT_ACCOUNT_ID_MUST_NOT_BE_ZERO)
def _credit_zero() -> S:
    return status(standard_engine(), transfer(10, A, 0, 1))


@case(S.CREDIT_ACCOUNT_ID_MUST_NOT_BE_INT_MAX)
def _credit_max() -> S:
    return status(standard_engine(), transfer(10, A, ID_INT_MAX, 1))


@case(S.ACCOUNTS_MUST_BE_DIFFERENT)
def _same_accounts() -> S:
    return status(standard_engine(), transfer(10, A, A, 1))


@case(S.PENDING_ID_MUST_BE_ZERO)
def _pending_id_must_be_zero() -> S:
    return status(standard_engine(), replace(transfer(10, A, B, 1), pending_id=TransferId(9)))


@case(S.PENDING_ID_MUST_NOT_BE_ZERO)
def _pending_id_zero() -> S:
    return status(standard_engine(), post(11, 0))


@case(S.PENDING_ID_MUST_NOT_BE_INT_MAX)
def _pending_id_max() -> S:
    return status(standard_engine(), void(11, ID_INT_MAX))


@case(S.PENDING_ID_MUST_BE_DIFFERENT)
def _pending_id_same() -> S:
    return status(standard_engine(), post(11, 11))


@case(S.TIMEOUT_RESERVED_FOR_PENDING_TRANSFER)
def _timeout_reserved() -> S:
    return status(standard_engine(), transfer(10, A, B, 1, timeout=1))


@case(S.AMOUNT_MUST_NOT_BE_ZERO)
def _amount_zero() -> S:
    return status(standard_engine(), transfer(10, A, B, 0))


@case(S.LEDGER_MUST_NOT_BE_ZERO)
def _ledger_zero() -> S:
    return status(standard_engine(), transfer(10, A, B, 1, ledger=0))


@case(S.CODE_MUST_NOT_BE_ZERO)
def _code_zero() -> S:
    return status(standard_engine(), transfer(10, A, B, 1, code=0))


@case(S.DEBIT_ACCOUNT_NOT_FOUND)
def _debit_not_found() -> S:
    return status(standard_engine(), transfer(10, 99, B, 1))


@case(S.CREDIT_ACCOUNT_NOT_FOUND)
def _credit_not_found() -> S:
    return status(standard_engine(), transfer(10, A, 99, 1))


@case(S.ACCOUNTS_MUST_HAVE_THE_SAME_LEDGER)
def _accounts_ledgers() -> S:
    return status(standard_engine(), transfer(10, A, OTHER_LEDGER, 1))


@case(S.TRANSFER_MUST_HAVE_THE_SAME_LEDGER_AS_ACCOUNTS)
def _transfer_ledger() -> S:
    return status(standard_engine(), transfer(10, A, B, 1, ledger=2))


@case(S.PENDING_TRANSFER_NOT_FOUND)
def _pending_not_found() -> S:
    return status(standard_engine(), post(11, 10))


@case(S.PENDING_TRANSFER_NOT_PENDING)
def _not_pending() -> S:
    return statuses(standard_engine(), [transfer(10, A, B, 5), post(11, 10)])[1]


def _with_pending(probe: Transfer) -> S:
    """`probe`'s status after a pending transfer 10 of 5 from A to B."""
    return statuses(standard_engine(), [pending(10, A, B, 5), probe])[1]


@case(S.PENDING_TRANSFER_HAS_DIFFERENT_DEBIT_ACCOUNT_ID)
def _pending_debit() -> S:
    return _with_pending(replace(post(11, 10), debit_account_id=AccountId(C)))


@case(S.PENDING_TRANSFER_HAS_DIFFERENT_CREDIT_ACCOUNT_ID)
def _pending_credit() -> S:
    return _with_pending(replace(post(11, 10), credit_account_id=AccountId(C)))


@case(S.PENDING_TRANSFER_HAS_DIFFERENT_LEDGER)
def _pending_ledger() -> S:
    return _with_pending(replace(void(11, 10), ledger=2))


@case(S.PENDING_TRANSFER_HAS_DIFFERENT_CODE)
def _pending_code() -> S:
    return _with_pending(replace(post(11, 10), code=2))


@case(S.EXCEEDS_PENDING_TRANSFER_AMOUNT)
def _exceeds_pending_amount() -> S:
    return _with_pending(post(11, 10, amount=6))


@case(S.PENDING_TRANSFER_HAS_DIFFERENT_AMOUNT)
def _void_partial() -> S:
    return _with_pending(void(11, 10, amount=4))


def _twice(first: Transfer, second: Transfer) -> S:
    """`second`'s status, one second after `first` was created."""
    engine = standard_engine()
    assert status(engine, first) is S.CREATED
    return status(engine, second, now=T0 + SECOND)


@case(S.EXISTS_WITH_DIFFERENT_FLAGS)
def _exists_flags() -> S:
    return _twice(transfer(10, A, B, 5), pending(10, A, B, 5))


@case(S.EXISTS_WITH_DIFFERENT_DEBIT_ACCOUNT_ID)
def _exists_debit() -> S:
    return _twice(transfer(10, A, B, 5), transfer(10, C, B, 5))


@case(S.EXISTS_WITH_DIFFERENT_CREDIT_ACCOUNT_ID)
def _exists_credit() -> S:
    return _twice(transfer(10, A, B, 5), transfer(10, A, C, 5))


@case(S.EXISTS_WITH_DIFFERENT_AMOUNT)
def _exists_amount() -> S:
    return _twice(transfer(10, A, B, 5), transfer(10, A, B, 6))


@case(S.EXISTS_WITH_DIFFERENT_PENDING_ID)
def _exists_pending_id() -> S:
    engine = standard_engine()
    assert (
        statuses(engine, [pending(10, A, B, 5), pending(11, A, B, 5), post(12, 10)])
        == [S.CREATED] * 3
    )
    return status(engine, post(12, 11), now=T0 + SECOND)


@case(S.EXISTS_WITH_DIFFERENT_USER_DATA_128)
def _exists_user_data_128() -> S:
    t = transfer(10, A, B, 5)
    return _twice(t, replace(t, user_data_128=1))


@case(S.EXISTS_WITH_DIFFERENT_USER_DATA_64)
def _exists_user_data_64() -> S:
    t = transfer(10, A, B, 5)
    return _twice(t, replace(t, user_data_64=1))


@case(S.EXISTS_WITH_DIFFERENT_USER_DATA_32)
def _exists_user_data_32() -> S:
    t = transfer(10, A, B, 5)
    return _twice(t, replace(t, user_data_32=1))


@case(S.EXISTS_WITH_DIFFERENT_TIMEOUT)
def _exists_timeout() -> S:
    return _twice(pending(10, A, B, 5, timeout=30), pending(10, A, B, 5, timeout=31))


@case(S.EXISTS_WITH_DIFFERENT_CODE)
def _exists_code() -> S:
    return _twice(transfer(10, A, B, 5), transfer(10, A, B, 5, code=2))


@case(S.EXISTS)
def _exists() -> S:
    return _twice(transfer(10, A, B, 5), transfer(10, A, B, 5))


@case(S.PENDING_TRANSFER_ALREADY_POSTED)
def _already_posted() -> S:
    return statuses(standard_engine(), [pending(10, A, B, 5), post(11, 10), void(12, 10)])[2]


@case(S.PENDING_TRANSFER_ALREADY_VOIDED)
def _already_voided() -> S:
    return statuses(standard_engine(), [pending(10, A, B, 5), void(11, 10), post(12, 10)])[2]


@case(S.PENDING_TRANSFER_EXPIRED)
def _expired() -> S:
    engine = standard_engine()
    assert status(engine, pending(10, A, B, 5, timeout=1)) is S.CREATED
    return status(engine, post(11, 10), now=T0 + SECOND)


@case(S.OVERFLOWS_DEBITS_PENDING)
def _overflows_debits_pending() -> S:
    return _twice(pending(10, A, B, AMOUNT_MAX), pending(11, A, C, 1))


@case(S.OVERFLOWS_CREDITS_PENDING)
def _overflows_credits_pending() -> S:
    return _twice(pending(10, C, B, AMOUNT_MAX), pending(11, A, B, 1))


@case(S.OVERFLOWS_DEBITS_POSTED)
def _overflows_debits_posted() -> S:
    return _twice(transfer(10, A, B, AMOUNT_MAX), pending(11, A, C, 1))


@case(S.OVERFLOWS_CREDITS_POSTED)
def _overflows_credits_posted() -> S:
    return _twice(transfer(10, C, B, AMOUNT_MAX), transfer(11, A, B, 1))


@case(S.OVERFLOWS_DEBITS)
def _overflows_debits() -> S:
    engine = standard_engine()
    assert statuses(engine, [pending(10, A, B, 2**63), transfer(11, A, C, 2**63 - 1)]) == [
        S.CREATED,
        S.CREATED,
    ]
    return status(engine, transfer(12, A, C, 1))


@case(S.OVERFLOWS_CREDITS)
def _overflows_credits() -> S:
    engine = standard_engine()
    assert statuses(engine, [pending(10, A, B, 2**63), transfer(11, C, B, 2**63 - 1)]) == [
        S.CREATED,
        S.CREATED,
    ]
    return status(engine, transfer(12, C, B, 1))


@case(S.OVERFLOWS_TIMEOUT)
def _overflows_timeout() -> S:
    return status(standard_engine(), pending(10, A, B, 1, timeout=2), now=TIMESTAMP_MAX - SECOND)


@case(S.EXCEEDS_CREDITS)
def _exceeds_credits() -> S:
    return status(standard_engine(), transfer(10, DEBIT_LIMITED, A, 1))


@case(S.EXCEEDS_DEBITS)
def _exceeds_debits() -> S:
    return status(standard_engine(), transfer(10, A, CREDIT_LIMITED, 1))
