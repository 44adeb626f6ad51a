"""The STREAM packet codec against tests/vectors/stream_packets.json (RFC 0029 §5).

The 53 official fixtures keep the JS field names with binary fields in base64; the two
interledger-rs vectors give them in hex.  Each vector decodes to exactly its fields and
re-encodes to the same bytes, except the two ``too_big`` ones, whose 9-byte VarUInt must
saturate to 2**64-1 and so re-encodes in 8 bytes.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest

from ilpnode.ilp.stream import (
    ConnectionAssetDetails,
    ConnectionClose,
    ConnectionDataBlocked,
    ConnectionMaxData,
    ConnectionMaxStreamId,
    ConnectionNewAddress,
    ConnectionStreamIdBlocked,
    Frame,
    StreamClose,
    StreamData,
    StreamDataBlocked,
    StreamMaxData,
    StreamMaxMoney,
    StreamMoney,
    StreamMoneyBlocked,
    StreamPacket,
    StreamReceipt,
    UnknownFrame,
    decode_stream_packet,
    encode_stream_packet,
)

from ._vectors import load, params


def _binary(value: str, *, official: bool) -> bytes:
    return base64.b64decode(value) if official else bytes.fromhex(value)


def expected_frame(f: dict[str, Any], *, official: bool) -> Frame:
    name = f["name"]
    if name == "ConnectionClose":
        return ConnectionClose(f["errorCode"], f["errorMessage"])
    if name == "ConnectionNewAddress":
        return ConnectionNewAddress(f["sourceAccount"])
    if name == "ConnectionAssetDetails":
        return ConnectionAssetDetails(f["sourceAssetCode"], f["sourceAssetScale"])
    if name == "ConnectionMaxData":
        return ConnectionMaxData(int(f["maxOffset"]))
    if name == "ConnectionDataBlocked":
        return ConnectionDataBlocked(int(f["maxOffset"]))
    if name == "ConnectionMaxStreamId":
        return ConnectionMaxStreamId(int(f["maxStreamId"]))
    if name == "ConnectionStreamIdBlocked":
        return ConnectionStreamIdBlocked(int(f["maxStreamId"]))
    if name == "StreamClose":
        return StreamClose(int(f["streamId"]), f["errorCode"], f["errorMessage"])
    if name == "StreamMoney":
        return StreamMoney(int(f["streamId"]), int(f["shares"]))
    if name == "StreamMaxMoney":
        return StreamMaxMoney(int(f["streamId"]), int(f["receiveMax"]), int(f["totalReceived"]))
    if name == "StreamMoneyBlocked":
        return StreamMoneyBlocked(int(f["streamId"]), int(f["sendMax"]), int(f["totalSent"]))
    if name == "StreamData":
        data = _binary(f["data"], official=official)
        return StreamData(int(f["streamId"]), int(f["offset"]), data)
    if name == "StreamMaxData":
        return StreamMaxData(int(f["streamId"]), int(f["maxOffset"]))
    if name == "StreamDataBlocked":
        return StreamDataBlocked(int(f["streamId"]), int(f["maxOffset"]))
    if name == "StreamReceipt":
        return StreamReceipt(int(f["streamId"]), _binary(f["receipt"], official=official))
    assert name == "Unknown", name
    return UnknownFrame(f["type"], bytes.fromhex(f["content"]))


@pytest.mark.parametrize("vector", params("stream_packets.json"))
def test_stream_packet_vector(vector: dict[str, Any]) -> None:
    wire = bytes.fromhex(vector["hex"])
    official = "base64" in vector
    if official:
        assert base64.b64decode(vector["base64"]) == wire
    fields = vector["json_fields"]
    expected = StreamPacket(
        sequence=int(fields["sequence"]),
        ilp_packet_type=fields["packetType"],
        prepare_amount=int(fields["amount"]),
        frames=tuple(expected_frame(f, official=official) for f in fields["frames"]),
    )
    packet = decode_stream_packet(wire)
    assert packet == expected
    assert [f.frame_type if isinstance(f, UnknownFrame) else None for f in packet.frames] == [
        f["type"] if f["name"] == "Unknown" else None for f in fields["frames"]
    ]
    if vector["description"].endswith(":too_big"):
        # Saturated on decode: the re-encoding is the 8-byte 2**64-1.
        assert encode_stream_packet(packet) != wire
        assert decode_stream_packet(encode_stream_packet(packet)) == packet
    else:
        assert encode_stream_packet(packet) == wire


def test_every_vector_is_checked() -> None:
    assert len(load("stream_packets.json")) == 55


def test_padding_after_the_frames_is_ignored() -> None:
    wire = bytes.fromhex(load("stream_packets.json")[-2]["hex"])
    assert decode_stream_packet(wire + bytes(1000)) == decode_stream_packet(wire)
