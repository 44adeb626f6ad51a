"""Small renderings of Admin API values shared by the commands (asset labels, amounts)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ilpnode.cli_admin.tables import format_units

__all__ = ["amount_with_units", "asset_label", "fee_text"]


def asset_label(asset: Mapping[str, Any]) -> str:
    """`USD/2`: an asset's code and scale."""
    return f"{asset['code']}/{asset['scale']}"


def amount_with_units(amount: str | None, asset: Mapping[str, Any]) -> str | None:
    """`10000 (100.00 USD)` for a UInt64 string of `asset`'s smallest units; None stays None."""
    if amount is None:
        return None
    return f"{amount} ({format_units(int(amount), int(asset['scale']))} {asset['code']})"


def fee_text(fee: Mapping[str, Any] | None, asset: Mapping[str, Any]) -> str | None:
    """`100 (1.00 USD) + 50 basis points` for a `Fee` of `asset`; None stays None."""
    if fee is None:
        return None
    return f"{amount_with_units(fee['fixed'], asset)} + {fee['basisPoints']} basis points"
