"""Properties of the STREAM sender paying our receiver through a fake path: for any rate,
packet limit, reply order and pattern of rejections, the money adds up exactly and never
passes the target."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ilpnode.ilp.stream import (
    FixedReceive,
    FixedSend,
    PacketKind,
    PaymentTarget,
    ReceiverConnection,
    SenderLimits,
    SenderState,
    SendReport,
    StreamSender,
)
from ilpnode.ilp.stream._sender_rate import mul_floor, rounding_allowance

from .fake_path import FakePath, counter_bytes, drive

SECRET = bytes([5]) * 32
DESTINATION = "test.receiver.props"
CODES = ("T04", "T00", "R00", "T05", "F99", "F05", "F04", "F02")

FLOOR_FACTORS = (None, Fraction(1), Fraction(99, 100), Fraction(1, 2), Fraction(101, 100))

rates = st.one_of(
    st.just(Fraction(1)),
    st.builds(Fraction, st.integers(1, 10_000), st.integers(1, 10_000)),
    st.builds(Fraction, st.integers(1, 1000), st.sampled_from([10**3, 10**6, 10**7])),
)


@dataclass(frozen=True)
class Case:
    """One payment: the path, the target, the limits, what to inject, the reply order."""

    rate: Fraction
    max_packet: int | None
    f08_data: bool
    target: PaymentTarget
    limits: SenderLimits
    inject: dict[int, str]  # path packet index -> Reject code
    seed: int


@st.composite
def payments(
    draw: st.DrawFn, *, codes: tuple[str, ...] = CODES, rates: st.SearchStrategy[Fraction] = rates
) -> Case:
    # The target is sized from the rate drawn here: a test that wants another rate says so
    # through `rates`, or a target meant as ~60 packets could need hundreds of thousands.
    rate = draw(rates)
    max_packet = draw(st.integers(1, 10**6) | st.none())
    # Up to ~60 packets' worth: what one packet carries, times a drawn number of packets.
    packets = draw(st.integers(1, 60))
    packet = max_packet if max_packet is not None else 10**6
    target: PaymentTarget
    if draw(st.booleans()):
        amount = draw(st.integers((packets - 1) * packet + 1, packets * packet))
        target = FixedSend(amount)
    else:
        per_packet = max(1, mul_floor(packet, rate))
        amount = draw(st.integers((packets - 1) * per_packet + 1, packets * per_packet))
        target = FixedReceive(amount)
    # The minimum rate: derived by the sender (None), or the path's rate times a factor
    # (above 1: the payment must fail, never deliver below it).
    slack = draw(st.sampled_from(FLOOR_FACTORS))
    return Case(
        rate=rate,
        max_packet=max_packet,
        f08_data=draw(st.booleans()),
        target=target,
        limits=SenderLimits(
            min_rate=None if slack is None else rate * slack,
            max_in_flight=draw(st.integers(1, 10)),
        ),
        inject=draw(st.dictionaries(st.integers(0, 300), st.sampled_from(codes), max_size=8)),
        seed=draw(st.integers(0, 2**32)),
    )


def pay(case: Case) -> tuple[SendReport, FakePath, ReceiverConnection]:
    receiver = ReceiverConnection(SECRET)
    path = FakePath(receiver, rate=case.rate, max_packet=case.max_packet, f08_data=case.f08_data)
    path.inject = lambda _packet: case.inject.get(len(path.seen) - 1)
    sender = StreamSender(
        shared_secret=SECRET,
        destination=DESTINATION,
        target=case.target,
        random_bytes=counter_bytes(),
        limits=case.limits,
    )
    report = drive(sender, path.send, order=random.Random(case.seed))
    return report, path, receiver


def assert_conserved(report: SendReport, path: FakePath, receiver: ReceiverConnection) -> None:
    assert report.done
    assert report.in_flight == 0
    assert (report.error is None) == (report.state is SenderState.COMPLETED)
    # Sent is the sum of fulfilled packets; delivered is what the receiver credited.
    assert report.sent == path.fulfilled_source
    assert report.delivered == path.credited == receiver.total_received
    assert report.fulfilled == path.fulfilled_packets
    assert report.packets == len(path.seen)
    money = [p for p in path.seen if p.kind is PacketKind.MONEY]
    assert all(p.amount > 0 for p in money)
    assert all(p.amount == 0 for p in path.seen if p.kind is PacketKind.CLOSE)
    target = report.target
    if isinstance(target, FixedSend):
        assert report.sent <= target.amount
        assert report.state is not SenderState.COMPLETED or report.sent == target.amount
    else:
        assert report.delivered <= target.amount
        assert report.state is not SenderState.COMPLETED or report.delivered == target.amount
    if report.max_source_amount is not None:
        assert report.sent <= report.max_source_amount
    if report.min_rate is not None:
        # The floor holds but for one unit of the larger asset over the whole payment.
        floor = report.sent * report.min_rate - rounding_allowance(report.min_rate)
        assert report.delivered >= floor


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payments())
def test_money_adds_up_and_never_passes_the_target(case: Case) -> None:
    report, path, receiver = pay(case)
    assert_conserved(report, path, receiver)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payments(codes=("T04", "T00", "R00", "T05", "F99"), rates=st.just(Fraction(1))))
def test_a_same_asset_payment_completes_whatever_temporary_failures(case: Case) -> None:
    limits = SenderLimits(max_in_flight=case.limits.max_in_flight)
    case = replace(case, limits=limits)
    report, path, receiver = pay(case)
    assert_conserved(report, path, receiver)
    assert report.state is SenderState.COMPLETED, report.error_message
    assert report.sent == report.delivered == case.target.amount
