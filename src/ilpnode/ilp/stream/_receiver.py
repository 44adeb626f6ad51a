"""The receiving side of a STREAM connection (RFC 0029) as a sans-IO state machine.

Theory of operation
-------------------
A :class:`ReceiverConnection` holds what a receiver must remember about one connection: its
keys, its streams (money received, data offsets, closed or not), the advertised max stream
id, the packet count, and whether the connection is closed.  The caller owns it (see
:class:`~ilpnode.ilp.stream.ReceiverConnections`) and feeds it each Prepare addressed to the
connection with :meth:`~ReceiverConnection.decide`.  ``decide`` never raises for anything the
sender controls; it returns a :class:`FulfillDecision` or a :class:`RejectDecision`:

1. **Not for us → F06**, no data: the data does not decrypt with the connection's key, is
   not a STREAM packet, or says it travels in something other than a Prepare.  Nothing
   changes, not even the packet count.
2. **Closed → F99** with ``ConnectionClose``: the connection was closed before (by the
   sender, by a protocol error, or after ``max_packets``).
3. **The sender closes → F99** with ``ConnectionClose(NoError)``: a ``ConnectionClose`` frame
   closes the connection; money in that packet is refused (as Rafiki's receiver does).
4. **Fatal errors close the connection → F99** with ``ConnectionClose(code)``: a new stream
   with an even id (ProtocolViolation), a stream id above the advertised maximum
   (StreamIdError), data beyond a stream's or the connection's window (FlowControlError).
5. **F99 with the STREAM reply**, the connection stays open:

   - money or data for a stream that is closed (``StreamClose(StreamStateError)``);
   - the amount is below the packet's ``prepareAmount``, the sender's minimum;
   - the condition is not ours: an unfulfillable probe.  ilp-protocol-stream 2.7 and
     ``@interledger/pay`` probe the exchange rate with such packets and read the amount that
     arrived from this reply, so the reply is always there;
   - money with no ``StreamMoney`` shares to put it on;
   - a stream would exceed its ``receive_max`` (the reply carries ``StreamMaxMoney``), or the
     connection's total would exceed 2**64-1.

6. **Otherwise Fulfill.**  The amount is split across the packet's ``StreamMoney`` frames by
   shares (:func:`split_amount`), new streams are opened, ``StreamClose`` frames close their
   streams (the reply echoes the close once, and the max stream id grows by 2), data
   windows slide, and the reply carries ``ConnectionMaxData``, ``ConnectionMaxStreamId``,
   ``StreamMaxMoney`` and ``StreamMaxData`` for every open stream, echoed ``StreamClose``
   frames, and, when receipts are enabled, a ``StreamReceipt`` with the cumulative total of
   each stream that had money in the packet.  A 0-amount packet is fulfilled too, so its
   frames are acknowledged.

Every encrypted reply has ``prepareAmount`` = the amount that arrived, and echoes the
request's sequence.  A ``ConnectionNewAddress`` frame (``@interledger/pay`` sends an empty
one to ask) adds ``ConnectionMaxStreamId`` and the receiver's ``ConnectionAssetDetails`` to
any encrypted reply, Fulfill or Reject.

Frames in a rejected packet are not acknowledged (RFC 0029: a Reject NACKs them; the sender
sends them again), so a rejection changes no stream: only the closes of steps 2-4 stick.

**Deciding before the ledger.**  The connector asks the receiver first and books the money
after (``connector/middleware/stream_receiver.py``): decide, then reserve the amount from the
paying peer, then post it to the wallet address before the Fulfill goes back.  So a packet the
receiver rejects reserves nothing, and a probe of any size gets its F99 (a reservation first
would answer T04 beyond the peer's liquidity).  ``decide`` counts a fulfilled packet's money at
once, so that packets decided while the first is being booked see the right totals and limits;
if the booking then fails (the reservation: T04; the post: T00; a cancellation),
:meth:`~ReceiverConnection.undo` takes exactly that money back out of the totals, and the sender
gets that failure instead of the Fulfill.  Nothing else is undone: opened streams, closes and
data offsets are what the sender meant, and it resends on T04/T00.  A receipt given to a packet
decided between the two may have counted money that was then undone; the total of later
receipts drops back, and verifiers credit only increases.

Everything is pure: no I/O, no clock, no randomness (the caller passes each reply's IV).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from .._codes import IlpErrorCode
from .._oer import MAX_UINT64
from .._wire import TYPE_PREPARE
from ._credentials import ConnectionToken
from ._crypto import IV_BYTES, StreamCipher
from ._decide import Decider, StreamState
from ._decisions import DEFAULT_LIMITS, Decision, FulfillDecision, ReceiverLimits, RejectDecision
from ._errors import StreamCodecError, StreamDecryptError
from ._frames import ConnectionAssetDetails, StreamErrorCode
from ._packet import decode_stream_packet

__all__ = ["ReceiverConnection", "StreamTotals"]

_F06 = IlpErrorCode.F06_UNEXPECTED_PAYMENT

#: Stream id → money counted on the stream.
StreamTotals = Mapping[int, int]


class ReceiverConnection:
    """State of one STREAM connection on the receiving side (see the module docstring).

    Args:
        shared_secret: the connection's shared secret.
        limits: bounds of the connection.
        asset: the receiver's ``(asset code, asset scale)``, told to senders that ask with
            ``ConnectionNewAddress``; ``None`` tells nothing.
        receipt_nonce, receipt_secret: RFC 0039 receipt setup, both or neither.
    """

    __slots__ = (
        "_asset",
        "_cipher",
        "_close_code",
        "_close_message",
        "_closed",
        "_limits",
        "_max_stream_id",
        "_packets",
        "_receipt_nonce",
        "_receipt_secret",
        "_streams",
        "_total_received",
    )

    def __init__(
        self,
        shared_secret: bytes,
        *,
        limits: ReceiverLimits = DEFAULT_LIMITS,
        asset: tuple[str, int] | None = None,
        receipt_nonce: bytes | None = None,
        receipt_secret: bytes | None = None,
    ) -> None:
        if (receipt_nonce is None) != (receipt_secret is None):
            raise ValueError("receipt_nonce and receipt_secret go together: give both or neither")
        if asset is not None:
            ConnectionAssetDetails(*asset)  # validates code and scale
        self._cipher = StreamCipher(shared_secret)
        self._limits = limits
        self._asset = asset
        self._receipt_nonce = receipt_nonce
        self._receipt_secret = receipt_secret
        self._streams: dict[int, StreamState] = {}
        self._max_stream_id = 2 * limits.max_concurrent_streams
        self._packets = 0
        self._total_received = 0
        self._closed = False
        self._close_code: int = StreamErrorCode.NO_ERROR
        self._close_message = ""

    @classmethod
    def from_token(
        cls,
        token: ConnectionToken,
        *,
        limits: ReceiverLimits = DEFAULT_LIMITS,
        asset: tuple[str, int] | None = None,
    ) -> ReceiverConnection:
        """Make the state of the connection ``token`` names; ``asset`` defaults to the token's."""
        if asset is None and token.asset_code is not None and token.asset_scale is not None:
            asset = (token.asset_code, token.asset_scale)
        return cls(
            token.shared_secret,
            limits=limits,
            asset=asset,
            receipt_nonce=token.receipt_nonce,
            receipt_secret=token.receipt_secret,
        )

    def __repr__(self) -> str:
        return (
            f"ReceiverConnection(total_received={self._total_received}, "
            f"streams={len(self._streams)}, packets={self._packets}, closed={self._closed})"
        )

    @property
    def closed(self) -> bool:
        """True once the connection is closed; every later Prepare gets F99."""
        return self._closed

    @property
    def total_received(self) -> int:
        """Money counted on all streams (fulfilled and not undone), receiver's units."""
        return self._total_received

    @property
    def packets(self) -> int:
        """Prepares answered with an encrypted reply (the RFC 0029 packet count)."""
        return self._packets

    @property
    def max_stream_id(self) -> int:
        """The highest stream id the sender may use now."""
        return self._max_stream_id

    def stream_totals(self) -> StreamTotals:
        """Stream id → money counted on it, for every stream the connection has known."""
        return MappingProxyType({sid: s.total_received for sid, s in self._streams.items()})

    def open_streams(self) -> tuple[int, ...]:
        """Ids of the streams that are open, ascending."""
        return tuple(sorted(sid for sid, s in self._streams.items() if not s.closed))

    # -- the decision -------------------------------------------------------------------

    def decide(
        self, *, data: bytes, amount: int, execution_condition: bytes, iv: bytes
    ) -> Decision:
        """Answer a Prepare addressed to this connection, and count a fulfilled one's money.

        Args:
            data: the Prepare's data (the encrypted STREAM packet).
            amount: the amount that arrives, in the receiver's units (after the
                connector's conversion), 0..2**64-1.
            execution_condition: the Prepare's 32-byte condition.
            iv: 12 fresh random bytes for the reply's encryption.

        Raises:
            ValueError: ``amount`` out of range, or a condition or IV of the wrong size
                (caller bugs; the sender cannot cause them).
        """
        if not 0 <= amount <= MAX_UINT64:
            raise ValueError(f"amount {amount} is outside 0..2**64-1")
        if len(execution_condition) != 32:
            raise ValueError("execution_condition must be 32 bytes")
        if len(iv) != IV_BYTES:
            raise ValueError(f"iv must be {IV_BYTES} bytes")
        try:
            request = decode_stream_packet(self._cipher.decrypt(data))
        except (StreamDecryptError, StreamCodecError):
            return RejectDecision(code=_F06, message="STREAM data is not for this connection")
        if request.ilp_packet_type != TYPE_PREPARE:
            return RejectDecision(code=_F06, message="STREAM packet is not meant for a Prepare")
        return Decider(self, request, data, amount, execution_condition, iv).run()

    def undo(self, decision: FulfillDecision) -> None:
        """Take a fulfilled packet's money back out of the totals (its reservation or post failed).

        Call it at most once per decision, and only with a decision of this connection.

        Raises:
            ValueError: a stream of the decision is unknown here or has less than the amount
                counted (not this connection's decision); nothing changes then.
        """
        for stream_id, part in decision.stream_amounts:
            stream = self._streams.get(stream_id)
            if stream is None or stream.total_received < part:
                raise ValueError(f"decision for stream {stream_id} is not this connection's")
        for stream_id, part in decision.stream_amounts:
            self._streams[stream_id].total_received -= part
        self._total_received -= decision.amount

    # -- helpers used by _Decider ---------------------------------------------------------

    def _close(self, code: int, message: str) -> None:
        if not self._closed:
            self._closed = True
            self._close_code = code
            self._close_message = message

    def _connection_data_limit(self) -> int:
        used = sum(s.data_end for s in self._streams.values())
        return min(used + self._limits.connection_data_window, MAX_UINT64)
