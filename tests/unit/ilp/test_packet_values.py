"""Packet values (RFC 0027): constructor validation and normalisation, boundaries."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest

from ilpnode.ilp import (
    MAX_AMOUNT,
    Fulfill,
    IlpErrorCode,
    InvalidAddress,
    decode_fulfill,
    decode_prepare,
    decode_reject,
    encode_fulfill,
    encode_prepare,
    encode_reject,
)

from ._helpers import EXPIRY, prepare, reject


def test_amount_bounds() -> None:
    assert prepare(amount=0).amount == 0
    assert decode_prepare(encode_prepare(prepare(amount=MAX_AMOUNT))).amount == 2**64 - 1
    for bad in (2**64, -1):
        with pytest.raises(ValueError, match="UInt64"):
            prepare(amount=bad)
    for wrong in (True, 1.0, "1"):
        with pytest.raises(TypeError, match="amount"):
            prepare(amount=wrong)


def test_condition_must_be_32_bytes() -> None:
    for size in (0, 31, 33):
        with pytest.raises(ValueError, match="32 bytes"):
            prepare(execution_condition=bytes(size))
    with pytest.raises(TypeError):
        prepare(execution_condition="0" * 32)
    assert type(prepare(execution_condition=bytearray(32)).execution_condition) is bytes


def test_destination_must_be_an_address() -> None:
    with pytest.raises(InvalidAddress, match="scheme"):
        prepare(destination="xyz.alice")
    with pytest.raises(ValueError, match="segment"):
        prepare(destination="g")


def test_data_size_bounds() -> None:
    p = prepare(data=bytes(32767))
    assert decode_prepare(encode_prepare(p)) == p
    with pytest.raises(ValueError, match="32767"):
        prepare(data=bytes(32768))
    assert type(prepare(data=memoryview(b"ab")).data) is bytes
    with pytest.raises(TypeError):
        prepare(data="text")


def test_expiry_is_normalised_to_utc_milliseconds() -> None:
    local = datetime(2030, 1, 2, 5, 4, 5, 678999, tzinfo=timezone(timedelta(hours=2)))
    p = prepare(expires_at=local)
    assert p.expires_at == EXPIRY
    assert p.expires_at.tzinfo is UTC
    assert p.expires_at.microsecond == 678000
    assert decode_prepare(encode_prepare(p)) == p


def test_expiry_must_be_aware_and_in_range() -> None:
    with pytest.raises(ValueError, match="naive"):
        prepare(expires_at=datetime(2030, 1, 1))
    with pytest.raises(ValueError, match="years"):
        prepare(expires_at=datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=5))))
    with pytest.raises(TypeError):
        prepare(expires_at="2030-01-01T00:00:00Z")


def test_packets_are_frozen_values() -> None:
    p = prepare()
    with pytest.raises(dataclasses.FrozenInstanceError):
        p.amount = 5  # type: ignore[misc]
    assert dataclasses.replace(p, amount=5).amount == 5
    with pytest.raises(ValueError, match="UInt64"):
        dataclasses.replace(p, amount=-5)
    assert p == prepare()
    assert hash(p) == hash(prepare())


# ------------------------------------------------------------------ Fulfill and Reject


def test_fulfill_fields() -> None:
    for size in (31, 33):
        with pytest.raises(ValueError, match="32 bytes"):
            Fulfill(fulfillment=bytes(size))
    with pytest.raises(ValueError, match="32767"):
        Fulfill(fulfillment=bytes(32), data=bytes(32768))
    f = Fulfill(fulfillment=bytes(32), data=bytes(32767))
    assert decode_fulfill(encode_fulfill(f)) == f


@pytest.mark.parametrize("code", ["F0", "F000", "", "F0\x7f", "F0\x1f", "F0é"])
def test_reject_code_must_be_three_printable_ascii(code: str) -> None:
    with pytest.raises(ValueError, match="error code"):
        reject(code=code)


def test_reject_code_passes_unknown_codes_and_stores_enums_as_str() -> None:
    assert reject(code="X42").code == "X42"
    r = reject(code=IlpErrorCode.T04_INSUFFICIENT_LIQUIDITY)
    assert type(r.code) is str
    assert r.code == "T04"
    assert r == reject(code="T04")
    with pytest.raises(TypeError):
        reject(code=42)


def test_reject_triggered_by() -> None:
    assert reject(triggered_by="").triggered_by == ""
    assert reject(triggered_by="not an address!").triggered_by == "not an address!"
    assert len(reject(triggered_by="a" * 1023).triggered_by) == 1023
    with pytest.raises(ValueError, match="1023"):
        reject(triggered_by="a" * 1024)
    with pytest.raises(ValueError, match="ASCII"):
        reject(triggered_by="g.caf\u00e9")
    with pytest.raises(TypeError):
        reject(triggered_by=None)


def test_reject_message_limits_count_utf8_bytes() -> None:
    assert len(reject(message="x" * 8191).message) == 8191
    assert reject(message="\u00e9" * 4095).message  # 8190 bytes
    with pytest.raises(ValueError, match="8191"):
        reject(message="x" * 8192)
    with pytest.raises(ValueError, match="8191"):
        reject(message="\u00e9" * 4096)  # 8192 bytes
    with pytest.raises(ValueError, match="UTF-8"):
        reject(message="bad \ud800 surrogate")
    with pytest.raises(TypeError):
        reject(message=b"bytes")


def test_reject_data_limit() -> None:
    with pytest.raises(ValueError, match="32767"):
        reject(data=bytes(32768))


def test_reject_round_trip_at_maximum_sizes() -> None:
    r = reject(triggered_by="g." + "a" * 1021, message="\u20ac" * 2730, data=bytes(32767))
    assert decode_reject(encode_reject(r)) == r


def test_constructors_normalise_subclasses_and_bytes_like() -> None:
    class Amount(int):
        pass

    class Text(str):
        pass

    p = prepare(amount=Amount(5), destination=Text("g.a"))
    assert type(p.amount) is int
    assert type(p.destination) is str
    f = Fulfill(fulfillment=bytearray(32), data=bytearray(b"x"))  # type: ignore[arg-type]
    assert type(f.fulfillment) is bytes
    assert type(f.data) is bytes
    r = reject(triggered_by=Text("g.a"), message=Text("m" * 9000)[:10], data=bytearray(b"d"))
    assert type(r.triggered_by) is str
    assert type(r.data) is bytes
    assert type(reject(message=Text("\u00e9")).message) is str


@pytest.mark.parametrize(
    "when",
    [
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(2026, 12, 1, 20, 0, 0, 123000, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC),
    ],
)
def test_with_expiry_ms_is_the_prepare_with_that_expiry(when: datetime) -> None:
    original = prepare(amount=7)
    ms = (when - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(milliseconds=1)
    moved = original.with_expiry_ms(ms)
    assert moved == dataclasses.replace(original, expires_at=when)
    assert moved.expires_at.tzinfo is UTC
    assert decode_prepare(encode_prepare(moved)) == moved
    assert original.expires_at == EXPIRY  # the original is untouched


def test_with_expiry_ms_outside_the_wire_years_raises() -> None:
    with pytest.raises(OverflowError):
        prepare().with_expiry_ms(253402300800000)  # year 10000
