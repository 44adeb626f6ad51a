"""What the STREAM receiver (RFC 0029) answers a Prepare with, and the limits it keeps.

:class:`FulfillDecision` and :class:`RejectDecision` are plain values the caller turns into
an ILP Fulfill or Reject; :class:`ReceiverLimits` bounds what one connection may hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, TypeAlias

from .._codes import IlpErrorCode
from .._oer import MAX_UINT64

__all__ = [
    "DEFAULT_LIMITS",
    "MAX_PACKETS_PER_CONNECTION",
    "Decision",
    "FulfillDecision",
    "ReceiverLimits",
    "RejectDecision",
]

#: RFC 0029 §5.1.3: a connection closes once 2**31 packets were sent with its key (AES-GCM
#: with random 96-bit IVs stays safe below that).
MAX_PACKETS_PER_CONNECTION: Final = 2**31


@dataclass(frozen=True, slots=True, kw_only=True)
class ReceiverLimits:
    """Bounds of one receiving connection.

    The data windows are the ones ilp-protocol-stream assumes of a peer before it hears
    otherwise (16 384 bytes per stream, 65 534 per connection), so its clients never exceed
    them; received data is acknowledged and dropped (this receiver takes money, not data), so
    the windows slide forward as data arrives.

    Attributes:
        max_concurrent_streams: open client streams at once; the advertised max stream id
            starts at twice this (ilp-protocol-stream's default, 10, gives 20) and grows by
            2 whenever the client closes a stream.
        max_streams: distinct streams a connection may ever have; the max stream id never
            grows past ``2 * max_streams``, which bounds the connection's state.
        stream_receive_max: the most one stream may receive, in the receiver's units
            (advertised as StreamMaxMoney.receive_max).
        stream_data_window: data bytes a stream may send beyond what it has sent.
        connection_data_window: the same for the whole connection.
        max_packets: Prepares a connection answers before it closes (RFC 0029 §5.1.3).
    """

    max_concurrent_streams: int = 10
    max_streams: int = 256
    stream_receive_max: int = MAX_UINT64
    stream_data_window: int = 16_384
    connection_data_window: int = 65_534
    max_packets: int = MAX_PACKETS_PER_CONNECTION

    def __post_init__(self) -> None:
        if not 1 <= self.max_concurrent_streams <= self.max_streams:
            raise ValueError("need 1 <= max_concurrent_streams <= max_streams")
        if self.max_streams > 2**62:
            raise ValueError("max_streams is absurdly large")
        if not 0 <= self.stream_receive_max <= MAX_UINT64:
            raise ValueError("stream_receive_max must be in 0..2**64-1")
        if self.stream_data_window < 0 or self.connection_data_window < 0:
            raise ValueError("data windows must not be negative")
        if not 1 <= self.max_packets <= MAX_PACKETS_PER_CONNECTION:
            raise ValueError(f"max_packets must be in 1..{MAX_PACKETS_PER_CONNECTION}")


#: The limits used when none are given.
DEFAULT_LIMITS: Final = ReceiverLimits()


@dataclass(frozen=True, slots=True, kw_only=True)
class FulfillDecision:
    """Fulfill the Prepare: the money is the receiver's once the caller posts it.

    Attributes:
        fulfillment: the 32-byte preimage of the Prepare's condition.
        data: the encrypted STREAM reply for the Fulfill's data.
        amount: what the caller credits: the Prepare's (arrived) amount, all of it.
        stream_amounts: ``(stream id, amount)`` per stream, ascending ids; they sum to
            ``amount``.  The connection's state already counts them:
            :meth:`ReceiverConnection.undo` takes them back if booking fails.
        sequence: the STREAM sequence the reply echoes (for logs).
    """

    fulfillment: bytes
    data: bytes
    amount: int
    stream_amounts: tuple[tuple[int, int], ...]
    sequence: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RejectDecision:
    """Reject the Prepare; nothing was credited.

    ``code`` is F06 (not for this connection: no reply the sender could read, ``data`` is
    empty) or F99 (an application error with the encrypted STREAM reply in ``data``, which
    tells the sender what arrived and why).  ``message`` is for the Reject's message field.
    """

    code: IlpErrorCode
    message: str
    data: bytes = b""


Decision: TypeAlias = FulfillDecision | RejectDecision
