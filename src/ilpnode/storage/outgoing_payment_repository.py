"""Outgoing payments in SQL: the `OutgoingPaymentStore` port (SQLAlchemy Core).

Write transactions are the other repositories' (the process's SQLite writer lock and `BEGIN
IMMEDIATE` on SQLite, READ COMMITTED on PostgreSQL); reads use a plain transaction. Ownership
is in the WHERE clause of every write (`owner = :me`), and a claim is one conditional UPDATE per
row (the lease still expired, the state still unfinished), so two processes racing for a
payment cannot both get it: the database decides, row by row. Paging is the keyset paging of
the other lists, on `(created_at, id)`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Row, and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from ilpnode.services.outgoing_payments import (
    ACTIVE_STATES,
    OutgoingPayment,
    OutgoingPaymentState,
    SendingFee,
)
from ilpnode.services.peering import Page, PageRequest
from ilpnode.storage.database import Database
from ilpnode.storage.keyset_paging import keyset_page
from ilpnode.storage.schema.payments import outgoing_payments

__all__ = ["SqlOutgoingPaymentStore"]

_table = outgoing_payments
_UNFINISHED = [state.value for state in ACTIVE_STATES]


class SqlOutgoingPaymentStore:
    """The `OutgoingPaymentStore` port over the node's database."""

    def __init__(self, database: Database) -> None:
        self._database = database

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[AsyncConnection]:
        async with self._database.write_transaction() as connection:
            yield connection

    @asynccontextmanager
    async def _reading(self) -> AsyncIterator[AsyncConnection]:
        async with self._database.engine.connect() as connection, connection.begin():
            yield connection

    async def insert(self, payment: OutgoingPayment, *, owner: str, lease_until: datetime) -> bool:
        """Store a new payment owned by `owner`; False if its id exists already."""
        values = {**_changing(payment), **_fixed(payment), "owner": owner}
        values["lease_until"] = lease_until
        try:
            async with self._writing() as connection:
                await connection.execute(insert(_table).values(values))
        except IntegrityError:
            if await self.get(payment.id) is not None:
                return False
            raise  # another constraint: a bug (the service checked the source first)
        return True

    async def get(self, payment_id: UUID) -> OutgoingPayment | None:
        async with self._reading() as connection:
            row = (
                await connection.execute(select(_table).where(_table.c.id == payment_id))
            ).first()
        return None if row is None else _payment(row)

    async def page(
        self, request: PageRequest, *, wallet_address_id: UUID | None = None
    ) -> Page[OutgoingPayment]:
        visible: ColumnElement[bool] | None = None
        if wallet_address_id is not None:
            visible = _table.c.wallet_address_id == wallet_address_id
        async with self._reading() as connection:
            page = await keyset_page(connection, _table, request, visible)
        return page.map(_payment)

    async def write(
        self, payment: OutgoingPayment, *, owner: str, lease_until: datetime | None
    ) -> bool:
        statement = (
            update(_table)
            .where(_table.c.id == payment.id, _table.c.owner == owner)
            .values(**_changing(payment), lease_until=lease_until)
        )
        async with self._writing() as connection:
            result = await connection.execute(statement)
        return bool(result.rowcount)

    async def claim_stale(
        self, *, owner: str, now: datetime, lease_until: datetime, every_unfinished: bool
    ) -> list[OutgoingPayment]:
        stale: ColumnElement[bool] = _table.c.state.in_(_UNFINISHED)
        if not every_unfinished:
            stale = and_(stale, or_(_table.c.lease_until.is_(None), _table.c.lease_until < now))
        async with self._reading() as connection:
            ids = [row.id for row in await connection.execute(select(_table.c.id).where(stale))]
        claimed: list[OutgoingPayment] = []
        for id_ in ids:
            statement = (
                update(_table)
                .where(_table.c.id == id_, stale)
                .values(owner=owner, lease_until=lease_until)
            )
            async with self._writing() as connection:
                taken = (await connection.execute(statement)).rowcount
            if taken:
                payment = await self.get(id_)
                if payment is not None:
                    claimed.append(payment)
        return claimed


def _fixed(payment: OutgoingPayment) -> dict[str, Any]:
    """The columns set once, at creation."""
    return {
        "id": payment.id,
        "wallet_address_id": payment.wallet_address_id,
        "asset_id": payment.asset_id,
        "asset_code": payment.asset_code,
        "asset_scale": payment.asset_scale,
        "ledger": payment.ledger,
        "receiver": payment.receiver,
        "requested_debit": payment.requested_debit,
        "requested_receive": payment.requested_receive,
        "fee_fixed": payment.fee_rate.fixed,
        "fee_basis_points": payment.fee_rate.basis_points,
        "created_at": payment.created_at,
    }


def _changing(payment: OutgoingPayment) -> dict[str, Any]:
    """The columns a run writes as it goes."""
    return {
        "destination_account": payment.destination_account,
        "state": payment.state.value,
        "error": payment.error,
        "send_target": payment.send_target,
        "max_debit": payment.max_debit,
        "sent": payment.sent,
        "delivered": payment.delivered,
        "packets": payment.packets,
        "receive_asset_code": payment.receive_asset_code,
        "receive_asset_scale": payment.receive_asset_scale,
        "estimated_receive": payment.estimated_receive,
        "fee": payment.fee,
        "updated_at": payment.updated_at,
    }


def _payment(row: Row[Any]) -> OutgoingPayment:
    return OutgoingPayment(
        id=row.id,
        wallet_address_id=row.wallet_address_id,
        asset_id=row.asset_id,
        asset_code=row.asset_code,
        asset_scale=row.asset_scale,
        ledger=row.ledger,
        receiver=row.receiver,
        state=OutgoingPaymentState(row.state),
        created_at=row.created_at,
        updated_at=row.updated_at,
        requested_debit=row.requested_debit,
        requested_receive=row.requested_receive,
        fee_rate=SendingFee(fixed=row.fee_fixed, basis_points=row.fee_basis_points),
        destination_account=row.destination_account,
        error=row.error,
        send_target=row.send_target,
        max_debit=row.max_debit,
        sent=row.sent,
        delivered=row.delivered,
        packets=row.packets,
        receive_asset_code=row.receive_asset_code,
        receive_asset_scale=row.receive_asset_scale,
        estimated_receive=row.estimated_receive,
        fee=row.fee,
    )
