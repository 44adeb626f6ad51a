"""What a runner may tell the STREAM sender between its replies: a minimum rate fixed after the
probe (`set_min_rate`), and an end from outside (`abort`)."""

from __future__ import annotations

from fractions import Fraction

import pytest

from ilpnode.ilp.stream import (
    ConnectionClose,
    FixedReceive,
    FixedSend,
    PacketKind,
    SendError,
    SenderState,
    StreamErrorCode,
)

from .sender_replies import burst, finished, new_sender, plain_reject, probed


def test_a_minimum_rate_set_after_the_probe_bounds_every_money_packet() -> None:
    sender, replier = probed(FixedSend(1000))
    sender.set_min_rate(Fraction(1, 2))
    assert sender.report().min_rate == Fraction(1, 2)
    (money,), _ = burst(sender)
    # The completing packet may lose one unit more to rounding: ceil(1000 / 2 - 1).
    assert (money.amount, money.min_destination_amount) == (1000, 499)
    sender.on_reply(money.sequence, replier.fulfill(money), now=0)
    (close,), _ = burst(sender)
    assert close.kind is PacketKind.CLOSE


def test_a_minimum_rate_above_the_probed_rate_fails_before_any_money() -> None:
    sender, replier = probed(FixedSend(1000), Fraction(1, 2))
    sender.set_min_rate(Fraction(3, 4))
    report = sender.report()
    assert report.error is SendError.INSUFFICIENT_EXCHANGE_RATE
    assert report.error_message == "exchange rate 1/2 (~0.5) is below the minimum 3/4 (~0.75)"
    (close,), _ = burst(sender)  # nothing is sent but the close
    assert close.kind is PacketKind.CLOSE
    assert replier.read(close).frames == (
        ConnectionClose(StreamErrorCode.APPLICATION_ERROR, "InsufficientExchangeRate"),
    )
    sender.on_reply(close.sequence, plain_reject("F99"), now=0)
    final = finished(sender.next(now=0)).report
    assert (final.state, final.sent) == (SenderState.FAILED, 0)


def test_a_fixed_receive_takes_its_maximum_source_amount_from_the_new_rate() -> None:
    sender, _ = probed(FixedReceive(100), Fraction(2))
    assert sender.report().max_source_amount == 51  # floor((100 + 1.98) / 1.98)
    sender.set_min_rate(Fraction(3, 2))
    assert sender.report().max_source_amount == 67  # floor((100 + 1.5) / 1.5)


@pytest.mark.parametrize("when", ["probing", "after money", "zero"])
def test_the_minimum_rate_is_refused_outside_its_window(when: str) -> None:
    if when == "probing":
        sender = new_sender(FixedSend(10))
        rate = Fraction(1)
    else:
        sender, _ = probed(FixedSend(10))
        rate = Fraction(0) if when == "zero" else Fraction(1)
        if when == "after money":
            burst(sender)
    before = sender.report()
    with pytest.raises(ValueError, match="minimum rate"):
        sender.set_min_rate(rate)
    assert sender.report() == before


def test_abort_settles_the_packets_in_flight_then_closes() -> None:
    sender, replier = probed(FixedSend(1000), max_packet_amount=300, max_in_flight=2)
    first, second = burst(sender)[0]
    sender.abort("the node is stopping")
    assert burst(sender)[0] == []  # nothing new while two are in flight
    sender.on_reply(first.sequence, replier.fulfill(first), now=0)
    sender.on_reply(second.sequence, plain_reject("T04"), now=0)
    (close,), _ = burst(sender)
    assert replier.read(close).frames == (
        ConnectionClose(StreamErrorCode.APPLICATION_ERROR, "Aborted"),
    )
    sender.on_reply(close.sequence, plain_reject("F99"), now=0)
    report = finished(sender.next(now=0)).report
    assert (report.state, report.error, report.error_message) == (
        SenderState.FAILED,
        SendError.ABORTED,
        "the node is stopping",
    )
    assert report.sent == 300  # the Fulfill that came back after the abort counts


def test_abort_keeps_an_earlier_outcome() -> None:
    sender, replier = probed(FixedSend(10))
    (money,), _ = burst(sender)
    sender.on_reply(money.sequence, replier.fulfill(money), now=0)
    (close,), _ = burst(sender)
    sender.on_reply(close.sequence, plain_reject("F99"), now=0)
    assert finished(sender.next(now=0)).report.state is SenderState.COMPLETED
    sender.abort("too late")
    report = finished(sender.next(now=0)).report
    assert (report.state, report.error) == (SenderState.COMPLETED, None)


def test_abort_while_closing_a_completed_payment_keeps_it_completed() -> None:
    sender, replier = probed(FixedSend(10))
    (money,), _ = burst(sender)
    sender.on_reply(money.sequence, replier.fulfill(money), now=0)
    (close,), _ = burst(sender)
    sender.abort("the node is stopping")
    sender.on_reply(close.sequence, plain_reject("F99"), now=0)
    report = finished(sender.next(now=0)).report
    assert (report.state, report.error, report.sent) == (SenderState.COMPLETED, None, 10)
