"""Benchmark: the ilpnode.ilp codec against the JS reference codec ``ilp-packet`` 3.1.3.

Run from the project root::

    python bench/codec.py [--seconds N]

Each case (Prepare with a 30-character destination and 0 or 512 bytes of data, a Fulfill with
no data, an F02 Reject with a short message) is decoded and encoded for ``N`` seconds (default
1) split into three time-based runs; the best run is reported.  Fulfill and Reject are decoded
with the reply decoders a connector uses (``decode_reply`` / ``deserializeIlpReply``).  The
packets are built here and passed to node as hex, so both sides work on the same bytes.  The JS
side (``bench/js/codec.js``) is installed with ``npm ci`` on first use; without node/npm the
table shows only the Python figures.  Exits 0.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ilpnode import compiled

compiled.activate()  # a script: choose compiled or sources before the imports below

from ilpnode.ilp import (  # noqa: E402
    Fulfill,
    Prepare,
    Reject,
    decode_prepare,
    decode_reply,
    encode_fulfill,
    encode_packet,
    encode_prepare,
    encode_reject,
)

JS_DIR = Path(__file__).resolve().parent / "js"
REPEATS = 3
BATCH = 1000

DESTINATION = "g.example.connector.alice.1234"  # 30 characters
assert len(DESTINATION) == 30


def make_cases() -> list[tuple[str, str, Prepare | Fulfill | Reject]]:
    """The benchmark packets: (name, kind, packet)."""
    fulfillment = hashlib.sha256(b"ilpnode bench").digest()
    condition = hashlib.sha256(fulfillment).digest()
    expires_at = datetime(2030, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)
    data512 = bytes(i * 7 % 251 for i in range(512))

    def prepare(data: bytes) -> Prepare:
        return Prepare(
            amount=1_000_000,
            expires_at=expires_at,
            execution_condition=condition,
            destination=DESTINATION,
            data=data,
        )

    return [
        ("prepare 0B", "prepare", prepare(b"")),
        ("prepare 512B", "prepare", prepare(data512)),
        ("fulfill 0B", "fulfill", Fulfill(fulfillment=fulfillment)),
        (
            "reject F02",
            "reject",
            Reject(code="F02", triggered_by="g.example.connector", message="no route found"),
        ),
    ]


def measure(fn: Callable[[Any], object], arg: object, seconds: float) -> float:
    """Best ops/s over REPEATS time-based runs of ``seconds / REPEATS`` each."""
    budget = seconds / REPEATS
    batch = range(BATCH)
    best = 0.0
    for _ in range(REPEATS):
        n = 0
        t0 = time.perf_counter()
        while True:
            for _ in batch:
                fn(arg)
            n += BATCH
            elapsed = time.perf_counter() - t0
            if elapsed >= budget:
                break
        best = max(best, n / elapsed)
    return best


def run_python(
    cases: list[tuple[str, str, Prepare | Fulfill | Reject]], seconds: float
) -> dict[str, dict[str, float]]:
    decoders: dict[str, Callable[[bytes], object]] = {
        "prepare": decode_prepare,
        "fulfill": decode_reply,
        "reject": decode_reply,
    }
    encoders: dict[str, Callable[[Any], bytes]] = {
        "prepare": encode_prepare,
        "fulfill": encode_fulfill,
        "reject": encode_reject,
    }
    results: dict[str, dict[str, float]] = {}
    for name, kind, packet in cases:
        wire = encode_packet(packet)
        assert decoders[kind](wire) == packet
        results[name] = {
            "decode": measure(decoders[kind], wire, seconds),
            "encode": measure(encoders[kind], packet, seconds),
        }
    return results


def run_js(
    cases: list[tuple[str, str, Prepare | Fulfill | Reject]], seconds: float
) -> tuple[dict[str, dict[str, float]] | None, str]:
    """Run bench/js/codec.js; return (results or None, a note for the header)."""
    node = shutil.which("node")
    npm = shutil.which("npm")
    if node is None:
        return None, "node not found: JS column skipped"
    if not (JS_DIR / "node_modules").is_dir():
        if npm is None:
            return None, "npm not found: JS column skipped"
        install = subprocess.run(
            [npm, "ci", "--prefix", str(JS_DIR), "--no-audit", "--no-fund"],
            capture_output=True,
            text=True,
            check=False,
        )
        if install.returncode != 0:
            return None, f"npm ci failed ({install.stderr.strip()[-200:]}): JS column skipped"
    payload = {
        "seconds": seconds,
        "repeats": REPEATS,
        "cases": [
            {"name": name, "kind": kind, "hex": encode_packet(packet).hex()}
            for name, kind, packet in cases
        ],
    }
    proc = subprocess.run(
        [node, str(JS_DIR / "codec.js")],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        return None, f"node failed ({proc.stderr.strip()[-300:]}): JS column skipped"
    out = json.loads(proc.stdout)
    results: dict[str, dict[str, float]] = out["results"]
    return results, f"node {out['node']}, ilp-packet {out['ilpPacket']}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--seconds", type=float, default=1.0, help="time per case and operation (default 1)"
    )
    args = parser.parse_args(argv)
    seconds = max(0.03, args.seconds)
    cases = make_cases()
    py = run_python(cases, seconds)
    js, note = run_js(cases, seconds)
    print(f"python {platform.python_version()} ({platform.python_implementation()}); {note}")
    header = f"{'packet / op':<22} {'python ops/s':>14} {'js ops/s':>14} {'python/js':>10}"
    print(header)
    print("-" * len(header))
    for name, _, _ in cases:
        for op in ("decode", "encode"):
            ours = py[name][op]
            theirs = js[name][op] if js is not None else None
            js_cell = f"{theirs:>14,.0f}" if theirs else f"{'n/a':>14}"
            ratio = f"{ours / theirs:>10.2f}" if theirs else f"{'n/a':>10}"
            print(f"{name + ' ' + op:<22} {ours:>14,.0f} {js_cell} {ratio}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
