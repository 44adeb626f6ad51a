"""The STREAM server secret: the key of every STREAM connection the node's wallet addresses
accept (protocols §4.1).

Why one long-lived secret: a connection's token and shared secret are derived from it (the SPSP
server derives them when it hands out credentials; the receiver derives them again from each
packet's destination address), so the node keeps no per-connection state it could lose. Every
process of a node must use the same secret, and it must survive restarts, or the connections
handed out before would no longer decrypt.

Where it comes from: `STREAM_SECRET` (Rafiki's setting: 32 bytes, base64) when set; otherwise 32
random bytes generated the first time any process of the node starts and kept in its database
(`SecretStore`), so all processes on one database agree on it. [quirk fixed] Rafiki generates a
new random secret at every start when STREAM_SECRET is unset, which breaks every open connection.

Changing STREAM_SECRET invalidates every connection handed out before (a payment in progress
fails; the sender resolves the wallet address again). Never log the secret.
"""

from __future__ import annotations

import base64
import secrets
from typing import Final

from ilpnode.services.payments.encoding import decode_base64
from ilpnode.services.payments.ports import SecretStore

__all__ = ["STREAM_SECRET_LENGTH", "STREAM_SECRET_NAME", "StreamSecret", "load_stream_secret"]

STREAM_SECRET_LENGTH: Final = 32
"""Bytes: an AES-256 and HMAC-SHA256 key (Rafiki's, and ilp-protocol-stream's)."""

STREAM_SECRET_NAME: Final = "stream_secret"
"""The name of the generated secret in the `SecretStore`."""

_SECRET_TEXT_LENGTH_MAX: Final = 1024  # far beyond 44 characters: a pasted key, not a file


class StreamSecret:
    """The node's STREAM server secret (see the module docstring). `source` says where it came
    from: "STREAM_SECRET" or "database"."""

    __slots__ = ("_value", "source")

    def __init__(self, value: bytes, *, source: str) -> None:
        if len(value) != STREAM_SECRET_LENGTH:
            raise ValueError(f"a STREAM secret is {STREAM_SECRET_LENGTH} bytes, not {len(value)}")
        self._value = bytes(value)
        self.source = source

    @property
    def value(self) -> bytes:
        """The 32 bytes: the `server_secret` of `ilp.stream.new_connection`/`open_connection`."""
        return self._value

    def __repr__(self) -> str:
        return f"StreamSecret(<{STREAM_SECRET_LENGTH} bytes>, source={self.source!r})"

    @staticmethod
    def decode(text: str) -> bytes:
        """The bytes of a STREAM_SECRET value: base64 (standard or URL-safe alphabet, padding
        optional) of exactly 32 bytes.

        Raises:
            ValueError: not base64, or not 32 bytes (the message never repeats the value).
        """
        value = decode_base64(text, max_length=_SECRET_TEXT_LENGTH_MAX)
        if value is None:
            raise ValueError("is not base64")
        if len(value) != STREAM_SECRET_LENGTH:
            raise ValueError(
                f"must be {STREAM_SECRET_LENGTH} bytes, base64-encoded (it is {len(value)}); "
                "make one with: openssl rand -base64 32"
            )
        return value


async def load_stream_secret(*, configured: bytes | None, store: SecretStore) -> StreamSecret:
    """The secret to use: `configured` (STREAM_SECRET) if given, else the one in the database,
    generated and stored now if there is none yet.

    Raises:
        Only on infrastructure faults (the database).
    """
    if configured is not None:
        return StreamSecret(configured, source="STREAM_SECRET")
    candidate = base64.b64encode(secrets.token_bytes(STREAM_SECRET_LENGTH)).decode("ascii")
    stored = await store.keep_first(STREAM_SECRET_NAME, candidate)
    return StreamSecret(base64.b64decode(stored), source="database")
