"""SPSP (RFC 0009) for the wallet addresses this node hosts: fresh STREAM credentials per request,
and the wallet address's public description (protocols §4.5; Rafiki's `spsp/routes.ts` and its
Open Payments wallet address route).

`SpspServer` decides; `ilpnode.admin.spsp` is its HTTP face on OPEN_PAYMENTS_PORT. Everything it
reads is in memory (the `WalletAddressDirectory` and the `StreamSecret`): no database read per
request, and the process that hands out a connection recognises its packets at once.

Credentials: `ilp.stream.new_connection` under this node's ILP address, with the wallet address's
id (16 bytes) as the payment tag and its asset in the token (as Rafiki: the receiver tells a new
sender the asset). Each request gets a new connection (a fresh 12-byte nonce); the node keeps no
per-connection state, so a restart loses nothing. `Receipt-Nonce` (16 bytes) and `Receipt-Secret`
(32 bytes), base64, must come together; the connection then carries RFC 0039 receipts.

Unknown and inactive wallet addresses look alike to the outside (404, RFC 0009's
InvalidReceiverError): a payer learns nothing about a wallet address that was deactivated.
"""

from __future__ import annotations

import base64
import enum
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from ilpnode.hosted_wallets import HostedWalletAddress
from ilpnode.ilp.stream import (
    IV_BYTES,
    RECEIPT_NONCE_BYTES,
    RECEIPT_SECRET_BYTES,
    new_connection,
)
from ilpnode.services.payments.directory import WalletAddressDirectory
from ilpnode.services.payments.encoding import decode_base64
from ilpnode.services.payments.stream_secret import StreamSecret
from ilpnode.services.payments.urls import URL_LENGTH_MAX, OpenPaymentsUrls

__all__ = ["SPSP_CONTENT_TYPE", "SpspCredentials", "SpspFailure", "SpspServer"]

SPSP_CONTENT_TYPE: Final = "application/spsp4+json"
"""RFC 0009's media type (SPSP version 4), in the Accept and Content-Type headers."""

# A receipt header holds 16 or 32 bytes in base64: 24 or 44 characters. Anything much longer is
# not one, and is refused before decoding.
_RECEIPT_HEADER_LENGTH_MAX: Final = 64


class SpspFailure(enum.Enum):
    """Why an SPSP request gets no answer; `status`, `error_id` and `message` are the HTTP
    answer's."""

    UnknownWalletAddress = "UnknownWalletAddress"
    ReceiptHeadersApart = "ReceiptHeadersApart"
    InvalidReceiptNonce = "InvalidReceiptNonce"
    InvalidReceiptSecret = "InvalidReceiptSecret"

    @property
    def status(self) -> int:
        return 404 if self is SpspFailure.UnknownWalletAddress else 400

    @property
    def error_id(self) -> str:
        """The RFC 0009 error `id`."""
        if self is SpspFailure.UnknownWalletAddress:
            return "InvalidReceiverError"
        return "InvalidRequestError"

    @property
    def message(self) -> str:
        return _MESSAGES[self]


_MESSAGES: Final = {
    # Rafiki's messages where it has one.
    SpspFailure.UnknownWalletAddress: "Could not get wallet address",
    SpspFailure.ReceiptHeadersApart: (
        "Failed to generate credentials: receipt nonce and secret must accompany each other"
    ),
    SpspFailure.InvalidReceiptNonce: (
        f"Failed to generate credentials: Receipt-Nonce must be {RECEIPT_NONCE_BYTES} bytes, base64"
    ),
    SpspFailure.InvalidReceiptSecret: (
        f"Failed to generate credentials: Receipt-Secret must be {RECEIPT_SECRET_BYTES} bytes, "
        "base64"
    ),
}


