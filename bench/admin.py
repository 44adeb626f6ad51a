"""Benchmark: Admin API mutations over HTTP, signed, against a real node on SQLite.

Run from the project root::

    python bench/admin.py [--count N] [--concurrency 1,10]

Starts `ilpnode run` as a subprocess (SQLite file in a temporary directory, ADMIN_API_SECRET
set, so every request carries Rafiki's HMAC signature and is checked), creates one asset, then
for each concurrency level sends N `createPeer` and then N `depositPeerLiquidity` requests
(each with its own idempotency key and transfer id) and prints mutations per second and the
latency of one request (p50/p99), signing included. Exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from ilpnode import compiled

compiled.activate()  # a script: choose compiled or sources before the imports below

from ilpnode.admin.signature import signed_body  # noqa: E402

SECRET = "bench-secret-bench-secret-bench"

CREATE_ASSET = (
    """mutation($input: CreateAssetInput!) { createAsset(input: $input) { asset { id } } }"""
)
CREATE_PEER = """mutation($input: CreatePeerInput!) { createPeer(input: $input) { peer { id } } }"""
DEPOSIT = """mutation($input: DepositPeerLiquidityInput!) {
  depositPeerLiquidity(input: $input) { success } }"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _call(client: httpx.AsyncClient, query: str, variables: dict[str, Any]) -> Any:
    signed = signed_body(
        {"query": query, "variables": variables}, secret=SECRET, now_ms=time.time_ns() // 10**6
    )
    response = await client.post(
        "/graphql",
        content=signed.body,
        headers={"signature": signed.header, "content-type": "application/json"},
    )
    body = response.json()
    if response.status_code != 200 or "errors" in body:
        raise RuntimeError(f"{response.status_code}: {body}")
    return body["data"]


async def _run(
    client: httpx.AsyncClient, requests: list[tuple[str, dict[str, Any]]], concurrency: int
) -> tuple[float, list[float], list[Any]]:
    latencies: list[float] = []
    results: list[Any] = [None] * len(requests)
    queue = iter(enumerate(requests))

    async def worker() -> None:
        for index, (query, variables) in queue:
            started = time.perf_counter()
            results[index] = await _call(client, query, variables)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return time.perf_counter() - started, latencies, results


def _report(
    name: str, count: int, concurrency: int, elapsed: float, latencies: list[float]
) -> None:
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000
    print(
        f"{name:<22} c={concurrency:<3} {count / elapsed:>8,.0f} mutations/s"
        f"   p50 {p50:6.2f} ms   p99 {p99:6.2f} ms"
    )


async def _bench(base_url: str, count: int, levels: list[int]) -> None:
    limits = httpx.Limits(max_connections=max(levels), max_keepalive_connections=max(levels))
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=30) as client:
        data = await _call(client, CREATE_ASSET, {"input": {"code": "USD", "scale": 2}})
        asset_id = data["createAsset"]["asset"]["id"]
        for level in levels:
            tag = uuid.uuid4().hex[:8]
            creates = [
                (
                    CREATE_PEER,
                    {
                        "input": {
                            "assetId": asset_id,
                            "staticIlpAddress": f"test.p{tag}n{i}",
                            "http": {
                                "outgoing": {"authToken": "t", "endpoint": "http://127.0.0.1:1"},
                                "incoming": {"authTokens": [f"{tag}-{i}"]},
                            },
                            "idempotencyKey": str(uuid.uuid4()),
                        }
                    },
                )
                for i in range(count)
            ]
            elapsed, latencies, results = await _run(client, creates, level)
            _report("createPeer", count, level, elapsed, latencies)
            peers = [result["createPeer"]["peer"]["id"] for result in results]
            deposits = [
                (
                    DEPOSIT,
                    {
                        "input": {
                            "peerId": peers[i % len(peers)],
                            "amount": "100",
                            "id": str(uuid.uuid4()),
                            "idempotencyKey": str(uuid.uuid4()),
                        }
                    },
                )
                for i in range(count)
            ]
            elapsed, latencies, _ = await _run(client, deposits, level)
            _report("depositPeerLiquidity", count, level, elapsed, latencies)


def _wait_healthy(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the node exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise SystemExit("the node did not become healthy within 30 s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=500)
    parser.add_argument("--concurrency", default="1,10")
    args = parser.parse_args()
    levels = [int(level) for level in args.concurrency.split(",")]
    with tempfile.TemporaryDirectory() as directory:
        admin_port = _free_port()
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{Path(directory) / 'bench.sqlite3'}",
            "ADMIN_PORT": str(admin_port),
            "CONNECTOR_PORT": str(_free_port()),
            "OPEN_PAYMENTS_PORT": str(_free_port()),
            "ADMIN_API_SECRET": SECRET,
            "LOG_LEVEL": "warning",
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "ilpnode", "run"], env=env, stdout=subprocess.DEVNULL
        )
        try:
            url = f"http://127.0.0.1:{admin_port}"
            _wait_healthy(url, process)
            print(f"Admin API, signed, SQLite (WAL, synchronous=FULL), {args.count} each")
            asyncio.run(_bench(url, args.count, levels))
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


if __name__ == "__main__":
    main()
