"""The STREAM sender's money packets: sizing, minimum rate, back-off, completion, deadlines."""

from __future__ import annotations

from fractions import Fraction

import pytest

from ilpnode.ilp import AmountTooLargeData, encode_amount_too_large_data
from ilpnode.ilp.stream import (
    ConnectionClose,
    FixedReceive,
    FixedSend,
    PacketKind,
    SendError,
    SenderState,
    SendPacket,
    StreamCipher,
    StreamMoney,
    Wait,
)

from .sender_replies import SECRET, burst, finished, plain_reject, probed, waits


def test_a_fixed_send_in_one_packet_then_the_close() -> None:
    sender, replier = probed(FixedSend(1000))
    (money,), after = burst(sender)
    assert waits(after).delay_ms == 30_000  # the idle deadline
    assert money.kind is PacketKind.MONEY
    assert money.amount == 1000
    assert money.execution_condition == StreamCipher(SECRET).condition(money.data)
    assert money.expires_in_ms == 30_000
    request = replier.read(money)
    assert request.frames == (StreamMoney(1, 1),)
    # The completing packet may lose one unit more to rounding: ceil(1000 * 0.99 - 1).
    assert request.prepare_amount == money.min_destination_amount == 989
    sender.on_reply(money.sequence, replier.fulfill(money), now=0.1)
    (close,), _ = burst(sender, now=0.1)
    assert close.kind is PacketKind.CLOSE
    assert replier.read(close).frames == (ConnectionClose(0x01, ""),)
    assert close.amount == close.min_destination_amount == 0
    sender.on_reply(close.sequence, replier.reject(close, ConnectionClose(1, "")), now=0.2)
    report = finished(sender.next(now=0.2)).report
    assert report.state is SenderState.COMPLETED
    assert (report.sent, report.delivered, report.fulfilled, report.in_flight) == (1000, 1000, 1, 0)
    assert report.packets == 12
    assert report.error is None
    assert report.realized_rate == 1
    assert report.done
    assert finished(sender.next(now=5)).report == report  # stays finished


def test_packets_are_sized_to_the_max_packet_amount_and_bounded_in_flight() -> None:
    sender, replier = probed(FixedSend(1000), max_packet_amount=300, max_in_flight=3)
    packets, after = burst(sender)
    assert [p.amount for p in packets] == [300, 300, 300]
    assert [p.min_destination_amount for p in packets] == [297, 297, 297]  # ceil(300 * .99)
    assert waits(after).delay_ms == 30_000
    sender.on_reply(packets[0].sequence, replier.fulfill(packets[0]), now=0)
    (last,), _ = burst(sender)
    assert last.amount == 100
    assert last.min_destination_amount == 98  # ceil(100 * .99 - 1): the rounding allowance
    for packet in [*packets[1:], last]:
        sender.on_reply(packet.sequence, replier.fulfill(packet), now=0)
    assert sender.report().sent == 1000


def test_only_one_completing_packet_carries_the_rounding_allowance() -> None:
    sender, replier = probed(FixedSend(1000), max_packet_amount=600)
    first, second = burst(sender)[0]
    assert (first.amount, first.min_destination_amount) == (600, 594)
    assert (second.amount, second.min_destination_amount) == (400, 395)  # ceil(396 - 1)
    sender.on_reply(second.sequence, plain_reject("T04"), now=0)  # allowance comes back
    sender.on_reply(first.sequence, replier.fulfill(first), now=0)
    (again,), _ = burst(sender, now=1)
    assert (again.amount, again.min_destination_amount) == (400, 395)


def test_a_fixed_receive_is_delivered_exactly() -> None:
    # Rate 1/3: the probe of 10**12 says [333333333333/10**12, 333333333334/10**12).
    sender, replier = probed(FixedReceive(100), Fraction(1, 3))
    (money,), _ = burst(sender)
    assert money.amount == 301  # ceil(100 / low): the least that delivers 100 at the low bound
    # The rounding allowance: ceil(301 * low * 0.99 - 1), low a hair under 1/3.
    assert money.min_destination_amount == 99
    sender.on_reply(money.sequence, replier.fulfill(money, arrived=100), now=0)
    (close,), _ = burst(sender)
    assert close.kind is PacketKind.CLOSE
    assert sender.report().delivered == 100
    min_rate = Fraction(333_333_333_333, 10**12) * Fraction(99, 100)
    assert sender.report().min_rate == min_rate
    assert sender.report().max_source_amount == 306  # floor((100 + 1) / min_rate)


