"""STREAM receipts (RFC 0039): the receiver's signed statement of what a stream has received.

A receipt is 58 bytes::

    version:u8 = 1 ‖ nonce(16) ‖ streamId:u8 ‖ totalReceived:u64 ‖ HMAC-SHA256(secret, bytes 0..25)

The verifier (e.g. a Web Monetization service) chose ``nonce`` and ``secret`` and passed them
to the receiver's SPSP server (``Receipt-Nonce`` / ``Receipt-Secret``); the receiver puts a
receipt in every Fulfill.  ``totalReceived`` is cumulative per stream, so a verifier credits
only the increase.  The RFC is marked deprecated but ilp-protocol-stream and Rafiki's receiver
still make receipts, so senders may expect them.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Final

from .._oer import MAX_UINT64
from ._credentials import RECEIPT_NONCE_BYTES, RECEIPT_SECRET_BYTES

__all__ = [
    "RECEIPT_BYTES",
    "RECEIPT_VERSION",
    "Receipt",
    "ReceiptError",
    "create_receipt",
    "decode_receipt",
    "verify_receipt",
]

#: The only receipt version.
RECEIPT_VERSION: Final = 1
#: Length of a receipt.
RECEIPT_BYTES: Final = 58
_SIGNED_BYTES: Final = 26


class ReceiptError(ValueError):
    """A receipt is malformed, of another version, or its HMAC does not verify."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Receipt:
    """What a receipt states: the stream ``stream_id`` of the connection set up with ``nonce``
    has received ``total_received`` in all (receiver's units)."""

    nonce: bytes
    stream_id: int
    total_received: int


def create_receipt(*, nonce: bytes, stream_id: int, total_received: int, secret: bytes) -> bytes:
    """Build and sign a receipt.

    Raises:
        ValueError: ``nonce`` not 16 bytes, ``secret`` not 32, ``stream_id`` outside 0..255
            (the format has one byte for it) or ``total_received`` outside 0..2**64-1.
    """
    if len(nonce) != RECEIPT_NONCE_BYTES:
        raise ValueError(f"receipt nonce must be {RECEIPT_NONCE_BYTES} bytes, not {len(nonce)}")
    if len(secret) != RECEIPT_SECRET_BYTES:
        raise ValueError(f"receipt secret must be {RECEIPT_SECRET_BYTES} bytes, not {len(secret)}")
    if not 0 <= stream_id <= 255:
        raise ValueError(f"receipt stream id {stream_id} is outside 0..255")
    if not 0 <= total_received <= MAX_UINT64:
        raise ValueError(f"receipt total {total_received} is outside 0..2**64-1")
    body = (
        bytes((RECEIPT_VERSION,)) + nonce + bytes((stream_id,)) + total_received.to_bytes(8, "big")
    )
    return body + hmac.digest(secret, body, "sha256")


def decode_receipt(data: bytes) -> Receipt:
    """Read a receipt without checking its HMAC (for display; verify before trusting it).

    Raises:
        ReceiptError: not 58 bytes, or a version other than 1.
    """
    if len(data) != RECEIPT_BYTES:
        raise ReceiptError(f"a receipt is {RECEIPT_BYTES} bytes, not {len(data)}")
    if data[0] != RECEIPT_VERSION:
        raise ReceiptError(f"unsupported receipt version {data[0]}")
    return Receipt(
        nonce=bytes(data[1:17]),
        stream_id=data[17],
        total_received=int.from_bytes(data[18:26], "big"),
    )


def verify_receipt(data: bytes, secret: bytes) -> Receipt:
    """Check a receipt's HMAC with ``secret`` and return what it states.

    Raises:
        ReceiptError: malformed (see :func:`decode_receipt`) or the HMAC does not match.
    """
    receipt = decode_receipt(data)
    expected = hmac.digest(secret, data[:_SIGNED_BYTES], "sha256")
    if not hmac.compare_digest(expected, data[_SIGNED_BYTES:]):
        raise ReceiptError("receipt HMAC does not verify with this secret")
    return receipt
