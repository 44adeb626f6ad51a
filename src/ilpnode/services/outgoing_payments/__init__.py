"""ilpnode.services.outgoing_payments: payments this node sends (issue 19), over SPSP and STREAM.

`OutgoingPaymentService` is what the Admin API (`sendPayment`, `outgoingPayment(s)`) calls. A
payment goes from a wallet address hosted here (its balance) or from an asset's liquidity, to a
receiver named by a payment pointer or a wallet address URL; it is probed, funded into its own
ledger account, sent through the connector's packet path (`PaymentPath`: reserved and posted
like any packet), then settled: the source is debited exactly what was sent plus the sending
fee. Its row is saved as it goes and ended from the ledger after a crash. See `service.py`
(the order of the checks), `run.py` (one payment), `money.py` (the ledger), `fees.py`,
`recovery.py` and docs/admin-api.md ("Outgoing payments").
"""

from ilpnode.services.outgoing_payments.fees import (
    fee_charged,
    send_amount_for_debit,
    sending_fee,
)
from ilpnode.services.outgoing_payments.model import (
    ACTIVE_STATES,
    OutgoingPayment,
    OutgoingPaymentState,
    PaymentRefused,
    SendingFee,
    SendPayment,
)
from ilpnode.services.outgoing_payments.money import (
    PAYMENT_TRANSFER_NAMESPACE,
    Funding,
    PaymentMoney,
    Settlement,
    payment_transfer_id,
)
from ilpnode.services.outgoing_payments.ports import (
    ExchangeRateUnavailable,
    NextHop,
    OutgoingPaymentStore,
    PaymentPath,
    PaymentSource,
    ResolveReceiver,
)
from ilpnode.services.outgoing_payments.run import LEASE_SECONDS, PROGRESS_SECONDS
from ilpnode.services.outgoing_payments.service import SWEEP_SECONDS, OutgoingPaymentService

__all__ = [
    "ACTIVE_STATES",
    "LEASE_SECONDS",
    "PAYMENT_TRANSFER_NAMESPACE",
    "PROGRESS_SECONDS",
    "SWEEP_SECONDS",
    "ExchangeRateUnavailable",
    "Funding",
    "NextHop",
    "OutgoingPayment",
    "OutgoingPaymentService",
    "OutgoingPaymentState",
    "OutgoingPaymentStore",
    "PaymentMoney",
    "PaymentPath",
    "PaymentRefused",
    "PaymentSource",
    "ResolveReceiver",
    "SendPayment",
    "SendingFee",
    "Settlement",
    "fee_charged",
    "payment_transfer_id",
    "send_amount_for_debit",
    "sending_fee",
]
