"""Field resolvers of the object types (`Asset`, `Peer`, connections) and the shared helpers
that turn domain values and arguments into GraphQL shapes and back."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

from ariadne import InterfaceType, ObjectType

from ilpnode.admin.graphql.context import Info, context_of
from ilpnode.admin.graphql.errors import AdminApiError, raise_error
from ilpnode.services.fees import Fee
from ilpnode.services.outgoing_payments import OutgoingPayment
from ilpnode.services.payments import WalletAddress
from ilpnode.services.peering import (
    Asset,
    AssetError,
    Page,
    PageRequest,
    PaginationError,
    Peer,
    SortOrder,
    page_request,
)
from ilpnode.services.tenant import OperatorTenant
from ilpnode.services.webhooks import WebhookEvent

__all__ = ["OBJECT_TYPES", "connection", "iso_time", "page_request_of", "parse_cursor"]

asset_type = ObjectType("Asset")
peer_type = ObjectType("Peer")
model_type = InterfaceType("Model")


_MODEL_TYPES: dict[type, str] = {
    Asset: "Asset",
    Peer: "Peer",
    Fee: "Fee",
    OperatorTenant: "Tenant",
    WalletAddress: "WalletAddress",
    WebhookEvent: "WebhookEvent",
    OutgoingPayment: "OutgoingPayment",
}


@model_type.type_resolver
def _model_type(value: object, *_: Any) -> str:
    return _MODEL_TYPES[type(value)]


class _Node(Protocol):
    @property
    def id(self) -> UUID: ...


def iso_time(value: datetime) -> str:
    """JavaScript's `Date.toISOString()` form, as Rafiki answers: `2026-11-25T10:00:00.000Z`."""
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def connection(page: Page[Any]) -> dict[str, Any]:
    """A Relay connection: edges with the node id as cursor, and page info."""
    items = page.items
    return {
        "edges": [{"node": item, "cursor": str(_id_of(item))} for item in items],
        "page_info": {
            "start_cursor": str(_id_of(items[0])) if items else None,
            "end_cursor": str(_id_of(items[-1])) if items else None,
            "has_next_page": page.has_next_page,
            "has_previous_page": page.has_previous_page,
        },
    }


def _id_of(node: _Node) -> UUID:
    return node.id


def page_request_of(arguments: dict[str, Any]) -> PageRequest:
    """The page Relay arguments ask for (`after`, `before`, `first`, `last`, `sortOrder`, with
    snake_case keys); raises the `AdminApiError` for invalid ones."""
    request = page_request(
        after=parse_cursor(arguments.get("after")),
        before=parse_cursor(arguments.get("before")),
        first=arguments.get("first"),
        last=arguments.get("last"),
        sort_order=arguments.get("sort_order") or SortOrder.DESC,
    )
    if isinstance(request, PaginationError):
        raise_error(request)
    return request


@asset_type.field("createdAt")
@peer_type.field("createdAt")
def _created_at(value: Asset | Peer, _info: Info) -> str:
    return iso_time(value.created_at)


@asset_type.field("tenant")
@peer_type.field("tenant")
async def _tenant_field(_value: object, info: Info) -> OperatorTenant:
    return await context_of(info).services.tenant.operator()


@asset_type.field("liquidity")
async def _asset_liquidity(asset: Asset, info: Info) -> int | None:
    return await context_of(info).services.assets.liquidity(asset)


@peer_type.field("liquidity")
async def _peer_liquidity(peer: Peer, info: Info) -> int | None:
    return await context_of(info).services.peers.liquidity(peer)


@peer_type.field("http")
def _peer_http(peer: Peer, _info: Info) -> dict[str, Any]:
    outgoing = peer.http_outgoing
    return {"outgoing": {"auth_token": outgoing.auth_token, "endpoint": outgoing.endpoint}}


@peer_type.field("routes")
def _peer_routes(peer: Peer, _info: Info) -> list[str]:
    return list(peer.routes)


@peer_type.field("asset")
async def _peer_asset(peer: Peer, info: Info) -> Asset:
    context = context_of(info)
    cached = context.assets_seen.get(peer.asset_id)
    if cached is not None:
        return cached
    asset = await context.services.assets.get(peer.asset_id)
    if isinstance(asset, AssetError):
        raise_error(asset)  # a peer's asset cannot be deleted: only a bug gets here
    context.assets_seen[peer.asset_id] = asset
    return asset


def parse_cursor(value: str | None) -> UUID | None:
    """A cursor (a node id), or None; a malformed one is the caller's mistake."""
    if value is None:
        return None
    try:
        return UUID(value)
    except ValueError:
        raise AdminApiError(f"invalid cursor: {value!r}", "BAD_USER_INPUT") from None


OBJECT_TYPES = [asset_type, peer_type, model_type]
