"""Keyset paging on `(created_at, id)`: Relay pages of any table with those two columns (or
another timestamp column in `created_at`'s place: `time_column`).

The rules are `services.peering.pagination.paginate`'s (the reference): look up the cursor's key
(an unknown cursor, or one hidden by `visible`, gives an empty page), read up to `limit + 1` rows
beyond it in the reading direction (the sort order, reversed for `before`), and use the extra row
to tell whether more follow. UUIDs order alike in both databases and in Python (SQLite: 32
lowercase hex digits; PostgreSQL: bytewise).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Row, Table, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from ilpnode.services.peering import Page, PageRequest, SortOrder

__all__ = ["keyset_page"]


async def keyset_page(
    connection: AsyncConnection,
    table: Table,
    request: PageRequest,
    visible: ColumnElement[bool] | None,
    *,
    time_column: str = "created_at",
) -> Page[Row[Any]]:
    """One page of `table`'s rows for which `visible` holds (None: every row), in the order of
    `(time_column, id)`."""
    created_at, id_ = table.c[time_column], table.c.id
    conditions = [] if visible is None else [visible]
    cursor: Row[Any, Any] | None = None
    if request.cursor is not None:
        find = select(created_at.label("created_at"), id_).where(id_ == request.cursor, *conditions)
        cursor = (await connection.execute(find)).first()
        if cursor is None:
            return Page(items=(), has_next_page=False, has_previous_page=False)
    ascending = (request.sort_order is SortOrder.ASC) != request.backward
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
        conditions.append(beyond)
    order = (created_at.asc(), id_.asc()) if ascending else (created_at.desc(), id_.desc())
    query = select(table).where(*conditions).order_by(*order).limit(request.limit + 1)
    rows = list((await connection.execute(query)).all())
    more = len(rows) > request.limit
    rows = rows[: request.limit]
    if not rows:
        return Page(items=(), has_next_page=False, has_previous_page=False)
    if request.backward:
        rows.reverse()
        return Page(items=tuple(rows), has_next_page=cursor is not None, has_previous_page=more)
    return Page(items=tuple(rows), has_next_page=more, has_previous_page=cursor is not None)
