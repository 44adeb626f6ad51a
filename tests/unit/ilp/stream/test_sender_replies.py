"""What the STREAM sender believes of a reply: authenticity, closes, asset, receive limit,
receipts, and receivers that break the protocol."""

from __future__ import annotations

from fractions import Fraction

import pytest

from ilpnode.ilp import Fulfill
from ilpnode.ilp.stream import (
    ConnectionAssetDetails,
    ConnectionClose,
    FixedReceive,
    FixedSend,
    Frame,
    PacketKind,
    SendError,
    SenderState,
    StreamClose,
    StreamMaxMoney,
    StreamReceipt,
    StreamSender,
    create_receipt,
)

from .sender_replies import (
    Replier,
    burst,
    finished,
    new_sender,
    plain_reject,
    probed,
    waits,
)

NONCE = bytes([1]) * 16
RECEIPT_SECRET = bytes([2]) * 32


def receipt(total: int, *, secret: bytes = RECEIPT_SECRET, nonce: bytes = NONCE) -> bytes:
    return create_receipt(nonce=nonce, stream_id=1, total_received=total, secret=secret)


def settle(sender: StreamSender) -> None:
    """Answer the close, if one comes."""
    packets, _ = burst(sender)
    for packet in packets:
        assert packet.kind is PacketKind.CLOSE
        sender.on_reply(packet.sequence, plain_reject("F99"), now=0)


@pytest.mark.parametrize(
    "tamper",
    ["other sequence", "fulfill type in a reject", "not encrypted for us", "no data"],
)
def test_replies_that_are_not_authentic_teach_nothing(tamper: str) -> None:
    sender = new_sender(FixedSend(1000), max_packet_amount=1000, probe_timeout_ms=50)
    (probe,), _ = burst(sender)
    replier = Replier()
    if tamper == "other sequence":
        reply = replier.reject(probe, sequence=probe.sequence + 1)
    elif tamper == "fulfill type in a reject":
        reply = replier.reject(probe, ilp_type=13)
    elif tamper == "not encrypted for us":
        reply = Replier(bytes(32)).reject(probe)
    else:
        reply = plain_reject("F99")
    sender.on_reply(probe.sequence, reply, now=0)
    assert waits(sender.next(now=0)).delay_ms == 50  # would probe again, but the deadline
    report = finished(sender.next(now=0.05)).report
    assert report.error is SendError.RATE_PROBE_FAILED
    assert report.rate_low is None
    assert report.packets == 1  # never established: no close


@pytest.mark.parametrize(
    ("frame", "code"),
    [(ConnectionClose(0x03, "busy"), 3), (StreamClose(1, 0x09, "busy"), 9)],
    ids=["connection", "stream"],
)
def test_the_receiver_closing_ends_the_payment_without_a_close_of_ours(
    frame: Frame, code: int
) -> None:
    sender, replier = probed(FixedSend(1000), max_packet_amount=100, max_in_flight=2)
    first, second = burst(sender)[0]
    sender.on_reply(first.sequence, replier.fulfill(first, frame), now=0)
    assert waits(sender.next(now=0)).delay_ms is None
    sender.on_reply(second.sequence, replier.fulfill(second), now=0)
    report = finished(sender.next(now=0)).report
    assert report.error is SendError.CLOSED_BY_RECEIVER
    assert report.error_message == f"the receiver closed the connection (code {code}: busy)"
    assert (report.sent, report.delivered, report.packets) == (200, 200, 3)


def test_a_close_for_another_stream_is_not_ours() -> None:
    sender, replier = probed(FixedSend(100))
    (money,), _ = burst(sender)
    sender.on_reply(money.sequence, replier.fulfill(money, StreamClose(3, 1, "")), now=0)
    (close,), _ = burst(sender)
    assert close.kind is PacketKind.CLOSE
    assert sender.report().error is None


def test_asset_details_are_kept_and_a_conflict_ends_the_payment() -> None:
    sender = new_sender(FixedSend(1000), expected_asset=("USD", 2))
    packets, _ = burst(sender)
    replier = Replier()
    for packet in packets:
        reply = replier.reject(packet, ConnectionAssetDetails("USD", 9))
        sender.on_reply(packet.sequence, reply, now=0)
    report = sender.report()
    assert report.error is SendError.DESTINATION_ASSET_CONFLICT
    assert report.error_message == "the receiver's asset is USD/9, expected USD/2"
    settle(sender)
    assert finished(sender.next(now=0)).report.state is SenderState.FAILED


def test_the_same_asset_twice_is_no_conflict() -> None:
    sender, replier = probed(FixedSend(100))
    (money,), _ = burst(sender)
    details = ConnectionAssetDetails("EUR", 2)
    sender.on_reply(money.sequence, replier.fulfill(money, details), now=0)
    assert sender.report().destination_asset == ("EUR", 2)
    assert sender.report().error is None


