"""Asset forms: create (code, scale, thresholds) and the thresholds on the asset page.

Thresholds are typed in the asset's units (with the scale typed in the same form when
creating); an emptied threshold is cleared.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from ilpnode.dashboard.amounts import plain_amount
from ilpnode.dashboard.forms.state import FormState
from ilpnode.dashboard.messages import ASSET_PROBLEMS
from ilpnode.services.peering import Asset, AssetError, CreateAsset, UpdateAsset
from ilpnode.services.peering.validation import SCALE_MAX, is_valid_asset_code

__all__ = [
    "CREATE_FIELDS",
    "THRESHOLD_FIELDS",
    "parse_create",
    "parse_thresholds",
    "threshold_values",
]

CREATE_FIELDS: Final = (
    "code",
    "scale",
    "withdrawal_threshold",
    "liquidity_threshold",
    "liquidity_high_threshold",
)
THRESHOLD_FIELDS: Final = (
    "withdrawal_threshold",
    "liquidity_threshold",
    "liquidity_high_threshold",
)


def parse_create(values: Mapping[str, str]) -> tuple[CreateAsset | None, FormState]:
    """Create an asset. The code is taken in capitals (`usd` is USD)."""
    state = FormState(values=dict(values))
    code = state.require("code", "Enter the asset's code, e.g. USD.").upper()
    if code and not is_valid_asset_code(code):
        state.add(ASSET_PROBLEMS[AssetError.InvalidAssetCode])
    scale_text = state.require("scale", "Enter the asset's scale, e.g. 2 for cents.")
    scale: int | None = None
    if scale_text:
        if scale_text.isdigit() and int(scale_text) <= SCALE_MAX:
            scale = int(scale_text)
        else:
            state.add(ASSET_PROBLEMS[AssetError.InvalidAssetScale])
    if scale is None:
        return None, state
    shown = code or "the asset"
    withdrawal = state.amount("withdrawal_threshold", scale=scale, code=shown)
    liquidity = state.amount("liquidity_threshold", scale=scale, code=shown)
    high = state.amount("liquidity_high_threshold", scale=scale, code=shown)
    if not state.ok:
        return None, state
    request = CreateAsset(
        code=code,
        scale=scale,
        withdrawal_threshold=withdrawal,
        liquidity_threshold=liquidity,
        liquidity_high_threshold=high,
    )
    return request, state


def parse_thresholds(
    values: Mapping[str, str], asset: Asset
) -> tuple[UpdateAsset | None, FormState]:
    """The asset page's thresholds (empty: cleared)."""
    state = FormState(values=dict(values))
    withdrawal = state.amount("withdrawal_threshold", scale=asset.scale, code=asset.code)
    liquidity = state.amount("liquidity_threshold", scale=asset.scale, code=asset.code)
    high = state.amount("liquidity_high_threshold", scale=asset.scale, code=asset.code)
    if not state.ok:
        return None, state
    request = UpdateAsset(
        id=asset.id,
        withdrawal_threshold=withdrawal,
        liquidity_threshold=liquidity,
        liquidity_high_threshold=high,
    )
    return request, state


def threshold_values(asset: Asset) -> dict[str, str]:
    """What the thresholds part shows before anything is typed."""
    return {
        "withdrawal_threshold": _plain(asset.withdrawal_threshold, asset.scale),
        "liquidity_threshold": _plain(asset.liquidity_threshold, asset.scale),
        "liquidity_high_threshold": _plain(asset.liquidity_high_threshold, asset.scale),
    }


def _plain(amount: int | None, scale: int) -> str:
    return "" if amount is None else plain_amount(amount, scale)
