"""One STREAM (RFC 0029) receiver decision, step by step: see ``_receiver`` for the theory.

:class:`Decider` runs the checks of one ``ReceiverConnection.decide`` call in order, builds
the encrypted reply, and applies a fulfilled packet to the connection's state;
:class:`StreamState` is one client stream's record.  Both are internal to the receiver.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._codes import IlpErrorCode
from .._condition import condition_of
from .._oer import MAX_UINT64
from .._wire import TYPE_FULFILL, TYPE_REJECT
from ._decisions import Decision, FulfillDecision, RejectDecision
from ._frames import (
    ConnectionAssetDetails,
    ConnectionClose,
    ConnectionMaxData,
    ConnectionMaxStreamId,
    ConnectionNewAddress,
    Frame,
    StreamClose,
    StreamData,
    StreamErrorCode,
    StreamMaxData,
    StreamMaxMoney,
    StreamMoney,
    StreamReceipt,
)
from ._money import split_amount
from ._packet import StreamPacket, encode_stream_packet
from ._receipt import create_receipt

if TYPE_CHECKING:
    from ._receiver import ReceiverConnection

__all__ = ["Decider", "StreamState"]

_F99 = IlpErrorCode.F99_APPLICATION_ERROR
_OPENING_FRAMES = (StreamMoney, StreamData, StreamMaxMoney, StreamMaxData)
_RECEIPT_MAX_STREAM_ID = 255  # the receipt format has one byte for it


class StreamState:
    """One client stream's state."""

    __slots__ = ("close_echoed", "closed", "data_end", "stream_id", "total_received")

    def __init__(self, stream_id: int) -> None:
        self.stream_id = stream_id
        self.total_received = 0
        self.data_end = 0  # highest data offset + length seen; data itself is dropped
        self.closed = False
        self.close_echoed = False


