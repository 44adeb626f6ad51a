"""The liquidity webhooks in SQL: the `WebhookStore` port (SQLAlchemy Core, SQLite and PostgreSQL).

Theory of operation
===================

- **Settling** (`settle`) is one write transaction for a batch of observations (on SQLite
  `BEGIN IMMEDIATE`, as `peering_repository`). Per observation: an arming one first tries to
  insert the account's state (`ON CONFLICT DO NOTHING`: a new account starts at the state of
  its balance, no event); then the stored row is read with `FOR UPDATE` (PostgreSQL: held to
  the end of the transaction, so another process settling the same account waits and then
  reads what this one wrote). Stored thresholds other than the observation's: an arming
  observation replaces state and thresholds, silently; any other is skipped (its thresholds
  are stale). Same thresholds and another state: the state is changed by an UPDATE that names
  the old state, and a change into LOW or HIGH inserts its event in the same transaction. So a
  crossing seen by several processes is recorded once, and an event exists exactly when its
  state change was committed.
- **Claiming** (`claim_due`). PostgreSQL: a transaction selects the oldest due row `FOR UPDATE
  SKIP LOCKED` and keeps it locked while the caller POSTs and records the attempt; other
  processes skip it, so one attempt is never made twice at once, and a process that dies
  mid-attempt leaves the row as it was (attempted again later). SQLite belongs to one process,
  whose one delivery worker claims: the row is read without a lock and the attempt recorded in
  a short write transaction (a write lock held across an HTTP request would stall the admin).
- **Paging** (`events_page`) is keyset paging on `(created_at, id)`, the rules of
  `services.peering.pagination.paginate`. Events of one transaction get increasing
  `created_at` (a microsecond apart) so that their order is the order they were recorded in.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Collection, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import (
    ColumnElement,
    Row,
    and_,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from ilpnode.services.peering import Page, PageRequest, SortOrder
from ilpnode.services.webhooks import (
    AccountKind,
    AlertState,
    AssetRef,
    Observation,
    Settled,
    WatchedAccount,
    WebhookEvent,
    event_data,
    event_type_for,
)
from ilpnode.storage.database import Database
from ilpnode.storage.schema.peering import assets, peers
from ilpnode.storage.schema.webhooks import liquidity_alerts, webhook_events

__all__ = ["SqlWebhookStore"]

_ALERTS = liquidity_alerts.c
_EVENTS = webhook_events.c


class SqlWebhookStore:
    """The `WebhookStore` port over the node's database (see the module docstring)."""

    def __init__(self, database: Database) -> None:
        self._database = database

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[AsyncConnection]:
        async with self._database.write_transaction() as connection:
            yield connection

    # -- watched accounts and alert states ------------------------------------------------------

    async def watched_accounts(self, ids: Collection[UUID] | None = None) -> list[WatchedAccount]:
        peer_query = (
            select(peers.c.id, peers.c.liquidity_threshold, peers.c.liquidity_high_threshold)
            .add_columns(assets.c.id.label("asset_id"), assets.c.code, assets.c.scale)
            .join(assets, assets.c.id == peers.c.asset_id)
            .where(
                or_(
                    peers.c.liquidity_threshold.is_not(None),
                    peers.c.liquidity_high_threshold.is_not(None),
                )
            )
        )
        asset_query = select(assets).where(
            assets.c.deleted_at.is_(None),
            or_(
                assets.c.liquidity_threshold.is_not(None),
                assets.c.liquidity_high_threshold.is_not(None),
            ),
        )
        if ids is not None:
            wanted = list(ids)
            if not wanted:
                return []
            peer_query = peer_query.where(peers.c.id.in_(wanted))
            asset_query = asset_query.where(assets.c.id.in_(wanted))
        async with self._database.engine.connect() as connection:
            peer_rows = (await connection.execute(peer_query)).all()
            asset_rows = (await connection.execute(asset_query)).all()
        watched = [
            WatchedAccount(
                id=row.id,
                kind=AccountKind.PEER,
                asset=AssetRef(id=row.asset_id, code=row.code, scale=row.scale),
                low=row.liquidity_threshold,
                high=row.liquidity_high_threshold,
            )
            for row in peer_rows
        ]
        watched += [
            WatchedAccount(
                id=row.id,
                kind=AccountKind.ASSET,
                asset=AssetRef(id=row.id, code=row.code, scale=row.scale),
                low=row.liquidity_threshold,
                high=row.liquidity_high_threshold,
            )
            for row in asset_rows
        ]
        return watched

    async def alert_ids(self) -> set[UUID]:
        async with self._database.engine.connect() as connection:
            return set((await connection.execute(select(_ALERTS.account_id))).scalars())

    async def forget(self, ids: Collection[UUID]) -> None:
        if not ids:
            return
        async with self._write() as connection:
            await connection.execute(
                delete(liquidity_alerts).where(_ALERTS.account_id.in_(list(ids)))
            )

    async def settle(self, observations: Sequence[Observation], *, now: datetime) -> list[Settled]:
        results: list[Settled] = []
        if not observations:
            return results
        async with self._write() as connection:
            for observation in observations:
                results.append(await _settle_one(connection, observation, now))
                now += timedelta(microseconds=1)
        return results

    # -- delivery -----------------------------------------------------------------------------

    @asynccontextmanager
    async def claim_due(self, *, now: datetime, max_attempts: int) -> AsyncIterator[_Claim | None]:
        query = (
            select(webhook_events)
            .where(_EVENTS.process_at <= now, _EVENTS.attempts < max_attempts)
            .order_by(_EVENTS.process_at, _EVENTS.created_at, _EVENTS.id)
            .limit(1)
        )
        if self._database.is_sqlite:
            async with self._database.engine.connect() as connection:
                row = (await connection.execute(query)).first()
            yield None if row is None else _Claim(self, None, row)
            return
        async with self._database.engine.connect() as connection, connection.begin():
            row = (await connection.execute(query.with_for_update(skip_locked=True))).first()
            yield None if row is None else _Claim(self, connection, row)

    async def next_due_at(self, *, max_attempts: int) -> datetime | None:
        query = select(func.min(_EVENTS.process_at)).where(
            _EVENTS.process_at.is_not(None), _EVENTS.attempts < max_attempts
        )
        async with self._database.engine.connect() as connection:
            due: datetime | None = (await connection.execute(query)).scalar_one()
        return due

    async def record_attempt(
        self,
        connection: AsyncConnection | None,
        event_id: UUID,
        *,
        status_code: int | None,
        retry_at: datetime | None,
    ) -> None:
        """Count an attempt of a claimed event (on the claim's connection, or a write
        transaction of its own)."""
        statement = (
            update(webhook_events)
            .where(_EVENTS.id == event_id)
            .values(attempts=_EVENTS.attempts + 1, status_code=status_code, process_at=retry_at)
        )
        if connection is not None:
            await connection.execute(statement)
            return
        async with self._write() as writer:
            await writer.execute(statement)

    # -- listing ------------------------------------------------------------------------------

    async def events_page(
        self,
        request: PageRequest,
        *,
        types_in: Collection[str] = (),
        types_not_in: Collection[str] = (),
    ) -> Page[WebhookEvent]:
        conditions: list[ColumnElement[bool]] = []
        if types_in:
            conditions.append(_EVENTS.type.in_(list(types_in)))
        if types_not_in:
            conditions.append(_EVENTS.type.not_in(list(types_not_in)))
        async with self._database.engine.connect() as connection:
            page = await _keyset_page(connection, request, conditions)
        return page.map(_event)


