"""The state a STREAM sender (RFC 0029) keeps, and what it reports: see ``_sender`` for the
theory of operation.

:class:`SenderCore` holds one payment's state (targets, limits, keys, counters, the rate and
packet-size trackers, the packets in flight) with the small steps both halves of the machine
use: failing, backing off, queueing probes, ending the probe, reading the receiver's asset, and
the report.  :class:`~ilpnode.ilp.stream.StreamSender` adds what to send next and what each
reply means.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from .._address import parse_address
from ._crypto import StreamCipher
from ._sender_max_packet import MaxPacketAmount
from ._sender_plan import ratio_text
from ._sender_rate import RateBounds, rounding_allowance
from ._sender_receipts import ReceiptTracker
from ._sender_types import (
    DEFAULT_SENDER_LIMITS,
    FixedSend,
    PacketKind,
    PaymentTarget,
    SenderLimits,
    SendError,
    SenderState,
    SendReport,
)

__all__ = ["InFlight", "SenderCore"]

_PROBE_AMOUNTS = tuple(10**k for k in range(12, 2, -1))
_ENDED = (SenderState.COMPLETED, SenderState.FAILED)


@dataclass(frozen=True, slots=True)
class InFlight:
    """A packet sent and not yet answered."""

    kind: PacketKind
    amount: int
    condition: bytes
    min_destination: int = 0
    most_delivered: int = 0
    corrected: bool = False


class SenderCore:
    """One payment's state (see the module docstring); not used on its own."""

    def __init__(
        self,
        *,
        shared_secret: bytes,
        destination: str,
        target: PaymentTarget,
        random_bytes: Callable[[int], bytes],
        limits: SenderLimits = DEFAULT_SENDER_LIMITS,
        receipt_nonce: bytes | None = None,
        receipt_secret: bytes | None = None,
        expected_asset: tuple[str, int] | None = None,
    ) -> None:
        if len(shared_secret) != 32:
            raise ValueError("the STREAM shared secret must be 32 bytes")
        self._destination = str(parse_address(destination))
        self._cipher = StreamCipher(shared_secret)
        self._target = target
        self._random = random_bytes
        self._limits = limits
        self._receipts = ReceiptTracker(nonce=receipt_nonce, secret=receipt_secret)
        self._asset = expected_asset
        self._state = SenderState.PROBING
        self._sequence = 0
        self._in_flight: dict[int, InFlight] = {}
        cap = limits.max_packet_amount
        probes = {a if cap is None else min(a, cap) for a in _PROBE_AMOUNTS}
        self._probe_queue = sorted(probes, reverse=True)
        self._probe_retries: list[int] = []  # probes to send again while no rate is known
        self._rate = RateBounds()
        self._max_packet = MaxPacketAmount(cap)
        self._min_rate: Fraction | None = limits.min_rate
        self._max_source: int | None = target.amount if isinstance(target, FixedSend) else None
        self._sent = self._delivered = self._fulfilled = self._packets = self._probes = 0
        self._rejected: dict[str, int] = {}
        self._correction_used = False
        self._retry_at = 0.0
        self._backoff_ms = 0
        self._deadline = math.inf  # the probe's, from the first call of next()
        self._started = False
        self._failure: tuple[SendError, str] | None = None
        self._established = False
        self._remote_closed = False
        self._close_sent = False
        self._money_sent = False  # a money packet was built: the minimum rate is fixed for good

    def __repr__(self) -> str:
        return (
            f"StreamSender(state={self._state.value}, sent={self._sent}, "
            f"delivered={self._delivered}, in_flight={len(self._in_flight)})"
        )

    @property
    def state(self) -> SenderState:
        """Where the payment is."""
        return self._state

    def set_min_rate(self, min_rate: Fraction) -> None:
        """Replace the minimum exchange rate fixed when probing ended, before any money packet.

        For a runner that learns the floor only from the probe, e.g. an external rate for the
        receiver's asset, which the probe's ``ConnectionAssetDetails`` made known.  A fixed
        receive's ``max_source_amount`` follows the new rate.  If the probed rate's low bound is
        below ``min_rate``, the payment fails at once (``InsufficientExchangeRate``), before
        anything was sent.

        Raises:
            ValueError: probing has not ended, the payment ended, a money packet was sent
                already, or ``min_rate`` is not above zero (a runner bug); nothing changes.
        """
        if self._state is not SenderState.SENDING or self._money_sent or self._failure:
            raise ValueError("the minimum rate can only change between probing and sending")
        if min_rate <= 0:
            raise ValueError("the minimum rate must be above zero")
        self._min_rate = min_rate
        low = self._rate.low
        assert low is not None  # probing ended with a rate
        if low < min_rate:
            self._fail(
                SendError.INSUFFICIENT_EXCHANGE_RATE,
                f"exchange rate {ratio_text(low)} is below the minimum {ratio_text(min_rate)}",
            )
        elif not isinstance(self._target, FixedSend):
            allowance = rounding_allowance(min_rate)
            self._max_source = math.floor((self._target.amount + allowance) / min_rate)

    def abort(self, message: str) -> None:
        """End the payment from outside (its funding failed, the node stops): nothing new is
        sent, the packets in flight are settled (their Fulfills still count), then the
        connection is closed as for any failure (``Aborted``, with ``message``).  A payment
        that ended, failed or met its target already keeps its outcome."""
        if self._state is SenderState.CLOSING or self._state in _ENDED:
            return  # closing: the target was met, or it failed already
        self._fail(SendError.ABORTED, message)

    def _fail_probe(self, when: str) -> None:
        if self._rate.known:
            message = f"the rate probe did not end{when}"
        else:
            codes = ", ".join(f"{n} {code}" for code, n in sorted(self._rejected.items()))
            message = f"no probe reached the receiver{when} (rejections: {codes or 'none'})"
        self._fail(SendError.RATE_PROBE_FAILED, message)

    def _fail(self, error: SendError, message: str) -> None:
        if self._failure is None:
            self._failure = (error, message)

    def _end_probing(self, now: float) -> None:
        low = self._rate.low
        # Probing ends only with a rate: a probe that told nothing is probed again.
        assert low is not None
        if low == 0:
            largest = 1 / self._rate.high if self._rate.high else 0  # high = 1/largest probe
            self._fail(
                SendError.INSUFFICIENT_EXCHANGE_RATE,
                f"nothing arrives: probes of up to {largest} source units reached the receiver "
                "as 0",
            )
            return
        if self._min_rate is None:
            self._min_rate = low * (1 - self._limits.slippage)
        if not isinstance(self._target, FixedSend) and self._min_rate > 0:
            # delivered >= sent * min_rate - max(min_rate, 1) (see plan_money_packet).
            allowance = rounding_allowance(self._min_rate)
            self._max_source = math.floor((self._target.amount + allowance) / self._min_rate)
        self._state = SenderState.SENDING
        self._deadline = now + self._limits.idle_timeout_ms / 1000

    def _queue_probe(self, amount: int, *, retry: bool = False) -> None:
        """Probe ``amount`` (again): a retry only while no rate is known, else always."""
        flying = {p.amount for p in self._in_flight.values() if p.kind is PacketKind.PROBE}
        queued = (*self._probe_queue, *self._probe_retries)
        if amount > 0 and amount not in queued and amount not in flying:
            (self._probe_retries if retry else self._probe_queue).append(amount)

    def _back_off(self, now: float) -> None:
        if now < self._retry_at:
            return  # already waiting: the packets that were in flight fail together
        limits = self._limits
        self._backoff_ms = min(max(2 * self._backoff_ms, limits.backoff_initial_ms),
                               limits.backoff_max_ms)  # fmt: skip
        self._retry_at = now + self._backoff_ms / 1000

    def _note_asset(self, asset: tuple[str, int]) -> None:
        if self._asset is None:
            self._asset = asset
        elif asset != self._asset:
            self._fail(
                SendError.DESTINATION_ASSET_CONFLICT,
                f"the receiver's asset is {asset[0]}/{asset[1]}, expected "
                f"{self._asset[0]}/{self._asset[1]}",
            )

    def report(self) -> SendReport:
        """The payment's amounts and counts now."""
        error, message = self._failure if self._failure is not None else (None, "")
        receipts = self._receipts
        return SendReport(
            state=self._state,
            target=self._target,
            sent=self._sent,
            delivered=self._delivered,
            in_flight=sum(p.amount for p in self._in_flight.values() if p.kind is PacketKind.MONEY),
            max_source_amount=self._max_source,
            min_rate=self._min_rate,
            rate_low=self._rate.low,
            rate_high=self._rate.high,
            max_packet_amount=self._max_packet.known,
            destination_asset=self._asset,
            packets=self._packets,
            probes=self._probes,
            fulfilled=self._fulfilled,
            rejected=dict(self._rejected),
            receipt=receipts.latest,
            receipt_total=receipts.total,
            receipt_verified=receipts.verified,
            invalid_receipts=receipts.invalid,
            error=error,
            error_message=message,
        )
