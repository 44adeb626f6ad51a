"""The wallet addresses this node hosts, as the packet path reads them, and the tally it keeps.

The STREAM receiver (`connector/middleware/stream_receiver.py`) credits a wallet address hosted
here: it looks the wallet address up by the payment tag of the connection (`WalletAddressLookup`,
one dict lookup, no database read) and counts what each connection paid (`PaymentTally`). The
payment services (`services.payments`) own both: `WalletAddressDirectory` keeps the entries in
step with the database, `ReceivedTally` is written in batches off the packet path. Both sides
meet here, below them, so the connector and the services never import each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol
from uuid import UUID

from ilpnode.accounting import WalletAddressAccount

__all__ = ["HostedWalletAddress", "PaymentTally", "WalletAddressLookup"]


@dataclass(frozen=True, slots=True, kw_only=True)
class HostedWalletAddress:
    """One wallet address as the packet path and the SPSP server see it (in memory, no database
    read): what a payment to it needs.

    Attributes:
        id: the wallet address's id; its 16 bytes are the payment tag of its STREAM connections.
        url: its URL (lowercase).
        active: False for an inactive wallet address: it must receive nothing.
        asset_code, asset_scale: its asset, in which its account counts.
        account: its ledger account: `PacketAccounting.create_packet_transfer(source=<incoming
            peer's account>, destination=account, ...)` credits it.
    """

    id: UUID
    url: str
    public_name: str | None
    active: bool
    asset_id: UUID
    asset_code: str
    asset_scale: int
    account: WalletAddressAccount

    @property
    def payment_tag(self) -> bytes:
        """The payment tag of its STREAM connections: the id's 16 bytes."""
        return self.id.bytes


class WalletAddressLookup(Protocol):
    """The hosted wallet addresses, by payment tag (`services.payments.WalletAddressDirectory`)."""

    def by_payment_tag(self, tag: bytes) -> HostedWalletAddress | None:
        """The wallet address whose id is these 16 bytes (a STREAM token's payment tag), or None
        (any other length included). Check `active` before crediting it."""
        ...

    def __len__(self) -> int:
        """The number of wallet addresses."""
        ...


class PaymentTally(Protocol):
    """What each STREAM connection paid, in memory (`services.payments.ReceivedTally`)."""

    def record(
        self,
        *,
        wallet_address_id: UUID,
        asset_code: str,
        asset_scale: int,
        token: str,
        amount: int,
        at_ns: int,
    ) -> None:
        """A packet of `amount` (> 0, the wallet address's asset) on the connection `token`,
        received at `at_ns` (Unix ns), was fulfilled and posted. No I/O, no await."""
        ...
