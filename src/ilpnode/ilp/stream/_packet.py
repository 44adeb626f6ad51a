"""The STREAM packet (RFC 0029 §5.2): header and frames, before encryption.

Layout::

    version:u8 = 1
    ilpPacketType:u8          12 Prepare, 13 Fulfill, 14 Reject: the ILP packet it travels in
    sequence:VarUInt          the sender's request counter; a reply echoes its request's
    prepareAmount:VarUInt     Prepare: the least the receiver may accept; reply: what arrived
    frameCount:VarUInt
    frames                    (type:u8, content:VarOctetString) * frameCount
    junk                      ignored (senders may pad with zeros to hide the packet's size)

:func:`decode_stream_packet` raises only :class:`StreamCodecError`, whatever the bytes.  The
ILP packet type is not checked here (a receiver decides what a mismatch means).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .._errors import IlpCodecError
from .._oer import MAX_UINT64, Reader, Writer
from .._wire import TYPE_FULFILL, TYPE_PREPARE, TYPE_REJECT
from ._errors import StreamCodecError
from ._frame_codec import read_frame, write_frame
from ._frames import Frame

__all__ = ["STREAM_VERSION", "StreamPacket", "decode_stream_packet", "encode_stream_packet"]

#: The only STREAM version (RFC 0029).
STREAM_VERSION = 1
_ILP_TYPES = frozenset({TYPE_PREPARE, TYPE_FULFILL, TYPE_REJECT})
# Each frame takes at least two bytes (type and an empty content), which bounds a credible
# frame count before any frame is read.
_MIN_FRAME_BYTES = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamPacket:
    """A decrypted STREAM packet.

    Raises:
        ValueError: ``sequence`` or ``prepare_amount`` outside 0..2**64-1, or
            ``ilp_packet_type`` outside 0..255.
    """

    sequence: int
    ilp_packet_type: int
    prepare_amount: int = 0
    frames: tuple[Frame, ...] = field(default=())

    def __post_init__(self) -> None:
        for name in ("sequence", "prepare_amount"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise TypeError(f"{name} must be an int, not {type(value).__name__}")
            if not 0 <= value <= MAX_UINT64:
                raise ValueError(f"{name} {value} is outside 0..2**64-1")
        if not isinstance(self.ilp_packet_type, int) or not 0 <= self.ilp_packet_type <= 255:
            raise ValueError(f"ilp_packet_type {self.ilp_packet_type!r} is not a UInt8")

    @property
    def travels_in_known_ilp_type(self) -> bool:
        """True when ``ilp_packet_type`` is Prepare, Fulfill or Reject."""
        return self.ilp_packet_type in _ILP_TYPES


def encode_stream_packet(packet: StreamPacket) -> bytes:
    """Serialize ``packet`` (no padding); the caller encrypts it.

    The result must stay within ``MAX_PLAINTEXT_BYTES`` to fit in an ILP packet; that is
    the caller's budget to keep (e.g. few enough data frames).
    """
    w = Writer()
    w.write_uint8(STREAM_VERSION)
    w.write_uint8(packet.ilp_packet_type)
    w.write_var_uint(packet.sequence)
    w.write_var_uint(packet.prepare_amount)
    w.write_var_uint(len(packet.frames))
    for frame in packet.frames:
        write_frame(w, frame)
    return w.getvalue()


def decode_stream_packet(data: bytes) -> StreamPacket:
    """Parse a decrypted STREAM packet; bytes after the last frame are ignored.

    Frames of unknown types come back as ``UnknownFrame`` (skip them).

    Raises:
        StreamCodecError: wrong version, a truncated header or frame, a VarUInt over 8
            bytes (except the two saturating fields), or more frames announced than fit.
    """
    try:
        r = Reader(data)
        version = r.read_uint8()
        if version != STREAM_VERSION:
            raise StreamCodecError(f"unsupported STREAM version {version}")
        ilp_packet_type = r.read_uint8()
        sequence = r.read_var_uint()
        prepare_amount = r.read_var_uint()
        count = r.read_var_uint()
        if count * _MIN_FRAME_BYTES > r.remaining:
            raise StreamCodecError(
                f"STREAM packet announces {count} frames but has {r.remaining} bytes left"
            )
        frames = tuple(read_frame(r) for _ in range(count))
    except StreamCodecError:
        raise
    except IlpCodecError as exc:
        raise StreamCodecError(f"malformed STREAM packet: {exc}") from exc
    return StreamPacket(
        sequence=sequence,
        ilp_packet_type=ilp_packet_type,
        prepare_amount=prepare_amount,
        frames=frames,
    )
