"""The payments received: the tally the packet path keeps in memory, and the log that writes it
in batches (against an in-memory store that can be made to fail)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import UUID, uuid4

import pytest

from ilpnode.services.payments import (
    ReceivedPayment,
    ReceivedPaymentLog,
    ReceivedTally,
    connection_id,
)
from ilpnode.services.payments import received_tally as tally_module
from ilpnode.services.peering import Page, PageRequest, SortOrder, page_request

WALLET = uuid4()
T0 = 1_800_000_000 * 10**9  # Unix ns


def record(tally: ReceivedTally, token: str, amount: int, at_ns: int = T0) -> None:
    tally.record(
        wallet_address_id=WALLET,
        asset_code="USD",
        asset_scale=2,
        token=token,
        amount=amount,
        at_ns=at_ns,
    )


class MemoryStore:
    """The `ReceivedPaymentStore` port in memory, additive like the SQL one; `failing` makes
    `add` raise (the database away); `added` is every batch it was given."""

    def __init__(self) -> None:
        self.rows: dict[UUID, ReceivedPayment] = {}
        self.added: list[list[ReceivedPayment]] = []
        self.failing: Exception | None = None
        self.written = asyncio.Event()

    async def add(self, payments: Sequence[ReceivedPayment]) -> None:
        await asyncio.sleep(0)
        if self.failing is not None:
            raise self.failing
        self.added.append(list(payments))
        for payment in payments:
            old = self.rows.get(payment.id)
            if old is not None:
                payment = ReceivedPayment(
                    id=old.id,
                    wallet_address_id=old.wallet_address_id,
                    asset_code=old.asset_code,
                    asset_scale=old.asset_scale,
                    total_received=old.total_received + payment.total_received,
                    packets=old.packets + payment.packets,
                    first_packet_at=min(old.first_packet_at, payment.first_packet_at),
                    last_packet_at=max(old.last_packet_at, payment.last_packet_at),
                )
            self.rows[payment.id] = payment
        self.written.set()

    async def page(self, wallet_address_id: UUID, request: PageRequest) -> Page[ReceivedPayment]:
        items = tuple(p for p in self.rows.values() if p.wallet_address_id == wallet_address_id)
        return Page(items=items, has_next_page=False, has_previous_page=False)


def first_page() -> PageRequest:
    request = page_request(first=20, sort_order=SortOrder.DESC)
    assert isinstance(request, PageRequest)
    return request


# -- the tally ------------------------------------------------------------------------------


def test_packets_of_one_connection_add_up_with_their_first_and_last_time() -> None:
    tally = ReceivedTally()
    record(tally, "token-a", 100, T0 + 5_000)
    record(tally, "token-a", 250, T0 + 9_000_000)
    record(tally, "token-a", 1, T0)  # answered late: arrived first
    record(tally, "token-b", 7, T0 + 1_000)
    assert len(tally) == 2
    summaries = {s.id: s for s in (t.summary() for t in tally.take())}
    a = summaries[connection_id("token-a")]
    assert (a.wallet_address_id, a.asset_code, a.asset_scale) == (WALLET, "USD", 2)
    assert (a.total_received, a.packets) == (351, 3)
    assert a.first_packet_at == datetime(2027, 1, 15, 8, 0, tzinfo=UTC)
    assert a.last_packet_at == datetime(2027, 1, 15, 8, 0, 0, 9_000, tzinfo=UTC)
    b = summaries[connection_id("token-b")]
    assert (b.total_received, b.packets) == (7, 1)
    assert len(tally) == 0
    assert tally.take() == []


def test_amounts_stay_exact_over_the_whole_u64_range() -> None:
    tally = ReceivedTally()
    record(tally, "token", 2**63 - 1)
    record(tally, "token", 2**63)
    [taken] = tally.take()
    assert taken.summary().total_received == 2**64 - 1


def test_the_connection_id_is_a_hash_of_the_token_the_same_everywhere() -> None:
    token = "Vwu00187mbFXswAiLvCRS-8pkM6"
    expected = UUID(bytes=hashlib.sha256(token.encode()).digest()[:16])
    assert connection_id(token) == expected
    assert connection_id(token + "x") != expected


def test_what_could_not_be_written_is_put_back_merged_with_what_came_since() -> None:
    tally = ReceivedTally()
    record(tally, "token-a", 100, T0 + 10_000)
    record(tally, "token-b", 5, T0 + 10_000)
    taken = tally.take()
    record(tally, "token-a", 50, T0 + 20_000)
    record(tally, "token-c", 1, T0 + 30_000)
    tally.put_back(taken)
    summaries = {s.id: s for s in (t.summary() for t in tally.take())}
    a = summaries[connection_id("token-a")]
    assert (a.total_received, a.packets) == (150, 2)
    assert a.first_packet_at == datetime(2027, 1, 15, 8, 0, 0, 10, tzinfo=UTC)
    assert a.last_packet_at == datetime(2027, 1, 15, 8, 0, 0, 20, tzinfo=UTC)
    assert summaries[connection_id("token-b")].total_received == 5
    assert summaries[connection_id("token-c")].total_received == 1


def test_beyond_the_bound_new_connections_are_counted_as_dropped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(tally_module, "PENDING_MAX", 2)
    tally = ReceivedTally()
    record(tally, "token-a", 1)
    record(tally, "token-b", 1)
    record(tally, "token-c", 1)  # a third connection: not tallied
    record(tally, "token-a", 1)  # a known one still is
    assert (len(tally), tally.dropped) == (2, 1)
    assert sum(t.amount for t in tally.take()) == 3


# -- the log --------------------------------------------------------------------------------


async def test_flush_writes_every_connection_in_one_batch() -> None:
    store, tally = MemoryStore(), ReceivedTally()
    log = ReceivedPaymentLog(store=store, tally=tally)
    record(tally, "token-a", 100)
    record(tally, "token-b", 20)
    record(tally, "token-a", 3)
    assert await log.flush() == 2
    assert [sorted(p.total_received for p in batch) for batch in store.added] == [[20, 103]]
    assert await log.flush() == 0  # nothing new: no write
    assert len(store.added) == 1
    record(tally, "token-a", 7)
    await log.flush()
    assert store.rows[connection_id("token-a")].total_received == 110
    assert store.rows[connection_id("token-a")].packets == 3
    page = await log.page(str(WALLET), first_page())
    assert sorted(p.total_received for p in page.items) == [20, 110]
    assert (await log.page("not-a-uuid", first_page())).items == ()


async def test_a_failed_write_loses_nothing() -> None:
    store, tally = MemoryStore(), ReceivedTally()
    log = ReceivedPaymentLog(store=store, tally=tally)
    record(tally, "token", 100)
    store.failing = ConnectionError("the database is away")
    with pytest.raises(ConnectionError):
        await log.flush()
    assert store.rows == {}
    record(tally, "token", 1)
    store.failing = None
    assert await log.flush() == 1
    assert store.rows[connection_id("token")].total_received == 101
    assert store.rows[connection_id("token")].packets == 2


async def test_the_background_task_writes_and_close_writes_the_rest() -> None:
    store, tally = MemoryStore(), ReceivedTally()
    log = ReceivedPaymentLog(store=store, tally=tally, interval_seconds=0.01)
    await log.start()
    try:
        record(tally, "token", 100)
        await asyncio.wait_for(store.written.wait(), timeout=10)
        assert store.rows[connection_id("token")].total_received == 100
        record(tally, "token", 5)
        store.written.clear()
    finally:
        await log.close()
    # Written by the task or by close: either way, before close returned.
    assert store.rows[connection_id("token")].total_received == 105
    assert len(tally) == 0


async def test_the_background_task_keeps_trying_while_writes_fail() -> None:
    store, tally = MemoryStore(), ReceivedTally()
    store.failing = ConnectionError("the database is away")
    log = ReceivedPaymentLog(store=store, tally=tally, interval_seconds=0.01)
    record(tally, "token", 42)
    await log.start()
    try:
        await asyncio.sleep(0.05)  # several failed attempts
        assert store.rows == {}
        assert len(tally) == 1
        store.failing = None
        await asyncio.wait_for(store.written.wait(), timeout=10)
    finally:
        await log.close()
    assert store.rows[connection_id("token")].total_received == 42


async def test_close_with_the_database_away_logs_and_returns(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store, tally = MemoryStore(), ReceivedTally()
    log = ReceivedPaymentLog(store=store, tally=tally)
    await log.start()
    record(tally, "token", 42)
    store.failing = ConnectionError("the database is away")
    await log.close()
    assert "are not in the list (their money is in the ledger)" in caplog.text


def test_the_interval_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        ReceivedPaymentLog(store=MemoryStore(), tally=ReceivedTally(), interval_seconds=0)
