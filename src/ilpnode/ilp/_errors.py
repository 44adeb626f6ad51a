"""Exceptions raised by the ILP codec (RFC 0027 packets, RFC 0030 OER, RFC 0015 addresses).

Decoding follows h11's split: every ``decode_*`` function raises only :class:`IlpCodecError`
(through one of its subclasses) for *any* input bytes, never ``IndexError``, ``struct.error`` or
``UnicodeDecodeError``.  This is the invariant the fuzz tests check.

Building a packet from bad field values (encode side) raises plain :class:`ValueError`; the
codec errors subclass ``ValueError`` too, so ``except ValueError`` catches both.
"""

from __future__ import annotations

__all__ = [
    "IlpCodecError",
    "InvalidAddress",
    "InvalidField",
    "InvalidLength",
    "TruncatedPacket",
    "UnknownPacketType",
]


class IlpCodecError(ValueError):
    """Base class: the bytes are not a valid encoding (RFC 0027 / RFC 0030)."""


class TruncatedPacket(IlpCodecError):
    """The input ended before a field or a declared length was complete."""


class InvalidLength(IlpCodecError):
    """A length determinant is non-canonical (RFC 0030) or larger than allowed."""


class UnknownPacketType(IlpCodecError):
    """The type byte is not the packet type (or one of the types) expected here."""


class InvalidField(IlpCodecError):
    """A field is well framed but its value is invalid (timestamp, address, code, size...)."""


class InvalidAddress(ValueError):
    """A string is not a valid ILP address (RFC 0015)."""
