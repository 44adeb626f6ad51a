"""Keyset paging in SQL gives exactly the pages of `pagination.paginate` over the same rows.

Every combination of cursor (none, each row, a soft-deleted asset, an unknown id), direction,
page size and sort order is compared, over rows with many ties in `created_at` (so the `id`
tie-break decides) and ids spread over the whole UUID range (PostgreSQL's bytewise order,
SQLite's hex text order and Python's integer order must agree).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import replace
from uuid import UUID, uuid4

from ilpnode.services.peering import (
    Asset,
    AssetError,
    PageRequest,
    Peer,
    SortOrder,
    page_request,
    paginate,
)
from ilpnode.storage.database import Database
from ilpnode.storage.peering_repository import SqlPeeringStore
from tests.integration.storage.builders import asset, at, peer

ROWS = 11
SIZES = (1, 2, 3, ROWS - 1, ROWS, ROWS + 5)


def _ids(rng: random.Random, count: int) -> list[UUID]:
    """Ids with the extremes of the range, both halves of the top bit and random ones."""
    fixed = [UUID(int=0), UUID(int=2**128 - 1), UUID(int=2**127), UUID(int=2**127 - 1)]
    return (fixed + [UUID(int=rng.getrandbits(128)) for _ in range(count)])[:count]


def _requests(cursors: list[UUID | None]) -> Iterator[PageRequest]:
    for cursor in cursors:
        for backward in (False, True):
            for limit in SIZES:
                for sort_order in SortOrder:
                    yield PageRequest(
                        cursor=cursor, backward=backward, limit=limit, sort_order=sort_order
                    )


async def _store_with_assets(database: Database, seed: int) -> tuple[SqlPeeringStore, list[Asset]]:
    rng = random.Random(seed)
    store = SqlPeeringStore(database)
    stored: list[Asset] = []
    async with store.transaction() as tx:
        for number, id_ in enumerate(_ids(rng, ROWS)):
            # Four distinct times for eleven rows: most rows tie with others.
            created_at = at(rng.choice([0, 1, 1_000_000, 86_400_000_000]))
            deleted = at(5) if number % 4 == 3 else None
            value = asset(f"C{number}", id=id_, created_at=created_at, deleted_at=deleted)
            inserted = await tx.insert_asset(value)
            assert not isinstance(inserted, AssetError)
            stored.append(inserted)
    return store, stored


async def test_asset_pages_equal_the_reference(database: Database) -> None:
    for seed in (1, 2):
        async with database.engine.begin() as connection:
            await connection.exec_driver_sql("DELETE FROM assets")
        store, stored = await _store_with_assets(database, seed)
        active = [a for a in stored if a.deleted_at is None]
        deleted = [a.id for a in stored if a.deleted_at is not None]
        cursors: list[UUID | None] = [None, uuid4(), *deleted[:1], *(a.id for a in stored)]
        compared = 0
        async with store.transaction() as tx:
            for request in _requests(cursors):
                assert await tx.asset_page(request) == paginate(active, request), request
                compared += 1
        assert compared == len(cursors) * 2 * len(SIZES) * 2


async def test_peer_pages_equal_the_reference(database: Database) -> None:
    rng = random.Random(3)
    store = SqlPeeringStore(database)
    peers: list[Peer] = []
    async with store.transaction() as tx:
        usd = await tx.insert_asset(asset())
        assert not isinstance(usd, AssetError)
        for number, id_ in enumerate(_ids(rng, ROWS)):
            created_at = at(rng.choice([7, 8, 9]))
            value = peer(usd.id, f"test.p{number}", id=id_, created_at=created_at)
            assert await tx.insert_peer(value, []) is None
            peers.append(value)
    cursors: list[UUID | None] = [None, uuid4(), usd.id, *(p.id for p in peers)]
    async with store.transaction() as tx:
        for request in _requests(cursors):
            assert await tx.peer_page(request) == paginate(peers, request), request


async def test_walking_pages_both_ways_visits_every_row_once(database: Database) -> None:
    """What a client does: follow `after` to the end, then `before` back to the start."""
    store, stored = await _store_with_assets(database, 4)
    active = [a for a in stored if a.deleted_at is None]
    for sort_order in SortOrder:
        expected = sorted(active, key=lambda a: (a.created_at, a.id))
        if sort_order is SortOrder.DESC:
            expected.reverse()
        seen: list[Asset] = []
        request = page_request(first=2, sort_order=sort_order)
        async with store.transaction() as tx:
            while True:
                assert isinstance(request, PageRequest)
                page = await tx.asset_page(request)
                seen += page.items
                if not page.has_next_page:
                    break
                request = page_request(after=page.items[-1].id, first=2, sort_order=sort_order)
            assert seen == expected
            back: list[Asset] = []
            request = page_request(before=seen[-1].id, last=2, sort_order=sort_order)
            while True:
                assert isinstance(request, PageRequest)
                page = await tx.asset_page(request)
                back = [*page.items, *back]
                if not page.has_previous_page:
                    break
                request = page_request(before=page.items[0].id, last=2, sort_order=sort_order)
            assert back == expected[:-1]


async def test_defaults_and_empty_tables(database: Database) -> None:
    store = SqlPeeringStore(database)
    request = page_request()
    assert isinstance(request, PageRequest)
    async with store.transaction() as tx:
        assert await tx.asset_page(request) == paginate([], request)
        assert await tx.peer_page(request) == paginate([], request)
        zero = replace(request, limit=0)
        assert await tx.asset_page(zero) == paginate([], zero)
