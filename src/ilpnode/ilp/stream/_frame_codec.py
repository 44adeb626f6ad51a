"""Reading and writing STREAM frame contents (RFC 0029 §5.3).

A frame is ``type:u8 ‖ content:VarOctetString``.  The content is read with its own cursor,
so bytes left inside it after the known fields are ignored (room for extensions, as the JS
codec does) and can never bleed into the next frame.  Strings (close messages, addresses,
asset codes) are decoded as UTF-8 with replacement characters, so a peer's odd message is
never what fails a packet.  VarUInts longer than 8 bytes are an error, except
``StreamMaxMoney.receive_max`` and ``StreamMoneyBlocked.send_max``, which saturate to
2**64-1 as RFC 0029 §5.1.4 requires.
"""

from __future__ import annotations

from collections.abc import Callable

from .._errors import InvalidLength
from .._oer import MAX_UINT64, MAX_VAR_UINT_OCTETS, Reader, Writer
from ._frames import (
    ConnectionAssetDetails,
    ConnectionClose,
    ConnectionDataBlocked,
    ConnectionMaxData,
    ConnectionMaxStreamId,
    ConnectionNewAddress,
    ConnectionStreamIdBlocked,
    Frame,
    FrameType,
    StreamClose,
    StreamData,
    StreamDataBlocked,
    StreamMaxData,
    StreamMaxMoney,
    StreamMoney,
    StreamMoneyBlocked,
    StreamReceipt,
    UnknownFrame,
)

__all__ = ["read_frame", "write_frame"]


def _text(raw: bytes) -> str:
    return raw.decode("utf-8", "replace")


def _saturating_var_uint(r: Reader) -> int:
    raw = r.read_var_octets()
    if len(raw) > MAX_VAR_UINT_OCTETS:
        return MAX_UINT64
    if not raw:
        raise InvalidLength("empty VarUInt")
    return int.from_bytes(raw, "big")


def _read_connection_close(r: Reader) -> Frame:
    return ConnectionClose(r.read_uint8(), _text(r.read_var_octets()))


def _read_new_address(r: Reader) -> Frame:
    return ConnectionNewAddress(_text(r.read_var_octets()))


def _read_connection_max_data(r: Reader) -> Frame:
    return ConnectionMaxData(r.read_var_uint())


def _read_connection_data_blocked(r: Reader) -> Frame:
    return ConnectionDataBlocked(r.read_var_uint())


def _read_connection_max_stream_id(r: Reader) -> Frame:
    return ConnectionMaxStreamId(r.read_var_uint())


def _read_connection_stream_id_blocked(r: Reader) -> Frame:
    return ConnectionStreamIdBlocked(r.read_var_uint())


def _read_asset_details(r: Reader) -> Frame:
    code = _text(r.read_var_octets())
    return ConnectionAssetDetails(code, r.read_uint8())


def _read_stream_close(r: Reader) -> Frame:
    stream_id = r.read_var_uint()
    code = r.read_uint8()
    return StreamClose(stream_id, code, _text(r.read_var_octets()))


def _read_stream_money(r: Reader) -> Frame:
    stream_id = r.read_var_uint()
    return StreamMoney(stream_id, r.read_var_uint())


def _read_stream_max_money(r: Reader) -> Frame:
    stream_id = r.read_var_uint()
    receive_max = _saturating_var_uint(r)
    return StreamMaxMoney(stream_id, receive_max, r.read_var_uint())


def _read_stream_money_blocked(r: Reader) -> Frame:
    stream_id = r.read_var_uint()
    send_max = _saturating_var_uint(r)
    return StreamMoneyBlocked(stream_id, send_max, r.read_var_uint())


def _read_stream_data(r: Reader) -> Frame:
    stream_id = r.read_var_uint()
    offset = r.read_var_uint()
    return StreamData(stream_id, offset, r.read_var_octets())


def _read_stream_max_data(r: Reader) -> Frame:
    stream_id = r.read_var_uint()
    return StreamMaxData(stream_id, r.read_var_uint())


def _read_stream_data_blocked(r: Reader) -> Frame:
    stream_id = r.read_var_uint()
    return StreamDataBlocked(stream_id, r.read_var_uint())


def _read_stream_receipt(r: Reader) -> Frame:
    stream_id = r.read_var_uint()
    return StreamReceipt(stream_id, r.read_var_octets())


