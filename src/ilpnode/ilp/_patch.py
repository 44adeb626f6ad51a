"""In-place rewrite of a Prepare's amount and expiry (RFC 0027), for callers holding a datetime.

The bytes are made by `_prepare_rewrite.rewrite_prepare_ms` (compiled, Unix milliseconds:
what a connector forwards with); this entry point checks its arguments as the rest of the
public codec does and turns the datetime into milliseconds exactly.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ._oer import MAX_UINT64
from ._prepare_rewrite import prepare_amount_offset, rewrite_prepare_ms
from ._timestamp import decode_timestamp, to_wire_datetime

__all__ = ["read_prepare_amount_and_expiry", "rewrite_prepare"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_MS = timedelta(milliseconds=1)


def rewrite_prepare(encoded: bytes, *, amount: int, expires_at: datetime) -> bytes:
    """Return ``encoded`` with its amount and expiry replaced; every other byte is identical.

    Only the envelope and the two fixed fields are looked at; the rest of the packet is not
    validated (decode it first if you have not).  ``expires_at`` is written in UTC, truncated
    to whole milliseconds.

    Raises:
        IlpCodecError: ``encoded`` is not a Prepare or too short to hold amount and expiry.
        ValueError: ``amount`` is outside 0..2**64-1, or ``expires_at`` is naive or outside
            years 1..9999 in UTC.
        TypeError: ``amount`` is not an int or ``expires_at`` not a datetime.
    """
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise TypeError(f"amount must be an int, not {type(amount).__name__}")
    if not 0 <= amount <= MAX_UINT64:
        raise ValueError(f"amount {amount} is outside the UInt64 range 0..2**64-1")
    expires_ms = (to_wire_datetime(expires_at) - _EPOCH) // _ONE_MS
    return rewrite_prepare_ms(bytes(encoded), int(amount), expires_ms)


def read_prepare_amount_and_expiry(encoded: bytes) -> tuple[int, datetime]:
    """Read only the amount and expiry of an encoded Prepare (cheaper than a full decode).

    Raises:
        IlpCodecError: not a Prepare, too short, or an invalid timestamp.
    """
    encoded = bytes(encoded)
    pos = prepare_amount_offset(encoded)
    amount = int.from_bytes(encoded[pos : pos + 8], "big")
    return amount, decode_timestamp(encoded[pos + 8 : pos + 25])
