"""Canonical OER primitives (RFC 0030 "Notes on OER Encoding") as sans-IO cursors.

:class:`Reader` and :class:`Writer` are the ``pull_``/``push_`` cursor pair used by every codec
in this package (ILPv4 here; STREAM and CCP later).  Integers are big-endian.  A *length
determinant* is one byte ``0..127`` (short form) or ``0x80 | n`` followed by ``n`` big-endian
bytes (long form).  Canonical OER forbids the long form for lengths below 128 and leading zero
bytes in it; we also cap ``n`` at 8 (RFC 0030 lets implementations do so), so a length is a u64.

Every ``read_*`` raises only :class:`~ilpnode.ilp.IlpCodecError` subclasses: running out of
input is :class:`TruncatedPacket`, a bad length determinant is :class:`InvalidLength`.
"""

from __future__ import annotations

from ._errors import InvalidLength, TruncatedPacket

__all__ = [
    "MAX_LENGTH_OCTETS",
    "MAX_UINT64",
    "MAX_VAR_UINT_OCTETS",
    "SHORT_LENGTHS",
    "Reader",
    "Writer",
    "encode_length",
    "read_long_length",
]

#: Largest value of an OER UInt64 (RFC 0030); also the largest ILP amount.
MAX_UINT64 = 0xFFFF_FFFF_FFFF_FFFF
#: Longest long-form length determinant we accept: n <= 8 bytes, so lengths fit a u64.
MAX_LENGTH_OCTETS = 8
#: Longest VarUInt we decode: 8 bytes (values up to 2**64 - 1), as in the JS and Rust codecs.
MAX_VAR_UINT_OCTETS = 8

# One-byte (short form) length determinants, precomputed for the hot paths.
SHORT_LENGTHS: tuple[bytes, ...] = tuple(bytes((i,)) for i in range(128))


def encode_length(length: int) -> bytes:
    """Encode an OER length determinant in its canonical (shortest) form.

    Raises:
        ValueError: ``length`` is negative or does not fit in 8 bytes.
    """
    if 0 <= length < 128:
        return SHORT_LENGTHS[length]
    if length < 0 or length > MAX_UINT64:
        raise ValueError(f"length {length} is outside 0..2**64-1")
    raw = length.to_bytes((length.bit_length() + 7) >> 3, "big")
    return bytes((0x80 | len(raw),)) + raw


def read_long_length(data: bytes, pos: int, end: int) -> tuple[int, int]:
    """Decode the long form of a length determinant whose first byte is ``data[pos]``.

    The caller has checked that ``pos < end`` and ``data[pos] >= 0x80``.

    Returns:
        ``(length, position after the determinant)``.

    Raises:
        InvalidLength: ``n`` is 0 or above 8, the length has a leading zero byte, or it is
            below 128 (non-canonical).
        TruncatedPacket: fewer than ``n`` bytes remain before ``end``.
    """
    n = data[pos] & 0x7F
    if n == 0 or n > MAX_LENGTH_OCTETS:
        raise InvalidLength(f"length determinant with {n} length octets")
    start = pos + 1
    stop = start + n
    if stop > end:
        raise TruncatedPacket("input ends inside a length determinant")
    if data[start] == 0:
        raise InvalidLength("non-canonical length determinant: leading zero byte")
    length = int.from_bytes(data[start:stop], "big")
    if length < 128:
        raise InvalidLength(f"non-canonical length determinant: long form for {length}")
    return length, stop


