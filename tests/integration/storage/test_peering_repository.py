"""`SqlPeeringStore`: the `PeeringStore` contract on SQLite and PostgreSQL.

Errors come back as values and undo only the failed write; a raised exception rolls back the
whole transaction; values (u64 amounts, tz-aware microsecond timestamps, routes) round-trip
exactly; ledger numbers are max + 1 even under concurrent creation.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta, timezone
from pathlib import Path
from uuid import uuid4

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from ilpnode.services.peering import AssetError, HttpOutgoing, PeerError
from ilpnode.storage.database import Database
from ilpnode.storage.peering_repository import SqlPeeringStore, SqlPeeringTransaction
from tests.integration.storage.builders import T0, U64_MAX, asset, at, digests, peer

# Long enough for a blocked transaction to show it is blocked, short against the busy timeout.
BLOCKED_SECONDS = 0.3


class Boom(Exception):
    pass


async def test_asset_round_trips_exactly(database: Database) -> None:
    store = SqlPeeringStore(database)
    eastern = timezone(timedelta(hours=-5))
    given = asset(
        withdrawal_threshold=U64_MAX,
        liquidity_threshold=2**63,
        created_at=at(1).astimezone(eastern),
    )
    async with store.transaction() as tx:
        stored = await tx.insert_asset(given)
    assert not isinstance(stored, AssetError)
    assert stored == replace(given, ledger=1)

    async with store.transaction() as tx:
        found = await tx.asset_by_id(given.id)
    assert found == stored
    assert found is not None
    assert found.created_at.tzinfo is not None
    assert found.created_at.utcoffset() == timedelta(0)
    assert (found.created_at.microsecond, found.created_at) == (at(1).microsecond, at(1))


async def test_ledger_numbers_are_max_plus_one_and_never_reused(database: Database) -> None:
    store = SqlPeeringStore(database)
    async with store.transaction() as tx:
        first = await tx.insert_asset(asset("USD"))
        second = await tx.insert_asset(asset("EUR"))
    assert not isinstance(first, AssetError)
    assert not isinstance(second, AssetError)
    assert (first.ledger, second.ledger) == (1, 2)

    async with store.transaction() as tx:
        await tx.update_asset(replace(second, deleted_at=at(5), updated_at=at(5)))
        third = await tx.insert_asset(asset("GBP"))
    assert not isinstance(third, AssetError)
    assert third.ledger == 3


async def test_duplicate_asset_is_a_value_and_the_transaction_goes_on(database: Database) -> None:
    store = SqlPeeringStore(database)
    async with store.transaction() as tx:
        usd = await tx.insert_asset(asset("USD", 2, deleted_at=at(9)))
        assert await tx.insert_asset(asset("USD", 2)) is AssetError.DuplicateAsset
        eur = await tx.insert_asset(asset("EUR", 2))
        other_scale = await tx.insert_asset(asset("USD", 3))
    assert not isinstance(usd, AssetError)
    assert not isinstance(eur, AssetError)
    assert not isinstance(other_scale, AssetError)
    assert (eur.ledger, other_scale.ledger) == (2, 3)  # the failed insert used no number

    async with store.transaction() as tx:
        assert await tx.asset_by_code_and_scale("USD", 2) is None  # deleted
        assert await tx.asset_by_code_and_scale("USD", 2, include_deleted=True) == usd
        assert await tx.asset_by_code_and_scale("EUR", 2) == eur
        assert await tx.asset_by_id(usd.id) is None
        assert await tx.asset_by_id(usd.id, include_deleted=True) == usd
        assert await tx.asset_by_id(uuid4()) is None


async def test_a_ledger_number_clash_is_never_reported_as_a_duplicate(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A clash on `ledger` (impossible unless the numbering is broken, so forced here) is a
    fault that propagates, not DuplicateAsset."""
    store = SqlPeeringStore(database)
    async with store.transaction() as tx:
        assert not isinstance(await tx.insert_asset(asset("USD")), AssetError)

    async def broken(_self: SqlPeeringTransaction) -> int:
        return 1

    monkeypatch.setattr(SqlPeeringTransaction, "_next_ledger", broken)
    with pytest.raises(IntegrityError, match=r"(?i)unique|duplicate"):
        async with store.transaction() as tx:
            await tx.insert_asset(asset("EUR"))


async def test_update_asset_writes_the_mutable_fields(database: Database) -> None:
    store = SqlPeeringStore(database)
    async with store.transaction() as tx:
        stored = await tx.insert_asset(asset(withdrawal_threshold=5))
    assert not isinstance(stored, AssetError)
    changed = replace(
        stored, withdrawal_threshold=None, liquidity_threshold=U64_MAX, updated_at=at(7)
    )
    async with store.transaction() as tx:
        await tx.update_asset(changed)
    async with store.transaction() as tx:
        assert await tx.asset_by_id(stored.id) == changed


