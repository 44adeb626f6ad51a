"""The STREAM sender's rate probe: every branch of the PROBING state."""

from __future__ import annotations

from fractions import Fraction

from ilpnode.ilp import AmountTooLargeData, encode_amount_too_large_data
from ilpnode.ilp.stream import (
    ConnectionAssetDetails,
    ConnectionClose,
    ConnectionNewAddress,
    FixedSend,
    PacketKind,
    SendError,
    SenderState,
    StreamCipher,
)

from .sender_replies import (
    SECRET,
    Replier,
    burst,
    finished,
    new_sender,
    plain_reject,
    waits,
)

POWERS = [10**k for k in range(12, 2, -1)]


def test_probes_are_unfulfillable_powers_of_ten_asking_for_the_asset() -> None:
    sender = new_sender(FixedSend(1000))
    packets, after = burst(sender)
    assert [p.amount for p in packets] == POWERS
    assert waits(after).delay_ms == 10_000  # the probe deadline
    cipher, replier = StreamCipher(SECRET), Replier()
    for sequence, packet in enumerate(packets, start=1):
        assert packet.kind is PacketKind.PROBE
        assert packet.sequence == sequence
        assert packet.min_destination_amount == 0
        assert packet.execution_condition != cipher.condition(packet.data)
        request = replier.read(packet)
        assert request.frames == (ConnectionNewAddress(""),)
        assert request.prepare_amount == 0
        assert request.ilp_packet_type == 12
    assert sender.state is SenderState.PROBING


def test_probes_never_exceed_the_max_packet_amount_limit() -> None:
    packets, _ = burst(new_sender(FixedSend(1000), max_packet_amount=5000))
    assert [p.amount for p in packets] == [5000, 1000]


def test_probes_in_flight_are_bounded() -> None:
    packets, after = burst(new_sender(FixedSend(1000), max_in_flight=3))
    assert [p.amount for p in packets] == POWERS[:3]
    assert waits(after).delay_ms == 10_000


