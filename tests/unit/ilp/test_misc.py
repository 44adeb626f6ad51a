"""Error codes (RFC 0027), conditions, F08 data, codec error hierarchy."""

from __future__ import annotations

import hashlib

import pytest

from ilpnode.ilp import (
    PEER_PROTOCOL_CONDITION,
    PEER_PROTOCOL_FULFILLMENT,
    AmountTooLargeData,
    IlpCodecError,
    IlpErrorCode,
    InvalidField,
    InvalidLength,
    TruncatedPacket,
    UnknownPacketType,
    condition_of,
    decode_amount_too_large_data,
    encode_amount_too_large_data,
    fulfillment_matches,
)

RFC_0027_CODES = {
    "F00": "Bad Request",
    "F01": "Invalid Packet",
    "F02": "Unreachable",
    "F03": "Invalid Amount",
    "F04": "Insufficient Destination Amount",
    "F05": "Wrong Condition",
    "F06": "Unexpected Payment",
    "F07": "Cannot Receive",
    "F08": "Amount Too Large",
    "F99": "Application Error",
    "T00": "Internal Error",
    "T01": "Peer Unreachable",
    "T02": "Peer Busy",
    "T03": "Connector Busy",
    "T04": "Insufficient Liquidity",
    "T05": "Rate Limited",
    "T99": "Application Error",
    "R00": "Transfer Timed Out",
    "R01": "Insufficient Source Amount",
    "R02": "Insufficient Timeout",
    "R99": "Application Error",
}


def test_error_codes_are_exactly_rfc_0027() -> None:
    assert {c.value: c.title for c in IlpErrorCode} == RFC_0027_CODES
    for code in IlpErrorCode:
        expected_name = code.value + "_" + code.title.upper().replace(" ", "_")
        assert code.name == expected_name
        assert isinstance(code, str)
        assert code == code.value
        assert str(code) == code.value
        assert f"{code}" == code.value
        assert IlpErrorCode.try_from(code.value) is code
        assert code.is_final + code.is_temporary + code.is_relative == 1


def test_error_code_examples() -> None:
    assert IlpErrorCode.F02_UNREACHABLE.title == "Unreachable"
    code: str = IlpErrorCode.F08_AMOUNT_TOO_LARGE
    assert code == "F08"
    assert IlpErrorCode.T04_INSUFFICIENT_LIQUIDITY.is_temporary
    assert IlpErrorCode.R00_TRANSFER_TIMED_OUT.is_relative
    assert IlpErrorCode.F99_APPLICATION_ERROR.is_final


@pytest.mark.parametrize("code", ["F09", "X00", "f02", "", "F0"])
def test_try_from_unknown_code(code: str) -> None:
    assert IlpErrorCode.try_from(code) is None


def test_peer_protocol_condition() -> None:
    assert bytes(32) == PEER_PROTOCOL_FULFILLMENT
    assert PEER_PROTOCOL_CONDITION.hex() == (
        "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925"
    )
    assert condition_of(PEER_PROTOCOL_FULFILLMENT) == PEER_PROTOCOL_CONDITION
    assert fulfillment_matches(PEER_PROTOCOL_FULFILLMENT, PEER_PROTOCOL_CONDITION)


def test_fulfillment_matches() -> None:
    fulfillment = b"\x07" * 32
    condition = hashlib.sha256(fulfillment).digest()
    assert condition_of(fulfillment) == condition
    assert fulfillment_matches(fulfillment, condition)
    assert not fulfillment_matches(b"\x08" * 32, condition)
    assert not fulfillment_matches(fulfillment, condition[:31])


def test_f08_data() -> None:
    data = AmountTooLargeData(received_amount=2**64 - 1, maximum_amount=0)
    raw = encode_amount_too_large_data(data)
    assert raw == b"\xff" * 8 + b"\x00" * 8
    assert decode_amount_too_large_data(raw) == data
    assert decode_amount_too_large_data(raw + b"extension") == data
    for cut in range(16):
        with pytest.raises(TruncatedPacket):
            decode_amount_too_large_data(raw[:cut])
    with pytest.raises(ValueError, match="UInt64"):
        AmountTooLargeData(received_amount=2**64, maximum_amount=1)
    with pytest.raises(ValueError, match="UInt64"):
        AmountTooLargeData(received_amount=1, maximum_amount=-1)
    with pytest.raises(TypeError):
        AmountTooLargeData(received_amount=1.5, maximum_amount=1)  # type: ignore[arg-type]


def test_codec_error_hierarchy() -> None:
    for cls in (TruncatedPacket, InvalidLength, UnknownPacketType, InvalidField):
        assert issubclass(cls, IlpCodecError)
    assert issubclass(IlpCodecError, ValueError)
