"""A fake ILP path for the STREAM sender's tests: a rate, a maximum packet amount that answers
F08, injected rejections, and our own ReceiverConnection at the end.  Synchronous: the driver
answers the packets in flight in a chosen order, on a fake clock."""

from __future__ import annotations

import hashlib
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

from ilpnode.ilp import (
    MAX_UINT64,
    AmountTooLargeData,
    Fulfill,
    Reject,
    encode_amount_too_large_data,
)
from ilpnode.ilp.stream import (
    Finished,
    FulfillDecision,
    ReceiverConnection,
    SendPacket,
    SendReport,
    StreamSender,
    Wait,
)

PATH_ADDRESS = "test.path"


def counter_bytes() -> Callable[[int], bytes]:
    """Deterministic, never-repeating "random" bytes: tests need no randomness."""
    numbers = itertools.count()

    def random_bytes(n: int) -> bytes:
        out = b""
        while len(out) < n:
            out += hashlib.sha256(next(numbers).to_bytes(8, "big")).digest()
        return out[:n]

    return random_bytes


@dataclass
class FakePath:
    """One hop: converts at ``rate`` (rounding down), refuses packets above ``max_packet``
    (source units) with F08, and answers ``inject(packet)`` when it returns a code."""

    receiver: ReceiverConnection
    rate: Fraction = Fraction(1)
    max_packet: int | None = None
    f08_data: bool = True
    inject: Callable[[SendPacket], str | None] = lambda _: None
    credited: int = 0
    fulfilled_source: int = 0
    fulfilled_packets: int = 0
    seen: list[SendPacket] = field(default_factory=list)
    ivs: Callable[[int], bytes] = field(default_factory=counter_bytes)

    def send(self, packet: SendPacket) -> Fulfill | Reject:
        self.seen.append(packet)
        if self.max_packet is not None and packet.amount > self.max_packet:
            data = b""
            if self.f08_data:
                told = AmountTooLargeData(
                    received_amount=packet.amount, maximum_amount=self.max_packet
                )
                data = encode_amount_too_large_data(told)
            return Reject(code="F08", triggered_by=PATH_ADDRESS, message="too big", data=data)
        code = self.inject(packet)
        if code is not None:
            return Reject(code=code, triggered_by=PATH_ADDRESS, message="injected")
        arriving = min(packet.amount * self.rate.numerator // self.rate.denominator, MAX_UINT64)
        decision = self.receiver.decide(
            data=packet.data,
            amount=arriving,
            execution_condition=packet.execution_condition,
            iv=self.ivs(12),
        )
        if isinstance(decision, FulfillDecision):
            self.credited += decision.amount
            self.fulfilled_source += packet.amount
            self.fulfilled_packets += 1
            return Fulfill(fulfillment=decision.fulfillment, data=decision.data)
        return Reject(
            code=decision.code,
            triggered_by="test.receiver",
            message=decision.message,
            data=decision.data,
        )


def drive(
    sender: StreamSender,
    answer: Callable[[SendPacket], Fulfill | Reject],
    *,
    order: random.Random | None = None,
    step_seconds: float = 0.001,
    max_steps: int = 200_000,
) -> SendReport:
    """Run ``sender`` to the end: answer its packets (oldest first, or in ``order``'s random
    order) with ``answer``, sleep through its waits on a fake clock; the final report."""
    now = 0.0
    in_flight: list[SendPacket] = []
    for _ in range(max_steps):
        action = sender.next(now=now)
        if isinstance(action, Finished):
            assert not in_flight
            return action.report
        if isinstance(action, SendPacket):
            in_flight.append(action)
            continue
        assert isinstance(action, Wait)
        if in_flight:
            index = order.randrange(len(in_flight)) if order is not None else 0
            packet = in_flight.pop(index)
            now += step_seconds
            sender.on_reply(packet.sequence, answer(packet), now=now)
        else:
            assert action.delay_ms is not None, "waiting for nothing"
            now += action.delay_ms / 1000
    raise AssertionError("the payment never finished")
