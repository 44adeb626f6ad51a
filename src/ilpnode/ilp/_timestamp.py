"""Fixed-length ILP timestamps (RFC 0027 ``expiresAt``; RFC 0030 "Fixed-Length Timestamps").

The wire form is exactly 17 ASCII digits ``YYYYMMDDHHmmssSSS`` in UTC: no separators, no ``Z``,
milliseconds always present.  Midnight is ``000000000`` of the next day (hour 24 is invalid) and
leap seconds are smeared, so seconds = 60 is invalid.  Anything else is refused with
:class:`~ilpnode.ilp.InvalidField`.

Decoding validates the digits, then lets ``datetime.fromisoformat`` (C code) check the ranges;
encoding builds one integer and formats it with ``%017d``.  Both are on the packet hot path.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ._errors import InvalidField

__all__ = ["TIMESTAMP_LENGTH", "decode_timestamp", "encode_timestamp", "to_wire_datetime"]

#: Length of a fixed ILP timestamp, in bytes.
TIMESTAMP_LENGTH = 17

_fromisoformat = datetime.fromisoformat


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


def decode_timestamp(raw: bytes) -> datetime:
    """Decode a 17-digit ILP timestamp into an aware UTC datetime.

    Raises:
        InvalidField: ``raw`` is not exactly 17 ASCII digits, or a field is out of range (month
            13, day 32, hour 24, seconds 60, year 0...).  Nothing else is raised.
    """
    if len(raw) != TIMESTAMP_LENGTH:
        raise InvalidField(f"timestamp must be {TIMESTAMP_LENGTH} digits, got {len(raw)} bytes")
    return parse_digits(bytes(raw))


def parse_digits(raw: bytes) -> datetime:
    """Decode 17 bytes (length already checked) as an ILP timestamp.  Raises InvalidField."""
    # bytes.isdigit() accepts ASCII 0-9 only; it must run first because fromisoformat and int()
    # would accept other characters (signs, '_', separators).
    if not raw.isdigit() or (raw[8] == 0x32 and raw[9] == 0x34):  # hour "24"
        raise InvalidField(f"invalid ILP timestamp {raw!r}")
    s = raw.decode("ascii")
    try:
        return _fromisoformat(f"{s[:8]}T{s[8:14]}.{s[14:]}Z")
    except ValueError as exc:
        raise InvalidField(f"invalid ILP timestamp {s!r}: {exc}") from None


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
