"""ILP Fulfill and Reject codecs (RFC 0027 "ILP Fulfill", "ILP Reject"; OER per RFC 0030).

Fulfill content: ``fulfillment:32 bytes ‖ data:VarOctetString``.
Reject content: ``code:3 bytes (IA5String) ‖ triggeredBy:VarOctetString(ASCII) ‖
message:VarOctetString(UTF-8) ‖ data:VarOctetString``.

Hot paths written out by hand, like ``_prepare_codec``.  Bytes after the last field, inside
or after the envelope, are ignored (RFC 0030).  A Reject's message is decoded with U+FFFD
replacement for invalid UTF-8, so a peer's bad message never makes its Reject undecodable;
its code must still be three printable ASCII characters.
"""

from __future__ import annotations

import struct
from typing import Final, cast

from ._address import MAX_ADDRESS_LENGTH
from ._errors import InvalidField, TruncatedPacket, UnknownPacketType
from ._oer import SHORT_LENGTHS, encode_length, read_long_length
from ._packet import MAX_DATA_BYTES, MAX_MESSAGE_BYTES, Fulfill, Reject
from ._wire import (
    FULFILL_HEADS,
    KNOWN_CODES,
    REJECT_HEADS,
    TYPE_FULFILL,
    TYPE_REJECT,
    Buffer,
    as_bytes,
    data_too_long,
    match_code,
    new,
    slot_setter,
)

__all__ = ["decode_fulfill", "decode_reject", "decode_reply", "encode_fulfill", "encode_reject"]

_unpack_fulfill: Final = struct.Struct(">32sB").unpack_from
_unpack_code: Final = struct.Struct(">3sB").unpack_from
_set_fulfillment: Final = slot_setter(Fulfill, "fulfillment")
_set_fulfill_data: Final = slot_setter(Fulfill, "data")
_set_code: Final = slot_setter(Reject, "code")
_set_triggered_by: Final = slot_setter(Reject, "triggered_by")
_set_message: Final = slot_setter(Reject, "message")
_set_reject_data: Final = slot_setter(Reject, "data")


def decode_reply(data: Buffer) -> Fulfill | Reject:
    """Decode the reply to a Prepare: a Fulfill or a Reject.

    Bytes after the last field, inside or after the envelope, are ignored (RFC 0030).  A
    Reject's message is decoded with U+FFFD for invalid UTF-8 (see the module docstring).

    Raises:
        IlpCodecError: and only that, for any input: ``UnknownPacketType`` for a Prepare or
            any type byte other than 13 and 14, ``TruncatedPacket``, ``InvalidLength``, or
            ``InvalidField`` (data over 32767 bytes; a Reject code that is not 3 printable
            ASCII characters, a non-ASCII or over-long triggeredBy, an over-long message).
    """
    return _decode_reply(data if type(data) is bytes else as_bytes(data))


def _decode_reply(data: bytes) -> Fulfill | Reject:
    # Apart from the entry above, so that compiled `data` is known to be bytes.
    size = len(data)
    if size < 2:
        raise TruncatedPacket("input ends before the envelope length")
    kind = data[0]
    n = data[1]
    if kind == TYPE_FULFILL and n < 128 and size > 34:
        # Fast path for the hottest reply, a Fulfill with short lengths; if its data length
        # is long or overruns the envelope, the general path below decides.
        fulfillment, m = _unpack_fulfill(data, 2)
        r = 35 + m
        if m < 128 and r <= 2 + n <= size:
            fast: Fulfill = new(Fulfill)
            _set_fulfillment(fast, fulfillment)
            _set_fulfill_data(fast, data[35:r])
            return fast
    pos = 2
    if n >= 128:
        n, pos = read_long_length(data, 1, size)
    end = pos + n
    if end > size:
        raise TruncatedPacket(f"envelope declares {n} content bytes, {size - pos} present")
    if kind == TYPE_FULFILL:
        if n < 33:
            raise TruncatedPacket(f"Fulfill content is {n} bytes, minimum 33")
        fulfillment, n = _unpack_fulfill(data, pos)
        q = pos + 33
        if n >= 128:  # size limits only need checking for long-form lengths
            n, q = read_long_length(data, q - 1, end)
            if n > MAX_DATA_BYTES:
                raise data_too_long(n)
        r = q + n
        if r > end:
            raise TruncatedPacket("Fulfill ends inside the data")
        fulfill: Fulfill = new(Fulfill)
        _set_fulfillment(fulfill, fulfillment)
        _set_fulfill_data(fulfill, data[q:r])
        return fulfill
    if kind != TYPE_REJECT:
        raise UnknownPacketType(f"packet type {kind} is not a reply (13 Fulfill, 14 Reject)")
    if n < 6:
        raise TruncatedPacket(f"Reject content is {n} bytes, minimum 6")
    raw, n = _unpack_code(data, pos)
    code = KNOWN_CODES.get(raw)
    if code is None:
        if match_code(raw) is None:
            raise InvalidField(f"error code {raw!r} is not 3 printable ASCII characters")
        code = raw.decode("ascii")
    p = pos + 4
    if n >= 128:
        n, p = read_long_length(data, p - 1, end)
        if n > MAX_ADDRESS_LENGTH:
            raise InvalidField(f"triggeredBy is {n} bytes; the maximum is {MAX_ADDRESS_LENGTH}")
    q = p + n
    if q >= end:
        raise TruncatedPacket("Reject ends inside triggeredBy")
    raw = data[p:q]
    try:
        triggered_by = raw.decode("ascii")
    except UnicodeDecodeError:
        raise InvalidField(f"triggeredBy {raw[:64]!r} is not ASCII") from None
    n = data[q]
    if n < 128:
        q += 1
    else:
        n, q = read_long_length(data, q, end)
        if n > MAX_MESSAGE_BYTES:
            raise InvalidField(f"message is {n} bytes; the maximum is {MAX_MESSAGE_BYTES}")
    r = q + n
    if r >= end:
        raise TruncatedPacket("Reject ends inside the message")
    raw = data[q:r]
    try:
        message = raw.decode("utf-8")
    except UnicodeDecodeError:
        message = _lenient_utf8(raw)
    n = data[r]
    if n < 128:
        r += 1
    else:
        n, r = read_long_length(data, r, end)
        if n > MAX_DATA_BYTES:
            raise data_too_long(n)
    s = r + n
    if s > end:
        raise TruncatedPacket("Reject ends inside the data")
    reject: Reject = new(Reject)
    _set_code(reject, code)
    _set_triggered_by(reject, triggered_by)
    _set_message(reject, message)
    _set_reject_data(reject, data[r:s])
    return reject


