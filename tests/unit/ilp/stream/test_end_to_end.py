"""A payment through the whole sans-IO stack: SPSP-style credentials, ILP packets, receiver.

The sender side is built from our own codec (``Sender``); the ILP Prepare and Fulfill go
through the real ILP codec, as the packet path will carry them.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ilpnode.ilp import (
    Fulfill,
    Prepare,
    Reject,
    decode_packet,
    encode_fulfill,
    encode_prepare,
    encode_reject,
    fulfillment_matches,
)
from ilpnode.ilp.stream import (
    ConnectionAssetDetails,
    ConnectionNewAddress,
    FulfillDecision,
    ReceiverConnections,
    StreamMoney,
    StreamReceipt,
    new_connection,
    open_connection,
    verify_receipt,
)

from .sender import Sender

SERVER_SECRET = bytes([0x42]) * 32
BASE = "test.node.wallet"
EXPIRY = datetime(2030, 1, 1, tzinfo=UTC)


def answer(registry: ReceiverConnections, wire: bytes, now: float, iv: bytes) -> bytes:
    """What the packet path will do: recognise the connection, decide, build the reply."""
    prepare = decode_packet(wire)
    assert isinstance(prepare, Prepare)
    token = open_connection(SERVER_SECRET, prepare.destination, BASE)
    assert token is not None
    conn = registry.connection(token, now=now, asset=("EUR", 2))
    decision = conn.decide(
        data=prepare.data,
        amount=prepare.amount,
        execution_condition=prepare.execution_condition,
        iv=iv,
    )
    if isinstance(decision, FulfillDecision):
        return encode_fulfill(Fulfill(fulfillment=decision.fulfillment, data=decision.data))
    return encode_reject(
        Reject(code=decision.code, triggered_by=BASE, message=decision.message, data=decision.data)
    )


def test_a_payment_with_receipts_in_three_packets() -> None:
    receipt_secret = bytes([7]) * 32
    creds = new_connection(
        SERVER_SECRET,
        BASE,
        payment_tag=b"wallet-1",
        nonce=bytes(12),
        receipt_nonce=bytes([1]) * 16,
        receipt_secret=receipt_secret,
    )
    registry = ReceiverConnections()
    sender = Sender(creds.shared_secret)

    # A probe learns the rate and the asset: F99 with the amount that arrived.
    data, condition = sender.prepare(ConnectionNewAddress(""), fulfillable=False)
    probe = Prepare(
        amount=1000,
        expires_at=EXPIRY,
        execution_condition=condition,
        destination=creds.destination_account,
        data=data,
    )
    reply = decode_packet(answer(registry, encode_prepare(probe), 0.0, sender.iv()))
    assert isinstance(reply, Reject)
    assert reply.code == "F99"
    stream_reply = sender.read(reply)
    assert stream_reply.prepare_amount == 1000
    assert ConnectionAssetDetails("EUR", 2) in stream_reply.frames

    delivered = 0
    for i, amount in enumerate((300, 300, 400)):
        data, condition = sender.prepare(StreamMoney(1, 1), min_amount=amount)
        prepare = Prepare(
            amount=amount,
            expires_at=EXPIRY,
            execution_condition=condition,
            destination=creds.destination_account,
            data=data,
        )
        reply = decode_packet(answer(registry, encode_prepare(prepare), float(i), sender.iv()))
        assert isinstance(reply, Fulfill)
        assert fulfillment_matches(reply.fulfillment, condition)
        delivered += amount
        frames = sender.read(reply).frames
        receipt = next(f for f in frames if isinstance(f, StreamReceipt))
        assert verify_receipt(receipt.receipt, receipt_secret).total_received == delivered

    token = open_connection(SERVER_SECRET, creds.destination_account, BASE)
    assert token is not None
    assert token.payment_tag == b"wallet-1"
    kept = registry.get(token.token)
    assert kept is not None
    assert kept.total_received == 1000
