"""ilpnode.ilp.stream: STREAM (RFC 0029), sans-IO.

- Connection credentials in the format of Rafiki's ``@interledger/stream-receiver``: a
  server hands out :func:`new_connection` credentials and recognises them again from a
  Prepare's destination with :func:`open_connection`, keeping no per-connection state.
- The STREAM crypto: :func:`encryption_key`, :func:`encrypt` / :func:`decrypt` (the
  ``IV ‖ tag ‖ ciphertext`` envelope), :func:`fulfillment_for` and :func:`condition_for`.

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
    condition_for,
    decrypt,
    encrypt,
    encryption_key,
    fulfillment_for,
    fulfillment_key,
    fulfillment_with_key,
)
from ._errors import StreamCodecError, StreamDecryptError

__all__ = [
    "AUTH_TAG_BYTES",
    "ENVELOPE_OVERHEAD",
    "IV_BYTES",
    "MAX_PLAINTEXT_BYTES",
    "RECEIPT_NONCE_BYTES",
    "RECEIPT_SECRET_BYTES",
    "SERVER_SECRET_BYTES",
    "ConnectionToken",
    "StreamCodecError",
    "StreamCredentials",
    "StreamDecryptError",
    "condition_for",
    "decrypt",
    "encrypt",
    "encryption_key",
    "fulfillment_for",
    "fulfillment_key",
    "fulfillment_with_key",
    "new_connection",
    "open_connection",
]
