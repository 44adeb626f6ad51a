"""Input validation (rafiki-peering §3.2) and pagination (§2.4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from ilpnode.services.peering import PageRequest, PaginationError, SortOrder, page_request, paginate
from ilpnode.services.peering.validation import (
    is_valid_asset_code,
    is_valid_http_endpoint,
    is_valid_route,
    parse_uuid,
)


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("http://peer:3002", True),
        ("  https://a.b.example/x/y?z=1  ", True),
        ("http://[::1]:80/", True),
        ("http://.com", False),
        ("http://a..b", False),
        ("http://a.", False),
        ("peer-backend:3002", False),
        ("ftp://a.b", False),
        ("http://", False),
        ("http://a:notaport", False),
        ("", False),
    ],
)
def test_http_endpoints(url: str, ok: bool) -> None:
    assert is_valid_http_endpoint(url) is ok


def test_codes_routes_and_uuids() -> None:
    assert is_valid_asset_code("USD")
    assert is_valid_asset_code("X" * 64)
    assert not is_valid_asset_code("usd")
    assert not is_valid_asset_code(3)
    assert is_valid_route("g")
    assert is_valid_route("g.a-b_c~d")
    assert not is_valid_route("")
    assert not is_valid_route("g.")
    assert not is_valid_route("g a")
    value = uuid4()
    assert parse_uuid(value) == value
    assert parse_uuid(str(value)) == value
    assert parse_uuid("nope") is None
    assert parse_uuid(7) is None


def test_page_request_validation() -> None:
    assert page_request(first=101) is PaginationError.PaginationIndexError
    assert page_request(first=-1) is PaginationError.PaginationIndexError
    assert page_request(last=5) is PaginationError.BackwardsFromStart
    assert PaginationError.BackwardsFromStart.message == "Can't paginate backwards from the start."
    default = page_request(first=0)
    assert isinstance(default, PageRequest)
    assert default.limit == 20
    assert default.sort_order is SortOrder.DESC
    assert not default.backward


@dataclass(frozen=True)
class Row:
    id: UUID
    created_at: datetime


def test_paginate_forward_backward_and_unknown_cursor() -> None:
    t0 = datetime(2027, 1, 1, tzinfo=UTC)
    rows = [Row(uuid4(), t0 + timedelta(seconds=i)) for i in range(5)]

    def ask(**kwargs: object) -> PageRequest:
        request = page_request(**kwargs)  # type: ignore[arg-type]
        assert isinstance(request, PageRequest)
        return request

    asc = paginate(rows, ask(first=2, sort_order=SortOrder.ASC))
    assert asc.items == (rows[0], rows[1])
    assert asc.has_next_page
    assert not asc.has_previous_page
    after = paginate(rows, ask(after=rows[1].id, first=10, sort_order=SortOrder.ASC))
    assert after.items == tuple(rows[2:])
    assert not after.has_next_page
    assert after.has_previous_page
    before = paginate(rows, ask(before=rows[4].id, last=2, sort_order=SortOrder.ASC))
    assert before.items == (rows[2], rows[3])
    assert before.has_next_page
    assert before.has_previous_page
    desc = paginate(rows, ask(after=rows[3].id))
    assert desc.items == (rows[2], rows[1], rows[0])
    empty = paginate(rows, ask(after=uuid4()))
    assert empty.items == ()
    assert not empty.has_next_page
    assert not empty.has_previous_page
    assert paginate(rows, ask(after=rows[0].id)).items == ()