async def test_an_exception_rolls_the_whole_transaction_back(database: Database) -> None:
    store = SqlPeeringStore(database)

    async def write_then_fail() -> None:
        async with store.transaction() as tx:
            usd = await tx.insert_asset(asset("USD"))
            assert not isinstance(usd, AssetError)
            assert await tx.insert_peer(peer(usd.id), digests("a")) is None
            raise Boom

    with pytest.raises(Boom):
        await write_then_fail()
    async with store.transaction() as tx:
        assert await tx.asset_by_code_and_scale("USD", 2, include_deleted=True) is None
        assert await tx.all_peers() == []
        again = await tx.insert_asset(asset("USD"))
    assert not isinstance(again, AssetError)
    assert again.ledger == 1


async def test_peer_round_trips_with_its_tokens(database: Database) -> None:
    store = SqlPeeringStore(database)
    async with store.transaction() as tx:
        usd = await tx.insert_asset(asset())
        assert not isinstance(usd, AssetError)
        given = peer(
            usd.id,
            "test.alice",
            routes=("test.alice", "test.bob", "g.x"),
            max_packet_amount=U64_MAX,
            liquidity_threshold=0,
            name="Alice ✓",
            created_at=at(3),
        )
        assert await tx.insert_peer(given, digests("t2", "t1", "t1")) is None
        bare = peer(usd.id, "test.legacy", routes=())
        assert await tx.insert_peer(bare, []) is None
    async with store.transaction() as tx:
        assert await tx.peer_by_id(given.id) == given
        assert await tx.peer_by_id(bare.id) == bare
        assert await tx.peer_by_id(uuid4()) is None
        assert await tx.token_hashes(given.id) == sorted(digests("t1", "t2"))
        assert await tx.token_hashes(bare.id) == []
        assert await tx.all_peers() == [
            (bare, []),
            (given, sorted(digests("t1", "t2"))),
        ]
        assert await tx.asset_in_use(usd.id)


async def test_insert_peer_errors_are_values(database: Database) -> None:
    store = SqlPeeringStore(database)
    async with store.transaction() as tx:
        usd = await tx.insert_asset(asset())
        assert not isinstance(usd, AssetError)
        alice = peer(usd.id, "test.alice")
        assert await tx.insert_peer(alice, digests("a")) is None
        assert await tx.insert_peer(peer(uuid4()), []) is PeerError.UnknownAsset
        assert await tx.insert_peer(peer(usd.id, "test.alice"), []) is PeerError.DuplicatePeer
        clash = peer(usd.id, "test.bob")
        assert await tx.insert_peer(clash, digests("b", "a")) is PeerError.DuplicateIncomingToken
        assert await tx.peer_by_id(clash.id) is None  # the whole failed write was undone
        assert await tx.insert_peer(replace(clash, id=uuid4()), digests("b")) is None
    async with store.transaction() as tx:
        assert sorted(p.static_ilp_address for p, _ in await tx.all_peers()) == [
            "test.alice",
            "test.bob",
        ]
        assert {h for _, hashes in await tx.all_peers() for h in hashes} == set(digests("a", "b"))


async def test_a_peer_with_the_same_id_is_a_fault(database: Database) -> None:
    store = SqlPeeringStore(database)
    async with store.transaction() as tx:
        usd = await tx.insert_asset(asset())
        assert not isinstance(usd, AssetError)
        alice = peer(usd.id, "test.alice")
        assert await tx.insert_peer(alice, []) is None
    with pytest.raises(IntegrityError, match=r"(?i)unique|duplicate"):
        async with store.transaction() as tx:
            await tx.insert_peer(replace(alice, static_ilp_address="test.other"), [])


async def test_update_peer(database: Database) -> None:
    store = SqlPeeringStore(database)
    async with store.transaction() as tx:
        usd = await tx.insert_asset(asset())
        assert not isinstance(usd, AssetError)
        alice, bob = peer(usd.id, "test.alice"), peer(usd.id, "test.bob")
        assert await tx.insert_peer(alice, digests("a1", "a2")) is None
        assert await tx.insert_peer(bob, digests("b")) is None

    moved = replace(
        alice,
        static_ilp_address="test.carol",
        routes=("test.carol", "test.dave"),
        http_outgoing=HttpOutgoing(auth_token="new", endpoint="https://carol.test"),
        max_packet_amount=10,
        name="Carol",
        liquidity_threshold=U64_MAX,
        updated_at=at(99),
    )
    async with store.transaction() as tx:
        assert await tx.update_peer(moved, None) is None
        assert await tx.token_hashes(alice.id) == sorted(digests("a1", "a2"))
        assert await tx.update_peer(replace(moved, name="x"), digests("a2", "a3")) is None
        assert await tx.token_hashes(alice.id) == sorted(digests("a2", "a3"))
        taken = replace(moved, static_ilp_address="test.bob")
        assert await tx.update_peer(taken, None) is PeerError.DuplicatePeer
        assert await tx.update_peer(moved, digests("z", "b")) is PeerError.DuplicateIncomingToken
        assert await tx.update_peer(peer(usd.id, "test.new"), None) is PeerError.UnknownPeer
    async with store.transaction() as tx:
        assert await tx.peer_by_id(alice.id) == replace(moved, name="x")
        assert await tx.token_hashes(alice.id) == sorted(digests("a2", "a3"))
        assert await tx.token_hashes(bob.id) == digests("b")
        assert await tx.update_peer(moved, []) is None
        assert await tx.token_hashes(alice.id) == []


