"""ilpnode.services.payments: receiving payments — wallet addresses hosted by the node, their
in-memory directory, and the STREAM server secret (issue 18).

`WalletAddressService` is what the Admin API and the dashboard call; it keeps the database
(through the `WalletAddressStore` port), the wallet addresses' ledger accounts
(`LiquidityService`) and the `WalletAddressDirectory` in step. The packet path and the SPSP
server read only the directory (`HostedWalletAddress` entries, `ilpnode.hosted_wallets`) and
the `StreamSecret`; the STREAM receiver tallies what each connection paid in a `ReceivedTally`,
which the `ReceivedPaymentLog` writes in batches and lists (the payments received).
Business failures are returned as `WalletAddressError`/`LiquidityError` values; exceptions mean
a bug or an infrastructure fault.
"""

from ilpnode.services.payments.directory import PAYMENT_TAG_LENGTH, WalletAddressDirectory
from ilpnode.services.payments.errors import WalletAddressError
from ilpnode.services.payments.model import ReceivedPayment, WalletAddress, WalletAddressStatus
from ilpnode.services.payments.ports import (
    ReceivedPaymentStore,
    SecretStore,
    WalletAddressStore,
    WalletAddressTransaction,
)
from ilpnode.services.payments.received_payments import (
    FLUSH_INTERVAL_SECONDS,
    ReceivedPaymentLog,
)
from ilpnode.services.payments.received_tally import ReceivedTally, connection_id
from ilpnode.services.payments.spsp import (
    SPSP_CONTENT_TYPE,
    SpspCredentials,
    SpspFailure,
    SpspServer,
)
from ilpnode.services.payments.stream_secret import (
    STREAM_SECRET_LENGTH,
    STREAM_SECRET_NAME,
    StreamSecret,
    load_stream_secret,
)
from ilpnode.services.payments.urls import FORBIDDEN_PATHS, URL_LENGTH_MAX, OpenPaymentsUrls
from ilpnode.services.payments.wallet_addresses import (
    PUBLIC_NAME_LENGTH_MAX,
    CreateWalletAddress,
    UpdateWalletAddress,
    WalletAddressService,
    WalletAddressWithdrawal,
)

__all__ = [
    "FLUSH_INTERVAL_SECONDS",
    "FORBIDDEN_PATHS",
    "PAYMENT_TAG_LENGTH",
    "PUBLIC_NAME_LENGTH_MAX",
    "SPSP_CONTENT_TYPE",
    "STREAM_SECRET_LENGTH",
    "STREAM_SECRET_NAME",
    "URL_LENGTH_MAX",
    "CreateWalletAddress",
    "OpenPaymentsUrls",
    "ReceivedPayment",
    "ReceivedPaymentLog",
    "ReceivedPaymentStore",
    "ReceivedTally",
    "SecretStore",
    "SpspCredentials",
    "SpspFailure",
    "SpspServer",
    "StreamSecret",
    "UpdateWalletAddress",
    "WalletAddress",
    "WalletAddressDirectory",
    "WalletAddressError",
    "WalletAddressService",
    "WalletAddressStatus",
    "WalletAddressStore",
    "WalletAddressTransaction",
    "WalletAddressWithdrawal",
    "connection_id",
    "load_stream_secret",
]
