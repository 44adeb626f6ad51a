"""The sending side of a STREAM connection (RFC 0029) as a sans-IO state machine.

Theory of operation
-------------------
A :class:`StreamSender` pays one receiver (shared secret and ILP address, e.g. from SPSP) a
:class:`FixedSend` or :class:`FixedReceive` amount.  It does no I/O: a runner asks it
:meth:`~StreamSender.next` what to do and gets a :class:`SendPacket` (send this Prepare), a
:class:`Wait` (nothing to send now: wait for a reply or ``delay_ms``) or :class:`Finished`;
the runner hands every reply to :meth:`~StreamSender.on_reply`.  Several packets may be in
flight (``max_in_flight``); time (``now``, monotonic seconds) and randomness (a
``random_bytes`` function, for IVs and unfulfillable conditions) are arguments.

1. **Probing** (``PROBING``).  Unfulfillable packets of 10¹², 10¹¹, … 10³ source units (as
   ``@interledger/pay`` does; capped at ``max_packet_amount``), each with an empty
   ``ConnectionNewAddress`` so the receiver tells its asset.  The receiver cannot fulfil them
   and rejects with F99 and its encrypted reply, whose ``prepareAmount`` is the amount that
   arrived: that bounds the path's rate (:class:`RateBounds`).  F04 and F05 are accepted too
   (Rafiki's receiver answers unfulfillable probes with F05).  F08 lowers the packet size
   (:class:`MaxPacketAmount`) and probes again at the new size; T…, R00 and R01, and F99,
   F04 or F05 without an authentic reply while no rate is known, back off and probe again;
   other codes end the payment (``ConnectorError``).  Probing ends when no probe
   is left or in flight: a rate must then be known and above zero (``RateProbeFailed``,
   ``InsufficientExchangeRate``), within ``probe_timeout_ms`` of the first
   :meth:`~StreamSender.next`.  The minimum rate is then
   fixed: ``min_rate``, or the probed low bound less ``slippage``.
2. **Sending** (``SENDING``).  Fulfillable packets with ``StreamMoney(1, 1)``, sized by
   :func:`plan_money_packet` (exact amounts: see there); each asks the receiver to refuse less
   than ``ceil(amount * min_rate)`` (``prepareAmount``).  On each reply:

   - **Fulfill**: the amount counts as sent, the reported arrival (at least the packet's
     minimum) as delivered; the rate bounds narrow, the packet size grows back when it was
     searching, the back-off resets, the idle timer restarts, a ``StreamReceipt`` is read
     (verified with the receipt secret when known).  A Fulfill without an authentic reply,
     or below its minimum, is counted and then ends the payment
     (``ReceiverProtocolViolation``);
   - **F08**: the packet size shrinks (exactly with the F08 data, by bisection without);
   - **F99, F04, F05**: the rate bounds learn from the reply; a ``StreamMaxMoney`` saying
     the receiver has no room ends the payment (``IncompatibleReceiveMax``); else back off;
   - **T…, R00, R01**: back off: wait ``backoff_initial_ms``, doubled after each further
     rejection up to ``backoff_max_ms`` (rejections of packets that were in flight together
     count once);
   - **any other code**: the payment ends (``ConnectorError``).

   A ``ConnectionClose``, or a ``StreamClose`` for stream 1, in any authentic reply ends the
   payment (``ClosedByReceiver``), as do ``ConnectionAssetDetails`` that contradict what was
   known (``DestinationAssetConflict``), no Fulfill for ``idle_timeout_ms`` (``IdleTimeout``)
   and running out of sequence numbers (``ExceededMaxSequence``).
3. **Closing** (``CLOSING``).  When the target is met, or the payment failed, nothing new is
   sent; the packets in flight are settled (their Fulfills still count), then, if the
   receiver ever answered and did not close first, one 0-amount ``ConnectionClose``
   (``NoError``, or ``ApplicationError`` on failure).  Its reply, whatever it is, ends the
   payment: ``COMPLETED`` or ``FAILED``.

:meth:`~StreamSender.report` gives the exact amounts and counts at any time
(:class:`SendReport`).  Invariants (property-tested): ``sent`` is the sum of fulfilled packet
amounts and never passes a fixed send amount; ``delivered`` is the sum the receiver reported
for them and never passes a fixed receive amount on a path of one rate.
"""

