"""A minimal STREAM sender built from our own codec, to drive the receiver in tests."""

from __future__ import annotations

import hashlib
import itertools
from typing import Protocol

from ilpnode.ilp.stream import (
    Frame,
    StreamCipher,
    StreamPacket,
    decode_stream_packet,
    encode_stream_packet,
)

PREPARE, FULFILL, REJECT = 12, 13, 14


class HasData(Protocol):
    """A decision, an ILP Fulfill or an ILP Reject: whatever carries the reply."""

    @property
    def data(self) -> bytes: ...


class Sender:
    """Builds encrypted Prepare data the way ilp-protocol-stream does, and reads replies."""

    def __init__(self, shared_secret: bytes) -> None:
        self.cipher = StreamCipher(shared_secret)
        self.sequence = 0
        self._ivs = (
            hashlib.sha256(bytes([i % 256, i // 256])).digest()[:12] for i in itertools.count()
        )

    def iv(self) -> bytes:
        """A fresh IV (deterministic, distinct: tests need no randomness)."""
        return next(self._ivs)

    def prepare(
        self,
        *frames: Frame,
        min_amount: int = 0,
        fulfillable: bool = True,
        ilp_packet_type: int = PREPARE,
    ) -> tuple[bytes, bytes]:
        """Return ``(data, condition)`` of a Prepare carrying ``frames``."""
        self.sequence += 1
        packet = StreamPacket(
            sequence=self.sequence,
            ilp_packet_type=ilp_packet_type,
            prepare_amount=min_amount,
            frames=frames,
        )
        data = self.cipher.encrypt(encode_stream_packet(packet), iv=self.iv())
        condition = self.cipher.condition(data) if fulfillable else bytes(range(32))
        return data, condition

    def read(self, reply: HasData) -> StreamPacket:
        """Decrypt and decode the receiver's reply."""
        return decode_stream_packet(self.cipher.decrypt(reply.data))