class _Claim:
    """A claimed event (the `Claim` port)."""

    def __init__(
        self, store: SqlWebhookStore, connection: AsyncConnection | None, row: Row[Any]
    ) -> None:
        self._store = store
        self._connection = connection
        self.event = _event(row)
        self.attempts: int = row.attempts

    async def record(self, *, status_code: int | None, retry_at: datetime | None) -> None:
        await self._store.record_attempt(
            self._connection, self.event.id, status_code=status_code, retry_at=retry_at
        )


async def _settle_one(
    connection: AsyncConnection, observation: Observation, now: datetime
) -> Settled:
    account = observation.account
    low, high = account.thresholds
    state = account.state_of(observation.balance)
    if observation.arm:
        inserted = await connection.execute(
            _insert_ignoring_conflict(connection).values(
                account_id=account.id,
                state=state.value,
                liquidity_threshold=low,
                liquidity_high_threshold=high,
                updated_at=now,
            )
        )
        if inserted.rowcount == 1:
            return Settled(account_id=account.id, state=state)
    row = (
        await connection.execute(
            select(liquidity_alerts).where(_ALERTS.account_id == account.id).with_for_update()
        )
    ).first()
    if row is None:
        return Settled(account_id=account.id, state=None)
    stored = AlertState(row.state)
    if (row.liquidity_threshold, row.liquidity_high_threshold) != (low, high):
        if not observation.arm:
            return Settled(account_id=account.id, state=None)
        await connection.execute(
            update(liquidity_alerts)
            .where(_ALERTS.account_id == account.id)
            .values(
                state=state.value,
                liquidity_threshold=low,
                liquidity_high_threshold=high,
                updated_at=now,
            )
        )
        return Settled(account_id=account.id, state=state)
    if stored is state:
        return Settled(account_id=account.id, state=state)
    changed = await connection.execute(
        update(liquidity_alerts)
        .where(
            _ALERTS.account_id == account.id,
            _ALERTS.state == stored.value,
            _ALERTS.liquidity_threshold.is_not_distinct_from(low),
            _ALERTS.liquidity_high_threshold.is_not_distinct_from(high),
        )
        .values(state=state.value, updated_at=now)
    )
    if changed.rowcount != 1:  # the row is locked: only a bug gets here
        raise AssertionError(f"the alert state of {account.id} changed under its lock")
    event_type = event_type_for(account, state)
    if event_type is None:
        return Settled(account_id=account.id, state=state)
    event = WebhookEvent(
        id=uuid4(),
        type=event_type.value,
        data=event_data(account, event_type, observation.balance),
        created_at=now,
    )
    await connection.execute(
        insert(webhook_events).values(
            id=event.id,
            type=event.type,
            data=json.dumps(event.data),
            created_at=now,
            account_id=account.id,
            attempts=0,
            process_at=now,
        )
    )
    return Settled(account_id=account.id, state=state, event=event)


