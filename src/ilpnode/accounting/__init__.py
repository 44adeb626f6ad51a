"""ilpnode.accounting: Rafiki's accounting model on the `Ledger` port (DESIGN §3).

Why a service over the ledger: the ledger knows accounts and transfers; this package knows what
they *mean* here — which accounts an asset, a peer and a hosted wallet address have and how their
ids are derived (`accounts`), how liquidity is deposited and withdrawn (`liquidity`), how a
forwarded packet is booked (`packets`), and which error each ledger status becomes (`errors`).
The Admin API and the dashboard use `LiquidityService`; the connector uses `PacketAccounting`.
Both take the `Ledger` explicitly (`bootstrap` wires the durable one; tests use `MemoryLedger`).

Business failures are returned as `TransferError`/`LiquidityError` values (Rafiki's catalogs,
rafiki-peering §2.9); exceptions mean a bug or an infrastructure fault.
"""

from ilpnode.accounting.accounts import (
    OUTGOING_PAYMENT_NAMESPACE,
    SETTLEMENT_NAMESPACE,
    AccountBalance,
    AccountCode,
    AssetAccounts,
    OutgoingPaymentAccount,
    PacketAccount,
    PeerAccount,
    TransferCode,
    UnknownAccount,
    WalletAddressAccount,
    outgoing_payment_account_id,
    settlement_account_id,
)
from ilpnode.accounting.chart import (
    AccountConflictError,
    create_asset_accounts,
    create_peer_account,
    create_wallet_address_account,
    read_balances,
)
from ilpnode.accounting.errors import (
    BUG_STATUSES,
    LiquidityError,
    TransferError,
    first_failure,
    liquidity_error,
    transfer_error,
)
from ilpnode.accounting.liquidity import (
    WITHDRAWAL_TIMEOUT_SECONDS_MAX,
    LiquidityAccount,
    LiquidityResult,
    LiquidityService,
    LiquidityState,
)
from ilpnode.accounting.packets import (
    PACKET_TIMEOUT_MARGIN_SECONDS,
    PACKET_TIMEOUT_SECONDS_MAX,
    PacketAccounting,
    PacketTransfer,
    timeout_seconds_for,
)

__all__ = [
    "BUG_STATUSES",
    "OUTGOING_PAYMENT_NAMESPACE",
    "PACKET_TIMEOUT_MARGIN_SECONDS",
    "PACKET_TIMEOUT_SECONDS_MAX",
    "SETTLEMENT_NAMESPACE",
    "WITHDRAWAL_TIMEOUT_SECONDS_MAX",
    "AccountBalance",
    "AccountCode",
    "AccountConflictError",
    "AssetAccounts",
    "LiquidityAccount",
    "LiquidityError",
    "LiquidityResult",
    "LiquidityService",
    "LiquidityState",
    "OutgoingPaymentAccount",
    "PacketAccount",
    "PacketAccounting",
    "PacketTransfer",
    "PeerAccount",
    "TransferCode",
    "TransferError",
    "UnknownAccount",
    "WalletAddressAccount",
    "create_asset_accounts",
    "create_peer_account",
    "create_wallet_address_account",
    "first_failure",
    "liquidity_error",
    "outgoing_payment_account_id",
    "read_balances",
    "settlement_account_id",
    "timeout_seconds_for",
    "transfer_error",
]
