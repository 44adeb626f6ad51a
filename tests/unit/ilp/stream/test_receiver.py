"""The STREAM receiver state machine: every branch of ``ReceiverConnection.decide``."""

from __future__ import annotations

import pytest

from ilpnode.ilp import MAX_UINT64, IlpErrorCode, condition_of
from ilpnode.ilp.stream import (
    ConnectionAssetDetails,
    ConnectionClose,
    ConnectionMaxData,
    ConnectionMaxStreamId,
    ConnectionNewAddress,
    FulfillDecision,
    ReceiverConnection,
    ReceiverLimits,
    RejectDecision,
    StreamCipher,
    StreamClose,
    StreamData,
    StreamErrorCode,
    StreamMaxData,
    StreamMaxMoney,
    StreamMoney,
    StreamPacket,
    StreamReceipt,
    UnknownFrame,
    encode_stream_packet,
    new_connection,
    open_connection,
    verify_receipt,
)

from .sender import FULFILL, REJECT, Sender

SECRET = bytes(range(32))
F06 = IlpErrorCode.F06_UNEXPECTED_PAYMENT
F99 = IlpErrorCode.F99_APPLICATION_ERROR


def receiver(**kwargs: object) -> tuple[ReceiverConnection, Sender]:
    return ReceiverConnection(SECRET, **kwargs), Sender(SECRET)  # type: ignore[arg-type]


def send(
    conn: ReceiverConnection,
    sender: Sender,
    *frames: object,
    amount: int,
    min_amount: int = 0,
    fulfillable: bool = True,
) -> FulfillDecision | RejectDecision:
    data, condition = sender.prepare(*frames, min_amount=min_amount, fulfillable=fulfillable)  # type: ignore[arg-type]
    return conn.decide(data=data, amount=amount, execution_condition=condition, iv=sender.iv())


def fulfilled(decision: object) -> FulfillDecision:
    assert isinstance(decision, FulfillDecision), decision
    return decision


def rejected(decision: object, code: IlpErrorCode = F99) -> RejectDecision:
    assert isinstance(decision, RejectDecision), decision
    assert decision.code == code
    return decision


# -- fulfilling money ------------------------------------------------------------------


def test_fulfills_money_on_one_stream_with_the_reply_ilp_protocol_stream_sends() -> None:
    conn, sender = receiver()
    decision = fulfilled(send(conn, sender, StreamMoney(1, 1), amount=500, min_amount=495))
    assert decision.amount == 500
    assert decision.stream_amounts == ((1, 500),)
    assert decision.sequence == 1
    reply = sender.read(decision)
    assert reply == StreamPacket(
        sequence=1,
        ilp_packet_type=FULFILL,
        prepare_amount=500,
        frames=(
            ConnectionMaxData(65_534),
            ConnectionMaxStreamId(20),
            StreamMaxMoney(1, MAX_UINT64, 500),
            StreamMaxData(1, 16_384),
        ),
    )
    assert conn.total_received == 500
    assert dict(conn.stream_totals()) == {1: 500}
    assert conn.open_streams() == (1,)
    assert conn.packets == 1


def test_the_fulfillment_matches_the_senders_condition() -> None:
    conn, sender = receiver()
    data, condition = sender.prepare(StreamMoney(1, 1))
    decision = fulfilled(
        conn.decide(data=data, amount=7, execution_condition=condition, iv=sender.iv())
    )
    assert condition_of(decision.fulfillment) == condition
    assert decision.fulfillment == StreamCipher(SECRET).fulfillment(data)


def test_totals_are_cumulative_per_stream() -> None:
    conn, sender = receiver()
    fulfilled(send(conn, sender, StreamMoney(1, 1), amount=10))
    decision = fulfilled(send(conn, sender, StreamMoney(1, 1), amount=15))
    assert StreamMaxMoney(1, MAX_UINT64, 25) in sender.read(decision).frames
    assert conn.total_received == 25


