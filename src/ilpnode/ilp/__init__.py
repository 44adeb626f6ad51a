"""ilpnode.ilp: the sans-IO ILPv4 codec.

- Packets and their OER encoding: RFC 0027 (Interledger Protocol V4) and RFC 0030 (Notes on
  OER Encoding).  ``decode_*`` functions raise only :class:`IlpCodecError` (subclasses) for any
  input bytes; invalid field values given to constructors raise ``ValueError``.
- Addresses: RFC 0015.  IL-DCP: RFC 0031.  Error codes and F08 data: RFC 0027.
- A link check's answer (an IL-DCP request over ILP-over-HTTP) in words: ``_link_check``.

Nothing here does I/O, logs, or reads the clock: time is always an argument.
"""

from ._address import (
    MAX_ADDRESS_LENGTH,
    IlpAddress,
    address_scheme,
    is_valid_address,
    parse_address,
)
from ._codec import decode_packet, encode_packet
from ._codes import IlpErrorCode
from ._condition import (
    PEER_PROTOCOL_CONDITION,
    PEER_PROTOCOL_FULFILLMENT,
    condition_of,
    fulfillment_matches,
)
from ._errors import (
    IlpCodecError,
    InvalidAddress,
    InvalidField,
    InvalidLength,
    TruncatedPacket,
    UnknownPacketType,
)
from ._f08 import (
    AmountTooLargeData,
    decode_amount_too_large_data,
    encode_amount_too_large_data,
)
from ._ildcp import (
    ILDCP_DESTINATION,
    IldcpError,
    IldcpResponse,
    build_ildcp_request,
    decode_ildcp_response,
    encode_ildcp_response,
    is_ildcp_request,
    validate_ildcp_request,
)
from ._link_check import LinkCheckAnswer, read_link_check_answer
from ._oer import MAX_UINT64, Reader, Writer, encode_length
from ._packet import (
    CONDITION_BYTES,
    MAX_AMOUNT,
    MAX_DATA_BYTES,
    MAX_MESSAGE_BYTES,
    Fulfill,
    Prepare,
    Reject,
)
from ._patch import read_prepare_amount_and_expiry, rewrite_prepare
from ._prepare_codec import decode_prepare, encode_prepare
from ._prepare_rewrite import prepare_expires_ms, rewrite_prepare_ms
from ._reply_codec import (
    decode_fulfill,
    decode_reject,
    decode_reply,
    encode_fulfill,
    encode_reject,
)
from ._timestamp import TIMESTAMP_LENGTH, decode_timestamp, encode_timestamp
from ._wire import TYPE_FULFILL, TYPE_PREPARE, TYPE_REJECT

__all__ = [
    "CONDITION_BYTES",
    "ILDCP_DESTINATION",
    "MAX_ADDRESS_LENGTH",
    "MAX_AMOUNT",
    "MAX_DATA_BYTES",
    "MAX_MESSAGE_BYTES",
    "MAX_UINT64",
    "PEER_PROTOCOL_CONDITION",
    "PEER_PROTOCOL_FULFILLMENT",
    "TIMESTAMP_LENGTH",
    "TYPE_FULFILL",
    "TYPE_PREPARE",
    "TYPE_REJECT",
    "AmountTooLargeData",
    "Fulfill",
    "IldcpError",
    "IldcpResponse",
    "IlpAddress",
    "IlpCodecError",
    "IlpErrorCode",
    "InvalidAddress",
    "InvalidField",
    "InvalidLength",
    "LinkCheckAnswer",
    "Prepare",
    "Reader",
    "Reject",
    "TruncatedPacket",
    "UnknownPacketType",
    "Writer",
    "address_scheme",
    "build_ildcp_request",
    "condition_of",
    "decode_amount_too_large_data",
    "decode_fulfill",
    "decode_ildcp_response",
    "decode_packet",
    "decode_prepare",
    "decode_reject",
    "decode_reply",
    "decode_timestamp",
    "encode_amount_too_large_data",
    "encode_fulfill",
    "encode_ildcp_response",
    "encode_length",
    "encode_packet",
    "encode_prepare",
    "encode_reject",
    "encode_timestamp",
    "fulfillment_matches",
    "is_ildcp_request",
    "is_valid_address",
    "parse_address",
    "prepare_expires_ms",
    "read_link_check_answer",
    "read_prepare_amount_and_expiry",
    "rewrite_prepare",
    "rewrite_prepare_ms",
    "validate_ildcp_request",
]
