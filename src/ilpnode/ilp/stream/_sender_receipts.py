"""The STREAM receipts (RFC 0039) a sender collects from the receiver's Fulfills.

A receipt states a stream's cumulative total, so the one worth keeping is the one with the
greatest total.  A sender that knows the receipt secret (it set up the receipts itself, e.g.
as its own verifier through SPSP's ``Receipt-Secret``) checks each receipt's HMAC and nonce
and ignores those that fail; one that does not know it keeps receipts unverified, for a
verifier downstream.
"""

from __future__ import annotations

from ._receipt import Receipt, ReceiptError, decode_receipt, verify_receipt
from ._sender_reply import MONEY_STREAM_ID

__all__ = ["ReceiptTracker"]


class ReceiptTracker:
    """The latest (greatest) receipt for stream 1, checked when the secret is known."""

    __slots__ = ("invalid", "latest", "nonce", "secret", "total", "verified")

    def __init__(self, *, nonce: bytes | None, secret: bytes | None) -> None:
        self.nonce = nonce
        self.secret = secret
        self.latest: bytes | None = None
        self.total: int | None = None
        self.verified = False
        self.invalid = 0

    def add(self, data: bytes) -> None:
        """Read one receipt from a Fulfill; keep it if valid and of a greater total."""
        try:
            receipt = self._read(data)
        except ReceiptError:
            self.invalid += 1
            return
        if self.total is None or receipt.total_received > self.total:
            self.latest = data
            self.total = receipt.total_received
            self.verified = self.secret is not None

    def _read(self, data: bytes) -> Receipt:
        if self.secret is None:
            return decode_receipt(data)
        receipt = verify_receipt(data, self.secret)
        if self.nonce is not None and receipt.nonce != self.nonce:
            raise ReceiptError("receipt is for another nonce")
        if receipt.stream_id != MONEY_STREAM_ID:
            raise ReceiptError("receipt is for another stream")
        return receipt
