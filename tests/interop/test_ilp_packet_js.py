"""Byte-for-byte interop with interledgerjs ilp-packet 3.1.3, the JS reference codec.

Packets built here are decoded by ilp-packet to the same fields and re-encoded by it to the same
bytes; packets ilp-packet builds from the same fields are the bytes our encoder writes.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ilpnode.ilp import (
    MAX_UINT64,
    Fulfill,
    Prepare,
    Reject,
    decode_packet,
    encode_packet,
)
from tests.interop.conftest import run_node

SEGMENT_CHARACTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_~"
PACKETS_PER_KIND = 150


def random_address(rng: random.Random) -> str:
    scheme = rng.choice(["g", "test", "test1", "private", "example", "local", "peer", "self"])
    segments = [
        "".join(rng.choices(SEGMENT_CHARACTERS, k=rng.randint(1, 40)))
        for _ in range(rng.randint(1, 6))
    ]
    return ".".join([scheme, *segments])


def random_data(rng: random.Random) -> bytes:
    size = rng.choice([0, 1, 32, 127, 128, 255, 256, 300, 4096, 32767])
    return rng.randbytes(size)


def make_packets(seed: int) -> list[Prepare | Fulfill | Reject]:
    rng = random.Random(seed)
    start = datetime(2001, 1, 1, tzinfo=UTC)
    packets: list[Prepare | Fulfill | Reject] = []
    for _ in range(PACKETS_PER_KIND):
        packets.append(
            Prepare(
                amount=rng.choice([0, 1, 2**53 + 1, MAX_UINT64, rng.randrange(MAX_UINT64)]),
                expires_at=start + timedelta(milliseconds=rng.randrange(10**12)),
                execution_condition=rng.randbytes(32),
                destination=random_address(rng),
                data=random_data(rng),
            )
        )
        packets.append(Fulfill(fulfillment=rng.randbytes(32), data=random_data(rng)))
        packets.append(
            Reject(
                code=rng.choice(["F00", "F02", "F08", "F99", "T00", "T04", "R00", "R02"]),
                triggered_by=rng.choice(["", random_address(rng)]),
                message=rng.choice(["", "no route", "Überweisung fehlgeschlagen €", "x" * 300]),
                data=random_data(rng),
            )
        )
    return packets


def as_json(packet: Prepare | Fulfill | Reject) -> dict[str, Any]:
    if isinstance(packet, Prepare):
        return {
            "type": 12,
            "amount": str(packet.amount),
            "expiresAt": packet.expires_at.isoformat(timespec="milliseconds").replace(
                "+00:00", "Z"
            ),
            "executionCondition": packet.execution_condition.hex(),
            "destination": packet.destination,
            "data": packet.data.hex(),
        }
    if isinstance(packet, Fulfill):
        return {"type": 13, "fulfillment": packet.fulfillment.hex(), "data": packet.data.hex()}
    return {
        "type": 14,
        "code": packet.code,
        "triggeredBy": packet.triggered_by,
        "message": packet.message,
        "data": packet.data.hex(),
    }


def test_js_decodes_our_packets_to_the_same_fields_and_bytes(js_dir: Path) -> None:
    packets = make_packets(seed=1)
    encoded = [encode_packet(packet).hex() for packet in packets]

    answer = run_node(js_dir, "ilp_packet_roundtrip.js", {"decode": encoded, "encode": []})

    for packet, wire, decoded in zip(packets, encoded, answer["decoded"], strict=True):
        assert "error" not in decoded, (packet, decoded)
        reencoded = decoded.pop("reencoded")
        assert decoded == as_json(packet)
        assert reencoded == wire


def test_we_decode_js_packets_and_write_the_same_bytes(js_dir: Path) -> None:
    packets = make_packets(seed=2)

    answer = run_node(
        js_dir, "ilp_packet_roundtrip.js", {"decode": [], "encode": [as_json(p) for p in packets]}
    )

    for packet, js_hex in zip(packets, answer["encoded"], strict=True):
        wire = bytes.fromhex(js_hex)
        assert decode_packet(wire) == packet
        assert encode_packet(packet) == wire