async def test_delete_peer_takes_its_tokens(database: Database) -> None:
    store = SqlPeeringStore(database)
    async with store.transaction() as tx:
        usd = await tx.insert_asset(asset())
        assert not isinstance(usd, AssetError)
        alice = peer(usd.id, "test.alice")
        assert await tx.insert_peer(alice, digests("a")) is None
    async with store.transaction() as tx:
        assert await tx.delete_peer(alice.id)
        assert not await tx.delete_peer(alice.id)
        assert await tx.token_hashes(alice.id) == []
        assert not await tx.asset_in_use(usd.id)
        # The digest is free again.
        assert await tx.insert_peer(peer(usd.id, "test.bob"), digests("a")) is None


async def test_the_asset_of_a_peer_cannot_vanish(database: Database) -> None:
    """The foreign key holds on both databases (SQLite needs `PRAGMA foreign_keys=ON`)."""
    store = SqlPeeringStore(database)
    async with store.transaction() as tx:
        usd = await tx.insert_asset(asset())
        assert not isinstance(usd, AssetError)
        assert await tx.insert_peer(peer(usd.id), []) is None
    with pytest.raises(Exception, match=r"(?i)foreign key"):
        async with database.engine.begin() as connection:
            await connection.execute(text("DELETE FROM assets"))


async def test_concurrent_asset_creations_get_consecutive_ledgers(database: Database) -> None:
    """The second creation waits for the first (advisory lock / SQLite write lock), then sees its
    row: no clash on `ledger`, and a same-code creation is DuplicateAsset."""
    store = SqlPeeringStore(database)
    first = store.transaction()
    tx = await first.__aenter__()
    try:
        assert not isinstance(await tx.insert_asset(asset("USD")), AssetError)

        async def create(code: str) -> int | AssetError:
            async with store.transaction() as other:
                created = await other.insert_asset(asset(code))
            return created if isinstance(created, AssetError) else created.ledger

        eur = asyncio.create_task(create("EUR"))
        usd = asyncio.create_task(create("USD"))
        await asyncio.sleep(BLOCKED_SECONDS)
        assert not eur.done()
        assert not usd.done()
    finally:
        await first.__aexit__(None, None, None)
    assert sorted([str(await eur), str(await usd)]) == sorted(["2", str(AssetError.DuplicateAsset)])


async def test_many_concurrent_creations_number_every_asset_once(
    database: Database, database_url: str
) -> None:
    """Several engines (so really separate connections) creating at once."""
    databases = [Database(database_url) for _ in range(4)]
    try:
        stores = [SqlPeeringStore(d) for d in databases]

        async def create(store: SqlPeeringStore, code: str) -> int:
            async with store.transaction() as tx:
                created = await tx.insert_asset(asset(code))
            assert not isinstance(created, AssetError)
            return created.ledger

        codes = [f"C{i}" for i in range(20)]
        ledgers = await asyncio.gather(*(create(stores[i % 4], c) for i, c in enumerate(codes)))
    finally:
        for d in databases:
            await d.close()
    assert sorted(ledgers) == list(range(1, 21))


async def test_stored_times_are_utc(database: Database) -> None:
    store = SqlPeeringStore(database)
    async with store.transaction() as tx:
        usd = await tx.insert_asset(asset(created_at=T0))
        assert not isinstance(usd, AssetError)
        await tx.update_asset(replace(usd, deleted_at=at(1), updated_at=at(1)))
        found = await tx.asset_by_id(usd.id, include_deleted=True)
    assert found is not None
    assert found.deleted_at == at(1)
    assert found.deleted_at is not None
    assert found.deleted_at.utcoffset() == timedelta(0)


async def test_naive_times_are_refused(database: Database) -> None:
    store = SqlPeeringStore(database)
    with pytest.raises(Exception, match="naive datetime"):
        async with store.transaction() as tx:
            await tx.insert_asset(asset(created_at=T0.replace(tzinfo=None)))


async def test_sqlite_connections_enforce_foreign_keys_and_sync_fully(tmp_path: Path) -> None:
    from ilpnode.storage.database import Database

    database = Database(f"sqlite:///{tmp_path / 'pragmas.sqlite3'}")
    try:
        for _ in range(3):  # every pooled connection, not only the first
            async with database.writer(), database.engine.connect() as connection:
                foreign_keys = (await connection.exec_driver_sql("PRAGMA foreign_keys")).scalar()
                synchronous = (await connection.exec_driver_sql("PRAGMA synchronous")).scalar()
                assert (foreign_keys, synchronous) == (1, 2)
    finally:
        await database.close()