class Decider:
    """One ``decide`` call: checks in order, builds the reply, applies a fulfilled packet."""

    __slots__ = ("amount", "c", "condition", "data", "data_ends", "iv", "new_streams", "reply",
                 "request")  # fmt: skip

    def __init__(
        self,
        connection: ReceiverConnection,
        request: StreamPacket,
        data: bytes,
        amount: int,
        condition: bytes,
        iv: bytes,
    ) -> None:
        self.c = connection
        self.request = request
        self.data = data
        self.amount = amount
        self.condition = condition
        self.iv = iv
        self.reply: list[Frame] = [ConnectionMaxData(connection._connection_data_limit())]
        self.new_streams: set[int] = set()
        self.data_ends: dict[int, int] = {}

    def _encrypt(self, ilp_type: int) -> bytes:
        packet = StreamPacket(
            sequence=self.request.sequence,
            ilp_packet_type=ilp_type,
            prepare_amount=self.amount,
            frames=tuple(self.reply),
        )
        return self.c._cipher.encrypt(encode_stream_packet(packet), iv=self.iv)

    def _reject(self, message: str) -> RejectDecision:
        return RejectDecision(code=_F99, message=message, data=self._encrypt(TYPE_REJECT))

    def _fatal(self, code: StreamErrorCode, message: str) -> RejectDecision:
        self.c._close(code, message)
        self.reply.append(ConnectionClose(code, message))
        return self._reject(message)

    def run(self) -> Decision:
        c = self.c
        c._packets += 1
        frames = self.request.frames
        asked = any(isinstance(f, ConnectionNewAddress) for f in frames)
        if asked:
            self.reply.extend(self._connection_details())
        if c._packets > c._limits.max_packets and not c._closed:
            return self._fatal(StreamErrorCode.INTERNAL_ERROR, "connection exceeded its packets")
        if c._closed:
            self.reply.append(ConnectionClose(c._close_code, c._close_message))
            return self._reject("STREAM connection is closed")
        if any(isinstance(f, ConnectionClose) for f in frames):
            c._close(StreamErrorCode.NO_ERROR, "")
            self.reply.append(ConnectionClose(StreamErrorCode.NO_ERROR, ""))
            return self._reject("STREAM connection closed by the sender")
        refusal = self._check_streams()
        if refusal is not None:
            return refusal
        if self.amount < self.request.prepare_amount:
            return self._reject("STREAM amount is below the sender's minimum")
        fulfillment = c._cipher.fulfillment(self.data)
        if condition_of(fulfillment) != self.condition:
            return self._reject("STREAM condition is not fulfillable")
        return self._split_money(fulfillment, asked)

    def _connection_details(self) -> list[Frame]:
        c = self.c
        details: list[Frame] = [ConnectionMaxStreamId(c._max_stream_id)]
        if c._asset is not None:
            details.append(ConnectionAssetDetails(*c._asset))
        return details

    def _check_streams(self) -> RejectDecision | None:
        """Check stream ids, closed streams and data windows; note new streams and data ends."""
        c = self.c
        limits = c._limits
        for frame in self.request.frames:
            if not isinstance(frame, _OPENING_FRAMES):
                continue
            sid = frame.stream_id
            stream = c._streams.get(sid)
            if stream is None and sid not in self.new_streams:
                if sid % 2 == 0:
                    return self._fatal(
                        StreamErrorCode.PROTOCOL_VIOLATION,
                        f"Invalid Stream ID: {sid}. Client-initiated streams must have "
                        "odd-numbered IDs",
                    )
                if sid > c._max_stream_id:
                    return self._fatal(
                        StreamErrorCode.STREAM_ID_ERROR,
                        f"Maximum number of open streams exceeded. Got stream: {sid}, "
                        f"current max stream ID: {c._max_stream_id}",
                    )
                self.new_streams.add(sid)
            elif stream is not None and stream.closed:
                if isinstance(frame, StreamMoney | StreamData):
                    self.reply.append(
                        StreamClose(
                            sid, StreamErrorCode.STREAM_STATE_ERROR, "Stream is already closed"
                        )
                    )
                    return self._reject("STREAM money or data for a closed stream")
                continue
            if isinstance(frame, StreamData):
                end = frame.offset + len(frame.data)
                if end > self.data_ends.get(sid, 0):
                    self.data_ends[sid] = end
        grown = 0
        for sid, end in self.data_ends.items():
            stream = c._streams.get(sid)
            before = stream.data_end if stream is not None else 0
            if end > before + limits.stream_data_window:
                return self._fatal(
                    StreamErrorCode.FLOW_CONTROL_ERROR,
                    f"Exceeded flow control limits. Stream {sid} can accept up to offset: "
                    f"{before + limits.stream_data_window} but got bytes up to offset: {end}",
                )
            grown += max(end - before, 0)
        if grown:
            used = sum(s.data_end for s in c._streams.values())
            if grown > limits.connection_data_window:
                return self._fatal(
                    StreamErrorCode.FLOW_CONTROL_ERROR,
                    "Exceeded flow control limits. Max connection byte offset: "
                    f"{used + limits.connection_data_window}, received: {used + grown}",
                )
        return None

    def _split_money(self, fulfillment: bytes, asked: bool) -> Decision:
        c = self.c
        receive_max = c._limits.stream_receive_max
        shares: dict[int, int] = {}
        for frame in self.request.frames:
            if isinstance(frame, StreamMoney):
                shares[frame.stream_id] = shares.get(frame.stream_id, 0) + frame.shares
        if self.amount and not any(shares.values()):
            return self._reject("STREAM money without StreamMoney shares to put it on")
        totals = {sid: self._total(sid) for sid in shares}
        parts = split_amount(
            self.amount, shares, {sid: receive_max - total for sid, total in totals.items()}
        )
        for sid in sorted(parts):
            if totals[sid] + parts[sid] > receive_max:
                self.reply.append(StreamMaxMoney(sid, receive_max, totals[sid]))
                return self._reject(f"STREAM stream {sid} cannot receive that much")
        if c._total_received + self.amount > MAX_UINT64:
            return self._reject("STREAM connection total would exceed 2**64-1")
        self._apply(parts)
        self.reply = [ConnectionMaxData(c._connection_data_limit())]
        self.reply.extend(self._connection_details() if asked else ())
        if not asked:
            self.reply.append(ConnectionMaxStreamId(c._max_stream_id))
        self.reply.extend(self._stream_frames(shares))
        return FulfillDecision(
            fulfillment=fulfillment,
            data=self._encrypt(TYPE_FULFILL),
            amount=self.amount,
            stream_amounts=tuple(sorted(parts.items())),
            sequence=self.request.sequence,
        )

    def _total(self, sid: int) -> int:
        stream = self.c._streams.get(sid)
        return stream.total_received if stream is not None else 0

    def _apply(self, parts: dict[int, int]) -> None:
        """Count the money, open new streams, slide data windows, close closed streams."""
        c = self.c
        streams = c._streams
        for sid in sorted(self.new_streams):
            streams[sid] = StreamState(sid)
        for sid, part in parts.items():
            streams[sid].total_received += part
        c._total_received += self.amount
        for sid, end in self.data_ends.items():
            streams[sid].data_end = max(streams[sid].data_end, end)
        ceiling = 2 * c._limits.max_streams
        for frame in self.request.frames:
            if isinstance(frame, StreamClose):
                closing = streams.get(frame.stream_id)
                if closing is not None and not closing.closed:
                    closing.closed = True
                    # One stream fewer open: let the sender open another, within the bound.
                    c._max_stream_id = min(c._max_stream_id + 2, ceiling)

    def _stream_frames(self, shares: dict[int, int]) -> list[Frame]:
        c = self.c
        limits = c._limits
        frames: list[Frame] = []
        for sid in sorted(c._streams):
            stream = c._streams[sid]
            if stream.closed:
                if not stream.close_echoed:
                    stream.close_echoed = True
                    frames.append(StreamClose(sid, StreamErrorCode.NO_ERROR, ""))
                continue
            frames.append(StreamMaxMoney(sid, limits.stream_receive_max, stream.total_received))
            data_limit = min(stream.data_end + limits.stream_data_window, MAX_UINT64)
            frames.append(StreamMaxData(sid, data_limit))
        nonce, secret = c._receipt_nonce, c._receipt_secret
        if nonce is not None and secret is not None:
            for sid in sorted(shares):
                if sid <= _RECEIPT_MAX_STREAM_ID:
                    receipt = create_receipt(
                        nonce=nonce,
                        stream_id=sid,
                        total_received=c._streams[sid].total_received,
                        secret=secret,
                    )
                    frames.append(StreamReceipt(sid, receipt))
        return frames
