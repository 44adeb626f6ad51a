"""F08 Amount Too Large error data (RFC 0027 "Error Codes", asn1/InterledgerErrorData.asn).

The data of an F08 Reject is ``receivedAmount:UInt64 ‖ maximumAmount:UInt64`` (16 bytes,
big-endian).  Senders scale their next packet to ``maximum * source / received``.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final

from ._errors import TruncatedPacket
from ._oer import MAX_UINT64

__all__ = [
    "AMOUNT_TOO_LARGE_DATA_BYTES",
    "AmountTooLargeData",
    "decode_amount_too_large_data",
    "encode_amount_too_large_data",
]

#: Size of the F08 data, in bytes.
AMOUNT_TOO_LARGE_DATA_BYTES: Final = 16

_TWO_U64 = struct.Struct(">QQ")


@dataclass(frozen=True, slots=True)
class AmountTooLargeData:
    """The amounts carried by an F08 Reject.

    Raises:
        ValueError: an amount is outside 0..2**64-1.
    """

    received_amount: int
    maximum_amount: int

    def __post_init__(self) -> None:
        for name in ("received_amount", "maximum_amount"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{name} must be an int, not {type(value).__name__}")
            if not 0 <= value <= MAX_UINT64:
                raise ValueError(f"{name} {value} is outside the UInt64 range 0..2**64-1")


def encode_amount_too_large_data(data: AmountTooLargeData) -> bytes:
    """Encode F08 data as 16 bytes."""
    return _TWO_U64.pack(data.received_amount, data.maximum_amount)


def decode_amount_too_large_data(data: bytes) -> AmountTooLargeData:
    """Decode F08 data.  Bytes after the first 16 are ignored (RFC 0030 extensibility).

    Raises:
        TruncatedPacket: ``data`` is shorter than 16 bytes (an IlpCodecError).
    """
    if len(data) < AMOUNT_TOO_LARGE_DATA_BYTES:
        raise TruncatedPacket(f"F08 data is {len(data)} bytes, expected 16")
    received, maximum = _TWO_U64.unpack_from(data)
    return AmountTooLargeData(received_amount=received, maximum_amount=maximum)
