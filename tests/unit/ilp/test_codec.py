"""The ILPv4 codec (RFC 0027 packet format, RFC 0030 OER): decoding rules and boundaries."""

from __future__ import annotations

import pytest

from ilpnode.ilp import (
    Fulfill,
    IlpCodecError,
    InvalidField,
    InvalidLength,
    Prepare,
    Reader,
    Reject,
    TruncatedPacket,
    UnknownPacketType,
    Writer,
    decode_fulfill,
    decode_packet,
    decode_prepare,
    decode_reject,
    decode_reply,
    encode_fulfill,
    encode_packet,
    encode_prepare,
    encode_reject,
)

from ._helpers import CONDITION, envelope, prepare, prepare_content, reject, valid_vector_wires, var


@pytest.mark.parametrize("wire", valid_vector_wires(), ids=lambda w: w[:12].hex())
def test_every_truncation_raises_truncated(wire: bytes) -> None:
    decoders = [decode_packet, {12: decode_prepare, 13: decode_fulfill, 14: decode_reject}[wire[0]]]
    if wire[0] != 12:
        decoders.append(decode_reply)
    for cut in range(len(wire)):
        for decode in decoders:
            with pytest.raises(TruncatedPacket):
                decode(wire[:cut])


@pytest.mark.parametrize("wire", valid_vector_wires(), ids=lambda w: w[:12].hex())
def test_bytes_after_the_envelope_are_ignored(wire: bytes) -> None:
    assert decode_packet(wire + b"\x00trailing") == decode_packet(wire)


@pytest.mark.parametrize(
    "packet",
    [prepare(), Fulfill(fulfillment=CONDITION, data=b"x"), reject(), prepare(data=bytes(200))],
    ids=["prepare", "fulfill", "reject", "prepare-long"],
)
def test_bytes_after_the_fields_inside_the_envelope_are_ignored(
    packet: Prepare | Fulfill | Reject,
) -> None:
    wire = encode_packet(packet)
    content = wire[2:] if wire[1] < 128 else wire[2 + (wire[1] & 0x7F) :]
    padded = envelope(wire[0], content + b"\x2a" * 3)
    assert decode_packet(padded) == packet
    assert encode_packet(decode_packet(padded)) == wire  # never emitted again


def test_wrong_packet_types() -> None:
    p = encode_prepare(prepare())
    f = encode_fulfill(Fulfill(fulfillment=CONDITION))
    r = encode_reject(reject())
    cases = [(decode_prepare, f), (decode_fulfill, r), (decode_reject, p), (decode_reply, p)]
    for decode, wire in cases:
        with pytest.raises(UnknownPacketType):
            decode(wire)
    for kind in (0, 1, 11, 15, 255):
        with pytest.raises(UnknownPacketType):
            decode_packet(bytes((kind,)) + p[1:])
        with pytest.raises(UnknownPacketType):
            decode_reply(bytes((kind,)) + p[1:])


@pytest.mark.parametrize(
    "wire",
    [
        b"\x0c\x81\x05" + bytes(5),  # envelope: long form for 5
        b"\x0c\x82\x00\x80" + bytes(128),  # envelope: leading zero
        b"\x0c\x80",  # envelope: n == 0
        b"\x0c\x89" + bytes(9),  # envelope: n == 9
        envelope(12, prepare_content(data_field=b"\x81\x05hello")),
        envelope(12, prepare_content(data_field=b"\x82\x00\x05hello")),
        envelope(12, prepare_content()[:57] + b"\x81\x0fg.example.alice" + var(b"")),
        envelope(13, CONDITION + b"\x81\x01x"),
        envelope(14, b"F02\x81\x01a" + var(b"") + var(b"")),
        envelope(14, b"F02" + var(b"a") + b"\x81\x01m" + var(b"")),
        envelope(14, b"F02" + var(b"a") + var(b"") + b"\x82\x00\x01d"),
    ],
)
def test_non_canonical_lengths_are_refused(wire: bytes) -> None:
    with pytest.raises(InvalidLength):
        decode_packet(wire)


@pytest.mark.parametrize(
    "content",
    [
        prepare_content(dest=b"xyz.alice"),
        prepare_content(dest=b"g.alice\n"),
        prepare_content(dest=b"g." + b"a" * 1022),
        prepare_content(dest=b""),
        prepare_content(ts=b"20300102240000000"),
        prepare_content(ts=b"20300102036005678"),
        prepare_content(ts=b"2030-01-02T03:04:"),
        prepare_content(data_field=var(bytes(32768))),
        prepare_content(data_field=var(bytes(65536))),  # 0x83 lengths, envelope too
    ],
)
def test_invalid_prepare_fields(content: bytes) -> None:
    with pytest.raises(InvalidField):
        decode_prepare(envelope(12, content))


