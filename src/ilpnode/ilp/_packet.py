"""ILPv4 packet values (RFC 0027 "Packet Format"): Prepare, Fulfill, Reject.

Packets are frozen, slotted dataclasses validated in ``__post_init__``, so an invalid packet
cannot be built: a field value outside its RFC 0027 range raises ``ValueError`` and a field of
the wrong type raises ``TypeError``.  To change a packet, build a new one
(``dataclasses.replace``).  The checks have fast paths for the common, already-canonical
values because packets are built on the hot path.

``Prepare.expires_at`` is normalised to UTC and truncated to whole milliseconds (the wire
precision), so ``decode_prepare(encode_prepare(p)) == p`` holds for every valid ``p``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Final

from ._address import MAX_ADDRESS_LENGTH, IlpAddress, parse_address
from ._address import address_fullmatch as _is_address
from ._codes import IlpErrorCode
from ._oer import MAX_UINT64
from ._timestamp import to_wire_datetime

__all__ = [
    "CONDITION_BYTES",
    "MAX_AMOUNT",
    "MAX_DATA_BYTES",
    "MAX_MESSAGE_BYTES",
    "MAX_TRIGGERED_BY_BYTES",
    "Fulfill",
    "Prepare",
    "Reject",
]

#: Largest amount: amounts are OER UInt64 (RFC 0027).
MAX_AMOUNT: Final = MAX_UINT64
#: Largest ``data`` field of any packet, in bytes (RFC 0027: OCTET STRING (SIZE (0..32767))).
MAX_DATA_BYTES: Final = 32767
#: Largest Reject message, in UTF-8 bytes (RFC 0027: UTF8String (SIZE (0..8191))).
MAX_MESSAGE_BYTES: Final = 8191
#: Largest Reject triggeredBy, in bytes (an address: at most 1023 ASCII characters).
MAX_TRIGGERED_BY_BYTES: Final = MAX_ADDRESS_LENGTH
#: Size of an execution condition and of a fulfillment (SHA-256), in bytes.
CONDITION_BYTES: Final = 32

_is_error_code = re.compile(r"[\x20-\x7e]{3}").fullmatch
# Plain-str values of the RFC 0027 codes: the common case skips the regex.
_RFC_CODES: Final = frozenset(code.value for code in IlpErrorCode)


def _as_bytes(value: object, name: str) -> bytes:
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value)
    raise TypeError(f"{name} must be bytes, not {type(value).__name__}")


def _check_amount(amount: object) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool):
        raise TypeError(f"amount must be an int, not {type(amount).__name__}")
    if not 0 <= amount <= MAX_AMOUNT:
        raise ValueError(f"amount {amount} is outside the UInt64 range 0..2**64-1")


def _check_data(data: bytes) -> None:
    if len(data) > MAX_DATA_BYTES:
        raise ValueError(f"data is {len(data)} bytes; the maximum is {MAX_DATA_BYTES}")


def _check_32(value: bytes, name: str) -> None:
    if len(value) != CONDITION_BYTES:
        raise ValueError(f"{name} must be {CONDITION_BYTES} bytes, got {len(value)}")


@dataclass(frozen=True, slots=True, kw_only=True)
class Prepare:
    """An ILP Prepare (type 12).

    Raises:
        ValueError: amount outside 0..2**64-1, condition not 32 bytes, invalid destination
            address, data over 32767 bytes, naive ``expires_at`` or one outside years 1..9999.
        TypeError: a field has the wrong type.
    """

    amount: int
    expires_at: datetime
    execution_condition: bytes
    destination: IlpAddress | str
    data: bytes = b""

    def __post_init__(self) -> None:
        amount = self.amount
        if type(amount) is not int or not 0 <= amount <= MAX_AMOUNT:
            _check_amount(amount)
            object.__setattr__(self, "amount", int(amount))
        exp = self.expires_at
        if not (type(exp) is datetime and exp.tzinfo is UTC and exp.microsecond % 1000 == 0):
            object.__setattr__(self, "expires_at", to_wire_datetime(exp))
        cond = self.execution_condition
        if type(cond) is not bytes or len(cond) != CONDITION_BYTES:
            cond = _as_bytes(cond, "execution_condition")
            _check_32(cond, "execution_condition")
            object.__setattr__(self, "execution_condition", cond)
        dest = self.destination
        if type(dest) is not str or len(dest) > MAX_ADDRESS_LENGTH or _is_address(dest) is None:
            # parse_address raises InvalidAddress (a ValueError) saying what is wrong.
            object.__setattr__(self, "destination", str.__str__(parse_address(dest)))
        data = self.data
        if type(data) is not bytes or len(data) > MAX_DATA_BYTES:
            data = _as_bytes(data, "data")
            _check_data(data)
            object.__setattr__(self, "data", data)

    def with_expiry_ms(self, expires_ms: int) -> Prepare:
        """This Prepare with its expiry moved to `expires_ms` (Unix milliseconds, in the
        range of wire expiries); the other fields, already valid, are not checked again (a
        connector does this for every packet it forwards).

        Raises:
            OverflowError: `expires_ms` is outside the years 1..9999.
        """
        copy: Prepare = _new(Prepare)
        _set_amount(copy, self.amount)
        _set_expires_at(copy, _EPOCH + timedelta(milliseconds=expires_ms))
        _set_condition(copy, self.execution_condition)
        _set_destination(copy, self.destination)
        _set_data(copy, self.data)
        return copy


_new = object.__new__
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_set_amount, _set_expires_at, _set_condition, _set_destination, _set_data = (
    getattr(Prepare, name).__set__
    for name in ("amount", "expires_at", "execution_condition", "destination", "data")
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Fulfill:
    """An ILP Fulfill (type 13).

    Raises:
        ValueError: fulfillment not 32 bytes, or data over 32767 bytes.
        TypeError: a field has the wrong type.
    """

    fulfillment: bytes
    data: bytes = b""

    def __post_init__(self) -> None:
        ful = self.fulfillment
        if type(ful) is not bytes or len(ful) != CONDITION_BYTES:
            ful = _as_bytes(ful, "fulfillment")
            _check_32(ful, "fulfillment")
            object.__setattr__(self, "fulfillment", ful)
        data = self.data
        if type(data) is not bytes or len(data) > MAX_DATA_BYTES:
            data = _as_bytes(data, "data")
            _check_data(data)
            object.__setattr__(self, "data", data)


@dataclass(frozen=True, slots=True, kw_only=True)
class Reject:
    """An ILP Reject (type 14).

    ``code`` is any three printable ASCII characters (0x20..0x7e), so codes that RFC 0027 does
    not define pass through; an :class:`IlpErrorCode` member is stored as its plain ``str``
    value.  ``triggered_by`` is not required to be a valid address (peers send empty and odd
    ones) but must be ASCII and at most 1023 bytes.

    Raises:
        ValueError: a bad code, a non-ASCII or over-long triggered_by, a message over 8191
            UTF-8 bytes (or not encodable as UTF-8), or data over 32767 bytes.
        TypeError: a field has the wrong type.
    """

    code: str
    triggered_by: str
    message: str
    data: bytes = b""

    def __post_init__(self) -> None:
        code = self.code
        if type(code) is not str or (code not in _RFC_CODES and _is_error_code(code) is None):
            if not isinstance(code, str):
                raise TypeError(f"code must be a str, not {type(code).__name__}")
            code = str.__str__(code)  # an IlpErrorCode member (or other str subclass) -> str
            if _is_error_code(code) is None:
                raise ValueError(f"error code {code!r} is not 3 printable ASCII characters")
            object.__setattr__(self, "code", code)
        tb = self.triggered_by
        if type(tb) is not str or not tb.isascii() or len(tb) > MAX_TRIGGERED_BY_BYTES:
            if not isinstance(tb, str):
                raise TypeError(f"triggered_by must be a str, not {type(tb).__name__}")
            if not tb.isascii():
                raise ValueError(f"triggered_by {tb!r} is not ASCII")
            if len(tb) > MAX_TRIGGERED_BY_BYTES:
                raise ValueError(
                    f"triggered_by is {len(tb)} bytes; the maximum is {MAX_TRIGGERED_BY_BYTES}"
                )
            object.__setattr__(self, "triggered_by", str.__str__(tb))
        msg = self.message
        if type(msg) is not str or not msg.isascii() or len(msg) > MAX_MESSAGE_BYTES:
            if not isinstance(msg, str):
                raise TypeError(f"message must be a str, not {type(msg).__name__}")
            try:
                size = len(msg.encode("utf-8"))
            except UnicodeEncodeError:
                raise ValueError("message is not encodable as UTF-8 (lone surrogate)") from None
            if size > MAX_MESSAGE_BYTES:
                raise ValueError(
                    f"message is {size} UTF-8 bytes; the maximum is {MAX_MESSAGE_BYTES}"
                )
            object.__setattr__(self, "message", str.__str__(msg))
        data = self.data
        if type(data) is not bytes or len(data) > MAX_DATA_BYTES:
            data = _as_bytes(data, "data")
            _check_data(data)
            object.__setattr__(self, "data", data)
