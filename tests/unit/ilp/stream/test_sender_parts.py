"""The STREAM sender's parts: rate bounds, packet size, packet planning, input checks."""

from __future__ import annotations

from fractions import Fraction

import pytest

from ilpnode.ilp import MAX_UINT64, AmountTooLargeData, encode_amount_too_large_data
from ilpnode.ilp.stream import (
    FixedReceive,
    FixedSend,
    SenderLimits,
    SendError,
    SenderState,
    SendReport,
    StreamSender,
)
from ilpnode.ilp.stream._sender_max_packet import MaxPacketAmount
from ilpnode.ilp.stream._sender_plan import MoneyPlan, PlanFailure, plan_money_packet
from ilpnode.ilp.stream._sender_rate import RateBounds, mul_ceil, mul_floor

from .fake_path import counter_bytes
from .sender_replies import new_sender


def f08(received: int, maximum: int) -> bytes:
    told = AmountTooLargeData(received_amount=received, maximum_amount=maximum)
    return encode_amount_too_large_data(told)


# -- rate bounds ------------------------------------------------------------------------


def test_products_round_exactly() -> None:
    assert mul_floor(10, Fraction(1, 3)) == 3
    assert mul_ceil(10, Fraction(1, 3)) == 4
    assert mul_ceil(9, Fraction(1, 3)) == 3
    big = 2**64 - 1
    assert mul_floor(big, Fraction(10**18 + 1, 10**18)) == big + big // 10**18


def test_rate_bounds_narrow_and_reset_when_the_rate_moves() -> None:
    rate = RateBounds()
    assert not rate.known
    assert (rate.least_delivered(10), rate.most_delivered(10)) == (0, MAX_UINT64)
    assert rate.source_for(5) is None
    assert rate.source_within(5) == MAX_UINT64
    rate.update(0, 7)  # no money: nothing learnt
    assert not rate.known
    rate.update(1000, 333)
    assert (rate.low, rate.high) == (Fraction(333, 1000), Fraction(334, 1000))
    rate.update(3, 1)  # [1/3, 2/3): only the low bound moves up
    assert (rate.low, rate.high) == (Fraction(1, 3), Fraction(334, 1000))
    assert rate.least_delivered(300) == 100
    assert rate.most_delivered(300) == 100  # ceil(100.2) - 1
    assert rate.source_for(100) == 300
    assert rate.source_within(100) == 302  # floor(101 / 0.334)
    rate.update(100, 50)  # [1/2, 51/100): outside, so the rate changed
    assert (rate.low, rate.high) == (Fraction(1, 2), Fraction(51, 100))


def test_rate_bounds_cap_arrivals_at_u64() -> None:
    rate = RateBounds()
    rate.update(1, 1000)
    assert rate.least_delivered(2**63) == MAX_UINT64
    assert rate.most_delivered(2**63) == MAX_UINT64


# -- max packet amount --------------------------------------------------------------------


def test_max_packet_from_f08_data_is_exact_and_only_goes_down() -> None:
    size = MaxPacketAmount(None)
    assert (size.next_amount(), size.known) == (MAX_UINT64, None)
    size.rejected(1000, f08(2000, 500))  # two arrive per source unit: 250 source units pass
    assert (size.next_amount(), size.known) == (250, 250)
    size.rejected(250, f08(600, 500))
    assert size.known == 208
    size.rejected(1000, f08(2000, 1000))  # says more than known: ignored
    assert size.known == 208


@pytest.mark.parametrize("data", [b"", b"short", f08(100, 100), f08(50, 100)])
def test_f08_without_credible_data_bisects(data: bytes) -> None:
    size = MaxPacketAmount(1000)
    size.rejected(1000, data)
    assert (size.ceiling, size.known, size.next_amount()) == (999, None, 500)
    size.passed(500)
    assert size.next_amount() == 750
    size.rejected(750, b"")
    assert size.next_amount() == 625
    size.passed(749)
    assert (size.known, size.next_amount()) == (749, 749)


def test_without_any_f08_the_limit_is_used_as_it_is() -> None:
    size = MaxPacketAmount(1000)
    size.passed(1000)
    assert (size.next_amount(), size.known) == (1000, None)


def test_an_f08_below_what_passed_restarts_the_search() -> None:
    size = MaxPacketAmount(None)
    size.passed(10_000)
    size.rejected(4000, b"")
    assert size.next_amount() == 2000


# -- planning -----------------------------------------------------------------------------


def plan(
    target: FixedSend | FixedReceive, rate: int = 1, **state: object
) -> MoneyPlan | PlanFailure | None:
    """Plan with the rate bounds of one probe of 10**12 at ``rate``."""
    bounds = RateBounds()
    bounds.update(10**12, 10**12 * rate)
    args: dict[str, object] = dict(
        sent=0,
        delivered=0,
        in_flight_source=0,
        in_flight_most=0,
        in_flight_packets=0,
        rate=bounds,
        min_rate=Fraction(99, 100),
        max_packet=MAX_UINT64,
        max_source=None,
        correction_used=False,
    )
    args.update(state)
    return plan_money_packet(target=target, **args)  # type: ignore[arg-type]


