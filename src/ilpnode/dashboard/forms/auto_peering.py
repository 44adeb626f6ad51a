"""The Peer by URL form: auto-peering with a node that publishes an auto-peering URL
(`createOrUpdatePeerByUrl`, rafiki-peering §7). Amounts are in the chosen asset's units."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from ilpnode.dashboard.forms.state import FormState
from ilpnode.dashboard.messages import ENDPOINT_RULE, PEER_PROBLEMS
from ilpnode.services.peering import Asset, PeerError
from ilpnode.services.peering.autopeering import InitiatePeering
from ilpnode.services.peering.validation import is_valid_http_endpoint

__all__ = ["FIELDS", "parse"]

FIELDS: Final = (
    "peer_url",
    "asset_id",
    "name",
    "max_packet_amount",
    "liquidity_threshold",
    "liquidity_to_deposit",
)


def parse(
    values: Mapping[str, str], asset: Asset | None
) -> tuple[InitiatePeering | None, FormState]:
    state = FormState(values=dict(values))
    url = state.require("peer_url", "Enter the auto-peering URL the other node gave you.")
    if url and not is_valid_http_endpoint(url):
        state.errors.setdefault("peer_url", ENDPOINT_RULE)
    if asset is None:
        state.add(PEER_PROBLEMS[PeerError.UnknownAsset])
        return None, state
    scale, code = asset.scale, asset.code
    max_packet = state.amount("max_packet_amount", scale=scale, code=code)
    threshold = state.amount("liquidity_threshold", scale=scale, code=code)
    deposit = state.amount("liquidity_to_deposit", scale=scale, code=code)
    if not state.ok:
        return None, state
    return (
        InitiatePeering(
            peer_url=url,
            asset_id=asset.id,
            name=state.text("name") or None,
            max_packet_amount=max_packet,
            liquidity_threshold=threshold,
            liquidity_to_deposit=deposit,
        ),
        state,
    )
