"""Mutation resolvers for assets and peers (rafiki-peering §2.8). Inputs arrive with snake_case
keys (the schema is built with `convert_names_case`); a key that is absent was omitted by the
client, which `updatePeer`/`updateAsset` keep apart from an explicit null."""

from __future__ import annotations

from typing import Any

from ariadne import MutationType

from ilpnode.admin.graphql.auto_peering import bind_auto_peering
from ilpnode.admin.graphql.context import RequestContext, is_other_tenant
from ilpnode.admin.graphql.errors import AdminApiError, raise_error
from ilpnode.admin.graphql.idempotency import idempotent
from ilpnode.admin.graphql.liquidity import bind_liquidity
from ilpnode.admin.graphql.results import MutationResult
from ilpnode.admin.graphql.wallet_addresses import bind_wallet_address_mutations
from ilpnode.services.peering import (
    UNSET,
    AssetError,
    CreateAsset,
    CreatePeer,
    HttpOutgoing,
    Patch,
    PeerError,
    UpdateAsset,
    UpdatePeer,
)

__all__ = ["mutation"]

mutation = MutationType()


def _patch(values: dict[str, Any], key: str) -> Patch[Any]:
    return values.get(key, UNSET)


def _patch_non_null(values: dict[str, Any], key: str) -> Patch[Any]:
    # A null for a field that cannot be cleared (an address, the routes) keeps it.
    value = values.get(key)
    return UNSET if value is None else value


def _outgoing(http: dict[str, Any]) -> HttpOutgoing:
    outgoing = http["outgoing"]
    return HttpOutgoing(auth_token=outgoing["auth_token"], endpoint=outgoing["endpoint"])


async def _create_asset(context: RequestContext, input: dict[str, Any]) -> MutationResult:
    tenant_id = input.get("tenant_id")
    if is_other_tenant(context.services, tenant_id):
        raise AdminApiError("Assignment to the specified tenant is not permitted", "BAD_USER_INPUT")
    asset = await context.services.assets.create(
        CreateAsset(
            code=input["code"],
            scale=input["scale"],
            withdrawal_threshold=input.get("withdrawal_threshold"),
            liquidity_threshold=input.get("liquidity_threshold"),
        )
    )
    if isinstance(asset, AssetError):
        raise_error(asset)
    return {"asset": asset}


async def _update_asset(context: RequestContext, input: dict[str, Any]) -> MutationResult:
    asset = await context.services.assets.update(
        UpdateAsset(
            id=input["id"],
            withdrawal_threshold=_patch(input, "withdrawal_threshold"),
            liquidity_threshold=_patch(input, "liquidity_threshold"),
        )
    )
    if isinstance(asset, AssetError):
        raise_error(asset)
    return {"asset": asset}


async def _delete_asset(context: RequestContext, input: dict[str, Any]) -> MutationResult:
    asset = await context.services.assets.delete(input["id"])
    if isinstance(asset, AssetError):
        raise_error(asset)
    return {"asset": asset}


async def _create_peer(context: RequestContext, input: dict[str, Any]) -> MutationResult:
    http = input["http"]
    incoming = http.get("incoming") or {}
    peer = await context.services.peers.create(
        CreatePeer(
            asset_id=input["asset_id"],
            static_ilp_address=input["static_ilp_address"],
            http_outgoing=_outgoing(http),
            incoming_tokens=tuple(incoming.get("auth_tokens") or ()),
            max_packet_amount=input.get("max_packet_amount"),
            name=input.get("name"),
            liquidity_threshold=input.get("liquidity_threshold"),
            initial_liquidity=input.get("initial_liquidity"),
            routes=tuple(input.get("routes") or ()),
        )
    )
    if isinstance(peer, PeerError):
        raise_error(peer)
    return {"peer": peer}


async def _update_peer(context: RequestContext, input: dict[str, Any]) -> MutationResult:
    http = input.get("http")
    incoming = None if http is None else http.get("incoming")
    routes = input.get("routes")
    peer = await context.services.peers.update(
        UpdatePeer(
            id=input["id"],
            static_ilp_address=_patch_non_null(input, "static_ilp_address"),
            http_outgoing=UNSET if http is None else _outgoing(http),
            incoming_tokens=UNSET if incoming is None else tuple(incoming["auth_tokens"]),
            max_packet_amount=_patch(input, "max_packet_amount"),
            name=_patch(input, "name"),
            liquidity_threshold=_patch(input, "liquidity_threshold"),
            routes=UNSET if routes is None else tuple(routes),
        )
    )
    if isinstance(peer, PeerError):
        raise_error(peer)
    return {"peer": peer}


async def _delete_peer(context: RequestContext, input: dict[str, Any]) -> MutationResult:
    error = await context.services.peers.delete(input["id"])
    if error is not None:
        raise_error(error)
    return {"success": True}


mutation.set_field("createAsset", idempotent(_create_asset))
mutation.set_field("updateAsset", idempotent(_update_asset))
mutation.set_field("deleteAsset", idempotent(_delete_asset))
mutation.set_field("createPeer", idempotent(_create_peer))
mutation.set_field("updatePeer", idempotent(_update_peer))
mutation.set_field("deletePeer", idempotent(_delete_peer))
bind_liquidity(mutation)
bind_auto_peering(mutation)
bind_wallet_address_mutations(mutation)