def test_f99_f04_and_f05_replies_teach_the_rate_and_asset() -> None:
    sender = new_sender(FixedSend(1000))
    packets, _ = burst(sender)
    replier = Replier()
    codes = ["F99", "F04", "F05"]
    for i, packet in enumerate(packets):
        reply = replier.reject(
            packet, ConnectionAssetDetails("EUR", 2), code=codes[i % 3], arrived=packet.amount // 2
        )
        sender.on_reply(packet.sequence, reply, now=0.1)
    money, _ = burst(sender, now=0.2)
    report = sender.report()
    assert sender.state is SenderState.SENDING
    assert report.rate_low == Fraction(1, 2)
    assert report.rate_high == Fraction(10**12 // 2 + 1, 10**12)
    assert report.min_rate == Fraction(1, 2) * Fraction(99, 100)
    assert report.destination_asset == ("EUR", 2)
    assert report.probes == 10
    assert report.rejected == {"F99": 4, "F04": 3, "F05": 3}
    assert [p.kind for p in money] == [PacketKind.MONEY]


def test_f05_without_stream_data_teaches_nothing_and_probes_again() -> None:
    sender = new_sender(FixedSend(1000), probe_timeout_ms=1000)
    packets, _ = burst(sender)
    for packet in packets:
        sender.on_reply(packet.sequence, plain_reject("F05"), now=0.5)
    assert waits(sender.next(now=0.5)).delay_ms == 100  # once for the ten
    again, _ = burst(sender, now=0.6)
    assert [p.amount for p in again] == POWERS
    for packet in again:
        sender.on_reply(packet.sequence, plain_reject("F05"), now=1.0)
    done = finished(sender.next(now=1.0))  # nothing reached the receiver: no close either
    assert done.report.error is SendError.RATE_PROBE_FAILED
    assert done.report.error_message == (
        "no probe reached the receiver within 1000 ms (rejections: 20 F05)"
    )
    assert done.report.packets == 20
    assert done.report.rejected == {"F05": 20}


def test_one_authentic_probe_is_enough() -> None:
    sender = new_sender(FixedSend(1000))
    packets, _ = burst(sender)
    replier = Replier()
    for packet in packets:
        reply = replier.reject(packet) if packet.amount == 1000 else plain_reject("F05")
        sender.on_reply(packet.sequence, reply, now=0)
    assert sender.state is SenderState.SENDING  # the retries of the others are dropped
    money, _ = burst(sender, now=0.1)  # after the back-off the F05s caused
    assert [p.amount for p in money] == [1000]


def test_f08_with_data_probes_again_at_the_path_maximum() -> None:
    sender = new_sender(FixedSend(1000))
    packets, _ = burst(sender)
    replier = Replier()
    for packet in packets:
        if packet.amount > 50_000:
            # Two units arrive per source unit at the hop, whose maximum is 100 000.
            told = AmountTooLargeData(received_amount=2 * packet.amount, maximum_amount=100_000)
            reply = plain_reject("F08", encode_amount_too_large_data(told))
        else:
            reply = replier.reject(packet, arrived=2 * packet.amount)
        sender.on_reply(packet.sequence, reply, now=0)
    again, _ = burst(sender)
    assert [p.amount for p in again] == [50_000]
    assert sender.report().max_packet_amount == 50_000
    sender.on_reply(again[0].sequence, replier.reject(again[0], arrived=100_000), now=0)
    money, _ = burst(sender)
    assert sender.state is SenderState.SENDING
    assert [p.amount for p in money] == [1000]


def test_f08_without_data_bisects_until_a_probe_reaches_the_receiver() -> None:
    sender = new_sender(FixedSend(1000), max_packet_amount=1000)
    (probe,), _ = burst(sender)
    sender.on_reply(probe.sequence, plain_reject("F08"), now=0)
    (second,), _ = burst(sender)
    assert second.amount == 500  # (1000 - 1 + 1) // 2
    sender.on_reply(second.sequence, plain_reject("F08"), now=0)
    (third,), _ = burst(sender)
    assert third.amount == 250
    sender.on_reply(third.sequence, Replier().reject(third), now=0)
    money, _ = burst(sender)
    assert sender.state is SenderState.SENDING
    # Bisection between 250 (passed) and 499 (refused): 375, then the rest.
    assert [p.amount for p in money] == [375, 375, 250]


def test_f08_saying_zero_ends_the_payment() -> None:
    sender = new_sender(FixedSend(1000), max_packet_amount=1000)
    (probe,), _ = burst(sender)
    told = AmountTooLargeData(received_amount=1000, maximum_amount=0)
    sender.on_reply(probe.sequence, plain_reject("F08", encode_amount_too_large_data(told)), now=0)
    report = finished(sender.next(now=0)).report
    assert report.error is SendError.CONNECTOR_ERROR
    assert "maximum packet amount is 0" in report.error_message


def test_temporary_errors_back_off_and_probe_again() -> None:
    sender = new_sender(FixedSend(1000), max_packet_amount=1000)
    (probe,), _ = burst(sender)
    sender.on_reply(probe.sequence, plain_reject("T04"), now=1.0)
    assert waits(sender.next(now=1.0)).delay_ms == 100
    assert waits(sender.next(now=1.05)).delay_ms == 50
    (again,), _ = burst(sender, now=1.1)
    assert again.amount == 1000
    sender.on_reply(again.sequence, plain_reject("R00"), now=1.2)
    assert waits(sender.next(now=1.2)).delay_ms == 200  # doubled
    (third,), _ = burst(sender, now=1.4)
    sender.on_reply(third.sequence, Replier().reject(third), now=1.5)
    assert sender.report().rejected == {"T04": 1, "R00": 1, "F99": 1}


def test_a_final_error_ends_the_probe_without_a_close() -> None:
    sender = new_sender(FixedSend(1000))
    packets, _ = burst(sender)
    sender.on_reply(packets[0].sequence, plain_reject("F02", message="no route"), now=0)
    assert waits(sender.next(now=0)).delay_ms is None  # the other probes are still out
    for packet in packets[1:]:
        sender.on_reply(packet.sequence, plain_reject("F02"), now=0)
    report = finished(sender.next(now=0)).report
    assert report.state is SenderState.FAILED
    assert report.error is SendError.CONNECTOR_ERROR
    assert report.error_message == "packet rejected with F02 from test.hop: no route"
    assert report.packets == 10


def test_a_failed_probe_closes_a_connection_that_was_established() -> None:
    sender = new_sender(FixedSend(1000), max_packet_amount=1000)
    (probe,), _ = burst(sender)
    sender.on_reply(probe.sequence, Replier().reject(probe, code="F03"), now=0)
    (close,), _ = burst(sender)
    assert close.kind is PacketKind.CLOSE
    assert close.amount == 0
    assert Replier().read(close).frames == (ConnectionClose(0x09, "ConnectorError"),)
    sender.on_reply(close.sequence, plain_reject("F99"), now=0)
    assert finished(sender.next(now=0)).report.error is SendError.CONNECTOR_ERROR


def test_the_probe_deadline() -> None:
    sender = new_sender(FixedSend(1000), probe_timeout_ms=2000, max_packet_amount=1000)
    (probe,), _ = burst(sender)
    sender.on_reply(probe.sequence, plain_reject("T02"), now=1.0)
    assert waits(sender.next(now=1.0)).delay_ms == 100
    (again,), _ = burst(sender, now=1.5)
    sender.on_reply(again.sequence, plain_reject("T02"), now=2.5)
    report = finished(sender.next(now=2.5)).report
    assert report.error is SendError.RATE_PROBE_FAILED
    assert report.error_message == (
        "no probe reached the receiver within 2000 ms (rejections: 2 T02)"
    )


def test_a_probe_that_learnt_a_rate_but_did_not_end_in_time() -> None:
    sender = new_sender(FixedSend(1000), probe_timeout_ms=2000)
    packets, _ = burst(sender)
    replier = Replier()
    replier.probe_rate(sender, packets[1:], Fraction(1))  # the largest is still out
    assert waits(sender.next(now=2.0)).delay_ms is None  # failed: settles what is in flight
    sender.on_reply(packets[0].sequence, replier.reject(packets[0]), now=2.5)
    (close,), _ = burst(sender, now=2.5)
    assert close.kind is PacketKind.CLOSE
    sender.on_reply(close.sequence, plain_reject("F99"), now=2.6)
    report = finished(sender.next(now=2.6)).report
    assert report.error is SendError.RATE_PROBE_FAILED
    assert report.error_message == "the rate probe did not end within 2000 ms"
    assert report.rate_low == 1


def test_nothing_arriving_is_an_insufficient_rate() -> None:
    sender = new_sender(FixedSend(1000))
    packets, _ = burst(sender)
    Replier().probe_rate(sender, packets, Fraction(0))
    (close,), _ = burst(sender)
    sender.on_reply(close.sequence, plain_reject("F99"), now=0)
    report = finished(sender.next(now=0)).report
    assert report.error is SendError.INSUFFICIENT_EXCHANGE_RATE
    assert "probes of up to 1000000000000 source units" in report.error_message


def test_a_given_min_rate_is_kept() -> None:
    sender = new_sender(FixedSend(1000), min_rate=Fraction(1, 3))
    packets, _ = burst(sender)
    Replier().probe_rate(sender, packets, Fraction(1, 2))
    (money,), _ = burst(sender)
    assert sender.report().min_rate == Fraction(1, 3)
    assert money.min_destination_amount == 333  # ceil(1000 / 3 - 1): the completing packet
