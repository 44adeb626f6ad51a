"""Wallet addresses hosted by the node, as frozen values (Rafiki's `walletAddresses` rows).

A wallet address is a URL under this node's `OPEN_PAYMENTS_URL` where payments can be sent: its
SPSP endpoint (`admin.spsp`) hands out STREAM credentials whose payment tag is the wallet
address's id, and the packets of that connection credit its ledger account
(`WalletAddressAccount`). Timestamps are timezone-aware UTC.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

__all__ = ["ReceivedPayment", "WalletAddress", "WalletAddressStatus"]


class WalletAddressStatus(enum.Enum):
    """Rafiki's `WalletAddressStatus`: an inactive wallet address receives nothing (its SPSP
    endpoint answers 404 and packets for it are refused) but keeps its balance."""

    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"


@dataclass(frozen=True, slots=True, kw_only=True)
class WalletAddress:
    """A stored wallet address.

    Attributes:
        url: the address, lowercase, under OPEN_PAYMENTS_URL (Rafiki's `address`/`url`); unique.
        asset_id: its asset (fixed at creation).
        public_name: shown to anyone who looks the wallet address up, or None.
        deactivated_at: when it was made inactive (None: active), as Rafiki stores it.
    """

    id: UUID
    url: str
    asset_id: UUID
    public_name: str | None
    created_at: datetime
    updated_at: datetime
    deactivated_at: datetime | None = None

    @property
    def status(self) -> WalletAddressStatus:
        """ACTIVE unless deactivated."""
        if self.deactivated_at is None:
            return WalletAddressStatus.ACTIVE
        return WalletAddressStatus.INACTIVE


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceivedPayment:
    """What one STREAM connection paid into a wallet address: one payment, as the list of
    payments received shows it (`received_payments.py`). A summary, not the books: the ledger
    is the source of truth for the balance.

    Attributes:
        id: the connection's id: the first 16 bytes of SHA-256 of its token (the last segment
            of its ILP address), the same in every process; never the shared secret.
        wallet_address_id: the wallet address it paid into.
        asset_code, asset_scale: the wallet address's asset, in which `total_received` counts.
        total_received: the money of its fulfilled packets, smallest unit (0..2**64-1).
        packets: its fulfilled packets that carried money.
        first_packet_at, last_packet_at: when the first and the latest of them arrived.
    """

    id: UUID
    wallet_address_id: UUID
    asset_code: str
    asset_scale: int
    total_received: int
    packets: int
    first_packet_at: datetime
    last_packet_at: datetime