def test_money_is_split_by_shares_with_the_remainder_on_the_lowest_stream() -> None:
    conn, sender = receiver()
    decision = fulfilled(send(conn, sender, StreamMoney(3, 2), StreamMoney(1, 1), amount=100))
    assert decision.stream_amounts == ((1, 34), (3, 66))
    assert sum(part for _, part in decision.stream_amounts) == decision.amount
    assert dict(conn.stream_totals()) == {1: 34, 3: 66}


def test_two_money_frames_for_one_stream_add_their_shares() -> None:
    conn, sender = receiver()
    decision = fulfilled(
        send(conn, sender, StreamMoney(1, 1), StreamMoney(3, 1), StreamMoney(1, 2), amount=8)
    )
    assert decision.stream_amounts == ((1, 6), (3, 2))


def test_a_zero_amount_packet_is_fulfilled_to_acknowledge_its_frames() -> None:
    conn, sender = receiver()
    decision = fulfilled(send(conn, sender, amount=0))
    assert decision.amount == 0
    assert decision.stream_amounts == ()
    assert sender.read(decision).prepare_amount == 0
    decision = fulfilled(send(conn, sender, StreamMoney(1, 0), amount=0))
    assert decision.stream_amounts == ((1, 0),)
    assert conn.open_streams() == (1,)


def test_unknown_frames_are_skipped() -> None:
    conn, sender = receiver()
    decision = fulfilled(
        send(conn, sender, UnknownFrame(0x59, b"\x01"), StreamMoney(1, 1), amount=3)
    )
    assert decision.stream_amounts == ((1, 3),)


def test_new_address_gets_the_asset_and_max_stream_id() -> None:
    conn, sender = receiver(asset=("EUR", 2))
    decision = fulfilled(send(conn, sender, ConnectionNewAddress(""), amount=0))
    frames = sender.read(decision).frames
    assert frames[:3] == (
        ConnectionMaxData(65_534),
        ConnectionMaxStreamId(20),
        ConnectionAssetDetails("EUR", 2),
    )
    assert frames.count(ConnectionMaxStreamId(20)) == 1


def test_without_an_asset_the_receiver_tells_none() -> None:
    conn, sender = receiver()
    frames = sender.read(send(conn, sender, ConnectionNewAddress("test.a"), amount=0)).frames
    assert not any(isinstance(f, ConnectionAssetDetails) for f in frames)


def test_receipts_carry_each_streams_cumulative_total() -> None:
    nonce, rsecret = bytes([5]) * 16, bytes([6]) * 32
    conn, sender = receiver(receipt_nonce=nonce, receipt_secret=rsecret)
    fulfilled(send(conn, sender, StreamMoney(1, 1), amount=40))
    decision = fulfilled(send(conn, sender, StreamMoney(1, 1), StreamMoney(3, 1), amount=10))
    receipts = [f for f in sender.read(decision).frames if isinstance(f, StreamReceipt)]
    assert [r.stream_id for r in receipts] == [1, 3]
    assert verify_receipt(receipts[0].receipt, rsecret).total_received == 45
    assert verify_receipt(receipts[1].receipt, rsecret).total_received == 5
    assert verify_receipt(receipts[0].receipt, rsecret).nonce == nonce


def test_no_receipts_without_setup() -> None:
    conn, sender = receiver()
    frames = sender.read(send(conn, sender, StreamMoney(1, 1), amount=40)).frames
    assert not any(isinstance(f, StreamReceipt) for f in frames)


def test_streams_above_255_get_no_receipt() -> None:
    limits = ReceiverLimits(max_concurrent_streams=200)
    conn, sender = receiver(limits=limits, receipt_nonce=bytes(16), receipt_secret=bytes(32))
    decision = fulfilled(send(conn, sender, StreamMoney(257, 1), StreamMoney(1, 1), amount=2))
    receipts = [f for f in sender.read(decision).frames if isinstance(f, StreamReceipt)]
    assert [r.stream_id for r in receipts] == [1]
    assert dict(conn.stream_totals()) == {1: 1, 257: 1}


# -- F06 -------------------------------------------------------------------------------


