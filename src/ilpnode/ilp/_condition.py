"""Execution conditions and fulfillments (RFC 0027: condition = SHA-256(fulfillment)).

Peer protocols (IL-DCP RFC 0031, CCP, ``peer.settle``) use the all-zero fulfillment, whose
condition is ``66687aad…2925``.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Final

__all__ = [
    "PEER_PROTOCOL_CONDITION",
    "PEER_PROTOCOL_FULFILLMENT",
    "condition_of",
    "fulfillment_matches",
]

#: Fulfillment of every peer-protocol Prepare (IL-DCP, CCP, peer.settle): 32 zero bytes.
PEER_PROTOCOL_FULFILLMENT: Final = bytes(32)
#: SHA-256 of :data:`PEER_PROTOCOL_FULFILLMENT`.
PEER_PROTOCOL_CONDITION: Final = bytes.fromhex(
    "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925"
)

_sha256: Final = hashlib.sha256
_compare_digest: Final = hmac.compare_digest


def condition_of(fulfillment: bytes) -> bytes:
    """Return the execution condition for ``fulfillment``: its SHA-256 digest (32 bytes)."""
    return _sha256(fulfillment).digest()


def fulfillment_matches(fulfillment: bytes, condition: bytes) -> bool:
    """Return True if ``sha256(fulfillment) == condition``, compared in constant time.

    A connector checks this for every Fulfill and turns a mismatch into an F05 Reject.
    """
    return _compare_digest(_sha256(fulfillment).digest(), condition)
