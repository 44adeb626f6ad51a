"""STREAM frames (RFC 0029 §5.3) as values: one frozen dataclass per frame type.

Every frame travels as ``type:u8 ‖ content:VarOctetString``; the dataclasses here are the
decoded contents, checked when built (ids, offsets and amounts in 0..2**64-1, codes and
scales in 0..255), so an invalid frame cannot exist.  A frame type this implementation does
not know becomes an :class:`UnknownFrame` that keeps its bytes: receivers skip it (the RFC
says they must) and a packet re-encodes byte for byte.

Close codes (``error_code``) are plain ints so that a peer's future code is not an error;
:class:`StreamErrorCode` names the ones the RFC defines.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import TypeAlias

from .._oer import MAX_UINT64

__all__ = [
    "ConnectionAssetDetails",
    "ConnectionClose",
    "ConnectionDataBlocked",
    "ConnectionMaxData",
    "ConnectionMaxStreamId",
    "ConnectionNewAddress",
    "ConnectionStreamIdBlocked",
    "Frame",
    "FrameType",
    "StreamClose",
    "StreamData",
    "StreamDataBlocked",
    "StreamErrorCode",
    "StreamMaxData",
    "StreamMaxMoney",
    "StreamMoney",
    "StreamMoneyBlocked",
    "StreamReceipt",
    "UnknownFrame",
]


class FrameType(IntEnum):
    """Frame type identifiers (RFC 0029 §5.3)."""

    CONNECTION_CLOSE = 0x01
    CONNECTION_NEW_ADDRESS = 0x02
    CONNECTION_MAX_DATA = 0x03
    CONNECTION_DATA_BLOCKED = 0x04
    CONNECTION_MAX_STREAM_ID = 0x05
    CONNECTION_STREAM_ID_BLOCKED = 0x06
    CONNECTION_ASSET_DETAILS = 0x07
    STREAM_CLOSE = 0x10
    STREAM_MONEY = 0x11
    STREAM_MAX_MONEY = 0x12
    STREAM_MONEY_BLOCKED = 0x13
    STREAM_DATA = 0x14
    STREAM_MAX_DATA = 0x15
    STREAM_DATA_BLOCKED = 0x16
    STREAM_RECEIPT = 0x17


class StreamErrorCode(IntEnum):
    """Codes of ConnectionClose and StreamClose frames (RFC 0029 §5.2)."""

    NO_ERROR = 0x01
    INTERNAL_ERROR = 0x02
    ENDPOINT_BUSY = 0x03
    FLOW_CONTROL_ERROR = 0x04
    STREAM_ID_ERROR = 0x05
    STREAM_STATE_ERROR = 0x06
    FRAME_FORMAT_ERROR = 0x07
    PROTOCOL_VIOLATION = 0x08
    APPLICATION_ERROR = 0x09


def _u64(name: str, value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if not 0 <= value <= MAX_UINT64:
        raise ValueError(f"{name} {value} is outside 0..2**64-1")


def _u8(name: str, value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if not 0 <= value <= 255:
        raise ValueError(f"{name} {value} is outside 0..255")


def _utf8(name: str, value: str) -> None:
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {type(value).__name__}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError(f"{name} is not encodable as UTF-8") from None


def _octets(name: str, value: bytes) -> None:
    if not isinstance(value, bytes):
        raise TypeError(f"{name} must be bytes, not {type(value).__name__}")


@dataclass(frozen=True, slots=True)
class ConnectionClose:
    """The sender closes the connection (0x01); ``error_code`` says why."""

    error_code: int
    message: str = ""

    def __post_init__(self) -> None:
        _u8("error_code", self.error_code)
        _utf8("message", self.message)


@dataclass(frozen=True, slots=True)
class ConnectionNewAddress:
    """The sender's ILP address, so the other side can send back (0x02)."""

    source_address: str

    def __post_init__(self) -> None:
        _utf8("source_address", self.source_address)


@dataclass(frozen=True, slots=True)
class ConnectionMaxData:
    """The highest connection-wide data offset the sender will accept (0x03)."""

    max_offset: int

    def __post_init__(self) -> None:
        _u64("max_offset", self.max_offset)


@dataclass(frozen=True, slots=True)
class ConnectionDataBlocked:
    """The sender wants to send data beyond ``max_offset`` (0x04; informational)."""

    max_offset: int

    def __post_init__(self) -> None:
        _u64("max_offset", self.max_offset)


@dataclass(frozen=True, slots=True)
class ConnectionMaxStreamId:
    """The highest stream id the sender lets the other side open (0x05)."""

    max_stream_id: int

    def __post_init__(self) -> None:
        _u64("max_stream_id", self.max_stream_id)


