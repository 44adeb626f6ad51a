"""Stateless STREAM (RFC 0029) connection credentials, as Rafiki's stream-receiver makes them.

A server that hands out connections (SPSP, Open Payments) keeps no per-connection state: the
connection's details travel, encrypted, in the last segment of its ILP address.

- ``token_key = HMAC(server_secret, "ilp_stream_connection_token")``;
- ``token = AES-256-GCM(token_key, plaintext)`` as ``IV(12) ‖ tag(16) ‖ ciphertext``, where
  ``plaintext = flags:u8 ‖ [paymentTag:VarOctetString] ‖ [receiptNonce(16) ‖
  receiptSecret(32)] ‖ [assetCode:VarOctetString(UTF-8) ‖ assetScale:u8]``, each part present
  when its flag bit is set (1 payment tag, 2 receipts, 4 asset details);
- ``shared_secret = HMAC(HMAC(server_secret, "ilp_stream_shared_secret"), token)``;
- ``destination_account = base_address + "." + base64url(token)`` (no padding).

So any node with the same server secret and base address can recognise the connection and
re-derive its shared secret from a Prepare's destination alone.  The token's GCM tag
authenticates it: a forged or damaged segment is simply no connection of ours.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .._address import is_valid_address, parse_address
from .._errors import IlpCodecError
from .._oer import Reader, Writer
from ._crypto import AUTH_TAG_BYTES, ENVELOPE_OVERHEAD, IV_BYTES, hmac_sha256

__all__ = [
    "RECEIPT_NONCE_BYTES",
    "RECEIPT_SECRET_BYTES",
    "SERVER_SECRET_BYTES",
    "ConnectionToken",
    "StreamCredentials",
    "new_connection",
    "open_connection",
]

#: Length of a server secret (stream-receiver refuses any other).
SERVER_SECRET_BYTES: Final = 32
#: Length of an RFC 0039 receipt nonce.
RECEIPT_NONCE_BYTES: Final = 16
#: Length of an RFC 0039 receipt secret.
RECEIPT_SECRET_BYTES: Final = 32

_TOKEN_KEY_STRING: Final = b"ilp_stream_connection_token"
_SHARED_SECRET_KEY_STRING: Final = b"ilp_stream_shared_secret"
_FLAG_PAYMENT_TAG: Final = 1
_FLAG_RECEIPTS: Final = 2
_FLAG_ASSET: Final = 4
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+").fullmatch


@dataclass(frozen=True, slots=True)
class StreamCredentials:
    """What a client needs to open a STREAM connection: where to send, and the shared secret."""

    destination_account: str
    shared_secret: bytes

    def __repr__(self) -> str:
        # The shared secret is a credential: keep it out of logs and tracebacks.
        return f"StreamCredentials(destination_account={self.destination_account!r})"


@dataclass(frozen=True, slots=True, kw_only=True)
class ConnectionToken:
    """A connection recognised from a Prepare's destination (see :func:`open_connection`).

    ``token`` is the address segment itself (base64url), a stable key for the connection's
    state.  ``receipt_nonce`` and ``receipt_secret`` are both set or both ``None``, and so
    are ``asset_code`` and ``asset_scale``.
    """

    token: str
    shared_secret: bytes
    payment_tag: bytes
    receipt_nonce: bytes | None = None
    receipt_secret: bytes | None = None
    asset_code: str | None = None
    asset_scale: int | None = None

    @property
    def receipts_enabled(self) -> bool:
        """True when the connection's Fulfills must carry RFC 0039 receipts."""
        return self.receipt_secret is not None

    def __repr__(self) -> str:
        return (
            f"ConnectionToken(token={self.token!r}, payment_tag={self.payment_tag!r}, "
            f"receipts_enabled={self.receipts_enabled}, asset_code={self.asset_code!r}, "
            f"asset_scale={self.asset_scale!r})"
        )


def _check_server_secret(server_secret: bytes) -> None:
    if len(server_secret) != SERVER_SECRET_BYTES:
        raise ValueError(
            f"server secret must be {SERVER_SECRET_BYTES} bytes, not {len(server_secret)}"
        )