def test_a_fixed_send_never_plans_beyond_what_is_neither_sent_nor_in_flight() -> None:
    assert plan(FixedSend(100), sent=60, in_flight_source=40) is None
    assert plan(FixedSend(100), sent=60, in_flight_source=30) == MoneyPlan(10, 9, 10, True)
    assert plan(FixedSend(100), sent=60, correction_used=True) == MoneyPlan(40, 40, 40, False)


def test_a_fixed_receive_plans_what_is_left_at_its_most() -> None:
    assert plan(FixedReceive(100), delivered=60, in_flight_most=40) is None
    assert plan(FixedReceive(100), delivered=60) == MoneyPlan(40, 39, 40, True)


def test_a_fixed_receive_stops_at_the_most_it_may_send() -> None:
    assert plan(FixedReceive(100), sent=90, max_source=101) == MoneyPlan(11, 11, 11, False)
    in_flight = {"in_flight_source": 11, "in_flight_most": 11, "in_flight_packets": 1}
    assert plan(FixedReceive(100), sent=90, max_source=101, **in_flight) is None
    failure = plan(FixedReceive(100), sent=101, delivered=90, max_source=101)
    assert failure == PlanFailure(
        SendError.INSUFFICIENT_EXCHANGE_RATE,
        "sent the most the minimum exchange rate allows and delivered 90 of 100",
    )


def test_a_fixed_receive_with_a_rate_gone_to_zero_fails() -> None:
    failure = plan(FixedReceive(100), delivered=10, rate=0)
    assert isinstance(failure, PlanFailure)
    assert failure.error is SendError.INSUFFICIENT_EXCHANGE_RATE
    assert "exchange rate is 0" in failure.message


def test_no_packet_when_one_source_unit_may_deliver_more_than_u64() -> None:
    assert plan(FixedSend(10), rate=2**65) == PlanFailure(
        SendError.EXCHANGE_RATE_ROUNDING_ERROR,
        "no packet small enough for the path can carry the payment",
    )


def test_packets_are_kept_within_u64_arrivals() -> None:
    result = plan(FixedSend(MAX_UINT64), rate=4, min_rate=Fraction(3))
    assert isinstance(result, MoneyPlan)
    assert result.amount == (MAX_UINT64 - 1 + 1) * 10**12 // (4 * 10**12 + 1)
    assert result.most_delivered <= MAX_UINT64


# -- inputs and the report ------------------------------------------------------------------


@pytest.mark.parametrize("amount", [0, -1, 2**64])
def test_targets_are_u64_and_positive(amount: int) -> None:
    with pytest.raises(ValueError, match=r"outside 1\.\.2"):
        FixedSend(amount)
    with pytest.raises(ValueError, match=r"outside 1\.\.2"):
        FixedReceive(amount)
    with pytest.raises(TypeError):
        FixedSend(True)


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        ({"min_rate": Fraction(-1)}, "min_rate"),
        ({"slippage": Fraction(1)}, "slippage"),
        ({"max_packet_amount": 0}, "max_packet_amount"),
        ({"max_in_flight": 0}, "max_in_flight"),
        ({"packet_expiry_ms": 0}, "packet_expiry_ms"),
        ({"idle_timeout_ms": 0}, "idle_timeout_ms"),
        ({"backoff_initial_ms": 10, "backoff_max_ms": 5}, "backoff"),
        ({"max_packets": 1}, "max_packets"),
    ],
)
def test_limits_are_checked(limits: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        SenderLimits(**limits)  # type: ignore[arg-type]


def test_a_bad_destination_or_secret_is_refused() -> None:
    def make(secret: bytes, destination: str) -> StreamSender:
        return StreamSender(
            shared_secret=secret,
            destination=destination,
            target=FixedSend(1),
            random_bytes=counter_bytes(),
        )

    with pytest.raises(ValueError, match="address"):
        make(bytes(32), "not an address")
    with pytest.raises(ValueError, match="32 bytes"):
        make(bytes(16), "test.x")


def test_the_report_and_repr_before_anything_happened() -> None:
    sender = new_sender(FixedReceive(500), min_rate=Fraction(1, 2))
    report = sender.report()
    assert report == SendReport(
        state=SenderState.PROBING,
        target=FixedReceive(500),
        sent=0,
        delivered=0,
        in_flight=0,
        max_source_amount=None,
        min_rate=Fraction(1, 2),
        rate_low=None,
        rate_high=None,
        max_packet_amount=None,
        destination_asset=None,
        packets=0,
        probes=0,
        fulfilled=0,
    )
    assert report.realized_rate is None
    assert not report.done
    assert repr(sender) == "StreamSender(state=probing, sent=0, delivered=0, in_flight=0)"
