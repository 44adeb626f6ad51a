"""In-place rewrite of amount and expiry in an encoded Prepare (RFC 0027 lifecycle)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from ilpnode.ilp import (
    MAX_AMOUNT,
    IlpCodecError,
    Prepare,
    TruncatedPacket,
    UnknownPacketType,
    decode_prepare,
    encode_fulfill,
    encode_prepare,
    prepare_expires_ms,
    read_prepare_amount_and_expiry,
    rewrite_prepare,
    rewrite_prepare_ms,
)
from ilpnode.ilp import Fulfill as FulfillPacket

EXPIRY = datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
NEW_EXPIRY = datetime(2031, 6, 7, 8, 9, 10, 111000, tzinfo=UTC)


def prepare(data: bytes) -> Prepare:
    return Prepare(
        amount=1000,
        expires_at=EXPIRY,
        execution_condition=bytes(range(32)),
        destination="g.example.alice",
        data=data,
    )


@pytest.mark.parametrize("size", [0, 5, 200, 32767], ids=lambda n: f"data{n}")
def test_only_the_25_bytes_change(size: int) -> None:
    original = encode_prepare(prepare(bytes(range(256)) * (size // 256) + bytes(size % 256)))
    rewritten = rewrite_prepare(original, amount=MAX_AMOUNT, expires_at=NEW_EXPIRY)
    assert len(rewritten) == len(original)
    changed = [i for i, (a, b) in enumerate(zip(original, rewritten, strict=True)) if a != b]
    offset = 2 if original[1] < 128 else 2 + (original[1] & 0x7F)
    assert changed
    assert all(offset <= i < offset + 25 for i in changed)
    assert rewritten[offset : offset + 8] == b"\xff" * 8
    assert rewritten[offset + 8 : offset + 25] == b"20310607080910111"
    decoded = decode_prepare(rewritten)
    assert decoded.amount == MAX_AMOUNT
    assert decoded.expires_at == NEW_EXPIRY
    assert read_prepare_amount_and_expiry(rewritten) == (MAX_AMOUNT, NEW_EXPIRY)


def test_expiry_is_converted_to_utc_milliseconds() -> None:
    original = encode_prepare(prepare(b""))
    local = datetime(2031, 6, 7, 10, 9, 10, 111999, tzinfo=timezone(timedelta(hours=2)))
    assert decode_prepare(rewrite_prepare(original, amount=0, expires_at=local)).expires_at == (
        NEW_EXPIRY
    )


def test_inputs_are_validated() -> None:
    original = encode_prepare(prepare(b""))
    for bad in (-1, MAX_AMOUNT + 1):
        with pytest.raises(ValueError, match="UInt64"):
            rewrite_prepare(original, amount=bad, expires_at=NEW_EXPIRY)
    with pytest.raises(TypeError):
        rewrite_prepare(original, amount=True, expires_at=NEW_EXPIRY)
    with pytest.raises(ValueError, match="naive"):
        rewrite_prepare(original, amount=1, expires_at=datetime(2030, 1, 1))


def test_encoded_packet_is_checked() -> None:
    fulfill = encode_fulfill(FulfillPacket(fulfillment=bytes(32)))
    with pytest.raises(UnknownPacketType):
        rewrite_prepare(fulfill, amount=1, expires_at=NEW_EXPIRY)
    original = encode_prepare(prepare(b""))
    for cut in range(len(original) - 1):
        with pytest.raises(IlpCodecError):
            rewrite_prepare(original[:cut], amount=1, expires_at=NEW_EXPIRY)
    with pytest.raises(TruncatedPacket):
        rewrite_prepare(b"\x0c\x05abcde", amount=1, expires_at=NEW_EXPIRY)
    with pytest.raises(TruncatedPacket):
        read_prepare_amount_and_expiry(b"\x0c")


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
FIRST_MS = (datetime(1, 1, 1, tzinfo=UTC) - EPOCH) // timedelta(milliseconds=1)
LAST_MS = (datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC) - EPOCH) // timedelta(
    milliseconds=1
)


@pytest.mark.parametrize(
    "when",
    [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(1, 3, 1, tzinfo=UTC),
        datetime(1600, 2, 29, 12, tzinfo=UTC),
        datetime(1900, 2, 28, 23, 59, 59, 999000, tzinfo=UTC),
        datetime(1900, 3, 1, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 59, 59, 999000, tzinfo=UTC),
        EPOCH,
        datetime(2000, 2, 29, 0, 0, 0, 1000, tzinfo=UTC),
        datetime(2024, 12, 31, 23, 59, 59, 999000, tzinfo=UTC),
        NEW_EXPIRY,
        datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC),
    ],
    ids=lambda d: d.isoformat(),
)
def test_rewrite_in_milliseconds_writes_the_same_digits(when: datetime) -> None:
    original = encode_prepare(prepare(b"\x01" * 200))  # a long-form envelope
    ms = (when - EPOCH) // timedelta(milliseconds=1)
    moved = Prepare(
        amount=7,
        expires_at=when,
        execution_condition=bytes(range(32)),
        destination="g.example.alice",
        data=b"\x01" * 200,
    )
    assert rewrite_prepare_ms(original, 7, ms) == encode_prepare(moved)  # the encoder's digits
    assert decode_prepare(rewrite_prepare_ms(original, 7, ms)).expires_at == when
    # Read back from the digits the encoder wrote (not from ours): the same millisecond.
    assert prepare_expires_ms(encode_prepare(moved)) == ms
    short = encode_prepare(replace(moved, data=b""))  # a short-form envelope
    assert prepare_expires_ms(short) == ms


def test_the_expiry_is_read_only_from_a_prepare() -> None:
    with pytest.raises(UnknownPacketType):
        prepare_expires_ms(encode_fulfill(FulfillPacket(fulfillment=bytes(32))))
    with pytest.raises(TruncatedPacket):
        prepare_expires_ms(encode_prepare(prepare(b""))[:20])


def test_rewrite_in_milliseconds_checks_its_range() -> None:
    original = encode_prepare(prepare(b""))
    assert read_prepare_amount_and_expiry(rewrite_prepare_ms(original, 1, FIRST_MS))[1] == (
        datetime(1, 1, 1, tzinfo=UTC)
    )
    for bad_ms in (FIRST_MS - 1, LAST_MS + 1):
        with pytest.raises(OverflowError, match=r"years 1\.\.9999"):
            rewrite_prepare_ms(original, 1, bad_ms)
    for bad_amount in (-1, MAX_AMOUNT + 1):
        with pytest.raises(ValueError, match="UInt64"):
            rewrite_prepare_ms(original, bad_amount, 0)
    with pytest.raises(UnknownPacketType):
        rewrite_prepare_ms(encode_fulfill(FulfillPacket(fulfillment=bytes(32))), 1, 0)
    with pytest.raises(TruncatedPacket):
        rewrite_prepare_ms(original[:20], 1, 0)
