"""Wallet address forms: create (asset, address, public name), the settings on a wallet
address's page (public name, status), and the withdrawal of everything it received.

The address is checked by the service (`services.payments.urls`: it must lie under the node's
OPEN_PAYMENTS_URL); here only that something was typed. An emptied public name is cleared.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final
from uuid import UUID

from ilpnode.dashboard.forms.liquidity import DEFAULT_HOLD_MINUTES, parse_hold_and_id
from ilpnode.dashboard.forms.state import FormState
from ilpnode.services.payments import (
    CreateWalletAddress,
    UpdateWalletAddress,
    WalletAddress,
    WalletAddressStatus,
)

__all__ = [
    "CREATE_FIELDS",
    "SETTINGS_FIELDS",
    "WITHDRAW_FIELDS",
    "WalletWithdrawal",
    "parse_create",
    "parse_settings",
    "parse_withdrawal",
    "settings_values",
    "withdraw_values",
]

CREATE_FIELDS: Final = ("asset_id", "address", "public_name")
SETTINGS_FIELDS: Final = ("public_name", "status")
WITHDRAW_FIELDS: Final = ("hold_minutes", "transfer_id")
_STATUSES: Final = {status.value.lower(): status for status in WalletAddressStatus}


@dataclass(frozen=True, slots=True)
class WalletWithdrawal:
    transfer_id: UUID
    timeout_seconds: int  # 0: posted at once


def parse_create(values: Mapping[str, str]) -> tuple[CreateWalletAddress | None, FormState]:
    """Create a wallet address; the service checks the address and the name."""
    state = FormState(values=dict(values))
    asset_id = state.require("asset_id", "Choose the asset it is paid in.")
    address = state.require("address", "Enter its address, e.g. alice.")
    if not state.ok:
        return None, state
    name = state.text("public_name") or None
    return CreateWalletAddress(asset_id=asset_id, address=address, public_name=name), state


def parse_settings(
    values: Mapping[str, str], wallet_address: WalletAddress
) -> tuple[UpdateWalletAddress | None, FormState]:
    """The public name (empty: none) and the status (active or inactive)."""
    state = FormState(values=dict(values))
    status = _STATUSES.get(state.text("status"))
    if status is None:
        state.errors["status"] = "Choose active or inactive."
        return None, state
    name = state.text("public_name") or None
    request = UpdateWalletAddress(id=wallet_address.id, public_name=name, status=status)
    return request, state


def parse_withdrawal(values: Mapping[str, str]) -> tuple[WalletWithdrawal | None, FormState]:
    """How long to hold the withdrawal (minutes; 0: at once), and the form's transfer id."""
    state = FormState(values=dict(values))
    held = parse_hold_and_id(state)
    if held is None:
        return None, state
    minutes, transfer_id = held
    return WalletWithdrawal(transfer_id=transfer_id, timeout_seconds=minutes * 60), state


def settings_values(wallet_address: WalletAddress) -> dict[str, str]:
    """What the settings part shows before anything is typed."""
    return {
        "public_name": wallet_address.public_name or "",
        "status": wallet_address.status.value.lower(),
    }


def withdraw_values(transfer_id: str) -> dict[str, str]:
    """A fresh withdrawal form, carrying `transfer_id` (a new UUIDv4)."""
    return {"hold_minutes": str(DEFAULT_HOLD_MINUTES), "transfer_id": transfer_id}
