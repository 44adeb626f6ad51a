"""Auto-peering errors: Rafiki's `AutoPeeringError` catalog (rafiki-peering §2.9) plus ilpnode's.

Each member carries the GraphQL `extensions.code` that `createOrUpdatePeerByUrl` answers with,
the HTTP status the auto-peering server answers with, and Rafiki's message. Names are Rafiki's
enum member names, which travel on the wire as the error body's `type`: a Rafiki node that asks
us to peer maps `InvalidPeerIlpConfiguration` and `UnknownAsset` by that name, so they must be
exact. Members marked "ilpnode" do not exist in Rafiki.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import NamedTuple

__all__ = ["AutoPeeringError", "AutoPeeringFailure"]


class _Spec(NamedTuple):
    code: str
    status: int
    message: str


class AutoPeeringError(enum.Enum):
    """Why an auto-peering request (ours or a peer's) failed."""

    InvalidIlpConfiguration = "InvalidIlpConfiguration"
    """Our own configuration is refused (by the peer, or missing here)."""
    InvalidPeerIlpConfiguration = "InvalidPeerIlpConfiguration"
    """The other side's ILP address or connector URL is not usable."""
    UnknownAsset = "UnknownAsset"
    PeerUnsupportedAsset = "PeerUnsupportedAsset"
    InvalidPeerUrl = "InvalidPeerUrl"
    InvalidPeeringRequest = "InvalidPeeringRequest"
    LiquidityError = "LiquidityError"
    Unauthorized = "Unauthorized"
    """ilpnode: the request did not present the server's AUTO_PEERING_SECRET."""
    PeerNotAutoPeered = "PeerNotAutoPeered"
    """ilpnode: a request for the address and asset of a peer made by hand (not by
    auto-peering), which a request may not re-peer."""

    @property
    def code(self) -> str:
        """The GraphQL `extensions.code`."""
        return _SPECS[self].code

    @property
    def status(self) -> int:
        """The HTTP status of the auto-peering server's answer (also the body's `error.code`)."""
        return _SPECS[self].status

    @property
    def message(self) -> str:
        """Rafiki's message."""
        return _SPECS[self].message


_E = AutoPeeringError
_SPECS: dict[AutoPeeringError, _Spec] = {
    _E.InvalidIlpConfiguration: _Spec(
        "BAD_USER_INPUT", 400, "The ILP configuration is misconfigured"
    ),
    _E.InvalidPeerIlpConfiguration: _Spec(
        "INTERNAL_SERVER_ERROR", 400, "Requested peer's ILP configuration is misconfigured"
    ),
    _E.UnknownAsset: _Spec("NOT_FOUND", 404, "Unknown asset"),
    _E.PeerUnsupportedAsset: _Spec("BAD_USER_INPUT", 400, "Peer does not support asset"),
    _E.InvalidPeerUrl: _Spec(
        "NOT_FOUND", 400, "Peer URL is invalid or peer does not support auto-peering"
    ),
    _E.InvalidPeeringRequest: _Spec("BAD_USER_INPUT", 400, "Invalid peering request"),
    _E.LiquidityError: _Spec("INTERNAL_SERVER_ERROR", 400, "Could not deposit liquidity to peer"),
    _E.Unauthorized: _Spec("UNAUTHENTICATED", 401, "The auto-peering secret is missing or wrong"),
    _E.PeerNotAutoPeered: _Spec(
        "DUPLICATE", 409, "A peer with this address and asset exists and was not auto-peered"
    ),
}


@dataclass(frozen=True, slots=True)
class AutoPeeringFailure:
    """A failed auto-peering step: the error, what exactly went wrong, and the message field of
    the peering request or answer at fault (a JSON path such as `asset.scale`), if one is."""

    error: AutoPeeringError
    detail: str
    field: str | None = None

    @property
    def message(self) -> str:
        """Rafiki's message, then the detail: `Invalid peering request: httpToken is missing`."""
        return f"{self.error.message}: {self.detail}"
