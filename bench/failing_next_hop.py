"""Benchmark: a node whose next hop fails, packet after packet (issue 16's first defect).

Run from the project root::

    python bench/failing_next_hop.py [--packets 20000] [--concurrency 10] [--hop 500|down]
                                     [--pure] [--baseline DIR]

Starts ``python -m ilpnode run`` (SQLite in a temporary directory, the default durable ledger),
a sender peer and a next hop that answers every request HTTP 500 (``--hop 500``) or has nothing
listening (``--hop down``), then sends ``--packets`` Prepares over ``--concurrency`` keep-alive
connections (an asyncio generator in this process, which also serves the next hop: both cost
CPU on the same cores, as real peers do). Prints packets/s and the node's resident memory for
each quarter of the packets, then what the node answers a 70 KB body (413 expected) and a
20 KB header (431), and its exit status after SIGTERM (0). ``--pure`` runs the node's Python
sources (``ILPNODE_PURE_PYTHON=1``) instead of its compiled build; ``--baseline DIR`` runs the
node from the source tree at DIR (e.g. ``git worktree add /tmp/base <commit>``, built there with
``python tools/build_compiled.py``) to measure before and after.

A healthy node shows flat memory and a last quarter as fast as the first. Before the fix, the
compiled build grew by ~3.4 KB and slowed with each failed packet.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from ilpnode import compiled

compiled.activate()  # a script: choose compiled or sources before the imports below

from ilpnode.ilp import Prepare, decode_reply, encode_prepare  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "sender-in"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _hop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            await reader.readexactly(length)
            writer.write(b"HTTP/1.1 500 Internal Server Error\r\ncontent-length: 4\r\n\r\noops")
    except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
        writer.close()  # the node closed the connection, or the benchmark is over


def _prepare() -> bytes:
    preimage = os.urandom(32)
    return encode_prepare(
        Prepare(
            amount=1,
            expires_at=datetime.now(UTC) + timedelta(seconds=30),
            execution_condition=hashlib.sha256(preimage).digest(),
            destination="test.hop.x",
            data=preimage,
        )
    )


async def _send(port: int, count: int, concurrency: int) -> tuple[float, dict[str, int]]:
    codes: dict[str, int] = {}

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(count // concurrency):
            body = _prepare()
            writer.write(
                b"POST / HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                b"Content-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n%s"
                % (TOKEN.encode(), len(body), body)
            )
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
            reply = decode_reply(await reader.readexactly(length))
            code = getattr(reply, "code", "fulfilled")
            codes[code] = codes.get(code, 0) + 1
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(concurrency)))
    return (count // concurrency) * concurrency / (time.perf_counter() - started), codes


async def _status_of(port: int, request: bytes) -> str:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    line = await asyncio.wait_for(reader.readline(), 5)
    writer.close()
    return line.decode().strip()


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _graphql(admin: str, query: str, variables: dict[str, Any]) -> Any:
    answer = httpx.post(f"{admin}/graphql", json={"query": query, "variables": variables}).json()
    if "errors" in answer:
        raise SystemExit(f"setup refused: {answer['errors']}")
    return answer["data"]


async def run(args: argparse.Namespace, home: Path) -> int:
    hop_port = _free_port()
    server = await asyncio.start_server(_hop, "127.0.0.1", hop_port, backlog=1024)
    admin_port, connector_port = _free_port(), _free_port()
    env = {
        **os.environ,
        "ADMIN_PORT": str(admin_port),
        "CONNECTOR_PORT": str(connector_port),
        "CONNECTOR_HOST": "127.0.0.1",
        "OPEN_PAYMENTS_PORT": str(_free_port()),
        "OPEN_PAYMENTS_HOST": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{home / 'node.sqlite3'}",
        "ILP_ADDRESS": "test.node",
    }
    if args.pure:
        env["ILPNODE_PURE_PYTHON"] = "1"
    if args.baseline:
        env["PYTHONPATH"] = str(args.baseline.resolve() / "src")
    log = (home / "node.log").open("w")
    node = subprocess.Popen(
        [sys.executable, "-m", "ilpnode", "run"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        admin = f"http://127.0.0.1:{admin_port}"
        deadline = time.monotonic() + 30
        while "ilpnode ready" not in (home / "node.log").read_text():
            if node.poll() is not None or time.monotonic() > deadline:
                raise SystemExit((home / "node.log").read_text())
            await asyncio.sleep(0.05)
        packet_path = next(
            line.split("packet path: ")[1]
            for line in (home / "node.log").read_text().splitlines()
            if "packet path: " in line
        )
        asset = _graphql(
            admin,
            "mutation($i: CreateAssetInput!) { createAsset(input: $i) { asset { id } } }",
            {"i": {"code": "USD", "scale": 2}},
        )["createAsset"]["asset"]["id"]
        endpoint = (
            f"http://127.0.0.1:{hop_port}/"
            if args.hop == "500"
            else f"http://127.0.0.1:{_free_port()}/"
        )
        for address, incoming, url, liquidity in (
            ("test.sender", TOKEN, "http://127.0.0.1:9/", str(10**15)),
            ("test.hop", "hop-in", endpoint, "0"),
        ):
            _graphql(
                admin,
                "mutation($i: CreatePeerInput!) { createPeer(input: $i) { peer { id } } }",
                {
                    "i": {
                        "assetId": asset,
                        "staticIlpAddress": address,
                        "initialLiquidity": liquidity,
                        "http": {
                            "incoming": {"authTokens": [incoming]},
                            "outgoing": {"authToken": "out", "endpoint": url},
                        },
                    }
                },
            )
        print(
            f"ilpnode ({packet_path}), next hop {args.hop}, {args.packets} packets, "
            f"concurrency {args.concurrency}"
        )
        await _send(connector_port, 1000, args.concurrency)  # warm up
        start_mb = _rss_mb(node.pid)
        print(f"  start: {start_mb:.1f} MB")
        for quarter in range(1, 5):
            rate, codes = await _send(connector_port, args.packets // 4, args.concurrency)
            print(
                f"  quarter {quarter}: {rate:,.0f} packets/s, {_rss_mb(node.pid):.1f} MB, {codes}"
            )
        big_body = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 70000\r\n\r\n"
        big_head = b"POST / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n"
        print(f"  70 KB body: {await _status_of(connector_port, big_body)}")
        print(f"  20 KB header: {await _status_of(connector_port, big_head)}")
    finally:
        node.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            node.wait(30)
        if node.poll() is None:
            node.kill()
        server.close()
        log.close()
    print(f"  exit status after SIGTERM: {node.returncode}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--packets", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--hop", choices=("500", "down"), default="500")
    parser.add_argument("--pure", action="store_true", help="the node's Python sources")
    parser.add_argument("--baseline", type=Path, help="run the node from this source tree")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ilpnode-bench-") as home:
        return asyncio.run(run(args, Path(home)))


if __name__ == "__main__":
    sys.exit(main())
