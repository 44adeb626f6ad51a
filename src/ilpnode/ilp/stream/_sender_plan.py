"""Sizing a STREAM (RFC 0029) sender's next money packet, exactly.

One pure function, :func:`plan_money_packet`, given what is sent, delivered and in flight,
the target, the rate bounds, the minimum rate and the path's packet size, says how much the
next packet carries and the least the receiver may accept for it (its ``prepareAmount``):

- **Fixed send** of ``S``: the packet is ``min(S - sent - in flight, max packet)``.  The sum of
  fulfilled packets never passes ``S``: only what is neither sent nor in flight is available.
- **Fixed receive** of ``D``: what is left is ``D - delivered - (the most each packet in
  flight may deliver)``.  The packet is the least source amount that delivers it at the low
  rate bound (``ceil(left / low)``), but never more than may deliver more than is left
  (``floor((left + 1) / high)``): as long as the path's rate stays in ``[low, high)``, the
  receiver never gets more than ``D``.  The total sent never passes
  ``floor(D / min_rate) + 1`` (see below).
- **Minimum rate**: ``prepareAmount = ceil(amount * min_rate)``, except for the one packet
  that should complete the payment, which may lose one unit more to rounding: one unit of
  the larger of the two assets, ``ceil(amount * min_rate - max(min_rate, 1))`` (one source unit
  is ``@interledger/pay``'s rule; one destination unit matters when the source unit is the
  smaller, where a last small packet would otherwise fail on rounding alone).  So every
  payment keeps ``delivered >= sent * min_rate - max(min_rate, 1)``, and a fixed receive sends
  at most ``floor((D + max(min_rate, 1)) / min_rate)``.  When the low rate bound says the
  packet cannot meet its minimum, the payment fails: the rate is below the minimum
  (``InsufficientExchangeRate``) or, if it is not, rounding on packets this small loses too much
  (``ExchangeRateRoundingError``).
- **Exactness of a fixed receive**: the last units are delivered only by a packet that cannot
  deliver more than is left.  When one source unit may deliver more than is left (a rate above
  1), the payment fails short of ``D`` (``ExchangeRateRoundingError``) rather than over-deliver.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .._oer import MAX_UINT64
from ._sender_rate import RateBounds, mul_ceil, mul_floor, rounding_allowance
from ._sender_types import FixedSend, PaymentTarget, SendError

__all__ = ["MoneyPlan", "PlanFailure", "plan_money_packet", "ratio_text"]


@dataclass(frozen=True, slots=True)
class MoneyPlan:
    """The next money packet: ``amount`` source units, refused below ``min_destination``,
    delivering at most ``most_delivered``; ``corrected``: it has the rounding allowance."""

    amount: int
    min_destination: int
    most_delivered: int
    corrected: bool


@dataclass(frozen=True, slots=True)
class PlanFailure:
    """The payment cannot go on: why, in words."""

    error: SendError
    message: str


def plan_money_packet(
    *,
    target: PaymentTarget,
    sent: int,
    delivered: int,
    in_flight_source: int,
    in_flight_most: int,
    in_flight_packets: int,
    rate: RateBounds,
    min_rate: Fraction,
    max_packet: int,
    max_source: int | None,
    correction_used: bool,
) -> MoneyPlan | PlanFailure | None:
    """The next money packet, a failure, or ``None``: nothing to send until a reply comes."""
    # Never a packet whose arrival or minimum could not be a u64.
    u64_cap = rate.source_within(MAX_UINT64 - 1)
    if isinstance(target, FixedSend):
        available = target.amount - sent - in_flight_source
        if available <= 0:
            return None
        amount = min(available, max_packet, u64_cap)
        completes = amount == available
    else:
        left = target.amount - delivered - in_flight_most
        if left <= 0:
            return None
        source_left = MAX_UINT64 if max_source is None else max_source - sent - in_flight_source
        needed = rate.source_for(left)
        within = rate.source_within(left)
        if source_left <= 0 or needed is None or within == 0:
            if in_flight_packets:
                return None
            return _stuck(target.amount, delivered, left, source_left, needed)
        amount = min(needed, within, max_packet, source_left, u64_cap)
        # Sized by what is left (not by a limit): it should, or may, complete the payment.
        completes = amount == min(needed, within)
    if amount <= 0:
        return PlanFailure(
            SendError.EXCHANGE_RATE_ROUNDING_ERROR,
            "no packet small enough for the path can carry the payment",
        )
    corrected = completes and not correction_used
    if corrected:
        exact = amount * min_rate - rounding_allowance(min_rate)
        min_destination = max(-(-exact.numerator // exact.denominator), 0)
    else:
        min_destination = mul_ceil(amount, min_rate)
    least = rate.least_delivered(amount)
    if least < min_destination:
        return _below_minimum(amount, least, min_destination, rate, min_rate)
    return MoneyPlan(amount, min_destination, rate.most_delivered(amount), corrected)


def _stuck(
    target: int, delivered: int, left: int, source_left: int, needed: int | None
) -> PlanFailure:
    if needed is None:
        return PlanFailure(
            SendError.INSUFFICIENT_EXCHANGE_RATE,
            f"nothing arrives any more: delivered {delivered} of {target}, exchange rate is 0",
        )
    if source_left <= 0:
        return PlanFailure(
            SendError.INSUFFICIENT_EXCHANGE_RATE,
            f"sent the most the minimum exchange rate allows and delivered {delivered} of {target}",
        )
    return PlanFailure(
        SendError.EXCHANGE_RATE_ROUNDING_ERROR,
        f"cannot deliver the last {left} units exactly: one source unit may deliver more",
    )


def _below_minimum(
    amount: int, least: int, minimum: int, rate: RateBounds, min_rate: Fraction
) -> PlanFailure:
    low = rate.low if rate.low is not None else Fraction(0)
    if low < min_rate:
        return PlanFailure(
            SendError.INSUFFICIENT_EXCHANGE_RATE,
            f"exchange rate {ratio_text(low)} is below the minimum {ratio_text(min_rate)}",
        )
    return PlanFailure(
        SendError.EXCHANGE_RATE_ROUNDING_ERROR,
        f"a packet of {amount} may deliver only {least}, less than the {minimum} the minimum "
        "exchange rate requires: packets this small lose too much to rounding",
    )


def ratio_text(rate: Fraction) -> str:
    """A rate for a message: exact, and rounded down to 12 decimals."""
    if rate.denominator == 1:
        return str(rate.numerator)
    digits = str(mul_floor(10**12, rate)).rjust(13, "0")
    decimals = digits[-12:].rstrip("0") or "0"
    return f"{rate.numerator}/{rate.denominator} (~{digits[:-12]}.{decimals})"
