"""Fixed 17-digit ILP timestamps (RFC 0027 expiresAt, RFC 0030)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ilpnode.ilp import (
    InvalidField,
    Prepare,
    decode_prepare,
    decode_timestamp,
    encode_prepare,
    encode_timestamp,
)


@pytest.mark.parametrize(
    ("dt", "encoded"),
    [
        (datetime(2017, 12, 24, 16, 14, 32, 279000, tzinfo=UTC), b"20171224161432279"),
        (datetime(1, 1, 1, tzinfo=UTC), b"00010101000000000"),
        (datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC), b"99991231235959999"),
        (datetime(2024, 2, 29, tzinfo=UTC), b"20240229000000000"),
    ],
)
def test_round_trip(dt: datetime, encoded: bytes) -> None:
    assert encode_timestamp(dt) == encoded
    decoded = decode_timestamp(encoded)
    assert decoded == dt
    assert decoded.tzinfo is UTC


def test_encode_converts_to_utc_and_truncates_to_milliseconds() -> None:
    dt = datetime(2017, 12, 24, 18, 14, 32, 279999, tzinfo=timezone(timedelta(hours=2)))
    assert encode_timestamp(dt) == b"20171224161432279"
    india = datetime(2017, 7, 1, 5, 30, tzinfo=timezone(timedelta(hours=5, minutes=30)))
    assert encode_timestamp(india) == b"20170701000000000"


def test_encode_refuses_naive() -> None:
    with pytest.raises(ValueError, match="naive"):
        encode_timestamp(datetime(2017, 12, 24))


def test_encode_refuses_non_datetime() -> None:
    with pytest.raises(TypeError):
        encode_timestamp("20171224161432279")  # type: ignore[arg-type]


def test_encode_refuses_years_outside_1_to_9999_in_utc() -> None:
    with pytest.raises(ValueError, match="years"):
        encode_timestamp(datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))))
    with pytest.raises(ValueError, match="years"):
        encode_timestamp(datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-1))))


@pytest.mark.parametrize(
    "raw",
    [
        b"20171224240000000",  # hour 24 (midnight is 000000000 of the next day)
        b"20171224250000000",
        b"20171224166000000",  # minute 60
        b"20161231235960852",  # seconds 60 (leap second)
        b"20171324161432200",  # month 13
        b"20171200161432200",  # month 0
        b"20170230161432200",  # 30 February
        b"20171232161432200",  # day 32
        b"00001224161432279",  # year 0
        b"2017122416143227",  # 16 digits
        b"201712241614322790",  # 18 digits
        b"",
        b"2017-12-24T16:14:3",  # 17 characters, not digits
        b"+0171224161432279",
        b" 0171224161432279",
        b"2017_224161432279",
        b"2017122416143227\xff",
        "2017122416143227٣".encode(),  # a non-ASCII digit
    ],
)
def test_decode_refuses(raw: bytes) -> None:
    with pytest.raises(InvalidField):
        decode_timestamp(raw)


def test_decode_accepts_bytes_like() -> None:
    assert decode_timestamp(bytearray(b"20171224161432279")) == datetime(
        2017, 12, 24, 16, 14, 32, 279000, tzinfo=UTC
    )


def _by_fromisoformat(raw: bytes) -> datetime | None:
    """RFC 0030's rules through `datetime.fromisoformat`, independently of the decoder (how it
    decoded before it read the digits in place): the datetime, or None if refused."""
    if len(raw) != 17 or not raw.isdigit() or raw[8:10] == b"24":
        return None
    s = raw.decode("ascii")
    try:
        return datetime.fromisoformat(f"{s[:8]}T{s[8:14]}.{s[14:]}Z")
    except ValueError:
        return None


_SEVENTEEN_DIGITS = st.text(alphabet="0123456789", min_size=17, max_size=17).map(str.encode)
_VALID = st.datetimes(
    min_value=datetime(1, 1, 1), max_value=datetime(9999, 12, 31, 23, 59, 59)
).map(lambda naive: encode_timestamp(naive.replace(tzinfo=UTC)))


@given(
    st.one_of(
        _VALID,
        _SEVENTEEN_DIGITS,
        st.binary(min_size=17, max_size=17),
        # a valid timestamp with one byte changed: the edges of every field
        st.tuples(_VALID, st.integers(0, 16), st.integers(0, 255)).map(
            lambda t: t[0][: t[1]] + bytes([t[2]]) + t[0][t[1] + 1 :]
        ),
    )
)
def test_decode_agrees_with_fromisoformat_in_a_timestamp_and_a_prepare(raw: bytes) -> None:
    expected = _by_fromisoformat(raw)
    packet = encode_prepare(
        Prepare(
            amount=1,
            expires_at=datetime(2030, 1, 1, tzinfo=UTC),
            execution_condition=bytes(32),
            destination="test.a",
        )
    )
    with_raw = packet[:10] + raw + packet[27:]  # type, length, amount (8), then the 17 digits
    if expected is None:
        with pytest.raises(InvalidField):
            decode_timestamp(raw)
        with pytest.raises(InvalidField):
            decode_prepare(with_raw)
    else:
        assert decode_timestamp(raw) == expected
        assert decode_prepare(with_raw).expires_at == expected
