"""In-place rewrite of a Prepare's amount and expiry (RFC 0027 "ILP Packet Lifecycle").

A connector may change only ``amount`` and ``expiresAt``.  Both are fixed-size and sit right
after the envelope's length prefix (8 + 17 bytes), so the forwarded packet is the incoming one
with those 25 bytes replaced; the condition, destination and data are copied byte for byte.
Rafiki (``modifySerializedIlpPrepare``) and interledger-rs (``Prepare::set_amount``) do the same.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ._errors import TruncatedPacket, UnknownPacketType
from ._oer import MAX_UINT64, read_long_length
from ._timestamp import parse_digits, to_wire_datetime

__all__ = ["read_prepare_amount_and_expiry", "rewrite_prepare"]


def _amount_offset(encoded: bytes) -> int:
    """Offset of the amount in an encoded Prepare whose fixed fields are all present."""
    size = len(encoded)
    if size < 2:
        raise TruncatedPacket("input ends before the envelope length")
    if encoded[0] != 12:
        raise UnknownPacketType(f"packet type {encoded[0]}, expected 12 (Prepare)")
    pos = 2
    n = encoded[1]
    if n >= 128:
        n, pos = read_long_length(encoded, 1, size)
    if pos + n > size:
        raise TruncatedPacket("envelope declares more content than present")
    if n < 25:
        raise TruncatedPacket("Prepare content too short for amount and expiry")
    return pos


def rewrite_prepare(encoded: bytes, *, amount: int, expires_at: datetime) -> bytes:
    """Return ``encoded`` with its amount and expiry replaced; every other byte is identical.

    Only the envelope and the two fixed fields are looked at; the rest of the packet is not
    validated (decode it first if you have not).  ``expires_at`` is written in UTC, truncated
    to whole milliseconds.  This is on a connector's forwarding hot path, hence the fast paths.

    Raises:
        IlpCodecError: ``encoded`` is not a Prepare or too short to hold amount and expiry.
        ValueError: ``amount`` is outside 0..2**64-1, or ``expires_at`` is naive or outside
            years 1..9999 in UTC.
        TypeError: ``amount`` is not an int or ``expires_at`` not a datetime.
    """
    if type(amount) is not int or not 0 <= amount <= MAX_UINT64:
        if not isinstance(amount, int) or isinstance(amount, bool):
            raise TypeError(f"amount must be an int, not {type(amount).__name__}")
        if not 0 <= amount <= MAX_UINT64:
            raise ValueError(f"amount {amount} is outside the UInt64 range 0..2**64-1")
    exp = expires_at
    if not (type(exp) is datetime and exp.tzinfo is UTC and exp.microsecond % 1000 == 0):
        exp = to_wire_datetime(exp)
    if type(encoded) is not bytes:
        encoded = bytes(encoded)
    size = len(encoded)
    if size > 26 and encoded[0] == 12 and 25 <= encoded[1] <= 127 and encoded[1] + 2 <= size:
        pos = 2
    else:
        pos = _amount_offset(encoded)
    ts = b"%08d%09d" % (
        exp.year * 10000 + exp.month * 100 + exp.day,
        exp.hour * 10000000 + exp.minute * 100000 + exp.second * 1000 + exp.microsecond // 1000,
    )
    return b"".join((encoded[:pos], amount.to_bytes(8, "big"), ts, encoded[pos + 25 :]))


def read_prepare_amount_and_expiry(encoded: bytes) -> tuple[int, datetime]:
    """Read only the amount and expiry of an encoded Prepare (cheaper than a full decode).

    Raises:
        IlpCodecError: not a Prepare, too short, or an invalid timestamp.
    """
    encoded = bytes(encoded)
    pos = _amount_offset(encoded)
    amount = int.from_bytes(encoded[pos : pos + 8], "big")
    return amount, parse_digits(encoded[pos + 8 : pos + 25])