_READERS: dict[int, Callable[[Reader], Frame]] = {
    FrameType.CONNECTION_CLOSE: _read_connection_close,
    FrameType.CONNECTION_NEW_ADDRESS: _read_new_address,
    FrameType.CONNECTION_MAX_DATA: _read_connection_max_data,
    FrameType.CONNECTION_DATA_BLOCKED: _read_connection_data_blocked,
    FrameType.CONNECTION_MAX_STREAM_ID: _read_connection_max_stream_id,
    FrameType.CONNECTION_STREAM_ID_BLOCKED: _read_connection_stream_id_blocked,
    FrameType.CONNECTION_ASSET_DETAILS: _read_asset_details,
    FrameType.STREAM_CLOSE: _read_stream_close,
    FrameType.STREAM_MONEY: _read_stream_money,
    FrameType.STREAM_MAX_MONEY: _read_stream_max_money,
    FrameType.STREAM_MONEY_BLOCKED: _read_stream_money_blocked,
    FrameType.STREAM_DATA: _read_stream_data,
    FrameType.STREAM_MAX_DATA: _read_stream_max_data,
    FrameType.STREAM_DATA_BLOCKED: _read_stream_data_blocked,
    FrameType.STREAM_RECEIPT: _read_stream_receipt,
}


def read_frame(r: Reader) -> Frame:
    """Read one frame from ``r``.

    Raises:
        IlpCodecError: (a subclass) the frame is truncated or a field malformed; the
            packet decoder turns it into ``StreamCodecError``.
    """
    frame_type = r.read_uint8()
    content = r.read_var_octets()
    reader = _READERS.get(frame_type)
    if reader is None:
        return UnknownFrame(frame_type, content)
    return reader(Reader(content))


def _content(frame: Frame) -> tuple[int, bytes]:
    """Return ``(type, content)`` of a frame."""
    w = Writer()
    match frame:
        case ConnectionClose(code, message):
            w.write_uint8(code)
            w.write_var_octets(message.encode("utf-8"))
            return FrameType.CONNECTION_CLOSE, w.getvalue()
        case ConnectionNewAddress(address):
            w.write_var_octets(address.encode("utf-8"))
            return FrameType.CONNECTION_NEW_ADDRESS, w.getvalue()
        case ConnectionMaxData(offset):
            w.write_var_uint(offset)
            return FrameType.CONNECTION_MAX_DATA, w.getvalue()
        case ConnectionDataBlocked(offset):
            w.write_var_uint(offset)
            return FrameType.CONNECTION_DATA_BLOCKED, w.getvalue()
        case ConnectionMaxStreamId(stream_id):
            w.write_var_uint(stream_id)
            return FrameType.CONNECTION_MAX_STREAM_ID, w.getvalue()
        case ConnectionStreamIdBlocked(stream_id):
            w.write_var_uint(stream_id)
            return FrameType.CONNECTION_STREAM_ID_BLOCKED, w.getvalue()
        case ConnectionAssetDetails(code, scale):
            w.write_var_octets(code.encode("utf-8"))
            w.write_uint8(scale)
            return FrameType.CONNECTION_ASSET_DETAILS, w.getvalue()
        case StreamClose(stream_id, code, message):
            w.write_var_uint(stream_id)
            w.write_uint8(code)
            w.write_var_octets(message.encode("utf-8"))
            return FrameType.STREAM_CLOSE, w.getvalue()
        case StreamMoney(stream_id, shares):
            w.write_var_uint(stream_id)
            w.write_var_uint(shares)
            return FrameType.STREAM_MONEY, w.getvalue()
        case StreamMaxMoney(stream_id, receive_max, total_received):
            w.write_var_uint(stream_id)
            w.write_var_uint(receive_max)
            w.write_var_uint(total_received)
            return FrameType.STREAM_MAX_MONEY, w.getvalue()
        case StreamMoneyBlocked(stream_id, send_max, total_sent):
            w.write_var_uint(stream_id)
            w.write_var_uint(send_max)
            w.write_var_uint(total_sent)
            return FrameType.STREAM_MONEY_BLOCKED, w.getvalue()
        case StreamData(stream_id, offset, data):
            w.write_var_uint(stream_id)
            w.write_var_uint(offset)
            w.write_var_octets(data)
            return FrameType.STREAM_DATA, w.getvalue()
        case StreamMaxData(stream_id, offset):
            w.write_var_uint(stream_id)
            w.write_var_uint(offset)
            return FrameType.STREAM_MAX_DATA, w.getvalue()
        case StreamDataBlocked(stream_id, offset):
            w.write_var_uint(stream_id)
            w.write_var_uint(offset)
            return FrameType.STREAM_DATA_BLOCKED, w.getvalue()
        case StreamReceipt(stream_id, receipt):
            w.write_var_uint(stream_id)
            w.write_var_octets(receipt)
            return FrameType.STREAM_RECEIPT, w.getvalue()
        case UnknownFrame(frame_type, content):
            return frame_type, content
    raise TypeError(f"not a STREAM frame: {type(frame).__name__}")  # pragma: no cover


def write_frame(w: Writer, frame: Frame) -> None:
    """Append ``frame`` as ``type:u8 ‖ content:VarOctetString``."""
    frame_type, content = _content(frame)
    w.write_uint8(frame_type)
    w.write_var_octets(content)
