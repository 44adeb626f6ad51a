"""The payments received in SQL, on SQLite and PostgreSQL: the additive batch write (two writers
on one connection add up, exactly over the whole u64 range), the newest-first pages, and the
log writing the packet path's tally."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from ilpnode.services.payments import (
    CreateWalletAddress,
    ReceivedPayment,
    ReceivedPaymentLog,
    ReceivedTally,
    WalletAddress,
    connection_id,
)
from ilpnode.services.peering import PageRequest, SortOrder
from ilpnode.storage.database import Database
from ilpnode.storage.received_payment_store import CHUNK_ROWS, SqlReceivedPaymentStore

from .test_wallet_address_store import services, usd

T0 = datetime(2026, 12, 27, 12, 0, tzinfo=UTC)
U64_MAX = 2**64 - 1


async def wallet_address(database: Database, path: str = "shop") -> WalletAddress:
    assets, wallet_addresses = services(database)
    created = await wallet_addresses.create(
        CreateWalletAddress(asset_id=(await usd(assets)).id, address=path)
    )
    assert isinstance(created, WalletAddress)
    return created


def payment(
    wallet: UUID,
    id_: UUID,
    amount: int,
    *,
    packets: int = 1,
    first: datetime = T0,
    last: datetime | None = None,
) -> ReceivedPayment:
    return ReceivedPayment(
        id=id_,
        wallet_address_id=wallet,
        asset_code="USD",
        asset_scale=2,
        total_received=amount,
        packets=packets,
        first_packet_at=first,
        last_packet_at=last or first,
    )


def request(cursor: UUID | None = None, *, limit: int = 20, backward: bool = False) -> PageRequest:
    return PageRequest(cursor=cursor, backward=backward, limit=limit, sort_order=SortOrder.DESC)


async def stored(store: SqlReceivedPaymentStore, wallet: UUID) -> dict[UUID, ReceivedPayment]:
    return {p.id: p for p in (await store.page(wallet, request(limit=100))).items}


async def test_a_known_connection_gets_its_new_money_added(database: Database) -> None:
    wallet = (await wallet_address(database)).id
    store = SqlReceivedPaymentStore(database)
    one, two = uuid4(), uuid4()
    await store.add([payment(wallet, one, 100, packets=2, first=T0 + timedelta(seconds=1))])
    await store.add(
        [
            payment(
                wallet,
                one,
                50,
                packets=3,
                first=T0,
                last=T0 + timedelta(seconds=4, microseconds=123),
            ),
            payment(wallet, two, 7),
        ]
    )
    rows = await stored(store, wallet)
    assert rows[one] == payment(
        wallet, one, 150, packets=5, first=T0, last=T0 + timedelta(seconds=4, microseconds=123)
    )
    assert rows[two] == payment(wallet, two, 7)
    await store.add([])  # nothing: no transaction, no error
    assert await stored(store, wallet) == rows


async def test_totals_are_exact_across_2_63_and_capped_at_u64(database: Database) -> None:
    """SQLite keeps u64 values of 2**63 and above as negative integers: the sum is made in
    Python there, exactly; PostgreSQL sums NUMERIC(20,0)."""
    wallet = (await wallet_address(database)).id
    store = SqlReceivedPaymentStore(database)
    id_ = uuid4()
    for amount, total in [(2**63 - 1, 2**63 - 1), (1, 2**63), (2**63 - 2, U64_MAX - 1)]:
        await store.add([payment(wallet, id_, amount)])
        assert (await stored(store, wallet))[id_].total_received == total
    await store.add([payment(wallet, id_, 5)])  # past u64: the ledger makes this unreachable
    assert (await stored(store, wallet))[id_].total_received == U64_MAX


async def test_two_writers_adding_to_the_same_connections_add_up(
    database: Database, database_url: str
) -> None:
    """Two processes receiving on the same connections: each writes its own batches, as its
    log does, concurrently, over its own database connections; every share is in the totals."""
    one, two = database, Database(database_url)
    try:
        wallet = (await wallet_address(one)).id
        ids = sorted(uuid4() for _ in range(5))
        writers = [SqlReceivedPaymentStore(one), SqlReceivedPaymentStore(two)]

        async def write(store: SqlReceivedPaymentStore, share: int) -> None:
            for round_ in range(10):
                # Each writer names the connections in its own order.
                order = ids if (round_ + share) % 2 else list(reversed(ids))
                batch = [
                    payment(wallet, id_, share, first=T0 + timedelta(seconds=round_))
                    for id_ in order
                ]
                await store.add(batch)

        await asyncio.gather(write(writers[0], 1), write(writers[1], 1_000))
        rows = await stored(writers[0], wallet)
        assert {id_: (row.total_received, row.packets) for id_, row in rows.items()} == {
            id_: (10 * 1 + 10 * 1_000, 20) for id_ in ids
        }
        assert {row.first_packet_at for row in rows.values()} == {T0}
        assert {row.last_packet_at for row in rows.values()} == {T0 + timedelta(seconds=9)}
    finally:
        await two.close()


async def test_pages_are_newest_first_for_one_wallet_address(database: Database) -> None:
    shop = (await wallet_address(database)).id
    store = SqlReceivedPaymentStore(database)
    ids = [uuid4() for _ in range(5)]
    await store.add(
        [payment(shop, id_, 10 + i, first=T0 + timedelta(minutes=i)) for i, id_ in enumerate(ids)]
    )
    newest_first = list(reversed(ids))
    first = await store.page(shop, request(limit=2))
    assert [p.id for p in first.items] == newest_first[:2]
    assert (first.has_next_page, first.has_previous_page) == (True, False)
    second = await store.page(shop, request(first.items[-1].id, limit=2))
    assert [p.id for p in second.items] == newest_first[2:4]
    back = await store.page(shop, request(second.items[0].id, limit=2, backward=True))
    assert [p.id for p in back.items] == newest_first[:2]
    assert (await store.page(uuid4(), request())).items == ()  # another wallet address: none


async def test_a_batch_larger_than_a_statement_is_written_whole(database: Database) -> None:
    wallet = (await wallet_address(database)).id
    store = SqlReceivedPaymentStore(database)
    count = 2 * CHUNK_ROWS + 1
    await store.add([payment(wallet, uuid4(), 1) for _ in range(count)])
    seen = 0
    cursor = None
    while True:
        page = await store.page(wallet, request(cursor, limit=100))
        seen += len(page.items)
        if not page.has_next_page:
            break
        cursor = page.items[-1].id
    assert seen == count


async def test_the_log_writes_the_tally_to_the_database(database: Database) -> None:
    wallet = (await wallet_address(database)).id
    tally = ReceivedTally()
    log = ReceivedPaymentLog(store=SqlReceivedPaymentStore(database), tally=tally)
    at_ns = int(T0.timestamp()) * 10**9
    for amount in (300, 200):
        tally.record(
            wallet_address_id=wallet,
            asset_code="USD",
            asset_scale=2,
            token="the-token",
            amount=amount,
            at_ns=at_ns,
        )
    await log.start()
    await log.close()  # writes what is left
    [written] = (await log.page(wallet, request())).items
    assert written == payment(wallet, connection_id("the-token"), 500, packets=2)
