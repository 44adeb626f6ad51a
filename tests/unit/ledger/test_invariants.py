"""`check_invariants` passes on sound ledgers and names what is wrong on broken snapshots."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ilpnode.ledger import (
    AccountFlags,
    ExpiredTransfer,
    LedgerEngine,
    LedgerSnapshot,
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
    pending,
    post,
    standard_engine,
    statuses,
    transfer,
    void,
)


def sound() -> LedgerSnapshot:
    engine = standard_engine()
    statuses(
        engine,
        [
            transfer(1, A, DEBIT_LIMITED, 100),
            pending(10, DEBIT_LIMITED, B, 30, timeout=1),
            pending(11, DEBIT_LIMITED, C, 20),
            post(12, 11, amount=5),
            pending(13, A, B, 3),
            void(14, 13),
        ],
    )
    engine.expire_pending(now=T0 + 2 * SECOND)
    snapshot = engine.snapshot()
    assert check_invariants(snapshot) == []
    assert check_invariants(engine) == []
    return snapshot


def with_account(snapshot: LedgerSnapshot, index: int, **balances: int) -> LedgerSnapshot:
    accounts = list(snapshot.accounts)
    accounts[index] = replace(accounts[index], **balances)  # type: ignore[arg-type]
    return replace(snapshot, accounts=tuple(accounts))


def test_an_empty_ledger_is_sound() -> None:
    assert check_invariants(LedgerEngine()) == []


def test_an_invented_unit_is_found() -> None:
    broken = with_account(sound(), 0, credits_posted=1)
    problems = check_invariants(broken)
    assert any("Σ debits_posted" in p for p in problems)
    assert any("account 1 balances" in p for p in problems)


def test_an_unbalanced_reservation_is_found() -> None:
    problems = check_invariants(with_account(sound(), 1, credits_pending=1))
    assert any("Σ debits_pending" in p for p in problems)


def test_an_account_over_its_limit_is_found() -> None:
    snapshot = sound()
    index = [a.id for a in snapshot.accounts].index(DEBIT_LIMITED)
    problems = check_invariants(with_account(snapshot, index, debits_posted=200))
    assert any("debits exceed credits" in p for p in problems)


def test_an_account_over_its_credit_limit_and_with_both_flags_is_found() -> None:
    snapshot = sound()
    both = AccountFlags.DEBITS_MUST_NOT_EXCEED_CREDITS | AccountFlags.CREDITS_MUST_NOT_EXCEED_DEBITS
    accounts = list(snapshot.accounts)
    accounts[2] = replace(accounts[2], flags=both)  # C: credited 5, never debited
    problems = check_invariants(replace(snapshot, accounts=tuple(accounts)))
    assert any("both limit flags" in p for p in problems)
    assert any("credits exceed debits" in p for p in problems)


def test_a_u64_overflow_is_found() -> None:
    problems = check_invariants(with_account(sound(), 2, debits_pending=2**63, debits_posted=2**63))
    assert any("debits overflow u64" in p for p in problems)
    problems = check_invariants(
        with_account(sound(), 2, credits_pending=2**63, credits_posted=2**63)
    )
    assert any("credits overflow u64" in p for p in problems)


def test_a_transfer_settled_twice_is_found() -> None:
    snapshot = sound()
    last = snapshot.last_timestamp
    second_post = replace(post(99, 11, amount=5), debit_account_id=DEBIT_LIMITED)
    second_post = replace(second_post, credit_account_id=C, ledger=1, code=1, timestamp=last + 1)
    problems = check_invariants(
        replace(snapshot, transfers=(*snapshot.transfers, second_post), last_timestamp=last + 1)
    )
    assert any("resolved 2 times" in p for p in problems)


def test_a_pending_state_that_disagrees_with_the_records_is_found() -> None:
    snapshot = sound()
    pending_states = dict(snapshot.pending)
    pending_states[TransferId(13)] = TransferPendingStatus.POSTED
    problems = check_invariants(replace(snapshot, pending=tuple(sorted(pending_states.items()))))
    assert any("13 is POSTED, records say VOIDED" in p for p in problems)
    del pending_states[TransferId(13)]
    problems = check_invariants(replace(snapshot, pending=tuple(sorted(pending_states.items()))))
    assert any("13 has no pending state" in p for p in problems)


def test_an_expiry_that_was_not_due_is_found() -> None:
    snapshot = sound()
    early = ExpiredTransfer(pending_id=TransferId(10), timestamp=T0 + 10)
    problems = check_invariants(replace(snapshot, expired=(early,)))
    assert any("is not due" in p for p in problems)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"amount": 31}, "not in 1..30"),
        ({"credit_account_id": C}, "moves other accounts"),
        ({"pending_id": TransferId(1)}, "not a pending transfer"),
    ],
)
def test_a_bad_post_record_is_found(change: dict[str, int], message: str) -> None:
    snapshot = sound()
    transfers = list(snapshot.transfers)
    index = [t.id for t in transfers].index(TransferId(12))
    original = transfers[index]
    fields = {"pending_id": TransferId(10), **change}
    transfers[index] = replace(original, **fields)  # type: ignore[arg-type]
    problems = check_invariants(replace(snapshot, transfers=tuple(transfers)))
    assert any(message in p for p in problems), problems


def test_a_bad_void_and_a_late_post_are_found() -> None:
    snapshot = sound()
    transfers = list(snapshot.transfers)
    index = [t.id for t in transfers].index(TransferId(14))
    transfers[index] = replace(transfers[index], amount=1)
    problems = check_invariants(replace(snapshot, transfers=tuple(transfers)))
    assert any("differs from pending" in p for p in problems)
    late = replace(
        post(98, 10, amount=1),
        debit_account_id=DEBIT_LIMITED,
        credit_account_id=B,
        ledger=1,
        code=1,
        timestamp=snapshot.last_timestamp + 1,
    )
    problems = check_invariants(replace(snapshot, transfers=(*snapshot.transfers, late)))
    assert any("outside pending 10's lifetime" in p for p in problems)


def test_an_unknown_account_and_bad_timestamps_are_found() -> None:
    snapshot = sound()
    stray = replace(transfer(97, A, 77, 1), timestamp=snapshot.transfers[0].timestamp)
    problems = check_invariants(replace(snapshot, transfers=(*snapshot.transfers, stray)))
    assert any("unknown account" in p for p in problems)
    assert any("transfers timestamps are not strictly increasing" in p for p in problems)
    assert any("not unique" in p for p in problems)
    problems = check_invariants(replace(snapshot, last_timestamp=snapshot.last_timestamp + 1))
    assert any("last_timestamp" in p for p in problems)
