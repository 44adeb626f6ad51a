"""ilpnode.services.payments_sender: paying a receiver with SPSP and STREAM.

- :func:`query_spsp` resolves a payment pointer (``$host/path``) or a wallet address URL to
  STREAM credentials (RFC 0009), over a caller-owned ``httpx.AsyncClient``;
- :func:`run_payment` drives a :class:`~ilpnode.ilp.stream.StreamSender` (the sans-IO STREAM
  sender) over a ``send_prepare(prepare) -> Fulfill | Reject`` packet path until the payment
  is over, and returns its :class:`~ilpnode.ilp.stream.SendReport`.

See docs/stream.md ("The sender").
"""

from ilpnode.services.payments_sender.runner import REPLY_GRACE_MS, SendPrepare, run_payment
from ilpnode.services.payments_sender.spsp import (
    MAX_ANSWER_BYTES,
    SPSP_ACCEPT,
    SPSP_TIMEOUT_SECONDS,
    SpspError,
    SpspReceiver,
    query_spsp,
    spsp_url,
)

__all__ = [
    "MAX_ANSWER_BYTES",
    "REPLY_GRACE_MS",
    "SPSP_ACCEPT",
    "SPSP_TIMEOUT_SECONDS",
    "SendPrepare",
    "SpspError",
    "SpspReceiver",
    "query_spsp",
    "run_payment",
    "spsp_url",
]
