"""IL-DCP, the Interledger Dynamic Configuration Protocol (RFC 0031).

A child asks its parent for its ILP address, asset code and asset scale with a Prepare to
``peer.config`` (amount 0, the peer-protocol condition, empty data).  The parent answers with a
Fulfill whose fulfillment is 32 zero bytes and whose data is
``clientAddress:VarOctetString(ASCII) ‖ assetScale:u8 ‖ assetCode:VarOctetString(UTF-8)``,
or with a Reject (the JS server uses F00).  Time is an argument (``now``), never read here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from ._address import IlpAddress, is_valid_address, parse_address
from ._condition import PEER_PROTOCOL_CONDITION, PEER_PROTOCOL_FULFILLMENT
from ._errors import IlpCodecError
from ._oer import Reader, Writer
from ._packet import Fulfill, Prepare

__all__ = [
    "ILDCP_DESTINATION",
    "IldcpError",
    "IldcpResponse",
    "build_ildcp_request",
    "decode_ildcp_response",
    "encode_ildcp_response",
    "is_ildcp_request",
    "validate_ildcp_request",
]

#: Destination of every IL-DCP request.
ILDCP_DESTINATION: Final = IlpAddress("peer.config")


class IldcpError(ValueError):
    """An IL-DCP request or response is not acceptable (RFC 0031)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class IldcpResponse:
    """What a parent tells its child: address, asset scale (u8) and asset code.

    Raises:
        ValueError: invalid address, scale outside 0..255, or an asset code that is not
            UTF-8 encodable.
    """

    client_address: IlpAddress | str
    asset_scale: int
    asset_code: str

    def __post_init__(self) -> None:
        parse_address(self.client_address)
        scale = self.asset_scale
        if not isinstance(scale, int) or isinstance(scale, bool):
            raise TypeError(f"asset_scale must be an int, not {type(scale).__name__}")
        if not 0 <= scale <= 255:
            raise ValueError(f"asset_scale {scale} is outside 0..255 (a UInt8)")
        if not isinstance(self.asset_code, str):
            raise TypeError(f"asset_code must be a str, not {type(self.asset_code).__name__}")
        try:
            self.asset_code.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("asset_code is not encodable as UTF-8") from None


def build_ildcp_request(*, expires_at: datetime) -> Prepare:
    """Build the IL-DCP request Prepare (the JS client uses ``now + 60 s`` as expiry)."""
    return Prepare(
        amount=0,
        expires_at=expires_at,
        execution_condition=PEER_PROTOCOL_CONDITION,
        destination=ILDCP_DESTINATION,
        data=b"",
    )


def is_ildcp_request(prepare: Prepare) -> bool:
    """Return True if the Prepare is addressed to ``peer.config``."""
    return prepare.destination == ILDCP_DESTINATION


def validate_ildcp_request(prepare: Prepare, *, now: datetime) -> None:
    """Check that ``prepare`` is an IL-DCP request a parent should answer.

    Checks the destination, the condition and the expiry, as the JS server does, and also
    that the amount is 0.  Data is not checked (the JS server ignores it).

    Raises:
        IldcpError: wrong destination, wrong condition, non-zero amount, or
            ``expires_at <= now``.
        ValueError: ``now`` is naive.
    """
    if prepare.destination != ILDCP_DESTINATION:
        raise IldcpError(
            f"IL-DCP request must be sent to {ILDCP_DESTINATION}, not {prepare.destination}"
        )
    if prepare.execution_condition != PEER_PROTOCOL_CONDITION:
        raise IldcpError(
            "IL-DCP request has the wrong execution condition "
            f"{prepare.execution_condition.hex()} (expected SHA-256 of 32 zero bytes)"
        )
    if prepare.amount != 0:
        raise IldcpError(f"IL-DCP request must have amount 0, not {prepare.amount}")
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    if prepare.expires_at <= now:
        raise IldcpError(
            f"IL-DCP request expired at {prepare.expires_at.isoformat()} (now {now.isoformat()})"
        )


def encode_ildcp_response(resp: IldcpResponse) -> Fulfill:
    """Build the Fulfill that answers an IL-DCP request."""
    w = Writer()
    w.write_var_octets(resp.client_address.encode("ascii"))
    w.write_uint8(resp.asset_scale)
    w.write_var_octets(resp.asset_code.encode("utf-8"))
    return Fulfill(fulfillment=PEER_PROTOCOL_FULFILLMENT, data=w.getvalue())


def decode_ildcp_response(fulfill: Fulfill) -> IldcpResponse:
    """Read an IL-DCP response.  Bytes after the asset code are ignored (RFC 0030).

    Raises:
        IldcpError: the fulfillment is not 32 zero bytes, or the data is malformed (a
            truncated field, an invalid address, an asset code that is not UTF-8).  Framing
            errors are chained from the underlying ``IlpCodecError``.
    """
    if fulfill.fulfillment != PEER_PROTOCOL_FULFILLMENT:
        raise IldcpError("IL-DCP response fulfillment is not 32 zero bytes")
    try:
        r = Reader(fulfill.data)
        raw_address = r.read_var_octets()
        scale = r.read_uint8()
        raw_code = r.read_var_octets()
    except IlpCodecError as exc:
        raise IldcpError(f"malformed IL-DCP response data: {exc}") from exc
    try:
        address = raw_address.decode("ascii")
        code = raw_code.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise IldcpError(f"malformed IL-DCP response data: {exc}") from None
    if not is_valid_address(address):
        raise IldcpError(f"IL-DCP response carries an invalid address {address!r}")
    return IldcpResponse(client_address=IlpAddress(address), asset_scale=scale, asset_code=code)
