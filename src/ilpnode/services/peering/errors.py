"""Asset and peer errors: Rafiki's catalogs (rafiki-peering §2.9) plus ilpnode's validation errors.

Each member carries Rafiki's message and the GraphQL `extensions.code` the Admin API must answer
with. Names are Rafiki's enum member names. Members marked "ilpnode" do not exist in Rafiki: it
accepts such input (or fails with a database error); we refuse it with a clear BAD_USER_INPUT.
Errors are returned as values by the services, never raised.
"""

from __future__ import annotations

import enum

__all__ = ["AssetError", "PeerError"]


class AssetError(enum.Enum):
    """Why an asset operation failed."""

    UnknownAsset = "UnknownAsset"
    DuplicateAsset = "DuplicateAsset"
    CannotDeleteInUseAsset = "CannotDeleteInUseAsset"
    NoRatesForAsset = "NoRatesForAsset"
    InvalidAssetCode = "InvalidAssetCode"
    """ilpnode: the code is not 1..64 characters of A-Z and 0-9."""
    InvalidAssetScale = "InvalidAssetScale"
    """ilpnode: the scale is not an integer in 0..255."""
    InvalidThreshold = "InvalidThreshold"
    """ilpnode: a threshold is not an integer in 0..2**64-1."""
    InvalidLiquidityHighThreshold = "InvalidLiquidityHighThreshold"
    """ilpnode: liquidityHighThreshold is not greater than liquidityThreshold."""

    @property
    def code(self) -> str:
        """The GraphQL `extensions.code`."""
        return _ASSET_ERRORS[self][0]

    @property
    def message(self) -> str:
        """Rafiki's message."""
        return _ASSET_ERRORS[self][1]


class PeerError(enum.Enum):
    """Why a peer operation failed."""

    DuplicateIncomingToken = "DuplicateIncomingToken"
    DuplicatePeer = "DuplicatePeer"
    InvalidStaticIlpAddress = "InvalidStaticIlpAddress"
    InvalidHTTPEndpoint = "InvalidHTTPEndpoint"
    UnknownAsset = "UnknownAsset"
    UnknownPeer = "UnknownPeer"
    InvalidInitialLiquidity = "InvalidInitialLiquidity"
    InvalidRoute = "InvalidRoute"
    """ilpnode: a route is not a prefix of whole ILP address segments."""
    InvalidIncomingToken = "InvalidIncomingToken"
    """ilpnode: an incoming token is empty, too long, or not printable ASCII."""
    InvalidOutgoingToken = "InvalidOutgoingToken"
    """ilpnode: the outgoing token is empty, too long, or not printable ASCII."""
    InvalidAmount = "InvalidAmount"
    """ilpnode: maxPacketAmount or liquidityThreshold is not an integer in 0..2**64-1."""
    InvalidLiquidityHighThreshold = "InvalidLiquidityHighThreshold"
    """ilpnode: liquidityHighThreshold is not greater than liquidityThreshold."""
    CannotDeletePeerWithLiquidity = "CannotDeletePeerWithLiquidity"
    """ilpnode: the peer still has liquidity or reserved amounts (Rafiki's docs promise such a
    check; its code has none, and the money would be stranded)."""

    @property
    def code(self) -> str:
        """The GraphQL `extensions.code`."""
        return _PEER_ERRORS[self][0]

    @property
    def message(self) -> str:
        """Rafiki's message."""
        return _PEER_ERRORS[self][1]


_ASSET_ERRORS: dict[AssetError, tuple[str, str]] = {
    AssetError.UnknownAsset: ("NOT_FOUND", "Asset not found"),
    AssetError.DuplicateAsset: ("DUPLICATE", "Asset already exists"),
    AssetError.CannotDeleteInUseAsset: ("FORBIDDEN", "Cannot delete! Asset in use."),
    AssetError.NoRatesForAsset: ("FORBIDDEN", "Cannot create! Exchange rates URL not defined."),
    AssetError.InvalidAssetCode: ("BAD_USER_INPUT", "invalid asset code"),
    AssetError.InvalidAssetScale: ("BAD_USER_INPUT", "invalid asset scale"),
    AssetError.InvalidThreshold: ("BAD_USER_INPUT", "invalid threshold"),
    AssetError.InvalidLiquidityHighThreshold: (
        "BAD_USER_INPUT",
        "liquidityHighThreshold must be greater than liquidityThreshold",
    ),
}

_PEER_ERRORS: dict[PeerError, tuple[str, str]] = {
    PeerError.DuplicateIncomingToken: ("DUPLICATE", "duplicate incoming token"),
    PeerError.DuplicatePeer: (
        "DUPLICATE",
        "duplicate peer found for same ILP address and asset",
    ),
    PeerError.InvalidStaticIlpAddress: ("BAD_USER_INPUT", "invalid ILP address"),
    PeerError.InvalidHTTPEndpoint: ("BAD_USER_INPUT", "invalid HTTP endpoint"),
    PeerError.UnknownAsset: ("NOT_FOUND", "unknown asset"),
    PeerError.UnknownPeer: ("NOT_FOUND", "unknown peer"),
    PeerError.InvalidInitialLiquidity: ("BAD_USER_INPUT", "invalid initial liquidity for peer"),
    PeerError.InvalidRoute: ("BAD_USER_INPUT", "invalid route"),
    PeerError.InvalidIncomingToken: ("BAD_USER_INPUT", "invalid incoming token"),
    PeerError.InvalidOutgoingToken: ("BAD_USER_INPUT", "invalid outgoing token"),
    PeerError.InvalidAmount: ("BAD_USER_INPUT", "invalid amount"),
    PeerError.InvalidLiquidityHighThreshold: (
        "BAD_USER_INPUT",
        "liquidityHighThreshold must be greater than liquidityThreshold",
    ),
    PeerError.CannotDeletePeerWithLiquidity: (
        "FORBIDDEN",
        "Cannot delete! Peer has liquidity: withdraw it first.",
    ),
}
