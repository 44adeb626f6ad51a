"""The payments received in SQL: the `ReceivedPaymentStore` port (SQLAlchemy Core).

`add` is one transaction per batch, additive so that processes receiving on one connection
each add their share (`services.payments.received_payments`):

- PostgreSQL: `INSERT … ON CONFLICT (id) DO UPDATE SET total_received = total_received +
  excluded.total_received, packets = packets + excluded.packets, first_packet_at =
  LEAST(…), last_packet_at = GREATEST(…)`. `total_received` is NUMERIC(20,0), so the sum is
  exact; it is capped at 2**64-1, which the ledger makes unreachable (every connection's money
  credits one account, whose credits stay within u64). Rows go in id order, so two processes
  adding overlapping batches lock them in the same order and never deadlock.
- SQLite: the sum is done in Python. `UInt64` keeps values of 2**63 and above as negative
  INTEGERs, and SQLite's `+` turns an overflowing sum into a float, so an SQL sum would not be
  exact over the whole u64 range. The transaction is `BEGIN IMMEDIATE` (the database's one
  writer) and reads the stored rows before writing the sums: no other writer can come between.

Batches are sent in chunks of `CHUNK_ROWS` rows, within the one transaction. `page` is keyset
paging on `(first_packet_at, id)` for one wallet address.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final
from uuid import UUID

from sqlalchemy import Row, func, literal, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection

from ilpnode.services.payments import ReceivedPayment
from ilpnode.services.peering import Page, PageRequest
from ilpnode.storage.database import Database
from ilpnode.storage.keyset_paging import keyset_page
from ilpnode.storage.schema.payments import received_payments
from ilpnode.storage.types import UInt64

__all__ = ["CHUNK_ROWS", "SqlReceivedPaymentStore"]

CHUNK_ROWS: Final = 500
"""Rows per statement: well within both databases' limits on bound parameters."""
_U64_MAX: Final = 2**64 - 1


class SqlReceivedPaymentStore:
    """The `ReceivedPaymentStore` port over the node's database."""

    def __init__(self, database: Database) -> None:
        self._database = database

    async def add(self, payments: Sequence[ReceivedPayment]) -> None:
        if not payments:
            return
        ordered = sorted(payments, key=lambda payment: payment.id)
        async with self._database.write_transaction() as connection:
            if connection.dialect.name == "sqlite":
                for start in range(0, len(ordered), CHUNK_ROWS):
                    await _add_sqlite(connection, ordered[start : start + CHUNK_ROWS])
            else:
                for start in range(0, len(ordered), CHUNK_ROWS):
                    await _add_postgresql(connection, ordered[start : start + CHUNK_ROWS])

    async def page(self, wallet_address_id: UUID, request: PageRequest) -> Page[ReceivedPayment]:
        async with self._database.engine.connect() as connection:
            page = await keyset_page(
                connection,
                received_payments,
                request,
                received_payments.c.wallet_address_id == wallet_address_id,
                time_column="first_packet_at",
            )
        return page.map(_received_payment)


async def _add_postgresql(connection: AsyncConnection, chunk: Sequence[ReceivedPayment]) -> None:
    table = received_payments
    statement = pg_insert(table).values([_values(payment) for payment in chunk])
    excluded = statement.excluded
    await connection.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.id],
            set_={
                "total_received": func.least(
                    table.c.total_received + excluded.total_received,
                    literal(_U64_MAX, UInt64()),
                ),
                "packets": table.c.packets + excluded.packets,
                "first_packet_at": func.least(table.c.first_packet_at, excluded.first_packet_at),
                "last_packet_at": func.greatest(table.c.last_packet_at, excluded.last_packet_at),
            },
        )
    )


async def _add_sqlite(connection: AsyncConnection, chunk: Sequence[ReceivedPayment]) -> None:
    table = received_payments
    query = select(table).where(table.c.id.in_([payment.id for payment in chunk]))
    stored = {row.id: row for row in await connection.execute(query)}
    rows = []
    for payment in chunk:
        values = _values(payment)
        row = stored.get(payment.id)
        if row is not None:
            values["total_received"] = min(row.total_received + payment.total_received, _U64_MAX)
            values["packets"] = row.packets + payment.packets
            values["first_packet_at"] = min(row.first_packet_at, payment.first_packet_at)
            values["last_packet_at"] = max(row.last_packet_at, payment.last_packet_at)
        rows.append(values)
    statement = sqlite_insert(table).values(rows)
    excluded = statement.excluded
    await connection.execute(
        statement.on_conflict_do_update(
            index_elements=[table.c.id],
            set_={
                name: excluded[name]
                for name in ("total_received", "packets", "first_packet_at", "last_packet_at")
            },
        )
    )


def _values(payment: ReceivedPayment) -> dict[str, Any]:
    return {
        "id": payment.id,
        "wallet_address_id": payment.wallet_address_id,
        "asset_code": payment.asset_code,
        "asset_scale": payment.asset_scale,
        "total_received": payment.total_received,
        "packets": payment.packets,
        "first_packet_at": payment.first_packet_at,
        "last_packet_at": payment.last_packet_at,
    }


def _received_payment(row: Row[Any]) -> ReceivedPayment:
    return ReceivedPayment(
        id=row.id,
        wallet_address_id=row.wallet_address_id,
        asset_code=row.asset_code,
        asset_scale=row.asset_scale,
        total_received=row.total_received,
        packets=row.packets,
        first_packet_at=row.first_packet_at,
        last_packet_at=row.last_packet_at,
    )
