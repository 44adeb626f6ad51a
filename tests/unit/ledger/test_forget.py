"""`forget_resolved`: resolved transient transfers leave memory, their money stays counted."""

from __future__ import annotations

from ilpnode.ledger import (
    CreateTransferStatus,
    JournalEntry,
    LedgerEngine,
    TransferFlags,
    TransferId,
    TransferPendingStatus,
    check_invariants,
)

from .builders import SECOND, T0, A, B, C, balances, pending, post, standard_engine, statuses, void
from .builders import transfer as plain

S = CreateTransferStatus
PACKET = 1  # the builders' default transfer code
WITHDRAWAL = 3
CODES = frozenset({PACKET})


def test_a_posted_voided_or_expired_transient_transfer_is_forgotten_with_its_resolution() -> None:
    engine = standard_engine()
    batch = [pending(10, A, B, 7), pending(11, A, B, 5), pending(12, A, C, 3, timeout=1)]
    assert statuses(engine, batch) == [S.CREATED] * 3
    assert statuses(engine, [post(20, 10), void(21, 11)]) == [S.CREATED] * 2
    assert len(engine.expire_pending(now=T0 + 2 * SECOND)) == 1
    before = [balances(engine, account) for account in (A, B, C)]
    entries = engine.drain_journal()

    assert engine.forget_resolved(entries, codes=CODES) == 3
    assert engine.lookup_transfers([TransferId(i) for i in (10, 11, 12, 20, 21)]) == []
    assert engine.pending_status(TransferId(10)) is None
    assert [balances(engine, account) for account in (A, B, C)] == before  # money stays
    assert check_invariants(engine) == []  # the forgotten post is counted by its totals
    snapshot = engine.snapshot()
    assert (snapshot.transfers, snapshot.pending, snapshot.expired) == ((), (), ())
    assert snapshot.forgotten == ((A, 7, 0), (B, 0, 7))
    # Unknown from now on: a second post is refused as for any id never seen.
    assert statuses(engine, [post(22, 10)], now=T0 + 3 * SECOND) == [S.PENDING_TRANSFER_NOT_FOUND]


def test_live_reservations_other_codes_and_plain_transfers_are_kept() -> None:
    engine = standard_engine()
    withdrawal = plain(30, A, B, 4, flags=TransferFlags.PENDING, code=WITHDRAWAL)
    batch = [pending(10, A, B, 7), withdrawal, plain(40, A, B, 1)]
    assert statuses(engine, batch) == [S.CREATED] * 3
    posted_withdrawal = post(31, 30)
    assert statuses(engine, [posted_withdrawal]) == [S.CREATED]
    entries = engine.drain_journal()

    assert engine.forget_resolved(entries, codes=CODES) == 0
    kept = engine.lookup_transfers([TransferId(i) for i in (10, 30, 31, 40)])
    assert [t.id for t in kept] == [10, 30, 31, 40]
    assert engine.pending_status(TransferId(10)) is TransferPendingStatus.PENDING
    assert engine.forget_resolved(entries, codes=frozenset()) == 0
    assert check_invariants(engine) == []


def test_forgetting_twice_or_with_foreign_records_changes_nothing() -> None:
    engine = standard_engine()
    assert statuses(engine, [pending(10, A, B, 7), post(20, 10)]) == [S.CREATED] * 2
    entries = engine.drain_journal()
    other = standard_engine()
    assert statuses(other, [pending(10, A, B, 7), void(21, 10)]) == [S.CREATED] * 2
    foreign = other.drain_journal()  # resolves id 10 too, but by a record this engine lacks

    assert engine.forget_resolved(foreign, codes=CODES) == 0
    assert [t.id for t in engine.lookup_transfers([TransferId(10), TransferId(20)])] == [10, 20]
    assert engine.forget_resolved(entries, codes=CODES) == 1
    snapshot = engine.snapshot()
    assert engine.forget_resolved(entries, codes=CODES) == 0
    assert engine.snapshot() == snapshot


def test_replay_that_forgets_as_it_goes_equals_the_live_engine_that_forgot() -> None:
    live = standard_engine()
    journal: list[JournalEntry] = []
    now = T0
    for i in range(50):
        now += SECOND // 10
        resolve = post(1000 + i, 100 + i) if i % 3 else void(1000 + i, 100 + i)
        assert statuses(live, [pending(100 + i, A, B, i + 1, timeout=1)], now=now) == [S.CREATED]
        if i % 5 != 4:  # every fifth is left to expire
            assert statuses(live, [resolve], now=now) == [S.CREATED]
        live.expire_pending(now=now)
        entries = live.drain_journal()
        journal.extend(entries)
        live.forget_resolved(entries, codes=CODES)
    assert check_invariants(live) == []

    rebuilt = LedgerEngine.replay(journal[:30])
    rebuilt.forget_resolved(journal[:30], codes=CODES)
    rebuilt.replay_more(journal[30:])
    rebuilt.forget_resolved(journal[30:], codes=CODES)
    assert rebuilt.snapshot() == live.snapshot()
    assert check_invariants(rebuilt) == []
    # Only what is still live is held: the reservations not yet resolved or expired.
    assert all(t.id >= 100 for t in rebuilt.snapshot().transfers)
    assert len(rebuilt.snapshot().transfers) == len(
        [s for _, s in rebuilt.snapshot().pending if s is TransferPendingStatus.PENDING]
    )
