"""Shared builders for the ilpnode.ilp unit tests."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from ilpnode.ilp import Prepare, Reject, encode_length

__all__ = [
    "CONDITION",
    "EXPIRY",
    "VECTORS",
    "envelope",
    "prepare",
    "prepare_content",
    "reject",
    "valid_vector_wires",
    "var",
]

VECTORS = Path(__file__).resolve().parents[2] / "vectors"
EXPIRY = datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
CONDITION = bytes(range(32))


def prepare(**changes: object) -> Prepare:
    fields: dict[str, object] = {
        "amount": 1000,
        "expires_at": EXPIRY,
        "execution_condition": CONDITION,
        "destination": "g.example.alice",
        "data": b"hello",
    }
    fields.update(changes)
    return Prepare(**fields)  # type: ignore[arg-type]


def reject(**changes: object) -> Reject:
    fields: dict[str, object] = {
        "code": "F02",
        "triggered_by": "g.example.connector",
        "message": "no route",
        "data": b"",
    }
    fields.update(changes)
    return Reject(**fields)  # type: ignore[arg-type]


def envelope(kind: int, content: bytes) -> bytes:
    return bytes((kind,)) + encode_length(len(content)) + content


def var(data: bytes) -> bytes:
    return encode_length(len(data)) + data


def prepare_content(
    *,
    dest: bytes = b"g.example.alice",
    ts: bytes = b"20300102030405678",
    data_field: bytes | None = None,
) -> bytes:
    data_field = var(b"hello") if data_field is None else data_field
    return (1000).to_bytes(8, "big") + ts + CONDITION + var(dest) + data_field


def valid_vector_wires() -> list[bytes]:
    wires = []
    for name in ("ilp_packets.json", "ildcp.json"):
        for v in json.loads((VECTORS / name).read_text())["vectors"]:
            if v.get("valid") is True:
                wires.append(bytes.fromhex(v["hex"]))
    return wires
