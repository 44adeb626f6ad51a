"""Query resolvers (rafiki-peering §2.7)."""

from __future__ import annotations

from typing import Any

from ariadne import QueryType

from ilpnode.admin.graphql.context import Info, context_of, is_other_tenant
from ilpnode.admin.graphql.errors import raise_error
from ilpnode.admin.graphql.objects import connection, page_request_of
from ilpnode.admin.graphql.wallet_addresses import bind_wallet_address_queries
from ilpnode.services.peering import Asset, AssetError, Page, Peer, PeerError

__all__ = ["query"]

query = QueryType()


def _other_tenant(info: Info, tenant_id: str | None) -> bool:
    return is_other_tenant(context_of(info).services, tenant_id)


_EMPTY: Page[Asset] = Page(items=(), has_next_page=False, has_previous_page=False)


@query.field("asset")
async def _asset(_root: None, info: Info, id: str) -> Asset:
    asset = await context_of(info).services.assets.get(id)
    if isinstance(asset, AssetError):
        raise_error(asset)
    return asset


@query.field("assets")
async def _assets(_root: None, info: Info, **arguments: Any) -> dict[str, Any]:
    request = page_request_of(arguments)
    if _other_tenant(info, arguments.get("tenant_id")):
        return connection(_EMPTY)
    return connection(await context_of(info).services.assets.page(request))


@query.field("assetByCodeAndScale")
async def _asset_by_code_and_scale(_root: None, info: Info, code: str, scale: int) -> Asset | None:
    return await context_of(info).services.assets.by_code_and_scale(code, scale)


@query.field("peer")
async def _peer(_root: None, info: Info, id: str) -> Peer:
    peer = await context_of(info).services.peers.get(id)
    if isinstance(peer, PeerError):
        raise_error(peer)
    return peer


@query.field("peers")
async def _peers(_root: None, info: Info, **arguments: Any) -> dict[str, Any]:
    request = page_request_of(arguments)
    if _other_tenant(info, arguments.get("tenant_id")):
        return connection(_EMPTY)
    return connection(await context_of(info).services.peers.page(request))


@query.field("peerByAddressAndAsset")
async def _peer_by_address_and_asset(
    _root: None, info: Info, static_ilp_address: str, asset_id: str
) -> Peer | None:
    peers = context_of(info).services.peers
    return await peers.peer_by_address_and_asset(static_ilp_address, asset_id)


bind_wallet_address_queries(query)
