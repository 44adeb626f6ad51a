"""`create_transfers`: precedence between faults, idempotency, timestamps, overflow bounds."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ilpnode.compiled import running_compiled
from ilpnode.ledger import (
    AMOUNT_MAX,
    TIMESTAMP_MAX,
    AccountId,
    CreateTransferStatus,
    LedgerEngine,
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


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        (replace(transfer(0, A, A, 0), timestamp=1), S.TIMESTAMP_MUST_BE_ZERO),
        (transfer(0, A, A, 0, flags=TransferFlags(1 << 9)), S.RESERVED_FLAG),
        (transfer(0, A, A, 0), S.ID_MUST_NOT_BE_ZERO),
        (
            replace(post(10, 0), flags=TransferFlags.POST_PENDING_TRANSFER | TransferFlags.PENDING),
            S.FLAGS_ARE_MUTUALLY_EXCLUSIVE,
        ),
        (transfer(10, 0, 0, 0), S.DEBIT_ACCOUNT_ID_MUST_NOT_BE_ZERO),
        (transfer(10, A, 0, 0), S.CREDIT_ACCOUNT_ID_MUST_NOT_BE_ZERO),
        (transfer(10, A, A, 0, ledger=0), S.ACCOUNTS_MUST_BE_DIFFERENT),
        (
            replace(transfer(10, A, B, 0, timeout=1), pending_id=TransferId(3)),
            S.PENDING_ID_MUST_BE_ZERO,
        ),
        (transfer(10, A, B, 0, timeout=1), S.TIMEOUT_RESERVED_FOR_PENDING_TRANSFER),
        (transfer(10, 98, 99, 0, ledger=0), S.AMOUNT_MUST_NOT_BE_ZERO),
        (transfer(10, 98, 99, 1, ledger=0, code=0), S.LEDGER_MUST_NOT_BE_ZERO),
        (transfer(10, 98, 99, 1, code=0), S.CODE_MUST_NOT_BE_ZERO),
        (transfer(10, 98, 99, 1), S.DEBIT_ACCOUNT_NOT_FOUND),
        (transfer(10, A, OTHER_LEDGER, 1, ledger=3), S.ACCOUNTS_MUST_HAVE_THE_SAME_LEDGER),
        (transfer(10, DEBIT_LIMITED, CREDIT_LIMITED, 1), S.EXCEEDS_CREDITS),
        (replace(post(10, 10), timeout=1), S.PENDING_ID_MUST_BE_DIFFERENT),
        (replace(post(11, 99), timeout=1), S.TIMEOUT_RESERVED_FOR_PENDING_TRANSFER),
    ],
)
def test_the_earlier_status_wins(candidate: Transfer, expected: CreateTransferStatus) -> None:
    assert status(standard_engine(), candidate) is expected


def test_post_precedence_follows_the_pending_checks() -> None:
    engine = standard_engine()
    assert statuses(engine, [pending(10, A, B, 5), post(11, 10)]) == [S.CREATED, S.CREATED]
    # different debit account and too large an amount: the account check comes first
    probe = replace(post(12, 10, amount=9), debit_account_id=AccountId(C), code=7)
    assert status(engine, probe) is S.PENDING_TRANSFER_HAS_DIFFERENT_DEBIT_ACCOUNT_ID
    assert status(engine, replace(post(12, 10, amount=9), code=7)) is (
        S.PENDING_TRANSFER_HAS_DIFFERENT_CODE
    )
    assert status(engine, post(12, 10, amount=9)) is S.EXCEEDS_PENDING_TRANSFER_AMOUNT
    assert status(engine, void(12, 10, amount=9)) is S.EXCEEDS_PENDING_TRANSFER_AMOUNT
    # already posted, and the id is taken by a different transfer: existence comes first
    assert status(engine, post(11, 10, amount=4)) is S.EXISTS_WITH_DIFFERENT_AMOUNT


def test_exists_outranks_state_dependent_failures() -> None:
    """A retry of an accepted transfer is EXISTS even if it could not be accepted now."""
    engine = standard_engine()
    deposit = transfer(10, A, DEBIT_LIMITED, 5)
    spend = transfer(11, DEBIT_LIMITED, B, 5)
    assert statuses(engine, [deposit, spend]) == [S.CREATED, S.CREATED]
    assert status(engine, spend) is S.EXISTS  # EXCEEDS_CREDITS otherwise
    assert status(engine, replace(spend, amount=6)) is S.EXISTS_WITH_DIFFERENT_AMOUNT

    assert statuses(engine, [pending(20, A, B, 5), post(21, 20)]) == [S.CREATED, S.CREATED]
    assert status(engine, post(21, 20)) is S.EXISTS  # PENDING_TRANSFER_ALREADY_POSTED otherwise
    assert status(engine, post(22, 20)) is S.PENDING_TRANSFER_ALREADY_POSTED


def test_overflow_outranks_limits() -> None:
    engine = standard_engine()
    fill = [transfer(10, A, DEBIT_LIMITED, AMOUNT_MAX), transfer(11, DEBIT_LIMITED, B, AMOUNT_MAX)]
    assert statuses(engine, fill) == [S.CREATED, S.CREATED]
    # both overflow the debits and exceed the credits (which are all spent)
    assert status(engine, transfer(12, DEBIT_LIMITED, C, 1)) is S.OVERFLOWS_DEBITS_POSTED


def test_exists_returns_the_original_timestamp_and_changes_nothing() -> None:
    engine = standard_engine()
    t = pending(10, A, B, 5, timeout=60)
    [first] = engine.create_transfers([t], now=T0)
    engine.drain_journal()
    before = engine.snapshot()
    [again] = engine.create_transfers([t], now=T0 + SECOND)
    assert again.status is S.EXISTS
    assert again.ok
    assert again.timestamp == first.timestamp == T0
    assert engine.snapshot() == before
    assert engine.drain_journal() == []


def test_a_resubmitted_post_with_amount_zero_and_inherited_fields_exists() -> None:
    engine = standard_engine()
    p = replace(pending(10, A, B, 5), user_data_128=42, user_data_64=43, user_data_32=44)
    full = post(11, 10)
    assert statuses(engine, [p, full]) == [S.CREATED, S.CREATED]
    [stored] = engine.lookup_transfers([TransferId(11)])
    assert (stored.amount, stored.user_data_128, stored.debit_account_id) == (5, 42, A)
    assert stored.ledger == p.ledger
    assert status(engine, full) is S.EXISTS
    assert status(engine, post(11, 10, amount=5)) is S.EXISTS
    assert status(engine, replace(full, debit_account_id=AccountId(A), ledger=1)) is S.EXISTS
    assert status(engine, replace(full, user_data_128=42)) is S.EXISTS
    assert status(engine, replace(full, user_data_128=41)) is S.EXISTS_WITH_DIFFERENT_USER_DATA_128
    assert status(engine, replace(full, user_data_64=41)) is S.EXISTS_WITH_DIFFERENT_USER_DATA_64
    assert status(engine, replace(full, user_data_32=41)) is S.EXISTS_WITH_DIFFERENT_USER_DATA_32
    assert status(engine, void(11, 10)) is S.EXISTS_WITH_DIFFERENT_FLAGS


def test_a_post_or_void_id_taken_by_a_plain_transfer_exists_with_different_flags() -> None:
    engine = standard_engine()
    assert statuses(engine, [transfer(9, A, B, 5), pending(10, A, B, 5)]) == [S.CREATED] * 2
    assert status(engine, post(9, 10)) is S.EXISTS_WITH_DIFFERENT_FLAGS


def test_the_same_id_twice_in_one_batch_is_created_then_exists() -> None:
    engine = standard_engine()
    results = engine.create_transfers([transfer(10, A, B, 5), transfer(10, A, B, 5)], now=T0)
    assert [(r.status, r.timestamp) for r in results] == [(S.CREATED, T0), (S.EXISTS, T0)]
    assert balances(engine, A) == (0, 5, 0, 0)


def test_a_failed_transfer_id_can_be_used_again() -> None:
    """No ID_ALREADY_FAILED: a refused id is not poisoned (see statuses.py)."""
    engine = standard_engine()
    assert status(engine, transfer(10, DEBIT_LIMITED, B, 5)) is S.EXCEEDS_CREDITS
    assert status(engine, transfer(1, A, DEBIT_LIMITED, 5)) is S.CREATED
    assert status(engine, transfer(10, DEBIT_LIMITED, B, 5)) is S.CREATED


def test_timestamps_are_unique_and_strictly_increasing_even_if_now_goes_back() -> None:
    engine = standard_engine()
    first = engine.create_transfers([transfer(10, A, B, 1), transfer(11, A, B, 1)], now=T0)
    assert [r.timestamp for r in first] == [T0, T0 + 1]
    earlier = engine.create_transfers([transfer(12, A, B, 1)], now=T0 - SECOND)
    assert [r.timestamp for r in earlier] == [T0 + 2]
    later = engine.create_transfers([transfer(13, A, B, 1)], now=T0 + SECOND)
    assert [r.timestamp for r in later] == [T0 + SECOND]
    assert engine.last_timestamp == T0 + SECOND


def test_failed_events_consume_no_timestamp() -> None:
    engine = standard_engine()
    results = engine.create_transfers(
        [transfer(10, A, B, 1), transfer(11, A, A, 1), transfer(12, A, B, 1)], now=T0
    )
    assert [r.timestamp for r in results] == [T0, None, T0 + 1]
    assert [r.ok for r in results] == [True, False, True]


@pytest.mark.parametrize("now", [-1, TIMESTAMP_MAX + 1])
def test_now_outside_the_timestamp_range_is_a_programming_error(now: int) -> None:
    engine = standard_engine()
    with pytest.raises(ValueError, match="now must be"):
        engine.create_transfers([transfer(10, A, B, 1)], now=now)
    with pytest.raises(ValueError, match="now must be"):
        engine.expire_pending(now=now)


def test_a_float_now_is_a_programming_error() -> None:
    # Compiled (mypyc), the `now: int` parameter refuses the float at the call, before the
    # engine's own check can.
    refused = TypeError if running_compiled() else ValueError
    with pytest.raises(refused, match=r"now must be|int object expected"):
        standard_engine().create_accounts([], now=1.5)  # type: ignore[arg-type]


def test_running_out_of_timestamps_raises_before_changing_anything() -> None:
    engine = standard_engine()
    assert status(engine, transfer(10, A, B, 1), now=TIMESTAMP_MAX - 1) is S.CREATED
    with pytest.raises(OverflowError):
        engine.create_transfers([transfer(11, A, B, 1), transfer(12, A, B, 1)], now=T0)
    assert engine.lookup_transfers([TransferId(11)]) == []


def test_amounts_up_to_u64_max_fit_exactly() -> None:
    engine = standard_engine()
    assert status(engine, transfer(10, A, B, AMOUNT_MAX)) is S.CREATED
    assert balances(engine, A) == (0, AMOUNT_MAX, 0, 0)
    assert status(engine, transfer(11, A, C, 1)) is S.OVERFLOWS_DEBITS_POSTED
    assert balances(engine, A) == (0, AMOUNT_MAX, 0, 0)


def test_lookup_transfers_in_the_order_asked_and_omits_unknown_ids() -> None:
    engine = standard_engine()
    assert statuses(engine, [transfer(10, A, B, 1), transfer(11, B, A, 2)]) == [S.CREATED] * 2
    found = engine.lookup_transfers([TransferId(11), TransferId(99), TransferId(10)])
    assert [(t.id, t.amount, t.timestamp) for t in found] == [(11, 2, T0 + 1), (10, 1, T0)]


def test_an_empty_batch_is_fine() -> None:
    engine = LedgerEngine()
    assert engine.create_transfers([], now=T0) == []
    assert engine.create_accounts([], now=T0) == []
    assert engine.last_timestamp == 0