def _insert_ignoring_conflict(connection: AsyncConnection) -> Any:
    if connection.dialect.name == "postgresql":
        return postgresql.insert(liquidity_alerts).on_conflict_do_nothing()
    return sqlite.insert(liquidity_alerts).on_conflict_do_nothing()


def _event(row: Row[Any]) -> WebhookEvent:
    return WebhookEvent(
        id=row.id, type=row.type, data=json.loads(row.data), created_at=row.created_at
    )


async def _keyset_page(
    connection: AsyncConnection, request: PageRequest, conditions: list[ColumnElement[bool]]
) -> Page[Row[Any]]:
    """One page of events meeting `conditions` (the rules of `pagination.paginate`)."""
    created_at, id_ = _EVENTS.created_at, _EVENTS.id
    cursor: Row[Any, Any] | None = None
    if request.cursor is not None:
        # The cursor need not pass the filter (as Rafiki's subquery): it only marks a place.
        find = select(created_at, id_).where(id_ == request.cursor)
        cursor = (await connection.execute(find)).first()
        if cursor is None:
            return Page(items=(), has_next_page=False, has_previous_page=False)
    ascending = (request.sort_order is SortOrder.ASC) != request.backward
    where = list(conditions)
    if cursor is not None:
        if ascending:
            beyond = or_(
                created_at > cursor.created_at,
                and_(created_at == cursor.created_at, id_ > cursor.id),
            )
        else:
            beyond = or_(
                created_at < cursor.created_at,
                and_(created_at == cursor.created_at, id_ < cursor.id),
            )
        where.append(beyond)
    order = (created_at.asc(), id_.asc()) if ascending else (created_at.desc(), id_.desc())
    query = select(webhook_events).where(*where).order_by(*order).limit(request.limit + 1)
    rows = list((await connection.execute(query)).all())
    more = len(rows) > request.limit
    rows = rows[: request.limit]
    if not rows:
        return Page(items=(), has_next_page=False, has_previous_page=False)
    if request.backward:
        rows.reverse()
        return Page(items=tuple(rows), has_next_page=cursor is not None, has_previous_page=more)
    return Page(items=tuple(rows), has_next_page=more, has_previous_page=cursor is not None)