def test_data_that_does_not_decrypt_is_f06_without_data() -> None:
    conn, sender = receiver()
    other = Sender(bytes(32))
    data, condition = other.prepare(StreamMoney(1, 1))
    for junk in (data, b"", bytes(40)):
        decision = rejected(
            conn.decide(data=junk, amount=1, execution_condition=condition, iv=sender.iv()), F06
        )
        assert decision.data == b""
    assert conn.packets == 0


def test_decrypting_data_that_is_not_stream_is_f06() -> None:
    conn, sender = receiver()
    data = sender.cipher.encrypt(b"\x02not stream", iv=sender.iv())
    rejected(conn.decide(data=data, amount=1, execution_condition=bytes(32), iv=sender.iv()), F06)


@pytest.mark.parametrize("ilp_type", [FULFILL, REJECT, 99])
def test_a_stream_packet_for_another_ilp_type_is_f06(ilp_type: int) -> None:
    conn, sender = receiver()
    data, condition = sender.prepare(StreamMoney(1, 1), ilp_packet_type=ilp_type)
    decision = conn.decide(data=data, amount=1, execution_condition=condition, iv=sender.iv())
    assert rejected(decision, F06).data == b""
    assert conn.total_received == 0


# -- F99 with a reply ------------------------------------------------------------------


def test_below_the_senders_minimum_is_f99_with_the_arrived_amount() -> None:
    conn, sender = receiver()
    decision = rejected(send(conn, sender, StreamMoney(1, 1), amount=99, min_amount=100))
    reply = sender.read(decision)
    assert (reply.ilp_packet_type, reply.prepare_amount, reply.sequence) == (REJECT, 99, 1)
    assert conn.total_received == 0
    assert conn.open_streams() == ()  # a rejected packet opens nothing


@pytest.mark.parametrize("amount", [0, 1, 1000, 10**12])
def test_unfulfillable_probes_are_f99_with_the_amount_for_the_rate(amount: int) -> None:
    conn, sender = receiver(asset=("USD", 9))
    decision = rejected(
        send(conn, sender, ConnectionNewAddress("test.sender"), amount=amount, fulfillable=False)
    )
    reply = sender.read(decision)
    assert reply.prepare_amount == amount
    assert reply.ilp_packet_type == REJECT
    assert ConnectionAssetDetails("USD", 9) in reply.frames
    assert conn.total_received == 0
    assert not conn.closed


def test_money_without_money_frames_is_f99() -> None:
    conn, sender = receiver()
    rejected(send(conn, sender, amount=5))
    rejected(send(conn, sender, StreamMoney(1, 0), amount=5))
    assert conn.total_received == 0


def test_more_than_a_stream_may_receive_is_f99_with_its_max_money() -> None:
    conn, sender = receiver(limits=ReceiverLimits(stream_receive_max=100))
    fulfilled(send(conn, sender, StreamMoney(1, 1), amount=60))
    decision = rejected(send(conn, sender, StreamMoney(1, 1), amount=41))
    assert StreamMaxMoney(1, 100, 60) in sender.read(decision).frames
    fulfilled(send(conn, sender, StreamMoney(1, 1), amount=40))
    assert conn.total_received == 100


def test_the_remainder_goes_where_there_is_room() -> None:
    conn, sender = receiver(limits=ReceiverLimits(stream_receive_max=100))
    fulfilled(send(conn, sender, StreamMoney(1, 1), amount=67))  # stream 1 has room for 33
    # 100 by shares 1:2 is 33 + 66, remainder 1: stream 1 has no room for 34, stream 3 has.
    decision = fulfilled(send(conn, sender, StreamMoney(1, 1), StreamMoney(3, 2), amount=100))
    assert decision.stream_amounts == ((1, 33), (3, 67))
    assert dict(conn.stream_totals()) == {1: 100, 3: 67}


