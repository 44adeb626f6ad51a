"""The webhook store on SQLite and PostgreSQL: watched accounts, settling alert states into the
outbox (once per crossing, even from two processes), claims and paging."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta
from uuid import uuid4

import pytest
from sqlalchemy import text

from ilpnode.services.peering import Asset, SortOrder, page_request
from ilpnode.services.peering.pagination import PageRequest
from ilpnode.services.webhooks import (
    AccountKind,
    AlertState,
    AssetRef,
    Observation,
    WatchedAccount,
)
from ilpnode.storage.database import Database
from ilpnode.storage.peering_repository import SqlPeeringStore
from ilpnode.storage.webhook_store import SqlWebhookStore

from .builders import T0, U64_MAX, asset, at, peer


async def insert_asset(database: Database, value: Asset) -> Asset:
    async with SqlPeeringStore(database).transaction() as tx:
        stored = await tx.insert_asset(value)
    assert isinstance(stored, Asset)
    return stored


def watched(low: int | None = 100, high: int | None = None) -> WatchedAccount:
    return WatchedAccount(
        id=uuid4(),
        kind=AccountKind.PEER,
        asset=AssetRef(id=uuid4(), code="USD", scale=2),
        low=low,
        high=high,
    )


def request(**arguments: object) -> PageRequest:
    made = page_request(**arguments)  # type: ignore[arg-type]
    assert isinstance(made, PageRequest)
    return made


async def test_watched_accounts_are_peers_and_active_assets_with_a_threshold(
    database: Database,
) -> None:
    store = SqlWebhookStore(database)
    usd = await insert_asset(
        database, replace(asset("USD"), liquidity_threshold=5, liquidity_high_threshold=U64_MAX)
    )
    eur = await insert_asset(database, asset("EUR"))
    gone = await insert_asset(database, asset("XRP", liquidity_threshold=1, deleted_at=T0))
    alice = replace(peer(eur.id, "test.alice"), liquidity_high_threshold=700)
    bob = peer(eur.id, "test.bob")  # no threshold
    async with SqlPeeringStore(database).transaction() as tx:
        assert await tx.insert_peer(alice, []) is None
        assert await tx.insert_peer(bob, []) is None

    found = {account.id: account for account in await store.watched_accounts()}

    assert set(found) == {usd.id, alice.id}
    assert found[usd.id] == WatchedAccount(
        id=usd.id,
        kind=AccountKind.ASSET,
        asset=AssetRef(id=usd.id, code="USD", scale=2),
        low=5,
        high=U64_MAX,
    )
    assert found[alice.id] == WatchedAccount(
        id=alice.id,
        kind=AccountKind.PEER,
        asset=AssetRef(id=eur.id, code="EUR", scale=2),
        low=None,
        high=700,
    )
    assert await store.watched_accounts([alice.id, bob.id, gone.id]) == [found[alice.id]]
    assert await store.watched_accounts([]) == []


async def test_arming_records_the_state_without_an_event(database: Database) -> None:
    store = SqlWebhookStore(database)
    account = watched(low=100)

    [settled] = await store.settle([Observation(account=account, balance=50, arm=True)], now=T0)

    assert (settled.state, settled.event) == (AlertState.LOW, None)
    assert await store.alert_ids() == {account.id}
    assert (await store.events_page(request())).items == ()


async def test_a_crossing_records_one_event_with_the_state_change(database: Database) -> None:
    store = SqlWebhookStore(database)
    account = watched(low=100, high=1_000)
    await store.settle([Observation(account=account, balance=500, arm=True)], now=T0)

    settled = await store.settle(
        [
            Observation(account=account, balance=90),  # low: event
            Observation(account=account, balance=80),  # still low: nothing
            Observation(account=account, balance=200),  # normal: re-armed, no event
            Observation(account=account, balance=1_000),  # high: event
            Observation(account=account, balance=100),  # low: event
        ],
        now=at(10),
    )

    assert [s.state for s in settled] == [
        AlertState.LOW,
        AlertState.LOW,
        AlertState.NORMAL,
        AlertState.HIGH,
        AlertState.LOW,
    ]
    events = [s.event for s in settled]
    assert [e is not None for e in events] == [True, False, False, True, True]
    page = await store.events_page(request(sort_order=SortOrder.ASC))
    assert [e.type for e in page.items] == [
        "peer.liquidity_low",
        "peer.liquidity_high",
        "peer.liquidity_low",
    ]
    assert [e.id for e in page.items] == [e.id for e in events if e is not None]
    assert page.items[0].data == {
        "id": str(account.id),
        "asset": {"id": str(account.asset.id), "code": "USD", "scale": 2},
        "liquidityThreshold": "100",
        "balance": "90",
    }
    assert page.items[1].data["liquidityHighThreshold"] == "1000"
    assert [e.created_at for e in page.items] == sorted(e.created_at for e in page.items)


async def test_stale_thresholds_are_skipped_and_new_ones_re_arm(database: Database) -> None:
    store = SqlWebhookStore(database)
    account = watched(low=100)
    await store.settle([Observation(account=account, balance=500, arm=True)], now=T0)
    raised = replace(account, low=1_000)

    # Judged by thresholds the database no longer has: no event.
    [stale] = await store.settle([Observation(account=raised, balance=500)], now=at(1))
    # Armed with the new thresholds: the state of the balance, silently.
    [armed] = await store.settle([Observation(account=raised, balance=500, arm=True)], now=at(2))
    [unchanged] = await store.settle([Observation(account=raised, balance=400)], now=at(3))

    assert stale.state is None
    assert stale.event is None
    assert armed.state is AlertState.LOW
    assert armed.event is None
    assert unchanged.state is AlertState.LOW
    assert unchanged.event is None
    assert (await store.events_page(request())).items == ()


async def test_an_observation_of_an_unknown_account_is_skipped(database: Database) -> None:
    store = SqlWebhookStore(database)

    [settled] = await store.settle([Observation(account=watched(), balance=0)], now=T0)

    assert settled.state is None
    assert await store.alert_ids() == set()


async def test_forget(database: Database) -> None:
    store = SqlWebhookStore(database)
    kept, dropped = watched(), watched()
    await store.settle(
        [Observation(account=a, balance=0, arm=True) for a in (kept, dropped)], now=T0
    )

    await store.forget([dropped.id])

    assert await store.alert_ids() == {kept.id}


async def test_claims_record_attempts_until_delivered(database: Database) -> None:
    store = SqlWebhookStore(database)
    account = watched(low=100)
    await store.settle([Observation(account=account, balance=500, arm=True)], now=T0)
    [settled] = await store.settle([Observation(account=account, balance=0)], now=at(5))
    assert settled.event is not None

    async with store.claim_due(now=at(4), max_attempts=3) as early:
        assert early is None  # not due yet
    async with store.claim_due(now=at(5), max_attempts=3) as claim:
        assert claim is not None
        assert (claim.event, claim.attempts) == (settled.event, 0)
        await claim.record(status_code=500, retry_at=at(5) + timedelta(seconds=10))
    assert await store.next_due_at(max_attempts=3) == at(5) + timedelta(seconds=10)
    async with store.claim_due(now=at(6), max_attempts=3) as waiting:
        assert waiting is None
    async with store.claim_due(now=at(5) + timedelta(seconds=10), max_attempts=3) as again:
        assert again is not None
        assert again.attempts == 1
        await again.record(status_code=200, retry_at=None)

    assert await store.next_due_at(max_attempts=3) is None
    async with store.claim_due(now=at(5) + timedelta(days=1), max_attempts=3) as none:
        assert none is None


async def test_events_page_filters_and_pages(database: Database) -> None:
    store = SqlWebhookStore(database)
    account = watched(low=100, high=1_000)
    await store.settle([Observation(account=account, balance=500, arm=True)], now=T0)
    balances = [0, 500, 2_000, 500, 0, 500, 2_000]  # low, high, low, high
    await store.settle([Observation(account=account, balance=b) for b in balances], now=at(1))
    newest_first = (await store.events_page(request())).items
    assert [e.type.rsplit("_", 1)[1] for e in newest_first] == ["high", "low", "high", "low"]

    lows = await store.events_page(request(), types_in=["peer.liquidity_low"])
    not_lows = await store.events_page(request(), types_not_in=["peer.liquidity_low"])
    first = await store.events_page(request(first=3, sort_order=SortOrder.ASC))
    rest = await store.events_page(
        request(first=3, after=first.items[-1].id, sort_order=SortOrder.ASC)
    )
    back = await store.events_page(request(last=2, before=newest_first[3].id))

    assert [e.id for e in lows.items] == [newest_first[1].id, newest_first[3].id]
    assert [e.id for e in not_lows.items] == [newest_first[0].id, newest_first[2].id]
    assert [e.id for e in first.items] == [e.id for e in reversed(newest_first)][:3]
    assert (first.has_next_page, first.has_previous_page) == (True, False)
    assert [e.id for e in rest.items] == [newest_first[0].id]
    assert (rest.has_next_page, rest.has_previous_page) == (False, True)
    assert [e.id for e in back.items] == [newest_first[1].id, newest_first[2].id]
    assert (back.has_next_page, back.has_previous_page) == (True, True)
    # A cursor that the filter leaves out still marks a place (as Rafiki's).
    after_high = await store.events_page(
        request(after=newest_first[0].id), types_in=["peer.liquidity_low"]
    )
    assert [e.id for e in after_high.items] == [newest_first[1].id, newest_first[3].id]


@pytest.mark.postgres
async def test_two_processes_seeing_one_crossing_record_one_event(storage_pg_url: str) -> None:
    databases = [Database(storage_pg_url) for _ in range(2)]
    try:
        stores = [SqlWebhookStore(database) for database in databases]
        accounts = [watched(low=100) for _ in range(20)]
        await stores[0].settle(
            [Observation(account=a, balance=500, arm=True) for a in accounts], now=T0
        )

        # Both processes saw every account cross, and settle at once.
        await asyncio.gather(
            *(
                store.settle([Observation(account=a, balance=50) for a in accounts], now=at(1))
                for store in stores
            )
        )

        page = await stores[0].events_page(request(first=100))
        ours = {str(a.id) for a in accounts}  # the session's database has other tests' events
        assert sorted(e.data["id"] for e in page.items if e.data["id"] in ours) == sorted(ours)
    finally:
        for database in databases:
            await database.close()


@pytest.mark.postgres
async def test_a_claimed_event_is_skipped_by_other_processes(storage_pg_url: str) -> None:
    databases = [Database(storage_pg_url) for _ in range(2)]
    try:
        first, second = (SqlWebhookStore(database) for database in databases)
        account = watched(low=100)
        other = replace(account, id=uuid4())
        await first.settle(
            [Observation(account=a, balance=500, arm=True) for a in (account, other)], now=T0
        )

        async with databases[0].engine.begin() as connection:  # other tests' events
            await connection.execute(text("TRUNCATE webhook_events"))
        await first.settle([Observation(account=account, balance=0)], now=at(1))
        await first.settle([Observation(account=other, balance=0)], now=at(3))

        async with first.claim_due(now=at(10), max_attempts=5) as held:
            assert held is not None
            async with second.claim_due(now=at(10), max_attempts=5) as meanwhile:
                assert meanwhile is not None
                assert meanwhile.event.id != held.event.id  # the held one is skipped
                async with first.claim_due(now=at(10), max_attempts=5) as third:
                    assert third is None  # both held
                await meanwhile.record(status_code=200, retry_at=None)
            await held.record(status_code=200, retry_at=None)

        assert await first.next_due_at(max_attempts=5) is None
    finally:
        for database in databases:
            await database.close()
