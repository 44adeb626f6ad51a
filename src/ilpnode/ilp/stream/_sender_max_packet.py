"""The largest packet a STREAM sender (RFC 0029) may send over its path, learnt from F08s.

A connector refuses a Prepare above its maximum packet amount with F08 (RFC 0027), whose data
is ``receivedAmount:u64 ‖ maximumAmount:u64`` in *its* units.  The sender scales it back to
source units: ``floor(maximum * sent / received)``, a precise new limit.  An F08 without
(valid) data says only "less than what was sent": the limit becomes ``sent - 1``, imprecise,
and packets search it by bisection between the largest amount known to pass and that limit,
growing after each success (halving at first: nothing is known to pass yet).  A packet
"passes" when its reply came from the receiver (authentic STREAM data), Fulfill or Reject.
"""

from __future__ import annotations

from .._errors import IlpCodecError
from .._f08 import decode_amount_too_large_data
from .._oer import MAX_UINT64

__all__ = ["MaxPacketAmount"]


class MaxPacketAmount:
    """The path's maximum packet amount as far as the replies told."""

    __slots__ = ("_ceiling", "_largest_passed", "_precise", "_seen_f08")

    def __init__(self, limit: int | None) -> None:
        # The largest amount that may pass: the caller's limit until an F08 says less.
        self._ceiling = MAX_UINT64 if limit is None else limit
        self._largest_passed = 0
        self._precise = False
        self._seen_f08 = False

    @property
    def ceiling(self) -> int:
        """No packet above this passes (0: none can)."""
        return self._ceiling

    @property
    def known(self) -> int | None:
        """The path's limit once an F08 told it or bisection found it, else ``None``."""
        return self._ceiling if self._precise else None

    def next_amount(self) -> int:
        """The size of the next packet: the limit, or the bisection's next guess."""
        if self._precise or not self._seen_f08:
            return self._ceiling
        low = min(self._largest_passed, self._ceiling)
        return low + (self._ceiling - low + 1) // 2

    def rejected(self, sent: int, data: bytes) -> None:
        """An F08 came back for a packet of ``sent`` units, with ``data``."""
        self._seen_f08 = True
        if self._largest_passed >= sent:
            # Bigger packets passed before: the path changed, and what passed says nothing now.
            self._largest_passed = 0
        new_ceiling, precise = sent - 1, False
        try:
            told = decode_amount_too_large_data(data)
        except IlpCodecError:
            told = None
        # An F08 saying that no more than the maximum arrived is not credible: ignore its data.
        if told is not None and told.received_amount > told.maximum_amount:
            new_ceiling = told.maximum_amount * sent // told.received_amount
            precise = True
        if new_ceiling < self._ceiling:
            self._ceiling = max(new_ceiling, 0)
            self._precise = precise
        self._largest_passed = min(self._largest_passed, self._ceiling)

    def passed(self, sent: int) -> None:
        """A packet of ``sent`` units reached the receiver."""
        if sent > self._largest_passed:
            self._largest_passed = min(sent, self._ceiling)
        if self._seen_f08 and self._largest_passed >= self._ceiling:
            self._precise = True
