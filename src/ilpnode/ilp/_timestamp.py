"""Fixed-length ILP timestamps (RFC 0027 ``expiresAt``; RFC 0030 "Fixed-Length Timestamps").

The wire form is exactly 17 ASCII digits ``YYYYMMDDHHmmssSSS`` in UTC: no separators, no ``Z``,
milliseconds always present.  Midnight is ``000000000`` of the next day (hour 24 is invalid) and
leap seconds are smeared, so seconds = 60 is invalid.  Anything else is refused with
:class:`~ilpnode.ilp.InvalidField`.

Decoding reads the digits as integers in place (a byte that is not an ASCII digit is refused)
and lets the ``datetime`` constructor check the ranges; encoding builds one integer and formats
it with ``%017d``.  Both are on the packet hot path (compiled: ``tools/build_compiled.py``), and
``decode_prepare`` decodes its expiry with ``timestamp_at`` in place.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final

from ._errors import InvalidField

__all__ = [
    "TIMESTAMP_LENGTH",
    "decode_timestamp",
    "encode_timestamp",
    "read_decimal",
    "timestamp_at",
    "to_wire_datetime",
]

#: Length of a fixed ILP timestamp, in bytes.
TIMESTAMP_LENGTH: Final = 17

_datetime: Final = datetime


def encode_timestamp(dt: datetime) -> bytes:
    """Encode an aware datetime as the 17-digit ILP timestamp (UTC, milliseconds truncated).

    Raises:
        TypeError: ``dt`` is not a datetime.
        ValueError: ``dt`` is naive, or is outside years 1..9999 once converted to UTC.
    """
    dt = to_wire_datetime(dt)
    return b"%08d%09d" % (
        dt.year * 10000 + dt.month * 100 + dt.day,
        dt.hour * 10000000 + dt.minute * 100000 + dt.second * 1000 + dt.microsecond // 1000,
    )


def decode_timestamp(raw: bytes | bytearray | memoryview) -> datetime:
    """Decode a 17-digit ILP timestamp (any bytes-like value) into an aware UTC datetime.

    Raises:
        InvalidField: ``raw`` is not exactly 17 ASCII digits, or a field is out of range (month
            13, day 32, hour 24, seconds 60, year 0...).  Nothing else is raised.
    """
    if len(raw) != TIMESTAMP_LENGTH:
        raise InvalidField(f"timestamp must be {TIMESTAMP_LENGTH} digits, got {len(raw)} bytes")
    return timestamp_at(raw if type(raw) is bytes else bytes(raw), 0)


def timestamp_at(data: bytes, start: int) -> datetime:
    """The ILP timestamp in ``data[start : start + 17]``, which the caller knows is there.

    Raises:
        InvalidField: a byte is not an ASCII digit, or a field is out of range.
    """
    date = read_decimal(data, start, 8)  # YYYYMMDD
    in_day = read_decimal(data, start + 8, 9)  # HHmmssSSS
    if date < 0 or in_day < 0:
        raise InvalidField(f"invalid ILP timestamp {data[start : start + TIMESTAMP_LENGTH]!r}")
    # The constructor checks every field's range (month 13, 30 February, hour 24, second 60
    # are refused), and makes no string to parse.
    try:
        return _datetime(
            date // 10_000,
            date // 100 % 100,
            date % 100,
            in_day // 10_000_000,
            in_day // 100_000 % 100,
            in_day // 1000 % 100,
            in_day % 1000 * 1000,
            UTC,
        )
    except ValueError as exc:
        digits = data[start : start + TIMESTAMP_LENGTH].decode("ascii")
        raise InvalidField(f"invalid ILP timestamp {digits!r}: {exc}") from None


def read_decimal(data: bytes, start: int, count: int) -> int:
    """The number written in ASCII digits at ``data[start : start + count]``, or -1 if one of
    those bytes is not a digit 0-9 (no sign, space or separator). Compiled, a loop over the
    bytes' values: no slice and no ``int()`` call."""
    value = 0
    for index in range(start, start + count):
        digit = data[index] - 48
        if digit < 0 or digit > 9:
            return -1
        value = value * 10 + digit
    return value


def to_wire_datetime(dt: datetime) -> datetime:
    """Return ``dt`` in UTC truncated to whole milliseconds: the value an encode/decode gives.

    Raises:
        TypeError: ``dt`` is not a datetime.
        ValueError: ``dt`` is naive or leaves years 1..9999 when converted to UTC.
    """
    if type(dt) is datetime and dt.tzinfo is UTC and dt.microsecond % 1000 == 0:
        return dt
    if not isinstance(dt, datetime):
        raise TypeError(f"expected an aware datetime, got {type(dt).__name__}")
    if dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"datetime {dt.isoformat()} is naive; use an aware (UTC) datetime")
    try:
        utc = dt.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError(f"datetime {dt.isoformat()} is outside years 1..9999 in UTC") from None
    return datetime(
        utc.year,
        utc.month,
        utc.day,
        utc.hour,
        utc.minute,
        utc.second,
        utc.microsecond // 1000 * 1000,
        UTC,
    )
