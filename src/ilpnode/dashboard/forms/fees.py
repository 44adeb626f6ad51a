"""The fee form on an asset's page: which fee (sending or receiving), its fixed part typed in the
asset's units, and its basis points (a whole number, 0 to 10000)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from ilpnode.dashboard.forms.state import FormState
from ilpnode.dashboard.messages import FEE_PROBLEMS
from ilpnode.services.fees import BASIS_POINTS_MAX, FeeError, FeeType, SetFee
from ilpnode.services.peering import Asset

__all__ = ["FEE_FIELDS", "fee_values", "parse_fee"]

FEE_FIELDS: Final = ("type", "fixed", "basis_points")
_DIGITS_MAX: Final = len(str(BASIS_POINTS_MAX))


def fee_values() -> dict[str, str]:
    """A fresh fee form: a sending fee, nothing typed."""
    return {"type": FeeType.SENDING.value, "fixed": "", "basis_points": ""}


def parse_fee(values: Mapping[str, str], asset: Asset) -> tuple[SetFee | None, FormState]:
    """Set a fee of `asset`; every field is required (0 for no fixed part or no percentage)."""
    state = FormState(values=dict(values))
    fee_type = next((t for t in FeeType if t.value == state.text("type")), None)
    if fee_type is None:
        state.errors["type"] = "Choose a sending or a receiving fee."
    fixed = state.amount("fixed", scale=asset.scale, code=asset.code, required=True)
    typed = state.require("basis_points", "Enter the basis points (0 for none).")
    basis_points: int | None = None
    if typed:
        if typed.isascii() and typed.isdigit() and len(typed) <= _DIGITS_MAX:
            basis_points = int(typed)
        if basis_points is None or basis_points > BASIS_POINTS_MAX:
            basis_points = None
            state.add(FEE_PROBLEMS[FeeError.InvalidBasisPointFee])
    if fee_type is None or fixed is None or basis_points is None or not state.ok:
        return None, state
    return SetFee(asset_id=asset.id, type=fee_type, fixed=fixed, basis_points=basis_points), state
