"""OER cursors (RFC 0030): length determinants, fixed and variable integers, octet strings."""

from __future__ import annotations

import pytest

from ilpnode.ilp import (
    MAX_UINT64,
    IlpCodecError,
    InvalidLength,
    Reader,
    TruncatedPacket,
    Writer,
    encode_length,
)


@pytest.mark.parametrize(
    ("length", "encoded"),
    [
        (0, "00"),
        (1, "01"),
        (127, "7f"),
        (128, "8180"),
        (255, "81ff"),
        (256, "820100"),
        (65535, "82ffff"),
        (65536, "83010000"),
        (MAX_UINT64, "88ffffffffffffffff"),
    ],
)
def test_length_determinant_round_trip(length: int, encoded: str) -> None:
    raw = bytes.fromhex(encoded)
    assert encode_length(length) == raw
    reader = Reader(raw)
    assert reader.read_length() == length
    assert reader.at_end
    writer = Writer()
    writer.write_length(length)
    assert writer.getvalue() == raw


@pytest.mark.parametrize(
    "encoded",
    [
        "8105",  # long form for a length below 128
        "817f",  # long form for 127
        "820001",  # leading zero byte
        "820080",  # leading zero byte, value >= 128
        "83000100",  # leading zero byte
        "80",  # n == 0
        "89010000000000000000",  # n == 9 > 8
        "ff",  # n == 127
    ],
)
def test_non_canonical_or_oversize_lengths_are_refused(encoded: str) -> None:
    with pytest.raises(InvalidLength):
        Reader(bytes.fromhex(encoded + "00" * 300)).read_length()


@pytest.mark.parametrize("encoded", ["", "81", "8201", "88ffffffffffff"])
def test_truncated_lengths(encoded: str) -> None:
    with pytest.raises(TruncatedPacket):
        Reader(bytes.fromhex(encoded)).read_length()


@pytest.mark.parametrize("bad", [-1, MAX_UINT64 + 1])
def test_encode_length_out_of_range(bad: int) -> None:
    with pytest.raises(ValueError, match="length"):
        encode_length(bad)


def test_fixed_integers_round_trip() -> None:
    writer = Writer()
    writer.write_uint8(0xAB)
    writer.write_uint16(0xBEEF)
    writer.write_uint32(0xDEADBEEF)
    writer.write_uint64(MAX_UINT64)
    writer.write_bytes(b"xyz")
    raw = writer.getvalue()
    assert raw == bytes.fromhex("abbeefdeadbeef" + "ff" * 8) + b"xyz"
    assert len(writer) == len(raw)
    reader = Reader(raw)
    assert reader.read_uint8() == 0xAB
    assert reader.read_uint16() == 0xBEEF
    assert reader.read_uint32() == 0xDEADBEEF
    assert reader.read_uint64() == MAX_UINT64
    assert reader.remaining == 3
    assert reader.position == 15
    assert reader.read_bytes(3) == b"xyz"
    assert reader.at_end
    assert reader.remaining == 0


@pytest.mark.parametrize(
    ("method", "value"),
    [
        ("write_uint8", 256),
        ("write_uint16", 1 << 16),
        ("write_uint32", 1 << 32),
        ("write_uint64", 1 << 64),
        ("write_uint8", -1),
        ("write_uint64", -1),
    ],
)
def test_fixed_integer_out_of_range(method: str, value: int) -> None:
    with pytest.raises(ValueError, match="does not fit"):
        getattr(Writer(), method)(value)


@pytest.mark.parametrize(
    "method", ["read_uint8", "read_uint16", "read_uint32", "read_uint64", "read_var_octets"]
)
def test_reads_past_the_end_raise_truncated(method: str) -> None:
    with pytest.raises(TruncatedPacket):
        getattr(Reader(b""), method)()


def test_read_bytes_checks_bounds() -> None:
    reader = Reader(b"abc")
    with pytest.raises(TruncatedPacket):
        reader.read_bytes(4)
    with pytest.raises(TruncatedPacket):
        reader.read_bytes(-1)
    assert reader.read_bytes(3) == b"abc"


def test_var_octets_round_trip() -> None:
    for size in (0, 1, 127, 128, 300):
        payload = bytes(range(256)) * 2
        payload = payload[:size]
        writer = Writer()
        writer.write_var_octets(payload)
        reader = Reader(writer.getvalue())
        assert reader.read_var_octets() == payload
        assert reader.at_end


def test_var_octets_declared_longer_than_input() -> None:
    with pytest.raises(TruncatedPacket):
        Reader(b"\x05abc").read_var_octets()


@pytest.mark.parametrize(
    ("value", "encoded"),
    [
        (0, "0100"),
        (1, "0101"),
        (255, "01ff"),
        (256, "020100"),
        (MAX_UINT64, "08ffffffffffffffff"),
    ],
)
def test_var_uint_round_trip(value: int, encoded: str) -> None:
    writer = Writer()
    writer.write_var_uint(value)
    assert writer.getvalue() == bytes.fromhex(encoded)
    assert Reader(bytes.fromhex(encoded)).read_var_uint() == value


def test_var_uint_tolerates_leading_zeros() -> None:
    assert Reader(bytes.fromhex("020001")).read_var_uint() == 1


@pytest.mark.parametrize("encoded", ["00", "09010000000000000000"])
def test_var_uint_empty_or_over_8_bytes_is_refused(encoded: str) -> None:
    with pytest.raises(InvalidLength):
        Reader(bytes.fromhex(encoded)).read_var_uint()


@pytest.mark.parametrize("bad", [-1, MAX_UINT64 + 1])
def test_write_var_uint_out_of_range(bad: int) -> None:
    with pytest.raises(ValueError, match="VarUInt"):
        Writer().write_var_uint(bad)


def test_reader_accepts_bytes_like() -> None:
    assert Reader(bytearray(b"\x01\x02")).read_uint16() == 0x0102  # type: ignore[arg-type]
    assert Reader(memoryview(b"\x01\x02")).read_uint16() == 0x0102  # type: ignore[arg-type]


def test_codec_errors_are_value_errors() -> None:
    assert issubclass(IlpCodecError, ValueError)
    for cls in (InvalidLength, TruncatedPacket):
        assert issubclass(cls, IlpCodecError)
