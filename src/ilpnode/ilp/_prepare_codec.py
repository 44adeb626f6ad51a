"""ILP Prepare codec (RFC 0027 "ILP Prepare", canonical OER per RFC 0030).

Content: ``amount:u64 ‖ expiresAt:17 digits ‖ executionCondition:32 bytes ‖
destination:VarOctetString(ASCII address) ‖ data:VarOctetString(0..32767)``.

Hot path, written out by hand: one ``struct`` call reads the fixed fields, the VarOctetString
lengths are read inline (short form and the 0x81/0x82 long forms), and the packet is
assembled through its slot descriptors after the same checks ``__post_init__`` makes.
Bytes after the data, inside or after the envelope, are ignored (RFC 0030).
"""

from __future__ import annotations

import struct
from typing import Final

from ._address import MAX_ADDRESS_LENGTH
from ._errors import InvalidField, TruncatedPacket
from ._oer import SHORT_LENGTHS, encode_length, read_long_length
from ._packet import MAX_DATA_BYTES, Prepare
from ._timestamp import timestamp_at
from ._wire import (
    PREPARE_HEADS,
    TYPE_PREPARE,
    Buffer,
    as_bytes,
    data_too_long,
    envelope,
    match_address,
    new,
    slot_setter,
)

__all__ = ["decode_prepare", "encode_prepare"]

# Fixed part of the content: amount (8) + expiry (17) + condition (32).
_FIXED: Final = 57
# Smallest content: the fixed part plus two empty VarOctetStrings.
_MIN_CONTENT: Final = _FIXED + 2
# amount, (the expiry's 17 digits, read in place), condition and the first byte of the
# destination's length.
_unpack_fixed: Final = struct.Struct(">Q17x32sB").unpack_from

_set_amount: Final = slot_setter(Prepare, "amount")
_set_expires_at: Final = slot_setter(Prepare, "expires_at")
_set_condition: Final = slot_setter(Prepare, "execution_condition")
_set_destination: Final = slot_setter(Prepare, "destination")
_set_data: Final = slot_setter(Prepare, "data")


def decode_prepare(data: Buffer) -> Prepare:
    """Decode an ILP Prepare.

    Bytes after the last field, inside or after the envelope, are ignored (RFC 0030).

    Raises:
        IlpCodecError: and only that (a subclass of it) for any input: ``UnknownPacketType``
            if the type byte is not 12, ``TruncatedPacket``, ``InvalidLength`` (non-canonical
            length determinant) or ``InvalidField`` (bad timestamp, invalid destination, data
            over 32767 bytes).
    """
    return _decode_prepare(data if type(data) is bytes else as_bytes(data))


def _decode_prepare(data: bytes) -> Prepare:
    # Apart from the entry above, so that compiled (tools/build_compiled.py) `data` is known
    # to be bytes: indexing and slicing it are then C operations.
    size = len(data)
    if size < _MIN_CONTENT + 2 or data[0] != TYPE_PREPARE:
        envelope(data, TYPE_PREPARE)  # raises for a wrong type byte or a short envelope
        raise TruncatedPacket(f"Prepare is {size} bytes, minimum {_MIN_CONTENT + 2}")
    n = data[1]
    if n < 128:
        pos = 2
    elif n == 0x82 and data[2]:  # 256..65535 bytes, the common long form
        n = data[2] << 8 | data[3]
        pos = 4
    elif n == 0x81 and data[2] >= 128:
        n = data[2]
        pos = 3
    else:
        n, pos = read_long_length(data, 1, size)
    end = pos + n
    if end > size:
        raise TruncatedPacket(f"envelope declares {n} content bytes, {size - pos} present")
    if n < _MIN_CONTENT:
        raise TruncatedPacket(f"Prepare content is {n} bytes, minimum {_MIN_CONTENT}")
    amount, condition, n = _unpack_fixed(data, pos)
    expires_at = timestamp_at(data, pos + 8)
    # Size limits only need checking for long-form lengths (a short one is below 128).
    p = pos + _FIXED
    if n < 128:
        p += 1
    else:
        n, p = read_long_length(data, p, end)
        if n > MAX_ADDRESS_LENGTH:
            raise InvalidField(f"destination is {n} bytes; the maximum is {MAX_ADDRESS_LENGTH}")
    q = p + n
    if q >= end:
        raise TruncatedPacket("Prepare ends inside the destination")
    dest = data[p:q]
    if match_address(dest) is None:
        raise InvalidField(f"invalid destination address {dest[:64]!r}")
    n = data[q]
    if n < 128:
        q += 1
    elif n == 0x82 and q + 2 < end and data[q + 1]:
        n = data[q + 1] << 8 | data[q + 2]
        q += 3
        if n > MAX_DATA_BYTES:
            raise data_too_long(n)
    elif n == 0x81 and q + 1 < end and data[q + 1] >= 128:
        n = data[q + 1]
        q += 2
    else:
        n, q = read_long_length(data, q, end)
        if n > MAX_DATA_BYTES:
            raise data_too_long(n)
    r = q + n
    if r > end:
        raise TruncatedPacket("Prepare ends inside the data")
    packet: Prepare = new(Prepare)
    _set_amount(packet, amount)
    _set_expires_at(packet, expires_at)
    _set_condition(packet, condition)
    _set_destination(packet, dest.decode("ascii"))
    _set_data(packet, data[q:r])
    return packet


def encode_prepare(prepare: Prepare) -> bytes:
    """Encode an ILP Prepare (canonical OER, no trailing bytes).

    Cannot fail for a Prepare built through its constructor (every field is validated).
    """
    dest = prepare.destination.encode("ascii")
    data = prepare.data
    nt = len(dest)
    nd = len(data)
    exp = prepare.expires_at
    ts = b"%08d%09d" % (
        exp.year * 10000 + exp.month * 100 + exp.day,
        exp.hour * 10000000 + exp.minute * 100000 + exp.second * 1000 + exp.microsecond // 1000,
    )
    amount = prepare.amount.to_bytes(8, "big")
    if nt < 128 and nd < 128:
        n = _MIN_CONTENT + nt + nd
        head = PREPARE_HEADS[n] if n < 128 else b"\x0c" + encode_length(n)
        return b"".join(
            (head, amount, ts, prepare.execution_condition, SHORT_LENGTHS[nt], dest,
             SHORT_LENGTHS[nd], data)
        )  # fmt: skip
    tp = encode_length(nt)
    dp = encode_length(nd)
    head = b"\x0c" + encode_length(_FIXED + len(tp) + nt + len(dp) + nd)
    return b"".join((head, amount, ts, prepare.execution_condition, tp, dest, dp, data))
