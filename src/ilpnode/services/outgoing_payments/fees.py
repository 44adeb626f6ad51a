"""The sending fee, exactly (Rafiki's `Fee.calculate`, in integers).

Rafiki charges `fixed + ceil(principal * basisPoints / 10000)` (its float `Math.ceil`); here the
same in exact integer arithmetic, on the amount actually sent:

- a payment that sent nothing is charged nothing (the source is debited nothing for a payment
  whose every packet was rejected);
- a fixed send of debit amount D sends S, the largest amount whose fee fits: S + fee(S) <= D.
  When it completes, the fee charged is D - S, so the source is debited exactly D: that is
  fee(S), or one unit more when no S lands exactly on D (the fee rounds up, as Rafiki's);
- a payment that stops early is charged fee(sent), never more than its funds allow.
"""

from __future__ import annotations

from ilpnode.services.outgoing_payments.model import SendingFee

__all__ = ["fee_charged", "send_amount_for_debit", "sending_fee"]

_BASIS = 10_000


def sending_fee(sent: int, fee: SendingFee) -> int:
    """The fee on `sent` source units: 0 when nothing was sent, else
    `fixed + ceil(sent * basis_points / 10000)`."""
    if sent <= 0:
        return 0
    return fee.fixed + -(-sent * fee.basis_points // _BASIS)


def send_amount_for_debit(debit: int, fee: SendingFee) -> int:
    """The largest S with S + sending_fee(S) <= `debit` (0 if the fee alone exceeds it)."""
    low, high = 0, debit  # S + fee(S) is increasing in S: search the last S that fits
    while low < high:
        middle = (low + high + 1) // 2
        if middle + sending_fee(middle, fee) <= debit:
            low = middle
        else:
            high = middle - 1
    return low


def fee_charged(
    sent: int, fee: SendingFee, *, requested_debit: int | None, send_target: int | None
) -> int:
    """The fee a payment that sent `sent` is charged when it ends (see the module docstring):
    a completed fixed send pays the rest of its debit amount, anything else `sending_fee`."""
    if requested_debit is not None and send_target is not None and sent == send_target > 0:
        return requested_debit - sent
    return sending_fee(sent, fee)
