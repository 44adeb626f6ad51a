"""Base64 as secrets and nonces arrive in settings and HTTP headers: either alphabet."""

from __future__ import annotations

import base64
import binascii

__all__ = ["decode_base64"]


def decode_base64(text: str, *, max_length: int) -> bytes | None:
    """The bytes of `text` in base64, standard or URL-safe alphabet, padding optional (Node's
    `Buffer.from(text, 'base64')` reads both, so Rafiki's clients may send either), or None if it
    is not base64 or is longer than `max_length` characters (checked before decoding)."""
    compact = text.strip()
    if not compact or len(compact) > max_length:
        return None
    padded = compact + "=" * (-len(compact) % 4)
    alphabet = b"-_" if ("-" in compact or "_" in compact) else None
    try:
        return base64.b64decode(padded, altchars=alphabet, validate=True)
    except (binascii.Error, ValueError):
        return None
