"""STREAM receipts (RFC 0039) against tests/vectors/stream_receipt.json."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ilpnode.ilp import MAX_UINT64
from ilpnode.ilp.stream import (
    RECEIPT_BYTES,
    Receipt,
    ReceiptError,
    create_receipt,
    decode_receipt,
    decode_stream_packet,
    verify_receipt,
)

from ._vectors import load

VECTOR = load("stream_receipt.json")[0]
FIELDS = VECTOR["json_fields"]
NONCE = bytes.fromhex(FIELDS["nonce_hex"])
SECRET = bytes.fromhex(FIELDS["secret_hex"])


def test_creates_the_vector() -> None:
    receipt = create_receipt(
        nonce=NONCE,
        stream_id=FIELDS["streamId"],
        total_received=int(FIELDS["totalReceived"]),
        secret=SECRET,
    )
    assert receipt.hex() == VECTOR["hex"]
    assert len(receipt) == RECEIPT_BYTES


def test_verifies_the_vector() -> None:
    assert verify_receipt(bytes.fromhex(VECTOR["hex"]), SECRET) == Receipt(
        nonce=NONCE, stream_id=1, total_received=500
    )


def test_the_receipt_frame_vector_carries_the_same_receipt() -> None:
    packets = {v["description"]: v["hex"] for v in load("stream_packets.json")}
    frame = decode_stream_packet(bytes.fromhex(packets["frame:stream_receipt"])).frames[0]
    assert verify_receipt(frame.receipt, SECRET).total_received == 500  # type: ignore[union-attr]


def test_another_secret_does_not_verify() -> None:
    with pytest.raises(ReceiptError, match="HMAC"):
        verify_receipt(bytes.fromhex(VECTOR["hex"]), bytes([1]) * 32)


@pytest.mark.parametrize("index", [0, 1, 17, 20, 30, 57])
def test_any_changed_byte_fails(index: int) -> None:
    data = bytearray.fromhex(VECTOR["hex"])
    data[index] ^= 0x40
    with pytest.raises(ReceiptError):
        verify_receipt(bytes(data), SECRET)


@pytest.mark.parametrize("length", [0, 57, 59])
def test_wrong_length_is_malformed(length: int) -> None:
    with pytest.raises(ReceiptError, match="58 bytes"):
        decode_receipt(bytes([1]) * length)


def test_other_version_is_refused() -> None:
    with pytest.raises(ReceiptError, match="version 2"):
        decode_receipt(b"\x02" + bytes(57))


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"nonce": bytes(15)}, "nonce"),
        ({"secret": bytes(31)}, "secret"),
        ({"stream_id": 256}, "0..255"),
        ({"total_received": MAX_UINT64 + 1}, "2\\*\\*64"),
        ({"total_received": -1}, "2\\*\\*64"),
    ],
)
def test_create_refuses_bad_values(changes: dict[str, object], match: str) -> None:
    args: dict[str, object] = {
        "nonce": NONCE,
        "stream_id": 1,
        "total_received": 1,
        "secret": SECRET,
    } | changes
    with pytest.raises(ValueError, match=match):
        create_receipt(**args)  # type: ignore[arg-type]


@given(
    nonce=st.binary(min_size=16, max_size=16),
    stream_id=st.integers(0, 255),
    total=st.integers(0, MAX_UINT64),
    secret=st.binary(min_size=32, max_size=32),
)
def test_round_trip(nonce: bytes, stream_id: int, total: int, secret: bytes) -> None:
    receipt = create_receipt(nonce=nonce, stream_id=stream_id, total_received=total, secret=secret)
    assert verify_receipt(receipt, secret) == Receipt(
        nonce=nonce, stream_id=stream_id, total_received=total
    )


@given(st.binary(max_size=80))
def test_arbitrary_bytes_give_a_receipt_or_receipt_error(data: bytes) -> None:
    try:
        receipt = decode_receipt(data)
    except ReceiptError:
        return
    assert len(data) == RECEIPT_BYTES
    assert receipt.nonce == data[1:17]