def decode_fulfill(data: Buffer) -> Fulfill:
    """Decode an ILP Fulfill.  Bytes after the last field are ignored (RFC 0030).

    Raises:
        IlpCodecError: and only that, for any input (``UnknownPacketType`` if the type byte
            is not 13, ``TruncatedPacket``, ``InvalidLength``, ``InvalidField``).
    """
    raw = data if type(data) is bytes else as_bytes(data)
    _check_type(raw, TYPE_FULFILL)
    return cast(Fulfill, _decode_reply(raw))


def decode_reject(data: Buffer) -> Reject:
    """Decode an ILP Reject; see :func:`decode_reply` for the rules.

    Raises:
        IlpCodecError: and only that, for any input (``UnknownPacketType`` if the type byte
            is not 14, ``TruncatedPacket``, ``InvalidLength``, ``InvalidField``).
    """
    raw = data if type(data) is bytes else as_bytes(data)
    _check_type(raw, TYPE_REJECT)
    return cast(Reject, _decode_reply(raw))


def _check_type(data: bytes, expected: int) -> None:
    if not data:
        raise TruncatedPacket("empty input")
    if data[0] != expected:
        raise UnknownPacketType(f"packet type {data[0]}, expected {expected}")


def _lenient_utf8(raw: bytes) -> str:
    """Decode a peer's invalid UTF-8 with U+FFFD, keeping the result within 8191 bytes."""
    text = raw.decode("utf-8", "replace")
    encoded = text.encode("utf-8")
    if len(encoded) > MAX_MESSAGE_BYTES:
        text = encoded[:MAX_MESSAGE_BYTES].decode("utf-8", "ignore")
    return text


def encode_fulfill(fulfill: Fulfill) -> bytes:
    """Encode an ILP Fulfill (canonical OER, no trailing bytes).  Cannot fail."""
    data = fulfill.data
    nd = len(data)
    if nd < 95:  # the content (33 + nd bytes) has a short length
        return b"".join((FULFILL_HEADS[33 + nd], fulfill.fulfillment, SHORT_LENGTHS[nd], data))
    dp = encode_length(nd)
    head = b"\x0d" + encode_length(32 + len(dp) + nd)
    return b"".join((head, fulfill.fulfillment, dp, data))


def encode_reject(reject: Reject) -> bytes:
    """Encode an ILP Reject (canonical OER, no trailing bytes).  Cannot fail."""
    tb = reject.triggered_by.encode("ascii")
    msg = reject.message.encode("utf-8")
    data = reject.data
    nt = len(tb)
    nm = len(msg)
    nd = len(data)
    code = reject.code.encode("ascii")
    n = 6 + nt + nm + nd
    if n < 128:  # then every inner length is short too
        return b"".join(
            (REJECT_HEADS[n], code, SHORT_LENGTHS[nt], tb, SHORT_LENGTHS[nm], msg,
             SHORT_LENGTHS[nd], data)
        )  # fmt: skip
    tp = encode_length(nt)
    mp = encode_length(nm)
    dp = encode_length(nd)
    head = b"\x0e" + encode_length(3 + len(tp) + nt + len(mp) + nm + len(dp) + nd)
    return b"".join((head, code, tp, tb, mp, msg, dp, data))
