"""Shared internals of the ILPv4 packet codec (RFC 0027 envelope, RFC 0030 canonical OER).

Envelope: ``type:u8 ‖ VarOctetString(content)``; type 12 Prepare, 13 Fulfill, 14 Reject.
This module holds the constants, precompiled patterns and slot setters the hand-written hot
paths in ``_prepare_codec`` and ``_reply_codec`` share, plus the cold-path envelope reader.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final, TypeAlias

from ._address import ADDRESS_PATTERN
from ._errors import InvalidField, TruncatedPacket, UnknownPacketType
from ._oer import read_long_length
from ._packet import MAX_DATA_BYTES

__all__ = [
    "FULFILL_HEADS",
    "KNOWN_CODES",
    "PREPARE_HEADS",
    "REJECT_HEADS",
    "TYPE_FULFILL",
    "TYPE_PREPARE",
    "TYPE_REJECT",
    "as_bytes",
    "data_too_long",
    "envelope",
    "match_address",
    "match_code",
    "new",
    "slot_setter",
]

TYPE_PREPARE: Final = 12
TYPE_FULFILL: Final = 13
TYPE_REJECT: Final = 14

#: The RFC 0015 address pattern over bytes (the length limit is checked separately).
match_address: Final = re.compile(ADDRESS_PATTERN.encode("ascii")).fullmatch
#: An error code: three printable ASCII characters (IA5String, minus control characters).
match_code: Final = re.compile(rb"[\x20-\x7e]{3}").fullmatch

#: The RFC 0027 codes, bytes -> str, so the usual Reject code costs one dict lookup.
KNOWN_CODES: Final[dict[bytes, str]] = {
    code.encode("ascii"): code
    for code in (
        *(f"F{i:02d}" for i in (*range(9), 99)),
        *(f"T{i:02d}" for i in (*range(6), 99)),
        *(f"R{i:02d}" for i in (*range(3), 99)),
    )
}

# Two-byte headers (type, short content length), precomputed for small packets.
PREPARE_HEADS: Final = tuple(bytes((TYPE_PREPARE, n)) for n in range(128))
FULFILL_HEADS: Final = tuple(bytes((TYPE_FULFILL, n)) for n in range(128))
REJECT_HEADS: Final = tuple(bytes((TYPE_REJECT, n)) for n in range(128))

#: ``object.__new__``: decoders allocate packets without running ``__init__``.
new: Final = object.__new__


def slot_setter(cls: type, name: str) -> Callable[[object, object], None]:
    """Return the slot descriptor's ``__set__`` for ``cls.name`` (bypasses frozen checks).

    Only decoders use it, after validating each value as ``__post_init__`` would.
    """
    setter: Callable[[object, object], None] = cls.__dict__[name].__set__
    return setter


Buffer: TypeAlias = bytes | bytearray | memoryview
"""What the decoders take: bytes, or a bytes-like input they copy first."""


def as_bytes(data: Buffer) -> bytes:
    """Copy a bytes-like input (bytearray, memoryview) to bytes."""
    try:
        return bytes(data)
    except TypeError:
        raise TypeError(f"expected bytes, not {type(data).__name__}") from None


def data_too_long(n: int) -> InvalidField:
    """The error for a data field longer than 32767 bytes (RFC 0027)."""
    return InvalidField(f"data is {n} bytes; the maximum is {MAX_DATA_BYTES}")


def envelope(data: bytes, expected: int) -> tuple[int, int]:
    """Check the type byte and return ``(start, end)`` of the content.  Cold path.

    Raises:
        TruncatedPacket, UnknownPacketType, InvalidLength.
    """
    size = len(data)
    if not size:
        raise TruncatedPacket("empty input")
    if data[0] != expected:
        raise UnknownPacketType(f"packet type {data[0]}, expected {expected}")
    if size < 2:
        raise TruncatedPacket("input ends before the envelope length")
    n = data[1]
    pos = 2
    if n >= 128:
        n, pos = read_long_length(data, 1, size)
    end = pos + n
    if end > size:
        raise TruncatedPacket(f"envelope declares {n} content bytes, {size - pos} present")
    return pos, end
