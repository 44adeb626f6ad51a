"""STREAM cryptography (RFC 0029 §5.1 and §6): keys, the AES-256-GCM envelope, fulfillments.

Everything derives from the connection's shared secret with HMAC-SHA256:

- ``encryption_key = HMAC(shared_secret, "ilp_stream_encryption")``;
- the envelope carried in an ILP packet's ``data`` is ``IV(12) ‖ tag(16) ‖ ciphertext`` with
  an empty AAD.  The tag comes *before* the ciphertext, the reverse of what ``AESGCM``
  produces, so :func:`encrypt` and :func:`decrypt` move it;
- ``fulfillment = HMAC(HMAC(shared_secret, "ilp_stream_fulfillment"), data)`` over the whole
  encrypted ``data``, and ``condition = SHA-256(fulfillment)``.

Randomness is an argument: the caller passes the 12-byte IV (``secrets.token_bytes(12)``), so
these functions stay pure and the vectors with a fixed IV can be checked.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .._packet import MAX_DATA_BYTES
from ._errors import StreamDecryptError

__all__ = [
    "AUTH_TAG_BYTES",
    "ENVELOPE_OVERHEAD",
    "IV_BYTES",
    "MAX_PLAINTEXT_BYTES",
    "StreamCipher",
    "condition_for",
    "decrypt",
    "encrypt",
    "encryption_key",
    "fulfillment_for",
    "fulfillment_key",
    "fulfillment_with_key",
    "hmac_sha256",
]

#: Length of the AES-GCM nonce at the start of the envelope.
IV_BYTES: Final = 12
#: Length of the GCM authentication tag, right after the IV.
AUTH_TAG_BYTES: Final = 16
#: Bytes the envelope adds to the plaintext.
ENVELOPE_OVERHEAD: Final = IV_BYTES + AUTH_TAG_BYTES
#: Largest STREAM plaintext whose envelope fits in an ILP packet's data (32767 - 28).
MAX_PLAINTEXT_BYTES: Final = MAX_DATA_BYTES - ENVELOPE_OVERHEAD

_ENCRYPTION_KEY_STRING: Final = b"ilp_stream_encryption"
_FULFILLMENT_KEY_STRING: Final = b"ilp_stream_fulfillment"
_sha256 = hashlib.sha256


def hmac_sha256(key: bytes, message: bytes) -> bytes:
    """Return HMAC-SHA256(key, message), the one primitive every STREAM derivation uses."""
    return hmac.digest(key, message, "sha256")


def encryption_key(shared_secret: bytes) -> bytes:
    """Return the connection's AES-256-GCM key: HMAC(shared_secret, "ilp_stream_encryption")."""
    return hmac.digest(shared_secret, _ENCRYPTION_KEY_STRING, "sha256")


def fulfillment_key(shared_secret: bytes) -> bytes:
    """Return HMAC(shared_secret, "ilp_stream_fulfillment"), the key of every fulfillment."""
    return hmac.digest(shared_secret, _FULFILLMENT_KEY_STRING, "sha256")


def fulfillment_with_key(key: bytes, data: bytes) -> bytes:
    """Return HMAC(key, data): the fulfillment for ``data`` given :func:`fulfillment_key`."""
    return hmac.digest(key, data, "sha256")


def fulfillment_for(shared_secret: bytes, data: bytes) -> bytes:
    """Return the fulfillment of a Prepare whose (encrypted) ``data`` is given."""
    return hmac.digest(fulfillment_key(shared_secret), data, "sha256")


def condition_for(shared_secret: bytes, data: bytes) -> bytes:
    """Return the execution condition a sender puts on a fulfillable Prepare carrying ``data``."""
    return _sha256(fulfillment_for(shared_secret, data)).digest()


