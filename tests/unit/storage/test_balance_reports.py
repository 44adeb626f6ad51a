"""The embedded ledger's balance reports after a group commit: the watched accounts the group
touched, but for those whose available balance stayed within their quiet band."""

from __future__ import annotations

from ilpnode.ledger import (
    BALANCE_MAX,
    BALANCE_MIN,
    REPORT_ALWAYS,
    Account,
    JournalEntry,
    LedgerEngine,
    QuietBand,
    Transfer,
    available_balance,
)
from ilpnode.storage.ledger.balance_reports import BalanceReports
from tests.unit.ledger.builders import SECOND, T0, A, B, C, pending, standard_engine, transfer


def commit(engine: LedgerEngine, *transfers: Transfer, now: int = T0) -> list[JournalEntry]:
    """Apply `transfers` and return the entries the group commit would carry."""
    results = engine.create_transfers(list(transfers), now=now)
    assert all(result.ok for result in results), results
    return engine.drain_journal()


def reported(
    watched: dict[int, QuietBand], entries: list[JournalEntry], engine: LedgerEngine
) -> list[tuple[int, int]]:
    seen: list[Account] = []
    reports = BalanceReports()
    reports.watch(watched, seen.extend)
    reports.after_commit(entries, engine)
    return [(account.id, available_balance(account)) for account in seen]


def test_only_watched_accounts_outside_their_band_are_reported() -> None:
    engine = standard_engine()
    entries = commit(engine, transfer(1, A, B, 30), transfer(2, C, A, 5))
    # A: credits 5, debits 30: -25. B: 30. C: -5.
    watched: dict[int, QuietBand] = {A: (-100, 0), B: (0, 29), C: REPORT_ALWAYS}

    assert reported(watched, entries, engine) == [(B, 30), (C, -5)]


def test_a_band_edge_is_quiet_and_one_past_it_is_news() -> None:
    engine = standard_engine()
    entries = commit(engine, transfer(1, A, B, 30))

    assert reported({B: (30, BALANCE_MAX)}, entries, engine) == []
    assert reported({B: (BALANCE_MIN, 30)}, entries, engine) == []
    assert reported({B: (31, BALANCE_MAX)}, entries, engine) == [(B, 30)]
    assert reported({B: (BALANCE_MIN, 29)}, entries, engine) == [(B, 30)]


def test_a_reservation_counts_against_the_debited_account_only() -> None:
    engine = standard_engine()
    entries = commit(engine, pending(1, A, B, 40, timeout=10))

    # A's available balance drops by the reservation, B's does not rise until it is posted.
    assert reported({A: (0, 0), B: (0, 0)}, entries, engine) == [(A, -40)]


def test_an_expiry_reports_the_accounts_of_its_pending_transfer() -> None:
    engine = standard_engine()
    commit(engine, pending(1, A, B, 40, timeout=1))
    engine.expire_pending(now=T0 + 2 * SECOND)
    entries = engine.drain_journal()

    assert reported({A: REPORT_ALWAYS, C: REPORT_ALWAYS}, entries, engine) == [(A, 0)]


def test_nothing_watched_nothing_reported() -> None:
    engine = standard_engine()
    entries = commit(engine, transfer(1, A, B, 30))

    assert reported({}, entries, engine) == []
