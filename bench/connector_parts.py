"""Benchmark: where a forwarded packet's CPU goes, part by part, in the Node.js shape.

Run from the project root::

    python bench/connector_parts.py [--concurrency 1,10,100] [--rounds 3] [--duration 5]

`bench/connector.py` measures the whole node; this measures two parts of it alone, with the same
load generator (``bench/js/loadgen.js``, Node.js on the same cores) and the same fulfiller
(``bench/js/fulfiller.js``):

- ``server``: the connector port's HTTP server (`IlpServer` + `IlpHttpApp`: parsing, the token
  check, decoding the Prepare, writing the answer) answering every Prepare with one fixed
  Fulfill: no pipeline, no ledger, no next hop;
- ``server+client``: the same, passing each Prepare's bytes to the fulfiller through the
  connector's `HttpClient` and its answer back: the HTTP work of forwarding, nothing else.

Run in this process, compiled as the node runs (`ilpnode.compiled`). Prints packets/s, p50 and
the CPU time of this process per packet (user + system), median of interleaved rounds. With
the full node's figures of the same hour (``bench/connector.py --generator node --paths
ilpnode,ilpnode-process-crash``) the rest splits into the pipeline with the ledger and its log
(``ilpnode-process-crash`` minus ``server+client``) and the durability wait (``ilpnode`` minus
``ilpnode-process-crash``: the fdatasync, its process and the round trips to it).
docs/benchmarks.md has the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ilpnode import compiled

STATUS = compiled.activate()  # a script: choose compiled or sources before the imports below

from bench.connector import BENCH_JS, DESTINATION, FAR_FUTURE, FULFILLMENT, loadgen  # noqa: E402
from ilpnode.connector.http_client import Endpoint, HttpClient  # noqa: E402
from ilpnode.connector.ilp_http_app import IlpHttpApp  # noqa: E402
from ilpnode.connector.ilp_server import IlpServer  # noqa: E402
from ilpnode.ilp import Fulfill, Prepare, condition_of, encode_fulfill, encode_prepare  # noqa: E402

PARTS = ("server", "server+client")
TOKEN = "bench-parts-token"
FULFILLER_TOKEN = "bench-parts-fulfiller"
FORWARD_HEAD = (
    f"Authorization: Bearer {FULFILLER_TOKEN}\r\nContent-Type: application/octet-stream\r\n"
).encode()


@dataclass(frozen=True)
class Figure:
    part: str
    concurrency: int
    packets_per_second: float
    p50_ms: float
    cpu_us: float


def _prepare() -> bytes:
    # The same Prepare as bench/connector.py's: 64 bytes of data, whose last 16 the generator
    # turns into a counter.
    return encode_prepare(
        Prepare(
            amount=1,
            expires_at=FAR_FUTURE,
            execution_condition=condition_of(FULFILLMENT),
            destination=DESTINATION,
            data=bytes(64),
        )
    )


async def _measure(part: str, concurrency: int, args: argparse.Namespace, fulfiller: str) -> Figure:
    client = HttpClient()
    endpoint = Endpoint.parse(fulfiller)
    fulfill = encode_fulfill(Fulfill(fulfillment=FULFILLMENT))

    async def answer(_peer: str, _prepare: Prepare, raw: bytes) -> bytes:
        if part == "server":
            return fulfill
        _status, body = await client.post(endpoint, FORWARD_HEAD, raw, timeout_seconds=30)
        return body

    app = IlpHttpApp(authenticate=lambda token: "peer" if token == TOKEN else None, handle=answer)
    server = IlpServer(app, keep_alive_seconds=60, grace_seconds=1)
    listener = socket.create_server(("127.0.0.1", 0), backlog=1024)
    serving = asyncio.create_task(server.serve([listener]))
    command = loadgen(
        _prepare(),
        (f"http://127.0.0.1:{listener.getsockname()[1]}/",),
        TOKEN,
        {"concurrency": concurrency, "durationMs": int(args.duration * 1000), "warmupMs": 1000},
    )
    generator = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE)
    assert generator.stdout is not None
    started = 0.0
    result: dict[str, float] = {}
    while line := (await generator.stdout.readline()).decode():
        if line.startswith("MEASURING"):
            started = time.process_time()
        elif line.startswith("RESULT "):
            cpu = time.process_time() - started
            result = json.loads(line[len("RESULT ") :])
    await generator.wait()
    server.should_exit = True
    await serving
    await client.close()
    if not result or result["errors"] or not result["fulfilled"]:
        raise SystemExit(f"{part} c={concurrency}: the generator reported {result}")
    return Figure(
        part,
        concurrency,
        result["packetsPerSecond"],
        result["p50Ms"],
        cpu / result["fulfilled"] * 1e6,
    )


async def _run(args: argparse.Namespace) -> list[Figure]:
    config = {"port": 0, "token": FULFILLER_TOKEN, "fulfillment": FULFILLMENT.hex()}
    config["address"] = DESTINATION.rsplit(".", 1)[0]
    fulfiller = subprocess.Popen(
        ["node", str(BENCH_JS / "fulfiller.js"), json.dumps(config)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert fulfiller.stdout is not None
        ready = fulfiller.stdout.readline()
        if not ready.startswith("READY "):
            raise SystemExit(f"the fulfiller did not start: {ready!r}")
        url = json.loads(ready[len("READY ") :])["url"]
        figures = []
        for number in range(1, args.rounds + 1):
            print(f"round {number} of {args.rounds}", flush=True)
            for concurrency in args.concurrency:
                for part in PARTS:
                    figure = await _measure(part, concurrency, args, url)
                    print(f"  {_row(figure)}", flush=True)
                    figures.append(figure)
        return figures
    finally:
        fulfiller.terminate()
        fulfiller.wait()


def _row(figure: Figure) -> str:
    return (
        f"{figure.part:<15}{figure.concurrency:>4}{figure.packets_per_second:>11,.0f}"
        f"{figure.p50_ms:>9.2f}{figure.cpu_us:>9.0f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--concurrency", default="1,10,100", help="comma-separated levels")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median)")
    parser.add_argument("--duration", type=float, default=5.0, help="seconds per measurement")
    args = parser.parse_args()
    args.concurrency = [int(level) for level in args.concurrency.split(",")]
    print(f"packet path: {STATUS}; generator and fulfiller: Node.js on the same cores")
    figures = uvloop.run(_run(args))
    print(f"\nmedian of {args.rounds} rounds (by packets/s)")
    print(f"{'part':<15}{'c':>4}{'packets/s':>11}{'p50 ms':>9}{'cpu µs':>9}")
    for concurrency in args.concurrency:
        for part in PARTS:
            rounds = [f for f in figures if f.part == part and f.concurrency == concurrency]
            rounds.sort(key=lambda f: f.packets_per_second)
            print(_row(rounds[len(rounds) // 2]))
    print("\ncpu µs: this process (server, client, event loop) per fulfilled packet, user + system")


if __name__ == "__main__":
    main()