def test_the_connection_total_never_exceeds_u64() -> None:
    conn, sender = receiver()
    fulfilled(send(conn, sender, StreamMoney(1, 1), amount=MAX_UINT64))
    decision = rejected(send(conn, sender, StreamMoney(3, 1), amount=1))
    assert "2**64" in decision.message
    assert conn.total_received == MAX_UINT64


# -- closing ---------------------------------------------------------------------------


def test_the_sender_closing_the_connection_is_echoed_and_sticks() -> None:
    conn, sender = receiver()
    decision = rejected(send(conn, sender, ConnectionClose(1, ""), StreamMoney(1, 1), amount=9))
    assert ConnectionClose(StreamErrorCode.NO_ERROR, "") in sender.read(decision).frames
    assert conn.closed
    assert conn.total_received == 0
    later = rejected(send(conn, sender, StreamMoney(1, 1), amount=9))
    assert ConnectionClose(StreamErrorCode.NO_ERROR, "") in sender.read(later).frames
    assert conn.total_received == 0


def test_stream_close_closes_echoes_once_and_raises_the_max_stream_id() -> None:
    conn, sender = receiver()
    fulfilled(send(conn, sender, StreamMoney(1, 1), amount=5))
    decision = fulfilled(send(conn, sender, StreamClose(1, StreamErrorCode.NO_ERROR, ""), amount=0))
    frames = sender.read(decision).frames
    assert StreamClose(1, StreamErrorCode.NO_ERROR, "") in frames
    assert ConnectionMaxStreamId(22) in frames
    assert conn.max_stream_id == 22
    assert conn.open_streams() == ()
    again = sender.read(fulfilled(send(conn, sender, amount=0))).frames
    assert not any(isinstance(f, StreamClose) for f in again)
    refused = rejected(send(conn, sender, StreamMoney(1, 1), amount=5))
    assert StreamClose(1, StreamErrorCode.STREAM_STATE_ERROR, "Stream is already closed") in (
        sender.read(refused).frames
    )
    assert dict(conn.stream_totals()) == {1: 5}
    fulfilled(send(conn, sender, StreamMaxMoney(1, 9, 0), amount=0))  # ignored, not refused


def test_money_and_close_in_one_packet_count_the_money_then_close() -> None:
    conn, sender = receiver()
    decision = fulfilled(send(conn, sender, StreamMoney(1, 1), StreamClose(1, 1, ""), amount=9))
    assert decision.stream_amounts == ((1, 9),)
    assert conn.open_streams() == ()


def test_a_close_in_a_rejected_packet_is_not_applied() -> None:
    conn, sender = receiver()
    fulfilled(send(conn, sender, StreamMoney(1, 1), amount=5))
    rejected(send(conn, sender, StreamClose(1, 1, ""), amount=0, fulfillable=False))
    assert conn.open_streams() == (1,)


def test_close_of_an_unknown_stream_is_ignored() -> None:
    conn, sender = receiver()
    fulfilled(send(conn, sender, StreamClose(7, 1, ""), amount=0))
    assert dict(conn.stream_totals()) == {}
    assert conn.max_stream_id == 20


def test_max_stream_id_stops_growing_at_the_stream_bound() -> None:
    conn, sender = receiver(limits=ReceiverLimits(max_concurrent_streams=1, max_streams=2))
    fulfilled(send(conn, sender, StreamMoney(1, 1), StreamClose(1, 1, ""), amount=1))
    assert conn.max_stream_id == 4
    fulfilled(send(conn, sender, StreamMoney(3, 1), StreamClose(3, 1, ""), amount=1))
    assert conn.max_stream_id == 4
    rejected(send(conn, sender, StreamMoney(5, 1), amount=1))
    assert conn.closed


# -- fatal errors ----------------------------------------------------------------------


def test_an_even_stream_id_is_a_protocol_violation_that_closes() -> None:
    conn, sender = receiver()
    decision = rejected(send(conn, sender, StreamMoney(2, 1), amount=1))
    close = [f for f in sender.read(decision).frames if isinstance(f, ConnectionClose)]
    assert close[0].error_code == StreamErrorCode.PROTOCOL_VIOLATION
    assert conn.closed
    later = rejected(send(conn, sender, StreamMoney(1, 1), amount=1))
    assert ConnectionClose(StreamErrorCode.PROTOCOL_VIOLATION, close[0].message) in (
        sender.read(later).frames
    )


