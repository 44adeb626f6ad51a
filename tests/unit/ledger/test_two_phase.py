"""Pending transfers: post (full, partial), void, at most once, timeouts and the expiry sweep."""

from __future__ import annotations

import pytest

from ilpnode.ledger import (
    CreateTransferStatus,
    ExpiredTransfer,
    TransferFlags,
    TransferId,
    TransferPendingStatus,
    check_invariants,
)

from .builders import (
    DEBIT_LIMITED,
    SECOND,
    T0,
    A,
    B,
    C,
    balances,
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
P = TransferPendingStatus


def test_pending_reserves_and_a_full_post_moves_it_to_posted() -> None:
    engine = standard_engine()
    assert status(engine, pending(10, A, B, 7)) is S.CREATED
    assert balances(engine, A) == (7, 0, 0, 0)
    assert balances(engine, B) == (0, 0, 7, 0)
    assert engine.pending_status(TransferId(10)) is P.PENDING
    assert status(engine, post(11, 10)) is S.CREATED
    assert balances(engine, A) == (0, 7, 0, 0)
    assert balances(engine, B) == (0, 0, 0, 7)
    assert engine.pending_status(TransferId(10)) is P.POSTED
    assert check_invariants(engine) == []


def test_a_partial_post_releases_the_rest() -> None:
    engine = standard_engine()
    assert statuses(engine, [pending(10, A, B, 7), post(11, 10, amount=3)]) == [S.CREATED] * 2
    assert balances(engine, A) == (0, 3, 0, 0)
    assert balances(engine, B) == (0, 0, 0, 3)
    [record] = engine.lookup_transfers([TransferId(11)])
    assert (record.amount, record.pending_id, record.credit_account_id) == (3, 10, B)
    assert record.flags is TransferFlags.POST_PENDING_TRANSFER
    assert status(engine, post(12, 10, amount=4)) is S.PENDING_TRANSFER_ALREADY_POSTED


def test_a_post_of_exactly_the_pending_amount_is_a_full_post() -> None:
    engine = standard_engine()
    assert statuses(engine, [pending(10, A, B, 7), post(11, 10, amount=7)]) == [S.CREATED] * 2
    assert balances(engine, A) == (0, 7, 0, 0)


@pytest.mark.parametrize("amount", [0, 7])
def test_void_releases_everything(amount: int) -> None:
    engine = standard_engine()
    assert statuses(engine, [pending(10, A, B, 7), void(11, 10, amount)]) == [S.CREATED] * 2
    assert balances(engine, A) == (0, 0, 0, 0)
    assert balances(engine, B) == (0, 0, 0, 0)
    assert engine.pending_status(TransferId(10)) is P.VOIDED
    [record] = engine.lookup_transfers([TransferId(11)])
    assert record.amount == 7  # the stored void names what it released


def test_the_pending_record_never_changes() -> None:
    engine = standard_engine()
    assert status(engine, pending(10, A, B, 7)) is S.CREATED
    before = engine.lookup_transfers([TransferId(10)])
    assert status(engine, post(11, 10, amount=2)) is S.CREATED
    assert engine.lookup_transfers([TransferId(10)]) == before


def test_a_pending_transfer_is_resolved_at_most_once() -> None:
    engine = standard_engine()
    assert statuses(
        engine,
        [pending(10, A, B, 7), void(11, 10), void(12, 10), post(13, 10)],
    ) == [
        S.CREATED,
        S.CREATED,
        S.PENDING_TRANSFER_ALREADY_VOIDED,
        S.PENDING_TRANSFER_ALREADY_VOIDED,
    ]
    assert balances(engine, A) == (0, 0, 0, 0)


def test_post_just_before_the_deadline_succeeds() -> None:
    engine = standard_engine()
    assert status(engine, pending(10, A, B, 7, timeout=30)) is S.CREATED
    assert status(engine, post(11, 10), now=T0 + 30 * SECOND - 1) is S.CREATED


def test_post_at_or_after_the_deadline_is_expired_but_the_reservation_stays_until_swept() -> None:
    engine = standard_engine()
    assert status(engine, pending(10, A, B, 7, timeout=30)) is S.CREATED
    deadline = T0 + 30 * SECOND
    assert status(engine, post(11, 10), now=deadline) is S.PENDING_TRANSFER_EXPIRED
    assert status(engine, void(12, 10), now=deadline + SECOND) is S.PENDING_TRANSFER_EXPIRED
    # conservative: still reserved, still PENDING, until the sweep
    assert balances(engine, A) == (7, 0, 0, 0)
    assert engine.pending_status(TransferId(10)) is P.PENDING
    assert engine.next_expires_at() == deadline

    expired = engine.expire_pending(now=deadline + 2 * SECOND)
    assert expired == [ExpiredTransfer(pending_id=TransferId(10), timestamp=deadline + 2 * SECOND)]
    assert balances(engine, A) == (0, 0, 0, 0)
    assert balances(engine, B) == (0, 0, 0, 0)
    assert engine.pending_status(TransferId(10)) is P.EXPIRED
    assert engine.next_expires_at() is None
    assert status(engine, post(13, 10), now=deadline + 3 * SECOND) is S.PENDING_TRANSFER_EXPIRED
    assert engine.expire_pending(now=deadline + 4 * SECOND) == []
    assert check_invariants(engine) == []


def test_the_sweep_uses_the_ledger_clock_not_only_now() -> None:
    """A post at `now` would be refused as expired, so the sweep at that `now` releases it."""
    engine = standard_engine()
    assert status(engine, pending(10, A, B, 7, timeout=1)) is S.CREATED
    assert status(engine, transfer(11, A, B, 1), now=T0 + SECOND) is S.CREATED  # clock: T0+1s
    assert status(engine, post(12, 10), now=T0) is S.PENDING_TRANSFER_EXPIRED  # at T0+1s+1
    [record] = engine.expire_pending(now=T0)
    assert record.timestamp == T0 + SECOND + 1


def test_the_sweep_releases_only_what_is_due_in_deadline_order() -> None:
    engine = standard_engine()
    assert (
        statuses(
            engine,
            [
                pending(10, A, B, 1, timeout=3),
                pending(11, A, B, 2, timeout=1),
                pending(12, A, B, 4, timeout=2),
                pending(13, A, B, 8, timeout=0),  # never expires
                pending(14, A, C, 16, timeout=1),
                pending(15, A, C, 32, timeout=9),
            ],
        )
        == [S.CREATED] * 6
    )
    assert status(engine, void(16, 12), now=T0 + 1) is S.CREATED  # resolved before its deadline
    assert engine.next_expires_at() == T0 + 1 + SECOND
    swept = engine.expire_pending(now=T0 + 5 * SECOND)
    # deadlines: 11 -> T0+1+1s, 14 -> T0+4+1s, 10 -> T0+3s (10 was created first, at T0)
    assert [(e.pending_id, e.timestamp) for e in swept] == [
        (11, T0 + 5 * SECOND),
        (14, T0 + 5 * SECOND + 1),
        (10, T0 + 5 * SECOND + 2),
    ]
    assert balances(engine, A) == (8 + 32, 0, 0, 0)
    assert engine.pending_status(TransferId(12)) is P.VOIDED
    assert engine.pending_status(TransferId(13)) is P.PENDING
    assert engine.next_expires_at() == T0 + 5 + 9 * SECOND
    assert check_invariants(engine) == []


def test_an_expired_reservation_gives_the_credit_back_only_when_swept() -> None:
    engine = standard_engine()
    assert status(engine, transfer(1, A, DEBIT_LIMITED, 10)) is S.CREATED
    assert status(engine, pending(10, DEBIT_LIMITED, B, 10, timeout=1)) is S.CREATED
    later = T0 + 2 * SECOND
    assert status(engine, transfer(11, DEBIT_LIMITED, B, 1), now=later) is S.EXCEEDS_CREDITS
    assert len(engine.expire_pending(now=later)) == 1
    assert status(engine, transfer(11, DEBIT_LIMITED, B, 10), now=later) is S.CREATED


def test_pending_status_is_none_for_unknown_and_non_pending_transfers() -> None:
    engine = standard_engine()
    assert status(engine, transfer(10, A, B, 1)) is S.CREATED
    assert engine.pending_status(TransferId(10)) is None
    assert engine.pending_status(TransferId(99)) is None


def test_a_rolled_back_pending_transfer_is_never_swept() -> None:
    engine = standard_engine()
    results = statuses(engine, [linked(pending(10, A, B, 7, timeout=1)), transfer(11, A, A, 1)])
    assert results == [S.LINKED_EVENT_FAILED, S.ACCOUNTS_MUST_BE_DIFFERENT]
    assert engine.next_expires_at() is None
    # the id is reused with another timeout: only the new deadline counts
    assert status(engine, pending(10, A, B, 7, timeout=5)) is S.CREATED
    assert engine.expire_pending(now=T0 + 2 * SECOND) == []
    assert engine.next_expires_at() == T0 + 5 * SECOND
