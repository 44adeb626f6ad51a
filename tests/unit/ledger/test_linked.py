"""Linked chains: all or nothing, full rollback (also of dependent events), open chains."""

from __future__ import annotations

from ilpnode.ledger import CreateTransferStatus, TransferId, TransferPendingStatus, check_invariants

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


def test_a_failing_member_fails_the_whole_chain_and_only_the_chain() -> None:
    engine = standard_engine()
    engine.drain_journal()
    before = engine.snapshot()
    results = engine.create_transfers(
        [
            linked(transfer(10, A, B, 1)),
            linked(transfer(11, B, C, 1)),
            transfer(12, DEBIT_LIMITED, A, 1),  # EXCEEDS_CREDITS ends and fails the chain
        ],
        now=T0,
    )
    assert [(r.status, r.timestamp) for r in results] == [
        (S.LINKED_EVENT_FAILED, None),
        (S.LINKED_EVENT_FAILED, None),
        (S.EXCEEDS_CREDITS, None),
    ]
    assert engine.snapshot() == before
    assert engine.drain_journal() == []


def test_members_after_the_failure_are_not_applied() -> None:
    engine = standard_engine()
    assert statuses(
        engine,
        [
            linked(transfer(10, A, B, 1)),
            linked(transfer(11, A, A, 1)),
            linked(transfer(12, A, B, 1)),
            transfer(13, A, B, 1),
            transfer(14, A, C, 1),  # after the chain: independent, applied
        ],
    ) == [
        S.LINKED_EVENT_FAILED,
        S.ACCOUNTS_MUST_BE_DIFFERENT,
        S.LINKED_EVENT_FAILED,
        S.LINKED_EVENT_FAILED,
        S.CREATED,
    ]
    assert balances(engine, A) == (0, 1, 0, 0)
    assert engine.lookup_transfers([TransferId(i) for i in (10, 12, 13)]) == []


def test_a_chain_that_succeeds_applies_every_member() -> None:
    engine = standard_engine()
    chain = [linked(transfer(10, A, B, 1)), linked(pending(11, B, C, 2)), post(12, 11)]
    results = engine.create_transfers(chain, now=T0)
    assert [(r.status, r.timestamp) for r in results] == [
        (S.CREATED, T0),
        (S.CREATED, T0 + 1),
        (S.CREATED, T0 + 2),
    ]
    assert balances(engine, C) == (0, 0, 0, 2)


def test_a_rolled_back_chain_undoes_dependent_events_in_reverse() -> None:
    """A pending transfer and its post in one chain: both undone, nothing left reserved."""
    engine = standard_engine()
    assert status(engine, pending(1, A, B, 5)) is S.CREATED
    engine.drain_journal()
    before = engine.snapshot()
    results = statuses(
        engine,
        [
            linked(pending(10, A, B, 3, timeout=60)),
            linked(post(11, 10, amount=2)),
            linked(void(12, 1)),  # resolves a pending transfer from before the chain
            linked(transfer(13, A, C, 4)),
            transfer(14, A, B, 0),  # AMOUNT_MUST_NOT_BE_ZERO
        ],
        now=T0 + SECOND,
    )
    assert results == [S.LINKED_EVENT_FAILED] * 4 + [S.AMOUNT_MUST_NOT_BE_ZERO]
    assert engine.snapshot() == before
    assert engine.pending_status(TransferId(1)) is TransferPendingStatus.PENDING
    assert engine.pending_status(TransferId(10)) is None
    assert engine.next_expires_at() is None
    assert check_invariants(engine) == []
    # and the pending transfer from before the chain can still be resolved
    assert status(engine, post(20, 1), now=T0 + 2 * SECOND) is S.CREATED


def test_a_batch_ending_inside_a_chain_fails_that_chain() -> None:
    engine = standard_engine()
    assert statuses(
        engine,
        [transfer(10, A, B, 1), linked(transfer(11, A, B, 1)), linked(transfer(12, A, B, 1))],
    ) == [S.CREATED, S.LINKED_EVENT_FAILED, S.LINKED_EVENT_CHAIN_OPEN]
    assert balances(engine, A) == (0, 1, 0, 0)


def test_chain_open_outranks_linked_event_failed() -> None:
    engine = standard_engine()
    assert statuses(engine, [linked(transfer(10, A, A, 1)), linked(transfer(11, A, B, 1))]) == [
        S.ACCOUNTS_MUST_BE_DIFFERENT,
        S.LINKED_EVENT_CHAIN_OPEN,
    ]


def test_a_failed_chain_does_not_affect_the_next_chain() -> None:
    engine = standard_engine()
    assert statuses(
        engine,
        [
            linked(transfer(10, A, A, 1)),
            transfer(11, A, B, 1),
            linked(transfer(12, A, B, 1)),
            transfer(13, A, B, 1),
        ],
    ) == [S.ACCOUNTS_MUST_BE_DIFFERENT, S.LINKED_EVENT_FAILED, S.CREATED, S.CREATED]


def test_a_rolled_back_chain_gives_its_timestamps_back() -> None:
    engine = standard_engine()
    results = engine.create_transfers(
        [linked(transfer(10, A, B, 1)), transfer(11, A, A, 1), transfer(12, A, B, 1)], now=T0
    )
    assert results[2].timestamp == T0
    assert engine.last_timestamp == T0


def test_exists_counts_as_success_inside_a_chain() -> None:
    """Deviation from TigerBeetle (see statuses.py): a resubmitted chain is EXISTS throughout."""
    engine = standard_engine()
    chain = [linked(pending(10, A, B, 3)), linked(transfer(11, B, C, 1)), post(12, 10)]
    assert statuses(engine, chain) == [S.CREATED] * 3
    engine.drain_journal()
    before = engine.snapshot()
    assert statuses(engine, chain, now=T0 + SECOND) == [S.EXISTS] * 3
    assert engine.snapshot() == before
    # a chain mixing an existing member with a new one creates the new one
    mixed = [linked(transfer(11, B, C, 1)), transfer(13, B, C, 1)]
    assert statuses(engine, mixed) == [S.EXISTS, S.CREATED]
    # flags are compared, LINKED included: 11 was stored with it
    assert status(engine, transfer(11, B, C, 1)) is S.EXISTS_WITH_DIFFERENT_FLAGS
