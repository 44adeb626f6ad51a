"""Peer forms: Create Peer, and the parts of the peer page (general, HTTP, routes).

Amounts (max packet amount, liquidity threshold, initial liquidity) are typed in the peer's
asset's units. Incoming tokens and routes are one per line. On the peer page, an empty outgoing
token or incoming tokens field keeps the stored ones (they are secrets, so they are never shown
again); an emptied amount clears it (no limit / no threshold).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from ilpnode.dashboard.amounts import plain_amount
from ilpnode.dashboard.forms.state import FormState, lines_of
from ilpnode.dashboard.messages import (
    ENDPOINT_RULE,
    ILP_ADDRESS_RULE,
    PEER_PROBLEMS,
    TOKEN_RULE,
)
from ilpnode.services.peering import (
    UNSET,
    Asset,
    CreatePeer,
    HttpOutgoing,
    Patch,
    Peer,
    PeerError,
    UpdatePeer,
)
from ilpnode.services.peering.validation import (
    is_valid_http_endpoint,
    is_valid_ilp_address,
    is_valid_route,
    is_valid_token,
)

__all__ = [
    "CREATE_FIELDS",
    "GENERAL_FIELDS",
    "HTTP_FIELDS",
    "ROUTES_FIELDS",
    "general_values",
    "http_values",
    "parse_create",
    "parse_general",
    "parse_http",
    "parse_routes",
    "routes_values",
]

CREATE_FIELDS: Final = (
    "name",
    "static_ilp_address",
    "asset_id",
    "max_packet_amount",
    "incoming_tokens",
    "outgoing_token",
    "outgoing_endpoint",
    "liquidity_threshold",
    "liquidity_high_threshold",
    "initial_liquidity",
    "routes",
)
GENERAL_FIELDS: Final = (
    "name",
    "static_ilp_address",
    "max_packet_amount",
    "liquidity_threshold",
    "liquidity_high_threshold",
)
HTTP_FIELDS: Final = ("outgoing_endpoint", "outgoing_token", "incoming_tokens")
ROUTES_FIELDS: Final = ("routes",)


def parse_create(
    values: Mapping[str, str], asset: Asset | None
) -> tuple[CreatePeer | None, FormState]:
    """Create Peer. `asset` is the chosen asset (None: none or an unknown one was chosen)."""
    state = FormState(values=dict(values))
    address = _address(state)
    endpoint = _endpoint(state)
    outgoing_token = _outgoing_token(state, required=True)
    tokens = _incoming_tokens(state)
    routes = _routes(state)
    if asset is None:
        state.add(PEER_PROBLEMS[PeerError.UnknownAsset])
        return None, state
    scale, code = asset.scale, asset.code
    max_packet = state.amount("max_packet_amount", scale=scale, code=code)
    threshold = state.amount("liquidity_threshold", scale=scale, code=code)
    high = state.amount("liquidity_high_threshold", scale=scale, code=code)
    initial = state.amount("initial_liquidity", scale=scale, code=code)
    if not state.ok:
        return None, state
    return (
        CreatePeer(
            asset_id=asset.id,
            static_ilp_address=address,
            http_outgoing=HttpOutgoing(auth_token=outgoing_token, endpoint=endpoint),
            incoming_tokens=tokens,
            max_packet_amount=max_packet,
            name=state.text("name") or None,
            liquidity_threshold=threshold,
            liquidity_high_threshold=high,
            initial_liquidity=initial,
            routes=routes,
        ),
        state,
    )


def parse_general(
    values: Mapping[str, str], peer: Peer, asset: Asset
) -> tuple[UpdatePeer | None, FormState]:
    """The peer page's general part: name, address, max packet amount, liquidity thresholds."""
    state = FormState(values=dict(values))
    address = _address(state)
    scale, code = asset.scale, asset.code
    max_packet = state.amount("max_packet_amount", scale=scale, code=code)
    threshold = state.amount("liquidity_threshold", scale=scale, code=code)
    high = state.amount("liquidity_high_threshold", scale=scale, code=code)
    if not state.ok:
        return None, state
    return (
        UpdatePeer(
            id=peer.id,
            name=state.text("name") or None,
            static_ilp_address=address,
            max_packet_amount=max_packet,
            liquidity_threshold=threshold,
            liquidity_high_threshold=high,
        ),
        state,
    )