@pytest.mark.parametrize(
    ("kind", "content"),
    [
        (12, prepare_content()[:57] + b"\x7fg.a" + var(b"")),  # destination overruns
        (12, prepare_content()[:57] + b"\x81\x80g.a" + var(b"")),
        (12, prepare_content(data_field=b"\x06hello")),  # data overruns
        (12, prepare_content(data_field=b"\x81\x80hello")),
        (12, prepare_content(data_field=b"\x82\x01\x00hello")),
        (13, CONDITION + b"\x02x"),
        (13, CONDITION + b"\x81\x80x"),
        (14, b"F02\x05abc"),
        (14, b"F02\x81\x80abc"),
        (14, b"F02" + var(b"a") + b"\x05mm"),
        (14, b"F02" + var(b"a") + var(b"m") + b"\x05dd"),
        (14, b"F02" + var(b"a") + var(b"m") + b"\x82\x01\x00dd"),
    ],
)
def test_fields_must_not_overrun_the_envelope(kind: int, content: bytes) -> None:
    # Bytes after the envelope must not be read as the rest of a field.
    wire = envelope(kind, content) + bytes(400)
    with pytest.raises(TruncatedPacket):
        decode_packet(wire)


def test_invalid_fulfill_and_reject_fields() -> None:
    with pytest.raises(InvalidField, match="32767"):
        decode_fulfill(envelope(13, CONDITION + var(bytes(32768))))
    bad_rejects = [
        b"F\x002" + var(b"") + var(b"") + var(b""),
        b"F02" + var(b"g.caf\xc3\xa9") + var(b"") + var(b""),
        b"F02" + var(b"a" * 1024) + var(b"") + var(b""),
        b"F02" + var(b"") + var(b"m" * 8192) + var(b""),
        b"F02" + var(b"") + var(b"") + var(bytes(32768)),
    ]
    for content in bad_rejects:
        with pytest.raises(InvalidField):
            decode_reject(envelope(14, content))


def test_reject_message_with_invalid_utf8_is_decoded_with_replacement() -> None:
    wire = envelope(14, b"F99" + var(b"g.peer") + var(b"bad \xff\xfe utf8") + var(b""))
    r = decode_reply(wire)
    assert isinstance(r, Reject)
    assert r.message == "bad \ufffd\ufffd utf8"
    # Replacement can triple the size: the result is cut back to 8191 UTF-8 bytes.
    long = decode_reject(envelope(14, b"F99" + var(b"") + var(b"\xff" * 8191) + var(b"")))
    assert long.message == "\ufffd" * 2730
    assert decode_reject(encode_reject(long)) == long


def test_decoders_accept_bytes_like_and_return_bytes_fields() -> None:
    wire = encode_prepare(prepare())
    for raw in (bytearray(wire), memoryview(wire)):
        p = decode_packet(raw)  # type: ignore[arg-type]
        assert isinstance(p, Prepare)
        assert type(p.data) is bytes
        assert type(p.execution_condition) is bytes
        assert p == prepare()
    assert decode_prepare(bytearray(wire)) == prepare()
    f = encode_fulfill(Fulfill(fulfillment=CONDITION))
    assert decode_reply(bytearray(f)) == Fulfill(fulfillment=CONDITION)
    assert decode_fulfill(memoryview(f)) == Fulfill(fulfillment=CONDITION)
    r = encode_reject(reject())
    assert decode_reject(bytearray(r)) == reject()


def test_decoded_packets_equal_constructed_ones() -> None:
    for packet in (prepare(), Fulfill(fulfillment=CONDITION), reject(data=b"\x01")):
        decoded = decode_packet(encode_packet(packet))
        assert decoded == packet
        assert type(decoded) is type(packet)
        assert repr(decoded) == repr(packet)


def test_long_form_lengths_round_trip() -> None:
    for size in (94, 95, 127, 128, 255, 256, 1000):
        for packet in (
            prepare(data=bytes(size)),
            Fulfill(fulfillment=CONDITION, data=bytes(size)),
            reject(data=bytes(size)),
            reject(message="m" * size),
            prepare(destination="g." + "a" * size),
        ):
            wire = encode_packet(packet)
            assert decode_packet(wire) == packet
            reader = Reader(wire)  # the envelope length is canonical and exact
            assert reader.read_uint8() == wire[0]
            reader.read_var_octets()
            assert reader.at_end


def test_encode_packet_refuses_other_types() -> None:
    with pytest.raises(TypeError, match="not an ILP packet"):
        encode_packet("prepare")  # type: ignore[arg-type]


def test_non_bytes_input_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="expected bytes"):
        decode_packet("0c00")  # type: ignore[arg-type]


def test_empty_and_tiny_inputs() -> None:
    for raw in (b"", b"\x0c", b"\x0d", b"\x0e"):
        with pytest.raises(TruncatedPacket):
            decode_packet(raw)
    assert issubclass(UnknownPacketType, IlpCodecError)
    with pytest.raises(TruncatedPacket):
        decode_prepare(b"\x0c\x83\x01\x00\x00" + bytes(100))
    writer = Writer()
    writer.write_uint8(12)
    with pytest.raises(TruncatedPacket):
        decode_prepare(writer.getvalue())