def new_connection(
    server_secret: bytes,
    base_address: str,
    *,
    payment_tag: bytes,
    nonce: bytes,
    receipt_nonce: bytes | None = None,
    receipt_secret: bytes | None = None,
    asset_code: str | None = None,
    asset_scale: int | None = None,
) -> StreamCredentials:
    """Make the credentials of a new connection, keeping no state.

    Args:
        server_secret: the node's 32-byte STREAM server secret.
        base_address: the ILP address under which connections live (e.g. the node's address
            plus a segment for the receiver).
        payment_tag: what the connection pays into (Rafiki: the wallet address or incoming
            payment id, ASCII); empty means none.
        nonce: 12 fresh random bytes (``secrets.token_bytes(12)``), the token's GCM IV.
        receipt_nonce, receipt_secret: RFC 0039 receipt setup (16 and 32 bytes), both or
            neither (SPSP's ``Receipt-Nonce`` / ``Receipt-Secret`` headers).
        asset_code, asset_scale: the receiver's asset, both or neither; the receiver then
            tells a new client its asset (``ConnectionAssetDetails``).

    Raises:
        ValueError: a secret, nonce or scale of the wrong size, only one of a pair, an
            invalid ``base_address``, or an address that would exceed 1023 characters.
    """
    _check_server_secret(server_secret)
    parse_address(base_address)
    if len(nonce) != IV_BYTES:
        raise ValueError(f"nonce must be {IV_BYTES} bytes, not {len(nonce)}")
    if (receipt_nonce is None) != (receipt_secret is None):
        raise ValueError("receipt_nonce and receipt_secret go together: give both or neither")
    if (asset_code is None) != (asset_scale is None):
        raise ValueError("asset_code and asset_scale go together: give both or neither")
    receipts = receipt_nonce is not None and receipt_secret is not None
    if receipts and len(receipt_nonce or b"") != RECEIPT_NONCE_BYTES:
        raise ValueError(f"receipt nonce must be {RECEIPT_NONCE_BYTES} bytes")
    if receipts and len(receipt_secret or b"") != RECEIPT_SECRET_BYTES:
        raise ValueError(f"receipt secret must be {RECEIPT_SECRET_BYTES} bytes")
    if asset_scale is not None and not 0 <= asset_scale <= 255:
        raise ValueError(f"asset scale {asset_scale} is outside 0..255")
    w = Writer()
    w.write_uint8(
        (_FLAG_PAYMENT_TAG if payment_tag else 0)
        | (_FLAG_RECEIPTS if receipts else 0)
        | (_FLAG_ASSET if asset_code is not None else 0)
    )
    if payment_tag:
        w.write_var_octets(payment_tag)
    if receipt_nonce is not None and receipt_secret is not None:
        w.write_bytes(receipt_nonce)
        w.write_bytes(receipt_secret)
    if asset_code is not None and asset_scale is not None:
        w.write_var_octets(asset_code.encode("utf-8"))
        w.write_uint8(asset_scale)
    plaintext = w.getvalue()
    token_key = hmac_sha256(server_secret, _TOKEN_KEY_STRING)
    sealed = AESGCM(token_key).encrypt(nonce, plaintext, None)
    token = nonce + sealed[-AUTH_TAG_BYTES:] + sealed[:-AUTH_TAG_BYTES]
    destination = f"{base_address}.{_b64url(token)}"
    if not is_valid_address(destination):
        raise ValueError(
            f"the connection's address would be {len(destination)} characters, over the "
            "1023 an ILP address may have: shorten the base address or the payment tag"
        )
    shared_secret = hmac_sha256(hmac_sha256(server_secret, _SHARED_SECRET_KEY_STRING), token)
    return StreamCredentials(destination_account=destination, shared_secret=shared_secret)


def open_connection(
    server_secret: bytes, destination: str, base_address: str
) -> ConnectionToken | None:
    """Recognise the connection a Prepare's ``destination`` names, or return ``None``.

    ``destination`` must be ``<base_address>.<token>`` optionally followed by more segments
    (stream-receiver ignores them).  ``None`` when it is not under ``base_address``, the
    token is not canonical base64url, does not decrypt with this server secret, or its
    plaintext is malformed: for a receiver all of these mean "no such connection".

    Raises:
        ValueError: ``server_secret`` is not 32 bytes (a configuration bug).
    """
    _check_server_secret(server_secret)
    prefix_len = len(base_address) + 1
    if (
        len(destination) <= prefix_len
        or destination[prefix_len - 1] != "."
        or not destination.startswith(base_address)
    ):
        return None
    segment = destination[prefix_len:].partition(".")[0]
    token = _b64url_decode(segment)
    if token is None or len(token) < ENVELOPE_OVERHEAD:
        return None
    token_key = hmac_sha256(server_secret, _TOKEN_KEY_STRING)
    try:
        plaintext = AESGCM(token_key).decrypt(
            token[:IV_BYTES], token[ENVELOPE_OVERHEAD:] + token[IV_BYTES:ENVELOPE_OVERHEAD], None
        )
    except InvalidTag:
        return None
    shared_secret = hmac_sha256(hmac_sha256(server_secret, _SHARED_SECRET_KEY_STRING), token)
    return _parse_plaintext(plaintext, segment, shared_secret)


def _parse_plaintext(
    plaintext: bytes, segment: str, shared_secret: bytes
) -> ConnectionToken | None:
    """Read the token's plaintext; ``None`` if malformed.

    Bytes after the last part are ignored, as stream-receiver does.
    """
    try:
        r = Reader(plaintext)
        flags = r.read_uint8()
        payment_tag = r.read_var_octets() if flags & _FLAG_PAYMENT_TAG else b""
        receipt_nonce = receipt_secret = None
        if flags & _FLAG_RECEIPTS:
            receipt_nonce = r.read_bytes(RECEIPT_NONCE_BYTES)
            receipt_secret = r.read_bytes(RECEIPT_SECRET_BYTES)
        asset_code = None
        asset_scale = None
        if flags & _FLAG_ASSET:
            asset_code = r.read_var_octets().decode("utf-8")
            asset_scale = r.read_uint8()
    except (IlpCodecError, UnicodeDecodeError):
        return None
    return ConnectionToken(
        token=segment,
        shared_secret=shared_secret,
        payment_tag=payment_tag,
        receipt_nonce=receipt_nonce,
        receipt_secret=receipt_secret,
        asset_code=asset_code,
        asset_scale=asset_scale,
    )


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64url_decode(segment: str) -> bytes | None:
    """Decode unpadded base64url; ``None`` unless ``segment`` is its canonical encoding (so one
    connection has exactly one address, and one key for its state)."""
    if _BASE64URL(segment) is None or len(segment) % 4 == 1:
        return None
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        return None
    return raw if _b64url(raw) == segment else None
