"""Reading the receiver's STREAM reply (RFC 0029 §5) to one of the sender's Prepares.

A reply is *authentic* when its data decrypts with the connection's key, decodes as a STREAM
packet, says it travels in the ILP packet it came in (13 Fulfill, 14 Reject) and echoes the
request's sequence.  Only then does the sender believe what it says: the amount that arrived
(``prepareAmount``), the receiver's asset, a close, the stream's receive limit and receipts.
Anything else (no data, an intermediary's Reject, a replayed reply) says nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from .._packet import Fulfill, Reject
from .._wire import TYPE_FULFILL, TYPE_REJECT
from ._crypto import StreamCipher
from ._errors import StreamCodecError, StreamDecryptError
from ._frames import (
    ConnectionAssetDetails,
    ConnectionClose,
    StreamClose,
    StreamMaxMoney,
    StreamReceipt,
)
from ._packet import decode_stream_packet

__all__ = ["MONEY_STREAM_ID", "StreamReply", "read_reply"]

#: The stream the sender's money travels on (RFC 0029: clients open odd ids from 1).
MONEY_STREAM_ID = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamReply:
    """What an authentic reply says (``authentic`` False: nothing, every other field empty).

    Attributes:
        arrived: the amount that reached the receiver, destination units.
        asset: the receiver's ``(code, scale)`` when it sent ConnectionAssetDetails.
        close: ``(code, message)`` when the receiver closed the connection or stream 1.
        receive_max: ``(receive_max, total_received)`` of stream 1 when it said.
        receipts: StreamReceipt payloads for stream 1.
    """

    authentic: bool
    arrived: int = 0
    asset: tuple[str, int] | None = None
    close: tuple[int, str] | None = None
    receive_max: tuple[int, int] | None = None
    receipts: tuple[bytes, ...] = ()


_NOTHING = StreamReply(authentic=False)


def read_reply(cipher: StreamCipher, sequence: int, reply: Fulfill | Reject) -> StreamReply:
    """Read ``reply`` to the request numbered ``sequence``; never raises for any data."""
    if not reply.data:
        return _NOTHING
    try:
        packet = decode_stream_packet(cipher.decrypt(reply.data))
    except (StreamDecryptError, StreamCodecError):
        return _NOTHING
    expected_type = TYPE_FULFILL if isinstance(reply, Fulfill) else TYPE_REJECT
    if packet.ilp_packet_type != expected_type or packet.sequence != sequence:
        return _NOTHING
    asset = close = receive_max = None
    receipts: list[bytes] = []
    for frame in packet.frames:
        if isinstance(frame, ConnectionAssetDetails):
            asset = (frame.asset_code, frame.asset_scale)
        elif isinstance(frame, ConnectionClose):
            close = (frame.error_code, frame.message)
        elif isinstance(frame, StreamClose) and frame.stream_id == MONEY_STREAM_ID:
            close = close or (frame.error_code, frame.message)
        elif isinstance(frame, StreamMaxMoney) and frame.stream_id == MONEY_STREAM_ID:
            receive_max = (frame.receive_max, frame.total_received)
        elif isinstance(frame, StreamReceipt) and frame.stream_id == MONEY_STREAM_ID:
            receipts.append(frame.receipt)
    return StreamReply(
        authentic=True,
        arrived=packet.prepare_amount,
        asset=asset,
        close=close,
        receive_max=receive_max,
        receipts=tuple(receipts),
    )
