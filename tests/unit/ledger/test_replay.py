"""The journal: what is drained, and `replay` rebuilding the same state or refusing bad input."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ilpnode.ledger import (
    Account,
    CreateTransferStatus,
    ExpiredTransfer,
    JournalEntry,
    JournalError,
    LedgerEngine,
    Transfer,
    TransferId,
    check_invariants,
)

from .builders import (
    DEBIT_LIMITED,
    SECOND,
    T0,
    A,
    B,
    C,
    linked,
    pending,
    post,
    standard_engine,
    statuses,
    transfer,
    void,
)

S = CreateTransferStatus


def busy_engine() -> tuple[LedgerEngine, list[JournalEntry]]:
    """An engine after a bit of everything, and its whole journal."""
    engine = standard_engine()
    assert statuses(
        engine,
        [
            transfer(1, A, DEBIT_LIMITED, 100),
            pending(10, DEBIT_LIMITED, B, 30, timeout=5),
            pending(11, DEBIT_LIMITED, C, 20, timeout=1),
            pending(12, A, B, 7),
            linked(post(13, 10, amount=10)),
            void(14, 12),
            transfer(15, DEBIT_LIMITED, DEBIT_LIMITED, 1),  # refused: leaves no entry
        ],
    ) == [S.CREATED] * 6 + [S.ACCOUNTS_MUST_BE_DIFFERENT]
    assert len(engine.expire_pending(now=T0 + 2 * SECOND)) == 1
    assert statuses(engine, [pending(16, A, C, 3, timeout=9)], now=T0 + 3 * SECOND) == [S.CREATED]
    return engine, engine.drain_journal()


def test_the_journal_holds_exactly_the_accepted_records_in_timestamp_order() -> None:
    engine, journal = busy_engine()
    assert [type(e).__name__ for e in journal] == ["Account"] * 6 + ["Transfer"] * 6 + [
        "ExpiredTransfer",
        "Transfer",
    ]
    stamps = [e.timestamp for e in journal]
    assert stamps == sorted(set(stamps))
    assert stamps[-1] == engine.last_timestamp
    stored_post = journal[10]
    assert isinstance(stored_post, Transfer)
    assert (stored_post.debit_account_id, stored_post.ledger, stored_post.amount) == (
        DEBIT_LIMITED,
        1,
        10,
    )
    assert engine.drain_journal() == []


def test_replay_rebuilds_an_identical_engine() -> None:
    engine, journal = busy_engine()
    rebuilt = LedgerEngine.replay(journal)
    assert rebuilt.snapshot() == engine.snapshot()
    assert rebuilt.last_timestamp == engine.last_timestamp
    assert rebuilt.next_expires_at() == engine.next_expires_at()
    assert rebuilt.drain_journal() == []
    assert check_invariants(rebuilt) == []


def test_a_rebuilt_engine_carries_on_like_the_original() -> None:
    engine, journal = busy_engine()
    rebuilt = LedgerEngine.replay(journal)
    later = T0 + 20 * SECOND
    batch = [
        post(20, 16),  # past its deadline, not swept yet
        post(21, 10),  # posted by 13 already
        transfer(22, DEBIT_LIMITED, A, 91),  # credits 100, debits 10 posted
        post(13, 10, amount=10),  # 13 was stored with LINKED
    ]
    for ledger in (engine, rebuilt):
        assert statuses(ledger, batch, now=later) == [
            S.PENDING_TRANSFER_EXPIRED,
            S.PENDING_TRANSFER_ALREADY_POSTED,
            S.EXCEEDS_CREDITS,
            S.EXISTS_WITH_DIFFERENT_FLAGS,
        ]
        assert [e.pending_id for e in ledger.expire_pending(now=later)] == [16]
    assert rebuilt.snapshot() == engine.snapshot()
    assert rebuilt.drain_journal() == engine.drain_journal()


def test_replay_in_pieces_equals_replay_at_once() -> None:
    _, journal = busy_engine()
    assert LedgerEngine.replay(journal[:9] + journal[9:]).snapshot() == (
        LedgerEngine.replay(journal).snapshot()
    )


def corrupt(journal: list[JournalEntry], index: int, entry: JournalEntry) -> list[JournalEntry]:
    return [*journal[:index], entry, *journal[index + 1 :]]


def test_replay_refuses_a_reordered_journal() -> None:
    _, journal = busy_engine()
    swapped = [*journal[:6], journal[7], journal[6], *journal[8:]]
    with pytest.raises(JournalError, match=r"entry 6 .*EXCEEDS_CREDITS"):
        LedgerEngine.replay(swapped)


def test_replay_refuses_a_duplicated_entry() -> None:
    _, journal = busy_engine()
    with pytest.raises(JournalError, match="entry 7"):
        LedgerEngine.replay([*journal[:7], replace(journal[6], timestamp=journal[6].timestamp + 1)])


@pytest.mark.parametrize(
    ("index", "change"),
    [
        (6, {"amount": 0}),  # a deposit of nothing
        (7, {"amount": 200}),  # more than the debit-limited account has
        (10, {"amount": 31}),  # a post of more than the pending amount
        (10, {"credit_account_id": C}),  # a post moving other accounts than its pending transfer
        (11, {"pending_id": TransferId(10)}),  # a void naming another pending transfer
    ],
)
def test_replay_refuses_a_transfer_that_could_not_have_been_accepted(
    index: int, change: dict[str, int]
) -> None:
    _, journal = busy_engine()
    entry = journal[index]
    assert isinstance(entry, Transfer)
    with pytest.raises(JournalError, match=f"entry {index} "):
        LedgerEngine.replay(corrupt(journal, index, replace(entry, **change)))  # type: ignore[arg-type]


def test_replay_refuses_an_account_with_balances() -> None:
    _, journal = busy_engine()
    entry = journal[0]
    assert isinstance(entry, Account)
    with pytest.raises(JournalError, match="CREDITS_POSTED_MUST_BE_ZERO"):
        LedgerEngine.replay(corrupt(journal, 0, replace(entry, credits_posted=5)))


def test_replay_refuses_an_expiry_that_is_not_due() -> None:
    _, journal = busy_engine()
    entry = journal[12]
    assert isinstance(entry, ExpiredTransfer)
    early = ExpiredTransfer(pending_id=TransferId(10), timestamp=entry.timestamp)
    with pytest.raises(JournalError, match=r"entry 12 .*NOT_A_DUE_PENDING_TRANSFER"):
        LedgerEngine.replay(corrupt(journal, 12, early))
    resolved = ExpiredTransfer(pending_id=TransferId(12), timestamp=entry.timestamp)
    with pytest.raises(JournalError, match="entry 12 "):
        LedgerEngine.replay(corrupt(journal, 12, resolved))
    too_soon = ExpiredTransfer(pending_id=TransferId(11), timestamp=journal[11].timestamp + 1)
    with pytest.raises(JournalError, match="entry 12 "):
        LedgerEngine.replay(corrupt(journal, 12, too_soon))


def test_replay_refuses_timestamps_that_do_not_increase() -> None:
    _, journal = busy_engine()
    with pytest.raises(JournalError, match="entry 1: timestamp"):
        LedgerEngine.replay([journal[0], replace(journal[1], timestamp=journal[0].timestamp)])


def test_replay_of_nothing_is_an_empty_ledger() -> None:
    assert LedgerEngine.replay([]).snapshot() == LedgerEngine().snapshot()