@dataclass(frozen=True, slots=True)
class ConnectionStreamIdBlocked:
    """The sender wants to open streams beyond ``max_stream_id`` (0x06; informational)."""

    max_stream_id: int

    def __post_init__(self) -> None:
        _u64("max_stream_id", self.max_stream_id)


@dataclass(frozen=True, slots=True)
class ConnectionAssetDetails:
    """The sender's asset (0x07): code and scale, in which it counts the amounts it reports."""

    asset_code: str
    asset_scale: int

    def __post_init__(self) -> None:
        _utf8("asset_code", self.asset_code)
        _u8("asset_scale", self.asset_scale)


@dataclass(frozen=True, slots=True)
class StreamClose:
    """The sender closes one stream (0x10)."""

    stream_id: int
    error_code: int
    message: str = ""

    def __post_init__(self) -> None:
        _u64("stream_id", self.stream_id)
        _u8("error_code", self.error_code)
        _utf8("message", self.message)


@dataclass(frozen=True, slots=True)
class StreamMoney:
    """Money for a stream (0x11): this frame's share of the Prepare's amount."""

    stream_id: int
    shares: int

    def __post_init__(self) -> None:
        _u64("stream_id", self.stream_id)
        _u64("shares", self.shares)


@dataclass(frozen=True, slots=True)
class StreamMaxMoney:
    """How much the sender will receive on a stream, in its units (0x12).

    ``receive_max`` is a total, not a credit: the sender may still receive
    ``receive_max - total_received``.  Decoding saturates it to 2**64-1 (RFC 0029 §5.1.4).
    """

    stream_id: int
    receive_max: int
    total_received: int

    def __post_init__(self) -> None:
        _u64("stream_id", self.stream_id)
        _u64("receive_max", self.receive_max)
        _u64("total_received", self.total_received)


@dataclass(frozen=True, slots=True)
class StreamMoneyBlocked:
    """The sender wants to send more than the other side allows (0x13; informational).

    Decoding saturates ``send_max`` to 2**64-1 (RFC 0029 §5.1.4).
    """

    stream_id: int
    send_max: int
    total_sent: int

    def __post_init__(self) -> None:
        _u64("stream_id", self.stream_id)
        _u64("send_max", self.send_max)
        _u64("total_sent", self.total_sent)


@dataclass(frozen=True, slots=True)
class StreamData:
    """Bytes of a stream at ``offset`` (0x14)."""

    stream_id: int
    offset: int
    data: bytes = b""

    def __post_init__(self) -> None:
        _u64("stream_id", self.stream_id)
        _u64("offset", self.offset)
        _octets("data", self.data)


@dataclass(frozen=True, slots=True)
class StreamMaxData:
    """The highest data offset the sender will accept on a stream (0x15)."""

    stream_id: int
    max_offset: int

    def __post_init__(self) -> None:
        _u64("stream_id", self.stream_id)
        _u64("max_offset", self.max_offset)


@dataclass(frozen=True, slots=True)
class StreamDataBlocked:
    """The sender wants to send stream data beyond ``max_offset`` (0x16; informational)."""

    stream_id: int
    max_offset: int

    def __post_init__(self) -> None:
        _u64("stream_id", self.stream_id)
        _u64("max_offset", self.max_offset)


@dataclass(frozen=True, slots=True)
class StreamReceipt:
    """An RFC 0039 receipt for a stream (0x17); ``receipt`` is its 58 bytes (kept opaque)."""

    stream_id: int
    receipt: bytes

    def __post_init__(self) -> None:
        _u64("stream_id", self.stream_id)
        _octets("receipt", self.receipt)


@dataclass(frozen=True, slots=True)
class UnknownFrame:
    """A frame of a type this implementation does not know, kept as its raw content."""

    frame_type: int
    content: bytes

    def __post_init__(self) -> None:
        _u8("frame_type", self.frame_type)
        if self.frame_type in _KNOWN_TYPES:
            raise ValueError(f"frame type {self.frame_type} is known: use its own class")
        _octets("content", self.content)


_KNOWN_TYPES = frozenset(int(t) for t in FrameType)

Frame: TypeAlias = (
    ConnectionClose
    | ConnectionNewAddress
    | ConnectionMaxData
    | ConnectionDataBlocked
    | ConnectionMaxStreamId
    | ConnectionStreamIdBlocked
    | ConnectionAssetDetails
    | StreamClose
    | StreamMoney
    | StreamMaxMoney
    | StreamMoneyBlocked
    | StreamData
    | StreamMaxData
    | StreamDataBlocked
    | StreamReceipt
    | UnknownFrame
)
