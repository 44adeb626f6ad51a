"""The `createOrUpdatePeerByUrl` resolver (rafiki-peering §7): one call to
`AutoPeeringService.initiate`, its failure raised with Rafiki's code and a message that starts
with Rafiki's and says what exactly went wrong."""

from __future__ import annotations

from typing import Any

from ariadne import MutationType

from ilpnode.admin.graphql.context import RequestContext
from ilpnode.admin.graphql.errors import AdminApiError
from ilpnode.admin.graphql.idempotency import idempotent
from ilpnode.admin.graphql.results import MutationResult
from ilpnode.services.peering.autopeering import AutoPeeringFailure, InitiatePeering

__all__ = ["bind_auto_peering"]


async def _create_or_update_peer_by_url(
    context: RequestContext, input: dict[str, Any]
) -> MutationResult:
    peer = await context.services.auto_peering.initiate(
        InitiatePeering(
            peer_url=input["peer_url"],
            asset_id=input["asset_id"],
            name=input.get("name"),
            max_packet_amount=input.get("max_packet_amount"),
            liquidity_threshold=input.get("liquidity_threshold"),
            liquidity_to_deposit=input.get("liquidity_to_deposit"),
        )
    )
    if isinstance(peer, AutoPeeringFailure):
        raise AdminApiError(peer.message, peer.error.code)
    return {"peer": peer}


def bind_auto_peering(mutation: MutationType) -> None:
    """Set the `createOrUpdatePeerByUrl` field of `mutation`."""
    mutation.set_field("createOrUpdatePeerByUrl", idempotent(_create_or_update_peer_by_url))