from __future__ import annotations

import math

from .._codes import IlpErrorCode
from .._condition import fulfillment_matches
from .._packet import Fulfill, Reject
from .._wire import TYPE_PREPARE
from ._frames import ConnectionClose, ConnectionNewAddress, Frame, StreamErrorCode, StreamMoney
from ._packet import StreamPacket, encode_stream_packet
from ._sender_core import InFlight, SenderCore
from ._sender_plan import MoneyPlan, PlanFailure, plan_money_packet
from ._sender_reply import MONEY_STREAM_ID, StreamReply, read_reply
from ._sender_types import (
    Finished,
    FixedSend,
    PacketKind,
    SenderAction,
    SendError,
    SenderState,
    SendPacket,
    Wait,
)

__all__ = ["StreamSender"]

_EXPECTED_PROBE_CODES = frozenset({"F99", "F04", "F05"})
_RETRYABLE_CODES = frozenset({"R00", "R01"})  # and every T code
_F08 = IlpErrorCode.F08_AMOUNT_TOO_LARGE.value


class StreamSender(SenderCore):
    """One STREAM payment, sending side (see the module docstring).

    Args:
        shared_secret: the connection's shared secret (32 bytes, e.g. from SPSP).
        destination: the receiver's ILP address.
        target: what to pay.
        random_bytes: ``n -> n`` random bytes (``secrets.token_bytes``).
        limits: how the payment may go.
        receipt_nonce, receipt_secret: RFC 0039 receipt setup, when the sender knows it.
        expected_asset: the receiver's ``(code, scale)`` when known beforehand.

    Raises:
        ValueError: an invalid destination or a shared secret of the wrong size.
    """

    # -- what to do next ----------------------------------------------------------------

    def next(self, *, now: float) -> SenderAction:
        """The next thing to do: send a packet, wait, or nothing more (finished)."""
        if self._state in (SenderState.COMPLETED, SenderState.FAILED):
            return Finished(self.report())
        if not self._started:
            self._started = True
            self._deadline = now + self._limits.probe_timeout_ms / 1000
        if self._state is not SenderState.CLOSING:
            if now >= self._deadline:
                self._fail_deadline()
            if self._failure is not None or self._target_met():
                self._state = SenderState.CLOSING
        if self._state is SenderState.CLOSING:
            return self._closing()
        if now < self._retry_at or len(self._in_flight) >= self._limits.max_in_flight:
            return self._wait(now)
        if self._sequence + 2 > self._limits.max_packets:  # keep one for the close
            self._fail(SendError.EXCEEDED_MAX_SEQUENCE, "the connection ran out of packets")
            return self.next(now=now)
        if self._state is SenderState.PROBING:
            if self._probe_queue:
                return self._probe(self._probe_queue.pop(0))
            if self._probe_retries and not self._rate.known:
                return self._probe(self._probe_retries.pop(0))
            return self._wait(now)  # on_reply ends probing with the last reply
        plan = self._plan()
        if isinstance(plan, PlanFailure):
            self._fail(plan.error, plan.message)
            return self.next(now=now)
        if plan is None:
            return self._wait(now)
        return self._money(plan)

    def _closing(self) -> SenderAction:
        if self._in_flight:
            return Wait(None)
        if not self._close_sent and self._established and not self._remote_closed:
            self._close_sent = True
            if self._failure is None:
                frame = ConnectionClose(StreamErrorCode.NO_ERROR, "")
            else:
                frame = ConnectionClose(StreamErrorCode.APPLICATION_ERROR, self._failure[0].value)
            return self._build(PacketKind.CLOSE, 0, 0, (frame,), fulfillable=False)
        self._state = SenderState.COMPLETED if self._failure is None else SenderState.FAILED
        return Finished(self.report())

    def _wait(self, now: float) -> Wait:
        wake = self._deadline if self._retry_at <= now else min(self._retry_at, self._deadline)
        # Rounded to the microsecond first: float seconds would turn 100 ms into 101.
        return Wait(max(1, math.ceil(round((wake - now) * 1000, 3))))

    def _target_met(self) -> bool:
        if isinstance(self._target, FixedSend):
            return self._sent >= self._target.amount
        return self._delivered >= self._target.amount

    def _fail_deadline(self) -> None:
        if self._state is SenderState.PROBING:
            self._fail_probe(f" within {self._limits.probe_timeout_ms} ms")
        else:
            self._fail(
                SendError.IDLE_TIMEOUT,
                f"no packet was fulfilled for {self._limits.idle_timeout_ms} ms",
            )

    # -- building packets ---------------------------------------------------------------

    def _probe(self, amount: int) -> SendPacket:
        self._probes += 1
        return self._build(
            PacketKind.PROBE, amount, 0, (ConnectionNewAddress(""),), fulfillable=False
        )

    def _money(self, plan: MoneyPlan) -> SendPacket:
        self._money_sent = True
        if plan.corrected:
            self._correction_used = True
        return self._build(
            PacketKind.MONEY,
            plan.amount,
            plan.min_destination,
            (StreamMoney(MONEY_STREAM_ID, 1),),
            fulfillable=True,
            plan=plan,
        )

    def _build(
        self,
        kind: PacketKind,
        amount: int,
        min_destination: int,
        frames: tuple[Frame, ...],
        *,
        fulfillable: bool,
        plan: MoneyPlan | None = None,
    ) -> SendPacket:
        self._sequence += 1
        self._packets += 1
        sequence = self._sequence
        plaintext = encode_stream_packet(
            StreamPacket(
                sequence=sequence,
                ilp_packet_type=TYPE_PREPARE,
                prepare_amount=min_destination,
                frames=frames,
            )
        )
        data = self._cipher.encrypt(plaintext, iv=self._random(12))
        condition = self._cipher.condition(data) if fulfillable else self._random(32)
        self._in_flight[sequence] = InFlight(
            kind,
            amount,
            condition,
            min_destination,
            plan.most_delivered if plan else 0,
            plan.corrected if plan else False,
        )
        return SendPacket(
            sequence=sequence,
            kind=kind,
            amount=amount,
            destination=self._destination,
            data=data,
            execution_condition=condition,
            expires_in_ms=self._limits.packet_expiry_ms,
            min_destination_amount=min_destination,
        )

    def _plan(self) -> MoneyPlan | PlanFailure | None:
        money = [p for p in self._in_flight.values() if p.kind is PacketKind.MONEY]
        assert self._min_rate is not None  # fixed when probing ended
        return plan_money_packet(
            target=self._target,
            sent=self._sent,
            delivered=self._delivered,
            in_flight_source=sum(p.amount for p in money),
            in_flight_most=sum(p.most_delivered for p in money),
            in_flight_packets=len(money),
            rate=self._rate,
            min_rate=self._min_rate,
            max_packet=self._max_packet.next_amount(),
            max_source=self._max_source,
            correction_used=self._correction_used,
        )

    # -- replies --------------------------------------------------------------------------

    def on_reply(self, sequence: int, reply: Fulfill | Reject, *, now: float) -> None:
        """Take the reply to the packet numbered ``sequence``.

        Raises:
            ValueError: no packet with that sequence is in flight (a runner bug); nothing
                changes then.
        """
        packet = self._in_flight.pop(sequence, None)
        if packet is None:
            raise ValueError(f"no STREAM packet {sequence} is in flight")
        if isinstance(reply, Reject):
            self._rejected[reply.code] = self._rejected.get(reply.code, 0) + 1
        if packet.kind is PacketKind.CLOSE:
            return
        info = read_reply(self._cipher, sequence, reply)
        if info.authentic:
            self._established = True
            if info.asset is not None:
                self._note_asset(info.asset)
        if isinstance(reply, Fulfill):
            self._on_fulfill(packet, reply, info, now)
        else:
            self._on_reject(packet, reply, info, sequence, now)
        if (
            self._state is SenderState.PROBING
            and self._failure is None
            and not self._probe_queue
            and (self._rate.known or not self._probe_retries)
            and not self._in_flight
        ):
            self._end_probing(now)
        if info.close is not None:
            self._remote_closed = True
            code, message = info.close
            self._fail(
                SendError.CLOSED_BY_RECEIVER,
                f"the receiver closed the connection (code {code}{': ' if message else ''}"
                f"{message})",
            )
        limit = info.receive_max
        if limit and not isinstance(self._target, FixedSend) and limit[0] < self._target.amount:
            self._fail(
                SendError.INCOMPATIBLE_RECEIVE_MAX, f"the receiver accepts at most {limit[0]}"
            )

    def _on_fulfill(self, packet: InFlight, reply: Fulfill, info: StreamReply, now: float) -> None:
        if packet.kind is not PacketKind.MONEY or not fulfillment_matches(
            reply.fulfillment, packet.condition
        ):
            if packet.corrected:
                self._correction_used = False
            self._fail(
                SendError.RECEIVER_PROTOCOL_VIOLATION,
                "a Fulfill whose fulfillment does not match the packet's condition",
            )
            return
        arrived = max(info.arrived, packet.min_destination)
        self._sent += packet.amount
        self._delivered += arrived
        self._fulfilled += 1
        self._backoff_ms = 0
        self._deadline = now + self._limits.idle_timeout_ms / 1000
        self._max_packet.passed(packet.amount)
        for receipt in info.receipts:
            self._receipts.add(receipt)
        if not info.authentic:
            self._fail(
                SendError.RECEIVER_PROTOCOL_VIOLATION,
                f"a packet of {packet.amount} was fulfilled without an authentic STREAM reply",
            )
            return
        self._rate.update(packet.amount, info.arrived)
        if info.arrived < packet.min_destination:
            self._fail(
                SendError.RECEIVER_PROTOCOL_VIOLATION,
                f"a packet was fulfilled with {info.arrived} arrived, below its minimum "
                f"{packet.min_destination}",
            )

    def _on_reject(
        self, packet: InFlight, reply: Reject, info: StreamReply, sequence: int, now: float
    ) -> None:
        if packet.corrected:
            self._correction_used = False
        if info.authentic:
            self._rate.update(packet.amount, info.arrived)
            self._max_packet.passed(packet.amount)
        code = reply.code
        probe = packet.kind is PacketKind.PROBE
        if code == _F08:
            self._max_packet.rejected(packet.amount, reply.data)
            if self._max_packet.ceiling == 0:
                self._fail(SendError.CONNECTOR_ERROR, "the path's maximum packet amount is 0")
            elif probe and (self._max_packet.known is not None or not self._rate.known):
                self._queue_probe(self._max_packet.next_amount())
        elif code in _EXPECTED_PROBE_CODES:
            if probe:
                if not info.authentic and not self._rate.known:
                    # An intermediary's reply, or one lost on the way: the probe told nothing.
                    self._back_off(now)
                    self._queue_probe(packet.amount, retry=True)
                return
            room = info.receive_max
            if room is not None and room[1] + info.arrived > room[0]:
                self._fail(
                    SendError.INCOMPATIBLE_RECEIVE_MAX,
                    f"the receiver accepts only {room[0] - room[1]} more",
                )
            else:
                self._back_off(now)
        elif code[0] == "T" or code in _RETRYABLE_CODES:
            self._back_off(now)
            if probe:
                self._queue_probe(packet.amount, retry=True)
        else:
            by = f" from {reply.triggered_by}" if reply.triggered_by else ""
            self._fail(
                SendError.CONNECTOR_ERROR, f"packet rejected with {code}{by}: {reply.message}"
            )