class Reader:
    """A read cursor over ``data``.  Reads raise only ``IlpCodecError`` subclasses."""

    __slots__ = ("_data", "_end", "_pos")

    def __init__(self, data: bytes) -> None:
        self._data = bytes(data)
        self._pos = 0
        self._end = len(self._data)

    @property
    def position(self) -> int:
        """Offset of the next unread byte."""
        return self._pos

    @property
    def remaining(self) -> int:
        """Number of unread bytes."""
        return self._end - self._pos

    @property
    def at_end(self) -> bool:
        """True when every byte has been read."""
        return self._pos >= self._end

    def read_bytes(self, n: int) -> bytes:
        """Read exactly ``n`` bytes.

        Raises:
            TruncatedPacket: fewer than ``n`` bytes remain.
        """
        pos = self._pos
        stop = pos + n
        if n < 0 or stop > self._end:
            raise TruncatedPacket(f"needed {n} bytes, {self._end - pos} left")
        self._pos = stop
        return self._data[pos:stop]

    def _read_uint(self, size: int) -> int:
        return int.from_bytes(self.read_bytes(size), "big")

    def read_uint8(self) -> int:
        """Read a one-byte unsigned integer."""
        pos = self._pos
        if pos >= self._end:
            raise TruncatedPacket("needed 1 byte, 0 left")
        self._pos = pos + 1
        return self._data[pos]

    def read_uint16(self) -> int:
        """Read a two-byte big-endian unsigned integer."""
        return self._read_uint(2)

    def read_uint32(self) -> int:
        """Read a four-byte big-endian unsigned integer."""
        return self._read_uint(4)

    def read_uint64(self) -> int:
        """Read an eight-byte big-endian unsigned integer (an OER UInt64)."""
        return self._read_uint(8)

    def read_length(self) -> int:
        """Read a canonical length determinant.

        Raises:
            InvalidLength: non-canonical or longer than 8 length octets.
            TruncatedPacket: the input ends inside it.
        """
        first = self.read_uint8()
        if first < 0x80:
            return first
        length, self._pos = read_long_length(self._data, self._pos - 1, self._end)
        return length

    def read_var_octets(self) -> bytes:
        """Read a VarOctetString: a length determinant and that many bytes."""
        return self.read_bytes(self.read_length())

    def read_var_uint(self) -> int:
        """Read a VarUInt: a VarOctetString holding a big-endian unsigned integer.

        Leading zero bytes are tolerated (RFC 0030: be liberal in what you accept); writers
        never produce them.

        Raises:
            InvalidLength: the octet string is empty or longer than 8 bytes.
        """
        raw = self.read_var_octets()
        if not raw:
            raise InvalidLength("empty VarUInt")
        if len(raw) > MAX_VAR_UINT_OCTETS:
            raise InvalidLength(f"VarUInt of {len(raw)} bytes exceeds {MAX_VAR_UINT_OCTETS}")
        return int.from_bytes(raw, "big")


class Writer:
    """An append-only write cursor.  ``write_*`` raise ``ValueError`` for out-of-range values."""

    __slots__ = ("_buf",)

    def __init__(self) -> None:
        self._buf = bytearray()

    def __len__(self) -> int:
        return len(self._buf)

    def getvalue(self) -> bytes:
        """Return everything written so far."""
        return bytes(self._buf)

    def write_bytes(self, data: bytes) -> None:
        """Append raw bytes (a fixed-size field)."""
        self._buf += data

    def _write_uint(self, value: int, size: int, bits: int) -> None:
        if not 0 <= value < (1 << bits):
            raise ValueError(f"{value} does not fit in a UInt{bits}")
        self._buf += value.to_bytes(size, "big")

    def write_uint8(self, value: int) -> None:
        """Append a one-byte unsigned integer."""
        self._write_uint(value, 1, 8)

    def write_uint16(self, value: int) -> None:
        """Append a two-byte big-endian unsigned integer."""
        self._write_uint(value, 2, 16)

    def write_uint32(self, value: int) -> None:
        """Append a four-byte big-endian unsigned integer."""
        self._write_uint(value, 4, 32)

    def write_uint64(self, value: int) -> None:
        """Append an eight-byte big-endian unsigned integer (an OER UInt64)."""
        self._write_uint(value, 8, 64)

    def write_length(self, length: int) -> None:
        """Append a canonical length determinant."""
        self._buf += encode_length(length)

    def write_var_octets(self, data: bytes) -> None:
        """Append a VarOctetString."""
        self._buf += encode_length(len(data))
        self._buf += data

    def write_var_uint(self, value: int) -> None:
        """Append a VarUInt in its minimal form (zero is ``01 00``).

        Raises:
            ValueError: ``value`` is negative or above 2**64 - 1.
        """
        if not 0 <= value <= MAX_UINT64:
            raise ValueError(f"VarUInt {value} is outside 0..2**64-1")
        raw = value.to_bytes(max(1, (value.bit_length() + 7) >> 3), "big")
        self._buf += SHORT_LENGTHS[len(raw)]
        self._buf += raw