def test_a_stream_id_above_the_maximum_is_a_stream_id_error() -> None:
    conn, sender = receiver()
    fulfilled(send(conn, sender, StreamMoney(19, 1), amount=1))
    decision = rejected(send(conn, sender, StreamMaxData(21, 5), amount=0))
    close = [f for f in sender.read(decision).frames if isinstance(f, ConnectionClose)]
    assert close[0].error_code == StreamErrorCode.STREAM_ID_ERROR
    assert conn.closed


def test_data_within_the_window_is_acknowledged_and_the_window_slides() -> None:
    conn, sender = receiver()
    decision = fulfilled(send(conn, sender, StreamData(1, 0, b"x" * 16_384), amount=0))
    frames = sender.read(decision).frames
    assert frames[0] == ConnectionMaxData(16_384 + 65_534)
    assert StreamMaxData(1, 2 * 16_384) in frames
    fulfilled(send(conn, sender, StreamData(1, 16_384, b"y" * 16_384), amount=0))


def test_data_beyond_a_streams_window_is_a_flow_control_error() -> None:
    conn, sender = receiver()
    decision = rejected(send(conn, sender, StreamData(1, 16_384, b"x"), amount=0))
    close = [f for f in sender.read(decision).frames if isinstance(f, ConnectionClose)]
    assert close[0].error_code == StreamErrorCode.FLOW_CONTROL_ERROR
    assert conn.closed


def test_data_beyond_the_connections_window_is_a_flow_control_error() -> None:
    limits = ReceiverLimits(connection_data_window=100, stream_data_window=80)
    conn, sender = receiver(limits=limits)
    fulfilled(send(conn, sender, StreamData(1, 0, b"x" * 80), amount=0))
    decision = rejected(
        send(conn, sender, StreamData(3, 0, b"x" * 60), StreamData(5, 0, b"x" * 41), amount=0)
    )
    close = [f for f in sender.read(decision).frames if isinstance(f, ConnectionClose)]
    assert close[0].error_code == StreamErrorCode.FLOW_CONTROL_ERROR


def test_the_packet_limit_closes_the_connection() -> None:
    conn, sender = receiver(limits=ReceiverLimits(max_packets=2))
    fulfilled(send(conn, sender, StreamMoney(1, 1), amount=1))
    fulfilled(send(conn, sender, StreamMoney(1, 1), amount=1))
    decision = rejected(send(conn, sender, StreamMoney(1, 1), amount=1))
    close = [f for f in sender.read(decision).frames if isinstance(f, ConnectionClose)]
    assert close[0].error_code == StreamErrorCode.INTERNAL_ERROR
    assert conn.closed
    assert conn.total_received == 2


# -- undo ------------------------------------------------------------------------------


def test_undo_takes_the_money_back_out() -> None:
    conn, sender = receiver()
    first = fulfilled(send(conn, sender, StreamMoney(1, 1), amount=10))
    second = fulfilled(send(conn, sender, StreamMoney(1, 1), StreamMoney(3, 1), amount=6))
    conn.undo(first)
    assert conn.total_received == 6
    assert dict(conn.stream_totals()) == {1: 3, 3: 3}
    conn.undo(second)
    assert conn.total_received == 0
    assert conn.open_streams() == (1, 3)  # streams stay open: the sender meant them


def test_undo_of_a_foreign_decision_changes_nothing() -> None:
    conn, sender = receiver()
    fulfilled(send(conn, sender, StreamMoney(1, 1), amount=3))
    other, other_sender = receiver()
    foreign = fulfilled(send(other, other_sender, StreamMoney(1, 1), StreamMoney(3, 1), amount=4))
    with pytest.raises(ValueError, match="not this connection"):
        conn.undo(foreign)
    assert conn.total_received == 3
    assert dict(conn.stream_totals()) == {1: 3}