def encrypt(key: bytes, plaintext: bytes, *, iv: bytes) -> bytes:
    """Encrypt ``plaintext`` into the STREAM envelope ``iv ‖ tag ‖ ciphertext``.

    Args:
        key: the 32-byte :func:`encryption_key`.
        plaintext: a serialized STREAM packet.
        iv: 12 fresh random bytes; never reuse one with the same key.

    Raises:
        ValueError: the key is not 32 bytes or the IV not 12.
    """
    if len(key) != 32:
        raise ValueError(f"STREAM encryption key must be 32 bytes, not {len(key)}")
    if len(iv) != IV_BYTES:
        raise ValueError(f"STREAM IV must be {IV_BYTES} bytes, not {len(iv)}")
    sealed = AESGCM(key).encrypt(iv, plaintext, None)
    return iv + sealed[-AUTH_TAG_BYTES:] + sealed[:-AUTH_TAG_BYTES]


def decrypt(key: bytes, data: bytes) -> bytes:
    """Open a STREAM envelope ``iv ‖ tag ‖ ciphertext`` and return the plaintext.

    Raises:
        StreamDecryptError: ``data`` is shorter than 28 bytes, or it was not sealed with
            ``key`` (the tag does not verify).
        ValueError: the key is not 32 bytes (a caller bug, not bad input).
    """
    if len(key) != 32:
        raise ValueError(f"STREAM encryption key must be 32 bytes, not {len(key)}")
    if len(data) < ENVELOPE_OVERHEAD:
        raise StreamDecryptError(
            f"STREAM data of {len(data)} bytes is shorter than the {ENVELOPE_OVERHEAD}-byte "
            "envelope"
        )
    iv = data[:IV_BYTES]
    tag = data[IV_BYTES:ENVELOPE_OVERHEAD]
    try:
        return AESGCM(key).decrypt(iv, data[ENVELOPE_OVERHEAD:] + tag, None)
    except InvalidTag:
        raise StreamDecryptError(
            "STREAM data does not decrypt with this connection's key"
        ) from None


class StreamCipher:
    """One connection's keys, derived once: the envelope cipher and the fulfillment key.

    The same operations as the module functions, without re-deriving the keys (two HMACs
    and an AES key schedule) for every packet.  Holds secrets: its repr shows none.
    """

    __slots__ = ("_aead", "_fulfillment_key")

    def __init__(self, shared_secret: bytes) -> None:
        self._aead = AESGCM(encryption_key(shared_secret))
        self._fulfillment_key = fulfillment_key(shared_secret)

    def __repr__(self) -> str:
        return "StreamCipher(<secret>)"

    def encrypt(self, plaintext: bytes, *, iv: bytes) -> bytes:
        """Seal ``plaintext`` as ``iv ‖ tag ‖ ciphertext`` (see :func:`encrypt`)."""
        if len(iv) != IV_BYTES:
            raise ValueError(f"STREAM IV must be {IV_BYTES} bytes, not {len(iv)}")
        sealed = self._aead.encrypt(iv, plaintext, None)
        return iv + sealed[-AUTH_TAG_BYTES:] + sealed[:-AUTH_TAG_BYTES]

    def decrypt(self, data: bytes) -> bytes:
        """Open an envelope (see :func:`decrypt`).

        Raises:
            StreamDecryptError: too short, or not sealed with this connection's key.
        """
        if len(data) < ENVELOPE_OVERHEAD:
            raise StreamDecryptError(
                f"STREAM data of {len(data)} bytes is shorter than the {ENVELOPE_OVERHEAD}-byte "
                "envelope"
            )
        try:
            return self._aead.decrypt(
                data[:IV_BYTES], data[ENVELOPE_OVERHEAD:] + data[IV_BYTES:ENVELOPE_OVERHEAD], None
            )
        except InvalidTag:
            raise StreamDecryptError(
                "STREAM data does not decrypt with this connection's key"
            ) from None

    def fulfillment(self, data: bytes) -> bytes:
        """Return the fulfillment of a Prepare carrying ``data`` (see :func:`fulfillment_for`)."""
        return hmac.digest(self._fulfillment_key, data, "sha256")

    def condition(self, data: bytes) -> bytes:
        """Return the condition of a fulfillable Prepare carrying ``data``."""
        return _sha256(hmac.digest(self._fulfillment_key, data, "sha256")).digest()
