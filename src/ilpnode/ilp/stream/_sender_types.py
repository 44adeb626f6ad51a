"""What the STREAM sender (RFC 0029) is asked to do, what it asks its runner to do, and what
it reports.

Inputs: a payment target (:class:`FixedSend` or :class:`FixedReceive`) and
:class:`SenderLimits`.  Outputs of :meth:`StreamSender.next`: :class:`SendPacket` (a Prepare to
send), :class:`Wait` (nothing to send now) or :class:`Finished` (the payment is over).  The
state of a payment at any time: :class:`SendReport`; why it failed: :class:`SendError` (the
names of ``@interledger/pay``'s ``PaymentError``, which Rafiki stores on outgoing payments).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Final, TypeAlias

from .._oer import MAX_UINT64
from ._decisions import MAX_PACKETS_PER_CONNECTION

__all__ = [
    "DEFAULT_SENDER_LIMITS",
    "Finished",
    "FixedReceive",
    "FixedSend",
    "PacketKind",
    "PaymentTarget",
    "SendError",
    "SendPacket",
    "SendReport",
    "SenderAction",
    "SenderLimits",
    "SenderState",
    "Wait",
]


def _check_amount(name: str, value: int, *, low: int = 1) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}")
    if not low <= value <= MAX_UINT64:
        raise ValueError(f"{name} {value} is outside {low}..2**64-1")


@dataclass(frozen=True, slots=True)
class FixedSend:
    """Send exactly ``amount`` source units (the sender's asset, smallest unit); whatever the
    path delivers for them, at no worse than the minimum rate, arrives."""

    amount: int

    def __post_init__(self) -> None:
        _check_amount("send amount", self.amount)


@dataclass(frozen=True, slots=True)
class FixedReceive:
    """Deliver exactly ``amount`` destination units (the receiver's asset, smallest unit: what
    its STREAM replies report), never more, paying at no worse than the minimum rate."""

    amount: int

    def __post_init__(self) -> None:
        _check_amount("receive amount", self.amount)


PaymentTarget: TypeAlias = FixedSend | FixedReceive


@dataclass(frozen=True, slots=True, kw_only=True)
class SenderLimits:
    """How a payment may go.  Durations are milliseconds.

    Attributes:
        min_rate: the exchange-rate floor, destination units per source unit (both smallest
            units) as an exact fraction: every money packet asks the receiver to refuse it if
            less than ``ceil(amount * min_rate)`` arrives.  ``None``: the rate learnt by the
            probe, less ``slippage``.
        slippage: used only without ``min_rate``; 1/100 is ilp-protocol-stream's and Rafiki's
            default.
        max_packet_amount: the largest packet the sender may send (e.g. the peer's limit);
            ``None``: only what the path says with F08.
        max_in_flight: packets sent and not yet answered, at most.
        packet_expiry_ms: each Prepare's expiry, from when it is sent.
        probe_timeout_ms: the rate probe must end within this.
        idle_timeout_ms: the payment fails when no packet was fulfilled for this long.
        backoff_initial_ms, backoff_max_ms: wait after a temporary rejection (T.., R00,
            unexplained F99): the first wait, doubled on each one in a row up to the maximum;
            a Fulfill resets it.
        max_packets: Prepares the connection may carry, the close included (RFC 0029 §5.1.3).
    """

    min_rate: Fraction | None = None
    slippage: Fraction = Fraction(1, 100)
    max_packet_amount: int | None = None
    max_in_flight: int = 10
    packet_expiry_ms: int = 30_000
    probe_timeout_ms: int = 10_000
    idle_timeout_ms: int = 30_000
    backoff_initial_ms: int = 100
    backoff_max_ms: int = 5_000
    max_packets: int = MAX_PACKETS_PER_CONNECTION

    def __post_init__(self) -> None:
        if self.min_rate is not None and self.min_rate < 0:
            raise ValueError("min_rate must not be negative")
        if not 0 <= self.slippage < 1:
            raise ValueError("slippage must be in [0, 1)")
        if self.max_packet_amount is not None:
            _check_amount("max_packet_amount", self.max_packet_amount)
        if self.max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        for name in ("packet_expiry_ms", "probe_timeout_ms", "idle_timeout_ms"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be positive")
        if not 1 <= self.backoff_initial_ms <= self.backoff_max_ms:
            raise ValueError("need 1 <= backoff_initial_ms <= backoff_max_ms")
        if not 2 <= self.max_packets <= MAX_PACKETS_PER_CONNECTION:
            raise ValueError(f"max_packets must be in 2..{MAX_PACKETS_PER_CONNECTION}")


#: The limits used when none are given.
DEFAULT_SENDER_LIMITS: Final = SenderLimits()


class PacketKind(enum.Enum):
    """Why a packet is sent."""

    PROBE = "probe"  # unfulfillable: learns the rate and the path's packet size
    MONEY = "money"  # fulfillable: carries money on stream 1
    CLOSE = "close"  # ConnectionClose, 0 amount, unfulfillable


@dataclass(frozen=True, slots=True, kw_only=True)
class SendPacket:
    """Send this Prepare and give its reply to :meth:`StreamSender.on_reply` with ``sequence``.

    Attributes:
        sequence: the STREAM sequence: names the packet when its reply comes back.
        kind: probe, money or close.
        amount: the Prepare's amount, source units.
        destination: the Prepare's destination (the receiver's ILP address).
        data: the Prepare's data (the encrypted STREAM packet).
        execution_condition: the Prepare's condition (random for probes and closes).
        expires_in_ms: the Prepare expires this long after it is sent.
        min_destination_amount: the least the receiver may accept (the STREAM
            ``prepareAmount``).
    """

    sequence: int
    kind: PacketKind
    amount: int
    destination: str
    data: bytes
    execution_condition: bytes
    expires_in_ms: int
    min_destination_amount: int


@dataclass(frozen=True, slots=True)
class Wait:
    """Nothing to send now: wait for a reply, or ``delay_ms`` at most (``None``: only a reply
    can change anything), then ask :meth:`StreamSender.next` again."""

    delay_ms: int | None


class SendError(enum.StrEnum):
    """Why a payment failed (the values are ``@interledger/pay``'s ``PaymentError`` names, but
    ``Aborted``: the runner ended the payment, :meth:`StreamSender.abort`)."""

    RATE_PROBE_FAILED = "RateProbeFailed"
    INSUFFICIENT_EXCHANGE_RATE = "InsufficientExchangeRate"
    EXCHANGE_RATE_ROUNDING_ERROR = "ExchangeRateRoundingError"
    CONNECTOR_ERROR = "ConnectorError"
    CLOSED_BY_RECEIVER = "ClosedByReceiver"
    RECEIVER_PROTOCOL_VIOLATION = "ReceiverProtocolViolation"
    INCOMPATIBLE_RECEIVE_MAX = "IncompatibleReceiveMax"
    DESTINATION_ASSET_CONFLICT = "DestinationAssetConflict"
    IDLE_TIMEOUT = "IdleTimeout"
    EXCEEDED_MAX_SEQUENCE = "ExceededMaxSequence"
    ABORTED = "Aborted"


class SenderState(enum.Enum):
    """Where a payment is."""

    PROBING = "probing"
    SENDING = "sending"
    CLOSING = "closing"  # settling the packets in flight, then ConnectionClose
    COMPLETED = "completed"
    FAILED = "failed"


@dataclass(frozen=True, slots=True, kw_only=True)
class SendReport:
    """A payment's amounts and counts, exact at the moment it was made.

    Attributes:
        state: where the payment is.
        target: what it was asked to do.
        sent: source units of fulfilled money packets.
        delivered: destination units the receiver reported for them.
        in_flight: source units of money packets not yet answered.
        max_source_amount: the most the payment can ever send (``FixedSend``: the amount;
            ``FixedReceive``: known once the minimum rate is,
            ``floor((amount + max(min_rate, 1)) / min_rate)``, or ``None``).
        min_rate: the exchange-rate floor in force (``None`` until known).
        rate_low, rate_high: what the replies say of the path's rate: at least ``rate_low``,
            below ``rate_high`` (``None`` until a reply told).
        max_packet_amount: the largest packet the path is known to take, or ``None``.
        destination_asset: ``(code, scale)`` from the receiver's ConnectionAssetDetails.
        packets: Prepares sent (probes and the close included).
        probes: probe Prepares sent.
        fulfilled: money packets fulfilled.
        rejected: Prepares rejected, by error code.
        receipt: the latest StreamReceipt (the greatest total) or ``None``.
        receipt_total: the total it states.
        receipt_verified: whether its HMAC was checked with the receipt secret.
        invalid_receipts: receipts that did not verify (ignored).
        error: why it failed, or ``None``.
        error_message: the failure in words ("" when none).
    """

    state: SenderState
    target: PaymentTarget
    sent: int
    delivered: int
    in_flight: int
    max_source_amount: int | None
    min_rate: Fraction | None
    rate_low: Fraction | None
    rate_high: Fraction | None
    max_packet_amount: int | None
    destination_asset: tuple[str, int] | None
    packets: int
    probes: int
    fulfilled: int
    rejected: Mapping[str, int] = field(default_factory=dict)
    receipt: bytes | None = None
    receipt_total: int | None = None
    receipt_verified: bool = False
    invalid_receipts: int = 0
    error: SendError | None = None
    error_message: str = ""

    @property
    def done(self) -> bool:
        """True once the payment completed or failed."""
        return self.state in (SenderState.COMPLETED, SenderState.FAILED)

    @property
    def realized_rate(self) -> Fraction | None:
        """``delivered / sent`` as an exact fraction, or ``None`` before anything was sent."""
        return Fraction(self.delivered, self.sent) if self.sent else None


@dataclass(frozen=True, slots=True)
class Finished:
    """The payment is over (completed or failed); nothing more will be sent."""

    report: SendReport


SenderAction: TypeAlias = SendPacket | Wait | Finished
