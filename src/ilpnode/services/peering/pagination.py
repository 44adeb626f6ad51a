"""Relay-style pagination (rafiki-peering §2.4): request validation, result, in-memory paging.

Order is by `(created_at, id)` in `sort_order` (default DESC). `after` returns the rows strictly
beyond the cursor's `(created_at, id)` in that order, at most `first`; `before` the rows strictly
before it, at most `last` (closest to the cursor, returned in the sort order). `before` wins if
both are given (as Rafiki). An unknown cursor gives an empty page (Rafiki's subquery is NULL).

Validation errors are values. Rafiki throws them as INTERNAL_SERVER_ERROR; we give them
BAD_USER_INPUT, since they are the caller's mistake.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Generic, Protocol, TypeVar
from uuid import UUID

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "Page",
    "PageRequest",
    "PaginationError",
    "SortOrder",
    "page_request",
    "paginate",
]

DEFAULT_PAGE_SIZE: Final = 20  # Rafiki's default for a missing or 0 first/last
MAX_PAGE_SIZE: Final = 100  # Rafiki's limit


class SortOrder(enum.Enum):
    ASC = "ASC"
    DESC = "DESC"


class PaginationError(enum.Enum):
    """Rafiki's pagination errors (message = value)."""

    PaginationIndexError = "Pagination index error"
    BackwardsFromStart = "Can't paginate backwards from the start."

    @property
    def code(self) -> str:
        """The GraphQL `extensions.code` (see the module docstring)."""
        return "BAD_USER_INPUT"

    @property
    def message(self) -> str:
        return self.value


@dataclass(frozen=True, slots=True, kw_only=True)
class PageRequest:
    """A validated request: `cursor` is `after` (forward) or `before` (backward), or None."""

    cursor: UUID | None
    backward: bool
    limit: int
    sort_order: SortOrder


def page_request(
    *,
    after: UUID | None = None,
    before: UUID | None = None,
    first: int | None = None,
    last: int | None = None,
    sort_order: SortOrder = SortOrder.DESC,
) -> PageRequest | PaginationError:
    """Validate Relay arguments.

    Returns:
        A `PageRequest`, or PaginationIndexError (`first`/`last` outside 0..100),
        BackwardsFromStart (`last` without `before`). 0 or None means 20.
    """
    for size in (first, last):
        if size is not None and not 0 <= size <= MAX_PAGE_SIZE:
            return PaginationError.PaginationIndexError
    if last is not None and before is None:
        return PaginationError.BackwardsFromStart
    if before is not None:
        return PageRequest(
            cursor=before, backward=True, limit=last or DEFAULT_PAGE_SIZE, sort_order=sort_order
        )
    return PageRequest(
        cursor=after, backward=False, limit=first or DEFAULT_PAGE_SIZE, sort_order=sort_order
    )


class _Row(Protocol):
    @property
    def id(self) -> UUID: ...
    @property
    def created_at(self) -> datetime: ...


R = TypeVar("R", bound=_Row)
T = TypeVar("T")
U = TypeVar("U")


@dataclass(frozen=True, slots=True, kw_only=True)
class Page(Generic[T]):
    """One page, in the requested sort order, with Relay's `hasNextPage`/`hasPreviousPage`."""

    items: tuple[T, ...]
    has_next_page: bool
    has_previous_page: bool

    def map(self, function: Callable[[T], U]) -> Page[U]:
        """The same page with every item transformed."""
        return Page(
            items=tuple(function(item) for item in self.items),
            has_next_page=self.has_next_page,
            has_previous_page=self.has_previous_page,
        )


def paginate(rows: Sequence[R], request: PageRequest) -> Page[R]:
    """Page over rows held in memory (any order); what the SQL repository does with queries."""
    ordered = sorted(rows, key=lambda row: (row.created_at, row.id))
    if request.sort_order is SortOrder.DESC:
        ordered.reverse()
    start, stop = 0, len(ordered)
    if request.cursor is not None:
        index = next((i for i, row in enumerate(ordered) if row.id == request.cursor), None)
        if index is None:
            return Page(items=(), has_next_page=False, has_previous_page=False)
        if request.backward:
            stop = index
        else:
            start = index + 1
    if request.backward:
        start = max(start, stop - request.limit)
    else:
        stop = min(stop, start + request.limit)
    items = tuple(ordered[start:stop])
    if not items:
        return Page(items=(), has_next_page=False, has_previous_page=False)
    return Page(items=items, has_next_page=stop < len(ordered), has_previous_page=start > 0)
