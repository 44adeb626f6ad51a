"""View models: what a page shows about peers, assets and traffic, computed from the services.

A page of peers reads each distinct asset once and each peer's liquidity once (one in-memory
ledger lookup each with the embedded ledger).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final, Literal
from uuid import UUID

from ilpnode.dashboard.peer_check import CheckResult
from ilpnode.dashboard.services import DashboardServices
from ilpnode.services.fees import Fee
from ilpnode.services.outgoing_payments import OutgoingPayment
from ilpnode.services.payments import ReceivedPayment, WalletAddress
from ilpnode.services.peering import (
    Asset,
    AssetError,
    Page,
    PageRequest,
    Peer,
    SortOrder,
    page_request,
)
from ilpnode.services.traffic import PeerTraffic

__all__ = [
    "PAGE_SIZE",
    "TRAFFIC_ROWS_MAX",
    "Meter",
    "Pager",
    "PeerRow",
    "TrafficRow",
    "assets_by_id",
    "first_page",
    "page_from_query",
    "pager",
    "peer_rows",
    "traffic_rows",
]

PAGE_SIZE: Final = 20  # rows per page of peers or assets (Rafiki's default page)
TRAFFIC_ROWS_MAX: Final = 50  # the busiest peers on the overview; the totals count them all

Level = Literal["ok", "low", "empty", "unknown"]


@dataclass(frozen=True, slots=True)
class Meter:
    """An HTML `<meter>`: liquidity against its threshold (low) and twice it (high)."""

    value: int
    maximum: int
    low: int
    high: int


@dataclass(frozen=True, slots=True)
class PeerRow:
    peer: Peer
    asset: Asset
    liquidity: int | None
    level: Level
    meter: Meter | None
    check: CheckResult | None


@dataclass(frozen=True, slots=True)
class Pager:
    """Links to the previous and next pages (cursors are the first and last row ids)."""

    previous: str | None
    next: str | None


@dataclass(frozen=True, slots=True)
class TrafficRow:
    label: str
    peer_id: UUID
    asset_code: str
    asset_scale: int
    fulfilled: int
    rejected: int
    amount_fulfilled: int
    amount_rejected: int
    top_codes: str
    recent_fulfilled: int = 0
    recent_rejected: int = 0
    recent_amount_fulfilled: int = 0


def page_from_query(query: Mapping[str, str]) -> PageRequest:
    """The page a list was asked for (`?after=ID` or `?before=ID`); a bad cursor is page 1."""
    for name in ("before", "after"):
        try:
            cursor = UUID(query.get(name, ""))
        except ValueError:
            continue
        if name == "before":
            request = page_request(before=cursor, last=PAGE_SIZE, sort_order=SortOrder.DESC)
        else:
            request = page_request(after=cursor, first=PAGE_SIZE, sort_order=SortOrder.DESC)
        if isinstance(request, PageRequest):
            return request
    return first_page(PAGE_SIZE, SortOrder.DESC)


def first_page(size: int, order: SortOrder) -> PageRequest:
    """The first `size` (1..100) rows in `order`."""
    request = page_request(first=size, sort_order=order)
    if not isinstance(request, PageRequest):  # a size in range is always valid
        raise AssertionError(request)
    return request


def pager(
    page: Page[Peer]
    | Page[Asset]
    | Page[Fee]
    | Page[WalletAddress]
    | Page[ReceivedPayment]
    | Page[OutgoingPayment],
    path: str,
    *,
    anchor: str = "",
) -> Pager:
    """Links to the pages before and after `page` of the list at `path` (`anchor`: a
    `#fragment` to scroll to, for a list that is one section of its page)."""
    items = page.items
    return Pager(
        previous=f"{path}?before={items[0].id}{anchor}"
        if items and page.has_previous_page
        else None,
        next=f"{path}?after={items[-1].id}{anchor}" if items and page.has_next_page else None,
    )


async def assets_by_id(services: DashboardServices, ids: Iterable[UUID]) -> dict[UUID, Asset]:
    """Each distinct asset once (a peer's asset always exists: it cannot be deleted)."""
    found: dict[UUID, Asset] = {}
    for asset_id in ids:
        if asset_id not in found:
            asset = await services.assets.get(asset_id)
            if not isinstance(asset, AssetError):
                found[asset_id] = asset
    return found


async def peer_rows(services: DashboardServices, peers: Sequence[Peer]) -> list[PeerRow]:
    """The rows of a page of peers: asset, liquidity, its level, the last check."""
    assets = await assets_by_id(services, (peer.asset_id for peer in peers))
    rows = []
    for peer in peers:
        asset = assets.get(peer.asset_id)
        if asset is None:
            continue  # only a bug gets here (see `assets_by_id`)
        liquidity = await services.peers.liquidity(peer)
        rows.append(
            PeerRow(
                peer=peer,
                asset=asset,
                liquidity=liquidity,
                level=level_of(liquidity, peer.liquidity_threshold),
                meter=meter_of(liquidity, peer.liquidity_threshold),
                check=services.checker.last(peer.id),
            )
        )
    return rows


def level_of(liquidity: int | None, threshold: int | None) -> Level:
    if liquidity is None:
        return "unknown"
    if threshold is not None and liquidity < threshold:
        return "low"
    return "empty" if liquidity == 0 else "ok"


def meter_of(liquidity: int | None, threshold: int | None) -> Meter | None:
    """The bar: full at four times the threshold (or the liquidity, if more); None without a
    threshold or a liquidity."""
    if liquidity is None or not threshold:
        return None
    return Meter(
        value=liquidity, maximum=max(liquidity, 4 * threshold), low=threshold, high=2 * threshold
    )


def traffic_rows(traffic: Sequence[PeerTraffic]) -> tuple[list[TrafficRow], list[TrafficRow]]:
    """(the busiest peers, one total row per asset) since the node started, each also with
    the last minutes (`TrafficService.recent_minutes`)."""
    rows = []
    for item in traffic:
        rejected = sum(item.rejected.values())
        codes = sorted(item.rejected.items(), key=lambda pair: (-pair[1], pair[0]))[:3]
        rows.append(
            TrafficRow(
                label=item.label,
                peer_id=item.peer_id,
                asset_code=item.asset_code,
                asset_scale=item.asset_scale,
                fulfilled=item.fulfilled,
                rejected=rejected,
                amount_fulfilled=item.amount_fulfilled,
                amount_rejected=item.amount_rejected,
                top_codes=", ".join(f"{code}: {count}" for code, count in codes),
                recent_fulfilled=item.recent_fulfilled,
                recent_rejected=item.recent_rejected,
                recent_amount_fulfilled=item.recent_amount_fulfilled,
            )
        )
    rows.sort(key=lambda row: (-(row.fulfilled + row.rejected), row.label))
    totals: dict[tuple[str, int], TrafficRow] = {}
    for row in rows:
        key = (row.asset_code, row.asset_scale)
        old = totals.get(key)
        totals[key] = TrafficRow(
            label=f"All {row.asset_code} peers",
            peer_id=row.peer_id,
            asset_code=row.asset_code,
            asset_scale=row.asset_scale,
            fulfilled=row.fulfilled + (old.fulfilled if old else 0),
            rejected=row.rejected + (old.rejected if old else 0),
            amount_fulfilled=row.amount_fulfilled + (old.amount_fulfilled if old else 0),
            amount_rejected=row.amount_rejected + (old.amount_rejected if old else 0),
            top_codes="",
            recent_fulfilled=row.recent_fulfilled + (old.recent_fulfilled if old else 0),
            recent_rejected=row.recent_rejected + (old.recent_rejected if old else 0),
            recent_amount_fulfilled=row.recent_amount_fulfilled
            + (old.recent_amount_fulfilled if old else 0),
        )
    return rows[:TRAFFIC_ROWS_MAX], [totals[key] for key in sorted(totals)]
