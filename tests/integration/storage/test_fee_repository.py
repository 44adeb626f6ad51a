"""`SqlFeeStore` on SQLite and PostgreSQL: fees are kept per asset, exact to the microsecond and
over the whole u64 range; the newest of each type is found by `(created_at, id)`; paging stays
within one asset; and the database itself refuses a fee outside Rafiki's rules."""

from __future__ import annotations

from uuid import UUID, uuid4

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from ilpnode.services.fees import Fee, FeeType
from ilpnode.services.peering import Asset, PageRequest, SortOrder, page_request
from ilpnode.storage.database import Database
from ilpnode.storage.fee_repository import SqlFeeStore
from ilpnode.storage.peering_repository import SqlPeeringStore
from ilpnode.storage.schema.peering import fees

from .builders import U64_MAX, asset, at


async def stored_asset(database: Database, code: str, *, deleted: bool = False) -> UUID:
    async with SqlPeeringStore(database).transaction() as tx:
        inserted = await tx.insert_asset(asset(code, deleted_at=at(1) if deleted else None))
        assert isinstance(inserted, Asset)
        return inserted.id


def fee(asset_id: UUID, fee_type: FeeType, microseconds: int, fixed: int = 1) -> Fee:
    return Fee(
        id=uuid4(),
        asset_id=asset_id,
        type=fee_type,
        fixed=fixed,
        basis_points=10_000,
        created_at=at(microseconds),
    )


def request(**arguments: object) -> PageRequest:
    made = page_request(**arguments)  # type: ignore[arg-type]
    assert isinstance(made, PageRequest)
    return made


async def test_fees_are_kept_exactly_and_the_newest_of_each_type_is_found(
    database: Database,
) -> None:
    store = SqlFeeStore(database)
    usd, eur = await stored_asset(database, "USD"), await stored_asset(database, "EUR")
    rows = [
        fee(usd, FeeType.SENDING, 10, fixed=U64_MAX),
        fee(usd, FeeType.RECEIVING, 20),
        fee(usd, FeeType.SENDING, 30, fixed=2),
        fee(eur, FeeType.SENDING, 40),
    ]
    async with store.transaction() as tx:
        for row in rows:
            await tx.insert_fee(row)
        assert await tx.newest_fee_time(usd) == at(30)
        assert await tx.newest_fee_time(uuid4()) is None

    async with store.reading() as reads:
        latest = await reads.latest_fees(usd)
        assert (latest.sending, latest.receiving) == (rows[2], rows[1])
        page = await reads.fee_page(usd, request(sort_order=SortOrder.ASC))
        assert page.items == tuple(rows[:3])  # every field as stored, U64_MAX included
        newest_first = await reads.fee_page(usd, request(first=2))
        assert newest_first.items == (rows[2], rows[1])
        assert newest_first.has_next_page
        foreign_cursor = await reads.fee_page(usd, request(after=rows[3].id))
        assert foreign_cursor.items == ()


async def test_only_active_assets_take_fees(database: Database) -> None:
    active = await stored_asset(database, "USD")
    deleted = await stored_asset(database, "EUR", deleted=True)
    async with SqlFeeStore(database).transaction() as tx:
        assert await tx.asset_is_active(active)
        assert not await tx.asset_is_active(deleted)
        assert not await tx.asset_is_active(uuid4())


@pytest.mark.parametrize(
    "values",
    [
        {"type": "BOTH", "basis_points": 0},
        {"type": "SENDING", "basis_points": 10_001},
        {"type": "SENDING", "basis_points": -1},
        {"type": "SENDING", "basis_points": 0, "asset_id": uuid4()},  # no such asset
    ],
)
async def test_the_database_refuses_a_fee_outside_the_rules(
    database: Database, values: dict[str, object]
) -> None:
    asset_id = await stored_asset(database, "USD")
    row = {"id": uuid4(), "asset_id": asset_id, "fixed": 0, "created_at": at(0), **values}
    with pytest.raises(IntegrityError):
        async with database.engine.begin() as connection:
            await connection.execute(insert(fees).values(row))
