"""ilpnode.ilp.stream: STREAM (RFC 0029), sans-IO.

- Connection credentials in the format of Rafiki's ``@interledger/stream-receiver``: a
  server hands out :func:`new_connection` credentials and recognises them again from a
  Prepare's destination with :func:`open_connection`, keeping no per-connection state.
- The STREAM crypto: :func:`encryption_key`, :func:`encrypt` / :func:`decrypt` (the
  ``IV ‖ tag ‖ ciphertext`` envelope), :func:`fulfillment_for` and :func:`condition_for`.
- The packet and frame codec: :class:`StreamPacket`, one frozen dataclass per frame type,
  :func:`encode_stream_packet` / :func:`decode_stream_packet` (which raises only
  :class:`StreamCodecError`, whatever the bytes).
- Receipts (RFC 0039): :func:`create_receipt`, :func:`verify_receipt`, :func:`decode_receipt`.
- The receiver: :class:`ReceiverConnection`, a state machine that decides each Prepare
  (:class:`FulfillDecision` or :class:`RejectDecision`), and :class:`ReceiverConnections`,
  a bounded registry of them.
- The sender: :class:`StreamSender`, a state machine that pays a :class:`FixedSend` or
  :class:`FixedReceive` amount (rate probe, minimum rate, packet sizing, back-off, close),
  telling its runner what to send (:class:`SendPacket`), to :class:`Wait` or that it is
  :class:`Finished`, with a :class:`SendReport` of exact amounts.

Nothing here does I/O, logs, reads the clock or draws random numbers: randomness (IVs,
nonces) and time are arguments.  See docs/stream.md.
"""

from ._credentials import (
    RECEIPT_NONCE_BYTES,
    RECEIPT_SECRET_BYTES,
    SERVER_SECRET_BYTES,
    ConnectionToken,
    StreamCredentials,
    new_connection,
    open_connection,
)
from ._crypto import (
    AUTH_TAG_BYTES,
    ENVELOPE_OVERHEAD,
    IV_BYTES,
    MAX_PLAINTEXT_BYTES,
    StreamCipher,
    condition_for,
    decrypt,
    encrypt,
    encryption_key,
    fulfillment_for,
    fulfillment_key,
    fulfillment_with_key,
)
from ._decisions import (
    DEFAULT_LIMITS,
    MAX_PACKETS_PER_CONNECTION,
    Decision,
    FulfillDecision,
    ReceiverLimits,
    RejectDecision,
)
from ._errors import StreamCodecError, StreamDecryptError
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
    StreamErrorCode,
    StreamMaxData,
    StreamMaxMoney,
    StreamMoney,
    StreamMoneyBlocked,
    StreamReceipt,
    UnknownFrame,
)
from ._money import split_amount
from ._packet import STREAM_VERSION, StreamPacket, decode_stream_packet, encode_stream_packet
from ._receipt import (
    RECEIPT_BYTES,
    RECEIPT_VERSION,
    Receipt,
    ReceiptError,
    create_receipt,
    decode_receipt,
    verify_receipt,
)
from ._sender import StreamSender
from ._sender_types import (
    DEFAULT_SENDER_LIMITS,
    Finished,
    FixedReceive,
    FixedSend,
    PacketKind,
    PaymentTarget,
    SenderAction,
    SenderLimits,
    SendError,
    SenderState,
    SendPacket,
    SendReport,
    Wait,
)

__all__ = [
    "AUTH_TAG_BYTES",
    "DEFAULT_LIMITS",
    "DEFAULT_SENDER_LIMITS",
    "ENVELOPE_OVERHEAD",
    "IV_BYTES",
    "MAX_PACKETS_PER_CONNECTION",
    "MAX_PLAINTEXT_BYTES",
    "RECEIPT_BYTES",
    "RECEIPT_NONCE_BYTES",
    "RECEIPT_SECRET_BYTES",
    "RECEIPT_VERSION",
    "SERVER_SECRET_BYTES",
    "STREAM_VERSION",
    "ConnectionAssetDetails",
    "ConnectionClose",
    "ConnectionDataBlocked",
    "ConnectionMaxData",
    "ConnectionMaxStreamId",
    "ConnectionNewAddress",
    "ConnectionStreamIdBlocked",
    "ConnectionToken",
    "Decision",
    "Finished",
    "FixedReceive",
    "FixedSend",
    "Frame",
    "FrameType",
    "FulfillDecision",
    "PacketKind",
    "PaymentTarget",
    "Receipt",
    "ReceiptError",
    "ReceiverConnection",
    "ReceiverConnections",
    "ReceiverLimits",
    "RejectDecision",
    "SendError",
    "SendPacket",
    "SendReport",
    "SenderAction",
    "SenderLimits",
    "SenderState",
    "StreamCipher",
    "StreamClose",
    "StreamCodecError",
    "StreamCredentials",
    "StreamData",
    "StreamDataBlocked",
    "StreamDecryptError",
    "StreamErrorCode",
    "StreamMaxData",
    "StreamMaxMoney",
    "StreamMoney",
    "StreamMoneyBlocked",
    "StreamPacket",
    "StreamReceipt",
    "StreamSender",
    "StreamTotals",
    "UnknownFrame",
    "Wait",
    "condition_for",
    "create_receipt",
    "decode_receipt",
    "decode_stream_packet",
    "decrypt",
    "encode_stream_packet",
    "encrypt",
    "encryption_key",
    "fulfillment_for",
    "fulfillment_key",
    "fulfillment_with_key",
    "new_connection",
    "open_connection",
    "split_amount",
    "verify_receipt",
]
from ._receiver import ReceiverConnection, StreamTotals
from ._registry import ReceiverConnections