def test_undo_frees_room_under_receive_max() -> None:
    conn, sender = receiver(limits=ReceiverLimits(stream_receive_max=10))
    decision = fulfilled(send(conn, sender, StreamMoney(1, 1), amount=10))
    rejected(send(conn, sender, StreamMoney(1, 1), amount=1))
    conn.undo(decision)
    fulfilled(send(conn, sender, StreamMoney(1, 1), amount=10))


# -- construction and arguments --------------------------------------------------------


def test_from_token_takes_secret_receipts_and_asset() -> None:
    server = bytes([3]) * 32
    creds = new_connection(
        server,
        "test.node",
        payment_tag=b"w",
        nonce=bytes(12),
        receipt_nonce=bytes(16),
        receipt_secret=bytes([1]) * 32,
        asset_code="XRP",
        asset_scale=6,
    )
    token = open_connection(server, creds.destination_account, "test.node")
    assert token is not None
    conn = ReceiverConnection.from_token(token)
    sender = Sender(creds.shared_secret)
    data, condition = sender.prepare(ConnectionNewAddress(""), StreamMoney(1, 1))
    decision = fulfilled(
        conn.decide(data=data, amount=8, execution_condition=condition, iv=sender.iv())
    )
    frames = sender.read(decision).frames
    assert ConnectionAssetDetails("XRP", 6) in frames
    assert any(isinstance(f, StreamReceipt) for f in frames)
    override = ReceiverConnection.from_token(token, asset=("EUR", 2))
    data, condition = sender.prepare(ConnectionNewAddress(""))
    reply = override.decide(data=data, amount=0, execution_condition=condition, iv=sender.iv())
    assert ConnectionAssetDetails("EUR", 2) in sender.read(reply).frames


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"amount": -1}, "amount"),
        ({"amount": MAX_UINT64 + 1}, "amount"),
        ({"execution_condition": bytes(31)}, "condition"),
        ({"iv": bytes(11)}, "iv"),
    ],
)
def test_caller_bugs_are_value_errors(changes: dict[str, object], match: str) -> None:
    conn, sender = receiver()
    data, condition = sender.prepare(StreamMoney(1, 1))
    args: dict[str, object] = {
        "data": data,
        "amount": 1,
        "execution_condition": condition,
        "iv": sender.iv(),
    } | changes
    with pytest.raises(ValueError, match=match):
        conn.decide(**args)  # type: ignore[arg-type]
    assert conn.packets == 0


def test_bad_construction_is_refused() -> None:
    with pytest.raises(ValueError, match="both or neither"):
        ReceiverConnection(SECRET, receipt_nonce=bytes(16))
    with pytest.raises(ValueError, match=r"0\.\.255"):
        ReceiverConnection(SECRET, asset=("USD", 300))
    with pytest.raises(ValueError, match="max_concurrent_streams"):
        ReceiverLimits(max_concurrent_streams=0)
    with pytest.raises(ValueError, match="max_packets"):
        ReceiverLimits(max_packets=2**31 + 1)


def test_repr_shows_no_secret() -> None:
    conn, _ = receiver()
    assert SECRET.hex() not in repr(conn)
    assert repr(SECRET) not in repr(conn)
    assert repr(StreamCipher(SECRET)) == "StreamCipher(<secret>)"


def test_a_reply_fits_in_an_ilp_packet_with_every_stream_open() -> None:
    limits = ReceiverLimits(max_concurrent_streams=10)
    conn, sender = receiver(
        limits=limits, receipt_nonce=bytes(16), receipt_secret=bytes(32), asset=("ABCDEFGHIJ", 9)
    )
    money = [StreamMoney(sid, 1) for sid in range(1, 20, 2)]
    decision = fulfilled(send(conn, sender, ConnectionNewAddress(""), *money, amount=10**18))
    assert len(decision.data) < 32_767
    assert len(encode_stream_packet(sender.read(decision))) + 28 == len(decision.data)