def test_a_fixed_receive_never_sends_what_may_deliver_too_much() -> None:
    sender, replier = probed(FixedReceive(10), Fraction(5))
    (money,), _ = burst(sender)
    assert money.amount == 2
    sender.on_reply(money.sequence, replier.fulfill(money, arrived=10), now=0)
    (close,), _ = burst(sender)
    assert close.kind is PacketKind.CLOSE


def test_a_fixed_receive_that_cannot_be_exact_fails_with_what_it_delivered() -> None:
    sender, replier = probed(FixedReceive(12), Fraction(5))
    (money,), _ = burst(sender)
    assert money.amount == 2
    sender.on_reply(money.sequence, replier.fulfill(money, arrived=10), now=0)
    (close,), _ = burst(sender)  # 2 left, one source unit delivers 5
    sender.on_reply(close.sequence, plain_reject("F99"), now=0)
    report = finished(sender.next(now=0)).report
    assert report.error is SendError.EXCHANGE_RATE_ROUNDING_ERROR
    assert "last 2 units" in report.error_message
    assert (report.sent, report.delivered) == (2, 10)


def test_in_flight_packets_count_at_their_most_for_a_fixed_receive() -> None:
    sender, replier = probed(FixedReceive(1000), max_packet_amount=400)
    packets, after = burst(sender)
    # 400 may deliver up to 400 (high bound just above 1): 400 + 400 + 200 cover 1000.
    assert [p.amount for p in packets] == [400, 400, 200]
    assert waits(after).delay_ms == 30_000
    sender.on_reply(packets[0].sequence, replier.fulfill(packets[0]), now=0)
    assert waits(sender.next(now=0)).delay_ms == 30_000  # 600 still on the way
    sender.on_reply(packets[2].sequence, plain_reject("T04"), now=0)
    (again,), _ = burst(sender, now=1)
    assert again.amount == 200
    for packet in (packets[1], again):
        sender.on_reply(packet.sequence, replier.fulfill(packet), now=1)
    (close,), _ = burst(sender, now=1)
    assert close.kind is PacketKind.CLOSE
    assert sender.report().delivered == 1000


def test_f08_during_payment_shrinks_exactly_and_without_data_by_half() -> None:
    sender, replier = probed(FixedSend(10_000), max_in_flight=1)
    (money,), _ = burst(sender)
    told = AmountTooLargeData(received_amount=10_000, maximum_amount=4000)
    sender.on_reply(money.sequence, plain_reject("F08", encode_amount_too_large_data(told)), now=0)
    (second,), _ = burst(sender)
    assert second.amount == 4000
    assert sender.report().max_packet_amount == 4000
    sender.on_reply(second.sequence, plain_reject("F08"), now=0)
    (third,), _ = burst(sender)
    assert third.amount == 2000  # nothing passed yet: half of 3999, rounded up
    sender.on_reply(third.sequence, replier.fulfill(third), now=0)
    (fourth,), _ = burst(sender)
    assert fourth.amount == 3000  # grows back: between 2000 (passed) and 3999
    assert sender.report().max_packet_amount is None  # still searching


@pytest.mark.parametrize("code", ["T00", "T01", "T04", "T05", "T99", "R00", "R01", "F99", "F05"])
def test_temporary_rejections_back_off_doubling_and_a_fulfill_resets(code: str) -> None:
    sender, replier = probed(FixedSend(1000), max_packet_amount=100, max_in_flight=1)
    delays = []
    now = 0.0
    for _ in range(8):
        (money,), _ = burst(sender, now=now)
        sender.on_reply(money.sequence, plain_reject(code), now=now)
        delay = waits(sender.next(now=now)).delay_ms
        assert delay is not None
        delays.append(delay)
        now += delay / 1000
    assert delays == [100, 200, 400, 800, 1600, 3200, 5000, 5000]
    (money,), _ = burst(sender, now=now)
    sender.on_reply(money.sequence, replier.fulfill(money), now=now)
    (money,), _ = burst(sender, now=now)
    sender.on_reply(money.sequence, plain_reject(code), now=now)
    assert waits(sender.next(now=now)).delay_ms == 100
    assert sender.report().rejected == ({code: 9, "F99": 1} if code != "F99" else {"F99": 10})


