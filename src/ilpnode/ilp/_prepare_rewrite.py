"""A forwarded Prepare: the incoming bytes with a new amount and expiry (RFC 0027).

A connector may change only ``amount`` and ``expiresAt``.  Both are fixed-size and sit right
after the envelope's length prefix (8 + 17 bytes), so the forwarded packet is the incoming one
with those 25 bytes replaced; the condition, destination and data are copied byte for byte.
Rafiki (``modifySerializedIlpPrepare``) and interledger-rs (``Prepare::set_amount``) do the same.

Compiled (tools/build_compiled.py): a connector does this for every packet it forwards, with
the expiry as an integer of Unix milliseconds, the unit its pipeline already counts in; the
17 digits are made from it with integer arithmetic only (no datetime object per packet), and
`prepare_expires_ms` reads an incoming Prepare's expiry back the same way.
"""

from __future__ import annotations

from typing import Final

from ._errors import TruncatedPacket
from ._oer import MAX_UINT64
from ._timestamp import read_decimal
from ._wire import TYPE_PREPARE, envelope

__all__ = [
    "MAX_WIRE_MS",
    "MIN_WIRE_MS",
    "prepare_amount_offset",
    "prepare_expires_ms",
    "rewrite_prepare_ms",
]

#: The first and last Unix millisecond an ILP timestamp can hold (years 1 to 9999, UTC).
MIN_WIRE_MS: Final = -62_135_596_800_000
MAX_WIRE_MS: Final = 253_402_300_799_999
_MS_PER_DAY: Final = 86_400_000


def prepare_amount_offset(encoded: bytes) -> int:
    """Offset of the amount in an encoded Prepare whose fixed fields are all present.

    Raises:
        TruncatedPacket, UnknownPacketType, InvalidLength.
    """
    size = len(encoded)
    if size > 26 and encoded[0] == TYPE_PREPARE:
        n = encoded[1]
        if 25 <= n <= 127 and n + 2 <= size:
            return 2
        if n == 0x81 and encoded[2] >= 128 and encoded[2] + 3 <= size:
            return 3  # 128..255 content bytes: a Prepare with a short address and data
    start, end = envelope(encoded, TYPE_PREPARE)
    if end - start < 25:
        raise TruncatedPacket("Prepare content too short for amount and expiry")
    return start


def wire_timestamp_ms(expires_ms: int) -> bytes:
    """The 17 ASCII digits ``YYYYMMDDHHmmssSSS`` (UTC) of Unix millisecond `expires_ms`.

    Raises:
        OverflowError: `expires_ms` is outside the years 1..9999.
    """
    if not MIN_WIRE_MS <= expires_ms <= MAX_WIRE_MS:
        raise OverflowError(f"{expires_ms} ms is outside the years 1..9999 of ILP timestamps")
    # `//` and `%`, not divmod: compiled, these are integer operations; divmod is a call.
    days = expires_ms // _MS_PER_DAY
    in_day = expires_ms % _MS_PER_DAY
    # Days since 1970-01-01 to a civil date (proleptic Gregorian): Howard Hinnant's
    # `civil_from_days`, in eras of 400 years counted from 0000-03-01.
    z = days + 719_468
    era = z // 146_097
    day_of_era = z - era * 146_097
    year_of_era = (
        day_of_era - day_of_era // 1_460 + day_of_era // 36_524 - day_of_era // 146_096
    ) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    month_from_march = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * month_from_march + 2) // 5 + 1
    month = month_from_march + 3 if month_from_march < 10 else month_from_march - 9
    year = year_of_era + era * 400 + (1 if month <= 2 else 0)
    hours = in_day // 3_600_000
    minutes = in_day % 3_600_000 // 60_000
    return b"%08d%09d" % (
        year * 10_000 + month * 100 + day,
        hours * 10_000_000 + minutes * 100_000 + in_day % 60_000,
    )


def prepare_expires_ms(encoded: bytes) -> int:
    """The expiry of encoded Prepare `encoded` in Unix milliseconds, read from its 17 digits
    with integer arithmetic (no datetime object, unlike `decode_prepare`). Only for a Prepare
    `decode_prepare` accepted: its digits are then a valid date and time, which this does not
    check again. Compiled, it takes `bytes` only.

    Raises:
        IlpCodecError: `encoded` is not a Prepare, or too short for amount and expiry.
    """
    pos = prepare_amount_offset(encoded) + 8  # the digits follow the 8-byte amount
    date = read_decimal(encoded, pos, 8)  # YYYYMMDD
    in_day = read_decimal(encoded, pos + 8, 9)  # HHmmssSSS
    year = date // 10_000
    month = date // 100 % 100
    day = date % 100
    # A civil date to days since 1970-01-01: Howard Hinnant's `days_from_civil`, the inverse of
    # the arithmetic in `wire_timestamp_ms`.
    march_year = year - 1 if month <= 2 else year
    era = march_year // 400
    year_of_era = march_year - era * 400
    day_of_year = (153 * (month - 3 if month > 2 else month + 9) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    days = era * 146_097 + day_of_era - 719_468
    return (
        days * _MS_PER_DAY
        + in_day // 10_000_000 * 3_600_000
        + in_day // 100_000 % 100 * 60_000
        + in_day % 100_000
    )


def rewrite_prepare_ms(encoded: bytes, amount: int, expires_ms: int) -> bytes:
    """`encoded` (an encoded Prepare) with its amount and expiry (Unix milliseconds) replaced;
    every other byte is identical.  Only the envelope is looked at: decode it first.
    Compiled, it takes `bytes` only (anything else: TypeError); `rewrite_prepare` takes any
    bytes-like packet and a datetime.

    Raises:
        IlpCodecError: `encoded` is not a Prepare, or too short for amount and expiry.
        ValueError: `amount` is outside 0..2**64-1.
        OverflowError: `expires_ms` is outside the years 1..9999.
    """
    if not 0 <= amount <= MAX_UINT64:
        raise ValueError(f"amount {amount} is outside the UInt64 range 0..2**64-1")
    pos = prepare_amount_offset(encoded)
    return b"".join(
        (
            encoded[:pos],
            amount.to_bytes(8, "big"),
            wire_timestamp_ms(expires_ms),
            encoded[pos + 25 :],
        )
    )
