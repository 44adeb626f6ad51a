"""ILPv4 packet codec entry points (RFC 0027 "Packet Format", canonical OER per RFC 0030).

Wire format: ``type:u8 ‖ VarOctetString(content)`` with type 12 (Prepare), 13 (Fulfill) or
14 (Reject).  The per-type codecs live in ``_prepare_codec`` and ``_reply_codec``; this module
dispatches on the type.

Failure semantics: every ``decode_*`` raises only :class:`IlpCodecError` subclasses for any
input bytes (h11's rule; the fuzz tests check it).  ``encode_*`` cannot fail for a packet built
through its constructor, which validated every field.

Trailing bytes: RFC 0030 says implementations MUST ignore extra bytes at the end of a message,
so decoding is lenient about bytes after the last field inside the envelope *and* after the
envelope (interledger-rs rejects both only under its ``strict`` feature).  Encoding never emits
them, so a decode/encode round trip drops them.
"""

from __future__ import annotations

from ._errors import TruncatedPacket, UnknownPacketType
from ._packet import Fulfill, Prepare, Reject
from ._prepare_codec import decode_prepare, encode_prepare
from ._reply_codec import decode_reply, encode_fulfill, encode_reject
from ._wire import TYPE_FULFILL, TYPE_PREPARE, TYPE_REJECT, as_bytes

__all__ = ["decode_packet", "encode_packet"]


def decode_packet(data: bytes) -> Prepare | Fulfill | Reject:
    """Decode any ILPv4 packet, dispatching on the type byte.

    Raises:
        IlpCodecError: and only that, for any input; ``UnknownPacketType`` for a type byte
            other than 12, 13 or 14.
    """
    if type(data) is not bytes:
        data = as_bytes(data)
    if not data:
        raise TruncatedPacket("empty input")
    kind = data[0]
    if kind == TYPE_PREPARE:
        return decode_prepare(data)
    if kind in (TYPE_FULFILL, TYPE_REJECT):
        return decode_reply(data)
    raise UnknownPacketType(f"packet type {kind}, expected 12, 13 or 14")


def encode_packet(packet: Prepare | Fulfill | Reject) -> bytes:
    """Encode any ILPv4 packet.

    Raises:
        TypeError: ``packet`` is not a Prepare, Fulfill or Reject.
    """
    if isinstance(packet, Prepare):
        return encode_prepare(packet)
    if isinstance(packet, Fulfill):
        return encode_fulfill(packet)
    if isinstance(packet, Reject):
        return encode_reject(packet)
    raise TypeError(f"not an ILP packet: {type(packet).__name__}")
