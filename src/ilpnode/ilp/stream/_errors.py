"""Exceptions raised by the STREAM layer (RFC 0029).

Decoding follows the ILP codec's h11 split: ``decode_stream_packet`` and ``decode_frame``
raise only :class:`StreamCodecError` for *any* input bytes (the fuzz invariant);
:func:`~ilpnode.ilp.stream.decrypt` raises only :class:`StreamDecryptError`.  Both are
``ValueError`` subclasses, so ``except ValueError`` catches everything bad input can cause.
"""

from __future__ import annotations

from .._errors import IlpCodecError

__all__ = ["StreamCodecError", "StreamDecryptError"]


class StreamCodecError(IlpCodecError):
    """The bytes are not a valid (plaintext) STREAM packet or frame (RFC 0029 §5)."""


class StreamDecryptError(ValueError):
    """The data is not an AES-256-GCM envelope made with this key (too short, or the tag fails).

    A receiver answers such a Prepare with F06: it is not for this connection.
    """