def test_receipts_are_verified_with_the_secret_and_the_greatest_kept() -> None:
    sender, replier = probed(
        FixedSend(300),
        max_packet_amount=100,
        max_in_flight=1,
        receipt_nonce=NONCE,
        receipt_secret=RECEIPT_SECRET,
    )
    frames_per_packet = [
        (StreamReceipt(1, receipt(100)),),
        (StreamReceipt(1, receipt(250, secret=bytes(32))),),  # forged: ignored
        (StreamReceipt(1, receipt(50)), StreamReceipt(1, receipt(300, nonce=bytes(16)))),
    ]
    other_stream = create_receipt(
        nonce=NONCE, stream_id=3, total_received=400, secret=RECEIPT_SECRET
    )
    frames_per_packet[2] += (StreamReceipt(1, other_stream),)
    for frames in frames_per_packet:
        (money,), _ = burst(sender)
        sender.on_reply(money.sequence, replier.fulfill(money, *frames), now=0)
    report = sender.report()
    assert report.receipt == receipt(100)
    assert report.receipt_total == 100
    assert report.receipt_verified
    assert report.invalid_receipts == 3


def test_receipts_without_the_secret_are_kept_unverified() -> None:
    sender, replier = probed(FixedSend(100))
    (money,), _ = burst(sender)
    frames = (StreamReceipt(1, receipt(100)), StreamReceipt(1, b"junk"), StreamReceipt(3, b"x"))
    sender.on_reply(money.sequence, replier.fulfill(money, *frames), now=0)
    report = sender.report()
    assert (report.receipt, report.receipt_total) == (receipt(100), 100)
    assert not report.receipt_verified
    assert report.invalid_receipts == 1


def test_a_receive_limit_below_a_fixed_receive_ends_the_payment() -> None:
    sender = new_sender(FixedReceive(1000))
    packets, _ = burst(sender)
    replier = Replier()
    for packet in packets:
        reply = replier.reject(packet, StreamMaxMoney(1, 999, 0))
        sender.on_reply(packet.sequence, reply, now=0)
    report = sender.report()
    assert report.error is SendError.INCOMPATIBLE_RECEIVE_MAX
    assert report.error_message == "the receiver accepts at most 999"


def test_a_receiver_without_room_ends_a_fixed_send() -> None:
    sender, replier = probed(FixedSend(1000), max_packet_amount=500, max_in_flight=1)
    (first,), _ = burst(sender)
    sender.on_reply(first.sequence, replier.fulfill(first, StreamMaxMoney(1, 600, 500)), now=0)
    (second,), _ = burst(sender)
    sender.on_reply(second.sequence, replier.reject(second, StreamMaxMoney(1, 600, 500)), now=0)
    report = sender.report()
    assert report.error is SendError.INCOMPATIBLE_RECEIVE_MAX
    assert report.error_message == "the receiver accepts only 100 more"
    assert report.sent == 500


def test_a_fulfill_without_stream_data_counts_the_minimum_then_fails() -> None:
    sender, replier = probed(FixedSend(1000), max_packet_amount=100, max_in_flight=1)
    (money,), _ = burst(sender)
    sender.on_reply(money.sequence, replier.fulfill(money, data=b""), now=0)
    report = sender.report()
    assert (report.sent, report.delivered) == (100, 99)
    assert report.error is SendError.RECEIVER_PROTOCOL_VIOLATION
    assert "without an authentic STREAM reply" in report.error_message


def test_a_fulfill_below_the_minimum_counts_the_minimum_then_fails() -> None:
    sender, replier = probed(FixedSend(1000), max_packet_amount=100, max_in_flight=1)
    (money,), _ = burst(sender)
    sender.on_reply(money.sequence, replier.fulfill(money, arrived=50), now=0)
    report = sender.report()
    assert (report.sent, report.delivered) == (100, 99)
    assert report.error is SendError.RECEIVER_PROTOCOL_VIOLATION
    assert "below its minimum 99" in report.error_message
    assert report.rate_low == Fraction(50, 100)


@pytest.mark.parametrize("max_packet", [None, 100], ids=["completing", "not completing"])
def test_a_fulfill_with_the_wrong_fulfillment_counts_nothing(max_packet: int | None) -> None:
    sender, _ = probed(FixedSend(1000), max_packet_amount=max_packet, max_in_flight=1)
    (money,), _ = burst(sender)
    sender.on_reply(money.sequence, Fulfill(fulfillment=bytes(32)), now=0)
    report = sender.report()
    assert (report.sent, report.delivered, report.fulfilled) == (0, 0, 0)
    assert report.error is SendError.RECEIVER_PROTOCOL_VIOLATION


def test_the_close_reply_is_not_read() -> None:
    sender, replier = probed(FixedSend(100))
    (money,), _ = burst(sender)
    sender.on_reply(money.sequence, replier.fulfill(money), now=0)
    (close,), _ = burst(sender)
    # Whatever the receiver says to the close, even closing itself, the payment completed.
    sender.on_reply(close.sequence, replier.reject(close, ConnectionClose(4, "no")), now=0)
    report = finished(sender.next(now=0)).report
    assert report.state is SenderState.COMPLETED
    assert report.error is None
    assert report.rejected == {"F99": 11}
