"""Hand-made receiver replies for the STREAM sender's branch tests."""

from __future__ import annotations

from fractions import Fraction

from ilpnode.ilp import Fulfill, Reject
from ilpnode.ilp.stream import (
    Finished,
    Frame,
    PacketKind,
    PaymentTarget,
    SenderAction,
    SenderLimits,
    SenderState,
    SendPacket,
    StreamCipher,
    StreamPacket,
    StreamSender,
    Wait,
    decode_stream_packet,
    encode_stream_packet,
)

from .fake_path import counter_bytes

SECRET = bytes(range(32))
DESTINATION = "test.receiver.conn"
FULFILL, REJECT = 13, 14


def new_sender(target: PaymentTarget, **options: object) -> StreamSender:
    """A sender to ``DESTINATION``; ``options`` split between the constructor and limits."""
    own = {k: options.pop(k) for k in ("receipt_nonce", "receipt_secret", "expected_asset")
           if k in options}  # fmt: skip
    limits = SenderLimits(**options)  # type: ignore[arg-type]
    return StreamSender(
        shared_secret=SECRET,
        destination=DESTINATION,
        target=target,
        random_bytes=counter_bytes(),
        limits=limits,
        **own,  # type: ignore[arg-type]
    )


def burst(sender: StreamSender, now: float = 0.0) -> tuple[list[SendPacket], SenderAction]:
    """Every packet the sender sends now, and the action that ended the burst."""
    packets: list[SendPacket] = []
    while True:
        action = sender.next(now=now)
        if not isinstance(action, SendPacket):
            return packets, action
        packets.append(action)


def finished(action: SenderAction) -> Finished:
    assert isinstance(action, Finished), action
    return action


def waits(action: SenderAction) -> Wait:
    assert isinstance(action, Wait), action
    return action


class Replier:
    """Plays the receiver by hand: reads the sender's packets, writes encrypted replies."""

    def __init__(self, secret: bytes = SECRET) -> None:
        self.cipher = StreamCipher(secret)
        self._ivs = counter_bytes()

    def read(self, packet: SendPacket) -> StreamPacket:
        """The STREAM request inside ``packet``."""
        return decode_stream_packet(self.cipher.decrypt(packet.data))

    def _data(
        self, packet: SendPacket, frames: tuple[Frame, ...], ilp_type: int, arrived: int | None,
        sequence: int | None,
    ) -> bytes:  # fmt: skip
        reply = StreamPacket(
            sequence=packet.sequence if sequence is None else sequence,
            ilp_packet_type=ilp_type,
            prepare_amount=packet.amount if arrived is None else arrived,
            frames=frames,
        )
        return self.cipher.encrypt(encode_stream_packet(reply), iv=self._ivs(12))

    def reject(
        self,
        packet: SendPacket,
        *frames: Frame,
        code: str = "F99",
        arrived: int | None = None,
        sequence: int | None = None,
        ilp_type: int = REJECT,
    ) -> Reject:
        """An F99 (or ``code``) with an authentic reply: ``arrived`` defaults to the amount."""
        data = self._data(packet, frames, ilp_type, arrived, sequence)
        return Reject(code=code, triggered_by="test.receiver", message="", data=data)

    def fulfill(
        self,
        packet: SendPacket,
        *frames: Frame,
        arrived: int | None = None,
        data: bytes | None = None,
    ) -> Fulfill:
        """The Fulfill of a money packet, with an authentic reply unless ``data`` is given."""
        fulfillment = self.cipher.fulfillment(packet.data)
        if data is None:
            data = self._data(packet, frames, FULFILL, arrived, None)
        return Fulfill(fulfillment=fulfillment, data=data)

    def probe_rate(
        self, sender: StreamSender, packets: list[SendPacket], rate: Fraction, *frames: Frame
    ) -> None:
        """Answer probes with F99 at ``rate`` (rounding down)."""
        for packet in packets:
            arrived = packet.amount * rate.numerator // rate.denominator
            sender.on_reply(packet.sequence, self.reject(packet, *frames, arrived=arrived), now=0)


def plain_reject(code: str, data: bytes = b"", message: str = "", by: str = "test.hop") -> Reject:
    """A Reject made by a connector on the path: no STREAM reply."""
    return Reject(code=code, triggered_by=by, message=message, data=data)


def probed(
    target: PaymentTarget, rate: Fraction = Fraction(1), now: float = 0.0, **options: object
) -> tuple[StreamSender, Replier]:
    """A sender whose probes all came back at ``rate``: ready to send money."""
    sender = new_sender(target, **options)
    replier = Replier()
    while sender.state is SenderState.PROBING:
        action = sender.next(now=now)
        assert isinstance(action, SendPacket), action
        assert action.kind is PacketKind.PROBE
        replier.probe_rate(sender, [action], rate)
    return sender, replier
