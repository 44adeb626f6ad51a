"""The STREAM packet codec: malformed input, value checks, properties (RFC 0029 §5)."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from ilpnode.ilp import IlpCodecError
from ilpnode.ilp.stream import (
    ConnectionClose,
    ConnectionNewAddress,
    Frame,
    StreamClose,
    StreamCodecError,
    StreamMaxMoney,
    StreamMoney,
    StreamPacket,
    UnknownFrame,
    decode_stream_packet,
    encode_stream_packet,
)

from .strategies import frames, packets

HEADER = bytes.fromhex("010c010101630101")  # version 1, Prepare, sequence 1, amount 99, 1 frame


@pytest.mark.parametrize(
    ("wire", "match"),
    [
        (b"", "needed 1 byte"),
        (bytes.fromhex("020c010001000100"), "unsupported STREAM version 2"),
        (bytes.fromhex("010c"), "malformed"),
        (bytes.fromhex("010c00"), "empty VarUInt"),
        (bytes.fromhex("010c09010000000000000000010001 00".replace(" ", "")), "exceeds 8"),
        (HEADER, "announces 1 frames but has 0 bytes left"),
        (bytes.fromhex("010c01010163ff"), "127 length octets"),  # bad length determinant
        (HEADER + bytes.fromhex("11"), "announces"),  # a frame type byte alone
        (HEADER + bytes.fromhex("1181"), "inside a length"),  # content length cut short
        (HEADER + bytes.fromhex("1105017b"), "needed 5 bytes"),  # content shorter than said
        (HEADER + bytes.fromhex("1102017b"), "needed 1 byte"),  # StreamMoney without shares
        (HEADER + bytes.fromhex("110c017b09010000000000000000"), "exceeds 8"),  # shares > u64
        (HEADER + bytes.fromhex("120f017b0201c80901000000000000000000"), "exceeds 8"),
        (HEADER + bytes.fromhex("1204017b0000"), "empty VarUInt"),  # empty receive_max
        (bytes.fromhex("010c010101630108ffffffffffffffff"), "announces"),  # 2**64-1 frames
    ],
)
def test_malformed_packets_raise_the_codec_error(wire: bytes, match: str) -> None:
    with pytest.raises(StreamCodecError, match=match):
        decode_stream_packet(wire)


def test_codec_error_is_an_ilp_codec_error_and_a_value_error() -> None:
    with pytest.raises(IlpCodecError):
        decode_stream_packet(b"\x02")
    assert issubclass(StreamCodecError, ValueError)


def test_total_received_does_not_saturate() -> None:
    content = bytes.fromhex("017b0201c809010000000000000000")  # total_received of 9 bytes
    wire = HEADER + bytes((0x12, len(content))) + content
    with pytest.raises(StreamCodecError, match="exceeds 8"):
        decode_stream_packet(wire)


def test_nine_byte_receive_max_with_leading_zero_saturates_like_js() -> None:
    content = bytes.fromhex("017b09000000000000000005") + bytes.fromhex("0100")
    packet = decode_stream_packet(HEADER + bytes((0x12, len(content))) + content)
    assert packet.frames == (StreamMaxMoney(123, 2**64 - 1, 0),)


def test_unknown_frames_are_kept_apart_and_the_next_frame_read() -> None:
    wire = bytes.fromhex("010c01010163010259030102031104017b0105")
    assert decode_stream_packet(wire).frames == (
        UnknownFrame(0x59, b"\x01\x02\x03"),
        StreamMoney(123, 5),
    )


def test_bytes_left_inside_a_frame_are_ignored() -> None:
    wire = bytes.fromhex("010c01010163010111060105010700ff")  # StreamMoney(5, 7) + 2 extra bytes
    assert decode_stream_packet(wire).frames == (StreamMoney(5, 7),)


def test_invalid_utf8_in_strings_is_replaced_not_fatal() -> None:
    content = b"\x01\x02\xff\xfe"
    packet = decode_stream_packet(HEADER + bytes((0x01, len(content))) + content)
    assert packet.frames == (ConnectionClose(1, "\ufffd\ufffd"),)


def test_packet_type_is_not_checked_by_the_codec() -> None:
    packet = decode_stream_packet(bytes.fromhex("0163010001000100"))
    assert packet.ilp_packet_type == 0x63
    assert not packet.travels_in_known_ilp_type
    assert decode_stream_packet(bytes.fromhex("010e010001000100")).travels_in_known_ilp_type


@pytest.mark.parametrize(
    ("build", "error"),
    [
        (lambda: StreamMoney(-1, 1), ValueError),
        (lambda: StreamMoney(1, 2**64), ValueError),
        (lambda: StreamMoney(True, 1), TypeError),
        (lambda: StreamClose(1, 256), ValueError),
        (lambda: ConnectionClose(1, "\ud800"), ValueError),
        (lambda: ConnectionNewAddress(b"x"), TypeError),  # type: ignore[arg-type]
        (lambda: UnknownFrame(0x11, b""), ValueError),
        (lambda: StreamPacket(sequence=-1, ilp_packet_type=12), ValueError),
        (lambda: StreamPacket(sequence=0, ilp_packet_type=256), ValueError),
        (lambda: StreamPacket(sequence=0, ilp_packet_type=12, prepare_amount=2**64), ValueError),
        (lambda: StreamPacket(sequence="1", ilp_packet_type=12), TypeError),  # type: ignore[arg-type]
    ],
)
def test_invalid_values_cannot_be_built(build: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        build()  # type: ignore[operator]


@given(packets)
def test_round_trip(packet: StreamPacket) -> None:
    wire = encode_stream_packet(packet)
    assert decode_stream_packet(wire) == packet
    assert encode_stream_packet(decode_stream_packet(wire)) == wire


@given(packets, st.integers(min_value=0, max_value=64))
def test_zero_padding_changes_nothing(packet: StreamPacket, padding: int) -> None:
    assert decode_stream_packet(encode_stream_packet(packet) + bytes(padding)) == packet


@given(frames)
def test_one_frame_round_trips(frame: Frame) -> None:
    packet = StreamPacket(sequence=0, ilp_packet_type=13, frames=(frame,))
    assert decode_stream_packet(encode_stream_packet(packet)).frames == (frame,)


@given(st.binary(max_size=200))
@example(bytes.fromhex("010c01010163015903010203"))
def test_arbitrary_bytes_give_a_packet_or_the_codec_error(data: bytes) -> None:
    try:
        packet = decode_stream_packet(data)
    except StreamCodecError:
        return
    # Whatever decodes is a valid packet: it re-encodes, and the re-encoding decodes to it.
    assert decode_stream_packet(encode_stream_packet(packet)) == packet


@given(packets, st.data())
def test_mutated_packets_give_a_packet_or_the_codec_error(
    packet: StreamPacket, data: st.DataObject
) -> None:
    wire = bytearray(encode_stream_packet(packet))
    for _ in range(data.draw(st.integers(min_value=1, max_value=4))):
        i = data.draw(st.integers(min_value=0, max_value=len(wire) - 1))
        wire[i] = data.draw(st.integers(min_value=0, max_value=255))
    cut = data.draw(st.integers(min_value=0, max_value=len(wire)))
    try:
        decoded = decode_stream_packet(bytes(wire[:cut]))
    except StreamCodecError:
        return
    assert decode_stream_packet(encode_stream_packet(decoded)) == decoded
