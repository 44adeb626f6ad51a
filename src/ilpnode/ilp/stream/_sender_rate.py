"""What a STREAM sender (RFC 0029) knows of the path's exchange rate, as exact fractions.

Each authentic reply to a packet of ``s > 0`` source units says ``d`` destination units
arrived (its ``prepareAmount``).  Connectors round amounts down, so the path's rate ``r``
satisfies ``d/s <= r < (d+1)/s``: the tracker keeps the tightest such interval
``[low, high)`` over all replies (the same bounds as ``@interledger/pay``'s
exchange-rate controller).  A reply outside the interval means the rate moved: the interval
starts again from that reply.

From the interval: a packet of ``a`` units delivers at least ``floor(a*low)`` and at most
``ceil(a*high) - 1``.  That holds for a path that converts once, rounding down (the property
tests check it).  A path that converts at two hops rounds twice, and a packet may then deliver
a little more than ``ceil(a*high) - 1`` (less than the rounding of the later hops, a few units):
the interval is no bound there, only a close estimate.  No floats anywhere: every product is
rounded explicitly.
"""

from __future__ import annotations

from fractions import Fraction

from .._oer import MAX_UINT64

__all__ = ["RateBounds", "mul_ceil", "mul_floor", "rounding_allowance"]


def mul_floor(amount: int, rate: Fraction) -> int:
    """``floor(amount * rate)``, exactly."""
    return (amount * rate.numerator) // rate.denominator


def mul_ceil(amount: int, rate: Fraction) -> int:
    """``ceil(amount * rate)``, exactly."""
    return -((-amount * rate.numerator) // rate.denominator)


def rounding_allowance(min_rate: Fraction) -> Fraction:
    """What a whole payment may lose to rounding, in destination units: one unit of the larger
    asset, ``max(min_rate, 1)`` (one source unit is worth ``min_rate`` destination units)."""
    return min_rate if min_rate > 1 else Fraction(1)


class RateBounds:
    """The interval ``[low, high)`` the path's rate lies in, or nothing known yet."""

    __slots__ = ("high", "low")

    def __init__(self) -> None:
        self.low: Fraction | None = None
        self.high: Fraction | None = None

    @property
    def known(self) -> bool:
        """True once a reply to a packet with money told what arrived."""
        return self.low is not None

    def update(self, source_amount: int, arrived: int) -> None:
        """Narrow the interval with a reply: ``arrived`` for ``source_amount`` (> 0 only)."""
        if source_amount <= 0:
            return
        packet_low = Fraction(arrived, source_amount)
        packet_high = Fraction(arrived + 1, source_amount)
        low, high = self.low, self.high
        if low is None or high is None or packet_high <= low or packet_low >= high:
            self.low, self.high = packet_low, packet_high
            return
        if packet_low > low:
            self.low = packet_low
        if packet_high < high:
            self.high = packet_high

    def least_delivered(self, source_amount: int) -> int:
        """The least ``source_amount`` delivers: ``floor(amount*low)`` (0 when unknown)."""
        if self.low is None:
            return 0
        return min(mul_floor(source_amount, self.low), MAX_UINT64)

    def most_delivered(self, source_amount: int) -> int:
        """The most ``source_amount`` may deliver: ``ceil(amount*high) - 1``, at most
        2**64-1 (a packet cannot credit more); 2**64-1 when unknown."""
        if self.high is None:
            return MAX_UINT64
        return min(max(mul_ceil(source_amount, self.high) - 1, 0), MAX_UINT64)

    def source_for(self, destination_amount: int) -> int | None:
        """The least source amount that delivers ``destination_amount`` at the low bound:
        ``ceil(dest / low)``; ``None`` when nothing is known to arrive (low is 0 or unknown)."""
        if not self.low:
            return None
        return mul_ceil(destination_amount, 1 / self.low)

    def source_within(self, destination_amount: int) -> int:
        """The most source units that cannot deliver more than ``destination_amount``:
        the largest ``a`` with ``ceil(a*high) - 1 <= dest``, i.e. ``floor((dest+1) / high)``;
        2**64-1 when nothing is known."""
        if self.high is None:
            return MAX_UINT64
        return mul_floor(destination_amount + 1, 1 / self.high)
