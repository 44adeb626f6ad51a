"""Every service error in words a person understands, and the form field it belongs to.

One exhaustive table per error enum (STYLE rule 13): a unit test iterates over every member.
`field` None means the message belongs to the whole form (or the page). The Admin API keeps
Rafiki's terse messages for programs; these are for the person at the dashboard.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from ilpnode.accounting import LiquidityError
from ilpnode.services.fees import FeeError
from ilpnode.services.payments import PUBLIC_NAME_LENGTH_MAX, WalletAddressError
from ilpnode.services.peering import AssetError, PeerError
from ilpnode.services.peering.autopeering import AutoPeeringError, AutoPeeringFailure

__all__ = [
    "ASSET_PROBLEMS",
    "AUTO_PEERING_FIELDS",
    "FEE_PROBLEMS",
    "LIQUIDITY_PROBLEMS",
    "PEER_PROBLEMS",
    "WALLET_ADDRESS_PROBLEMS",
    "Problem",
    "auto_peering_problem",
    "problem",
]


@dataclass(frozen=True, slots=True)
class Problem:
    """A message for a person, and the form field it is about (None: the whole form)."""

    field: str | None
    text: str


ILP_ADDRESS_RULE = (
    "Enter an ILP address such as test.bob or g.bob: a scheme (g, test, private, example, "
    "peer, self, local, test1, test2 or test3), then one or more segments of letters, digits, "
    "_, ~ or -, separated by dots."
)
ENDPOINT_RULE = "Enter an http:// or https:// URL with a host name, e.g. https://ilp.bob.example."
TOKEN_RULE = "1 to 1024 characters: letters, digits, spaces and ASCII punctuation only."

_P = PeerError
PEER_PROBLEMS: Mapping[PeerError, Problem] = MappingProxyType(
    {
        _P.DuplicateIncomingToken: Problem(
            "incoming_tokens",
            "Another peer already uses one of these tokens, or a token is listed twice: each "
            "incoming token must name one peer.",
        ),
        _P.DuplicatePeer: Problem(
            "static_ilp_address",
            "There is already a peer with this ILP address and asset.",
        ),
        _P.InvalidStaticIlpAddress: Problem("static_ilp_address", ILP_ADDRESS_RULE),
        _P.InvalidHTTPEndpoint: Problem("outgoing_endpoint", ENDPOINT_RULE),
        _P.UnknownAsset: Problem("asset_id", "Choose one of this node's assets."),
        _P.UnknownPeer: Problem(None, "There is no such peer (it may have just been deleted)."),
        _P.InvalidInitialLiquidity: Problem(
            "initial_liquidity", "This initial liquidity cannot be deposited (too large)."
        ),
        _P.InvalidRoute: Problem(
            "routes",
            "Each route is an ILP address prefix such as g.bobnet: segments of letters, digits, "
            "_, ~ or -, separated by dots, one per line.",
        ),
        _P.InvalidIncomingToken: Problem(
            "incoming_tokens", f"Each token (one a line): {TOKEN_RULE}"
        ),
        _P.InvalidOutgoingToken: Problem("outgoing_token", f"The token: {TOKEN_RULE}"),
        _P.InvalidAmount: Problem(None, "An amount is out of range (0 to 2^64-1 smallest units)."),
        _P.InvalidLiquidityHighThreshold: Problem(
            "liquidity_high_threshold",
            "The high liquidity threshold must be above the (low) liquidity threshold.",
        ),
        _P.CannotDeletePeerWithLiquidity: Problem(
            None,
            "This peer still has liquidity (or a pending withdrawal), and deleting it would "
            "strand that money. Withdraw all of it first; nothing was deleted.",
        ),
    }
)

_A = AssetError
ASSET_PROBLEMS: Mapping[AssetError, Problem] = MappingProxyType(
    {
        _A.UnknownAsset: Problem(None, "There is no such asset (it may have just been deleted)."),
        _A.DuplicateAsset: Problem("code", "There is already an asset with this code and scale."),
        _A.CannotDeleteInUseAsset: Problem(
            None,
            "Peers or wallet addresses still use this asset: delete those peers first (a "
            "wallet address cannot be deleted). Nothing was deleted.",
        ),
        _A.NoRatesForAsset: Problem(
            None, "This asset cannot be created: no exchange rates URL is configured."
        ),
        _A.InvalidAssetCode: Problem(
            "code", "Enter 1 to 64 capital letters or digits, e.g. USD or EUR."
        ),
        _A.InvalidAssetScale: Problem("scale", "Enter a whole number from 0 to 255."),
        _A.InvalidThreshold: Problem(
            None, "A threshold is out of range (0 to 2^64-1 smallest units)."
        ),
        _A.InvalidLiquidityHighThreshold: Problem(
            "liquidity_high_threshold",
            "The high liquidity threshold must be above the (low) liquidity threshold.",
        ),
    }
)

FEE_PROBLEMS: Mapping[FeeError, Problem] = MappingProxyType(
    {
        FeeError.UnknownAsset: Problem(
            None, "There is no such asset (it may have just been deleted)."
        ),
        FeeError.InvalidBasisPointFee: Problem(
            "basis_points", "Enter a whole number from 0 to 10000 (100 basis points are 1 %)."
        ),
        FeeError.InvalidFixedFee: Problem(
            "fixed", "The fixed fee is out of range (0 to 2^64-1 smallest units)."
        ),
    }
)

_L = LiquidityError
LIQUIDITY_PROBLEMS: Mapping[LiquidityError, Problem] = MappingProxyType(
    {
        _L.AlreadyPosted: Problem(None, "This withdrawal was already posted: the money is out."),
        _L.AlreadyVoided: Problem(
            None, "This withdrawal was already voided: its amount is back in the liquidity."
        ),
        _L.AmountZero: Problem("amount", "Enter an amount greater than 0."),
        _L.InsufficientBalance: Problem(
            "amount", "That is more than the liquidity available to withdraw."
        ),
        _L.InvalidAmount: Problem("amount", "That amount is too large for this account."),
        _L.InvalidId: Problem(None, "This form's transfer id is not valid: reload the page."),
        _L.InvalidTimeout: Problem(
            "hold_minutes", "Hold it for 1 to 43200 minutes (30 days), or 0 to withdraw at once."
        ),
        _L.TransferExists: Problem(
            None, "This was already done (the form was sent twice): nothing more was moved."
        ),
        _L.TransferExpired: Problem(
            None,
            "This withdrawal expired before it was posted: its amount is back in the liquidity.",
        ),
        _L.UnknownAsset: Problem(None, "There is no such asset (it may have just been deleted)."),
        _L.UnknownPeer: Problem(None, "There is no such peer (it may have just been deleted)."),
        _L.UnknownTransfer: Problem(None, "No withdrawal has this id."),
        _L.UnknownWalletAddress: Problem(None, "There is no such wallet address."),
        _L.UnknownError: Problem(
            None, "The ledger refused this in a way only a bug can cause: see the node's log."
        ),
    }
)


_W = WalletAddressError
WALLET_ADDRESS_PROBLEMS: Mapping[WalletAddressError, Problem] = MappingProxyType(
    {
        _W.InvalidUrl: Problem(
            "address",
            "Enter a path such as alice or shop/bob (lowercase letters, digits, . _ ~ - and /), "
            "or a full URL under this node's OPEN_PAYMENTS_URL.",
        ),
        _W.UnknownAsset: Problem("asset_id", "Choose one of this node's assets."),
        _W.UnknownWalletAddress: Problem(None, "There is no such wallet address (check the link)."),
        _W.DuplicateWalletAddress: Problem(
            "address", "There is already a wallet address with this address."
        ),
        _W.InvalidPublicName: Problem(
            "public_name",
            f"Enter at most {PUBLIC_NAME_LENGTH_MAX} characters, without line breaks or tabs.",
        ),
    }
)


def problem(error: PeerError | AssetError | LiquidityError | WalletAddressError) -> Problem:
    """The words for any service error."""
    if isinstance(error, PeerError):
        return PEER_PROBLEMS[error]
    if isinstance(error, AssetError):
        return ASSET_PROBLEMS[error]
    if isinstance(error, WalletAddressError):
        return WALLET_ADDRESS_PROBLEMS[error]
    return LIQUIDITY_PROBLEMS[error]


_AP = AutoPeeringError
AUTO_PEERING_FIELDS: Mapping[AutoPeeringError, str | None] = MappingProxyType(
    {
        _AP.InvalidIlpConfiguration: None,
        _AP.InvalidPeerIlpConfiguration: "peer_url",
        _AP.UnknownAsset: "asset_id",
        _AP.PeerUnsupportedAsset: "asset_id",
        _AP.InvalidPeerUrl: "peer_url",
        _AP.InvalidPeeringRequest: None,
        _AP.LiquidityError: "liquidity_to_deposit",
        _AP.Unauthorized: "peer_url",
        _AP.PeerNotAutoPeered: "peer_url",
    }
)
"""Where an auto-peering failure is shown; its words are the failure's own message, which says
what exactly went wrong (the peer's answer, the missing setting, …)."""


def auto_peering_problem(failure: AutoPeeringFailure) -> Problem:
    """An auto-peering failure next to the field it is about."""
    return Problem(AUTO_PEERING_FIELDS[failure.error], _sentence(failure.message))


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:] + ("" if text.endswith((".", "!", "?")) else ".")