@dataclass(frozen=True, slots=True)
class SpspCredentials:
    """The SPSP answer. `shared_secret` is a credential: never log it."""

    destination_account: str
    shared_secret: bytes
    receipts_enabled: bool

    def json(self) -> dict[str, Any]:
        """The response body: the shared secret in unpadded base64url, as Rafiki sends it
        (RFC 0009 clients accept base64 and base64url)."""
        return {
            "destination_account": self.destination_account,
            "shared_secret": base64.urlsafe_b64encode(self.shared_secret).rstrip(b"=").decode(),
            "receipts_enabled": self.receipts_enabled,
        }

    def __repr__(self) -> str:
        return (
            f"SpspCredentials(destination_account={self.destination_account!r}, "
            f"receipts_enabled={self.receipts_enabled})"
        )


class SpspServer:
    """Answers SPSP and wallet address lookups from memory (see the module docstring)."""

    def __init__(
        self,
        *,
        directory: WalletAddressDirectory,
        secret: StreamSecret,
        urls: OpenPaymentsUrls,
        ilp_address: str,
        nonce: Callable[[int], bytes] = secrets.token_bytes,
    ) -> None:
        self._directory = directory
        self._secret = secret
        self._urls = urls
        self._ilp_address = ilp_address
        self._nonce = nonce

    def wallet_address(self, path: str) -> HostedWalletAddress | None:
        """The active wallet address a request for `path` names, or None (unknown, inactive,
        or a path no wallet address can have)."""
        if len(path) > URL_LENGTH_MAX:
            return None
        found = self._directory.by_url(self._urls.url_for_path(path))
        return found if found is not None and found.active else None

    def credentials(
        self, path: str, *, receipt_nonce: str | None, receipt_secret: str | None
    ) -> SpspCredentials | SpspFailure:
        """A new STREAM connection to the wallet address at `path`.

        Args:
            path: the request's path.
            receipt_nonce, receipt_secret: the `Receipt-Nonce`/`Receipt-Secret` headers, or
                None when absent.

        Returns:
            The credentials, or UnknownWalletAddress (404), ReceiptHeadersApart,
            InvalidReceiptNonce, InvalidReceiptSecret (400). Never raises for any input.
        """
        if (receipt_nonce is None) != (receipt_secret is None):
            return SpspFailure.ReceiptHeadersApart
        wallet_address = self.wallet_address(path)
        if wallet_address is None:
            return SpspFailure.UnknownWalletAddress
        nonce = secret = None
        if receipt_nonce is not None and receipt_secret is not None:
            nonce = _base64(receipt_nonce, RECEIPT_NONCE_BYTES)
            if nonce is None:
                return SpspFailure.InvalidReceiptNonce
            secret = _base64(receipt_secret, RECEIPT_SECRET_BYTES)
            if secret is None:
                return SpspFailure.InvalidReceiptSecret
        credentials = new_connection(
            self._secret.value,
            self._ilp_address,
            payment_tag=wallet_address.payment_tag,
            nonce=self._nonce(IV_BYTES),
            receipt_nonce=nonce,
            receipt_secret=secret,
            asset_code=wallet_address.asset_code,
            asset_scale=wallet_address.asset_scale,
        )
        return SpspCredentials(
            destination_account=credentials.destination_account,
            shared_secret=credentials.shared_secret,
            receipts_enabled=nonce is not None,
        )

    def description(self, path: str) -> dict[str, Any] | SpspFailure:
        """The public description of the wallet address at `path` (Open Payments' wallet
        address fields that apply: `id` (its URL), `publicName` when it has one, `assetCode`,
        `assetScale`), or UnknownWalletAddress."""
        wallet_address = self.wallet_address(path)
        if wallet_address is None:
            return SpspFailure.UnknownWalletAddress
        body: dict[str, Any] = {"id": wallet_address.url}
        if wallet_address.public_name is not None:
            body["publicName"] = wallet_address.public_name
        body["assetCode"] = wallet_address.asset_code
        body["assetScale"] = wallet_address.asset_scale
        return body


def _base64(text: str, length: int) -> bytes | None:
    """`text` as base64 of exactly `length` bytes, or None."""
    value = decode_base64(text, max_length=_RECEIPT_HEADER_LENGTH_MAX)
    return value if value is not None and len(value) == length else None
