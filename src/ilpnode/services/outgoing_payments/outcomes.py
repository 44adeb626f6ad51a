"""What a run answers when a payment does not go as asked: the refusals `sendPayment` gives
for a run that ended before its funding, and the `error` text of a payment that failed."""

from __future__ import annotations

from typing import Final

from ilpnode.ilp.stream import SendError, SendReport
from ilpnode.services.outgoing_payments.model import PaymentRefused

__all__ = ["STOPPING", "TAKEN_OVER", "failure_text"]

TAKEN_OVER: Final = PaymentRefused(code="CONFLICT", message="another process took the payment over")
STOPPING: Final = PaymentRefused(code="INTERNAL_SERVER_ERROR", message="the node is stopping")


def failure_text(report: SendReport | None) -> str:
    """The sender's failure as the payment's `error`: `<PaymentError>: <what happened>`."""
    if report is None:
        return "the payment stopped"
    if report.error is SendError.ABORTED:
        return report.error_message
    if report.error is None:
        return "the payment stopped before its target"
    return f"{report.error.value}: {report.error_message}"