def test_no_fulfill_for_the_idle_timeout_ends_the_payment() -> None:
    sender, _ = probed(FixedSend(1000), idle_timeout_ms=1000, max_packet_amount=100)
    now, sent_at = 0.0, []
    while True:
        action = sender.next(now=now)
        if isinstance(action, Wait):
            assert action.delay_ms is not None
            now += action.delay_ms / 1000
        elif isinstance(action, SendPacket) and action.kind is PacketKind.MONEY:
            sent_at.append(now)
            sender.on_reply(action.sequence, plain_reject("T04"), now=now)
        else:
            break
    # Back-off 100, 200, 400 ms, then the deadline (1 s after probing ended) comes first.
    assert sent_at == pytest.approx([0, 0.1, 0.3, 0.7])
    assert now == pytest.approx(1.0)
    assert isinstance(action, SendPacket)
    assert action.kind is PacketKind.CLOSE
    sender.on_reply(action.sequence, plain_reject("F99"), now=now)
    report = finished(sender.next(now=now)).report
    assert report.error is SendError.IDLE_TIMEOUT
    assert report.error_message == "no packet was fulfilled for 1000 ms"


def test_the_rate_falling_below_the_minimum_ends_the_payment() -> None:
    sender, replier = probed(FixedSend(1000), max_packet_amount=100, max_in_flight=2)
    first, second = burst(sender)[0]
    sender.on_reply(first.sequence, replier.fulfill(first), now=0)
    sender.on_reply(second.sequence, replier.reject(second, arrived=90), now=0)
    (close,), _ = burst(sender, now=1)
    assert close.kind is PacketKind.CLOSE
    sender.on_reply(close.sequence, plain_reject("F99"), now=1)
    report = finished(sender.next(now=1)).report
    assert report.error is SendError.INSUFFICIENT_EXCHANGE_RATE
    assert report.error_message.startswith("exchange rate 9/10 (~0.9) is below the minimum")
    assert (report.sent, report.delivered) == (100, 100)


def test_packets_too_small_for_the_minimum_are_a_rounding_error() -> None:
    sender, _ = probed(FixedSend(1000), Fraction(1, 2), min_rate=Fraction(1, 2))
    (money,), _ = burst(sender)
    told = AmountTooLargeData(received_amount=1000, maximum_amount=3)  # 3 source units pass
    sender.on_reply(money.sequence, plain_reject("F08", encode_amount_too_large_data(told)), now=0)
    (close,), _ = burst(sender)
    assert close.kind is PacketKind.CLOSE
    report = sender.report()
    assert report.error is SendError.EXCHANGE_RATE_ROUNDING_ERROR
    assert "a packet of 3 may deliver only 1, less than the 2" in report.error_message


def test_a_fatal_reject_ends_the_payment_after_the_packets_in_flight_settle() -> None:
    sender, replier = probed(FixedSend(1000), max_packet_amount=100, max_in_flight=3)
    first, second, third = burst(sender)[0]
    sender.on_reply(first.sequence, plain_reject("F02", message="unreachable"), now=0)
    assert waits(sender.next(now=0)).delay_ms is None
    sender.on_reply(second.sequence, replier.fulfill(second), now=0)
    assert waits(sender.next(now=0)).delay_ms is None
    sender.on_reply(third.sequence, replier.fulfill(third), now=0)
    (close,), _ = burst(sender)
    sender.on_reply(close.sequence, plain_reject("F99"), now=0)
    report = finished(sender.next(now=0)).report
    assert report.error is SendError.CONNECTOR_ERROR
    assert (report.sent, report.delivered, report.fulfilled) == (200, 200, 2)


def test_running_out_of_sequence_numbers() -> None:
    sender, replier = probed(FixedSend(1000), max_packet_amount=100, max_packets=4)
    packets, after = burst(sender)  # the probe was 1; 4 is kept for the close
    assert [p.sequence for p in packets] == [2, 3]
    assert waits(after).delay_ms is None
    for packet in packets:
        sender.on_reply(packet.sequence, replier.fulfill(packet), now=0)
    (close,), _ = burst(sender)
    assert close.kind is PacketKind.CLOSE
    assert close.sequence == 4
    sender.on_reply(close.sequence, plain_reject("F99"), now=0)
    report = finished(sender.next(now=0)).report
    assert report.error is SendError.EXCEEDED_MAX_SEQUENCE
    assert report.sent == 200


def test_a_reply_for_no_packet_in_flight_is_refused() -> None:
    sender, replier = probed(FixedSend(1000))
    (money,), _ = burst(sender)
    with pytest.raises(ValueError, match="no STREAM packet 99 is in flight"):
        sender.on_reply(99, plain_reject("T00"), now=0)
    sender.on_reply(money.sequence, replier.fulfill(money), now=0)
    with pytest.raises(ValueError, match="is in flight"):
        sender.on_reply(money.sequence, replier.fulfill(money), now=0)
    assert sender.report().sent == 1000