def parse_http(values: Mapping[str, str], peer: Peer) -> tuple[UpdatePeer | None, FormState]:
    """The peer page's HTTP part: endpoint; outgoing token and incoming tokens (empty: keep)."""
    state = FormState(values=dict(values))
    endpoint = _endpoint(state)
    outgoing_token = _outgoing_token(state, required=False) or peer.http_outgoing.auth_token
    tokens = _incoming_tokens(state)
    if not state.ok:
        return None, state
    incoming: Patch[list[str]] = tokens if tokens else UNSET
    return (
        UpdatePeer(
            id=peer.id,
            http_outgoing=HttpOutgoing(auth_token=outgoing_token, endpoint=endpoint),
            incoming_tokens=incoming,
        ),
        state,
    )


def parse_routes(values: Mapping[str, str], peer: Peer) -> tuple[UpdatePeer | None, FormState]:
    """The peer page's routes part: the extra routes, one per line (empty: none)."""
    state = FormState(values=dict(values))
    routes = _routes(state)
    if not state.ok:
        return None, state
    return UpdatePeer(id=peer.id, routes=routes), state


def general_values(peer: Peer, asset: Asset) -> dict[str, str]:
    """What the general part shows before anything is typed."""
    return {
        "name": peer.name or "",
        "static_ilp_address": peer.static_ilp_address,
        "max_packet_amount": _plain(peer.max_packet_amount, asset),
        "liquidity_threshold": _plain(peer.liquidity_threshold, asset),
        "liquidity_high_threshold": _plain(peer.liquidity_high_threshold, asset),
    }


def http_values(peer: Peer) -> dict[str, str]:
    """What the HTTP part shows: the endpoint; tokens are secrets and are not shown."""
    return {
        "outgoing_endpoint": peer.http_outgoing.endpoint,
        "outgoing_token": "",
        "incoming_tokens": "",
    }


def routes_values(peer: Peer) -> dict[str, str]:
    """The extra routes, one per line (the first route is always the static address)."""
    return {"routes": "\n".join(peer.routes[1:])}


def _plain(amount: int | None, asset: Asset) -> str:
    return "" if amount is None else plain_amount(amount, asset.scale)


def _address(state: FormState) -> str:
    address = state.require("static_ilp_address", "Enter the peer's static ILP address.")
    if address and not is_valid_ilp_address(address):
        state.errors.setdefault("static_ilp_address", ILP_ADDRESS_RULE)
    return address


def _endpoint(state: FormState) -> str:
    endpoint = state.require("outgoing_endpoint", "Enter the peer's ILP-over-HTTP endpoint URL.")
    if endpoint and not is_valid_http_endpoint(endpoint):
        state.errors.setdefault("outgoing_endpoint", ENDPOINT_RULE)
    return endpoint


def _outgoing_token(state: FormState, *, required: bool) -> str:
    if required:
        token = state.require("outgoing_token", "Enter the token the peer gave you.")
    else:
        token = state.text("outgoing_token")
    if token and not is_valid_token(token):
        state.errors.setdefault("outgoing_token", f"The token: {TOKEN_RULE}")
    return token


def _incoming_tokens(state: FormState) -> list[str]:
    tokens = lines_of(state.values.get("incoming_tokens", ""))
    if not all(is_valid_token(token) for token in tokens):
        state.errors.setdefault("incoming_tokens", f"Each token (one a line): {TOKEN_RULE}")
    elif len(set(tokens)) != len(tokens):
        state.errors.setdefault("incoming_tokens", "A token is listed twice.")
    return tokens


def _routes(state: FormState) -> list[str]:
    routes = lines_of(state.values.get("routes", ""))
    if not all(is_valid_route(route) for route in routes):
        state.add(PEER_PROBLEMS[PeerError.InvalidRoute])
    return routes
