"""Benchmark: how long each dashboard page takes with 1 000 peers, over HTTP, from a real node.

Run from the project root::

    python bench/dashboard.py [--peers N] [--requests N]

Seeds a SQLite database in a temporary directory (one asset and N peers, each with liquidity and
a liquidity threshold, created through the services in-process), starts `ilpnode run` on it as a
subprocess (ADMIN_API_SECRET set, so the dashboard asks for a login), sends one packet from
every peer through the connector so the overview's traffic table has N peers, logs in, and then
GETs each page `--requests` times one after the other, printing p50, p90 and the slowest time
per page (the whole HTTP request: routing, session cookie, services, template). The target is
under 100 ms per page; this prints, it does not assert. Exits 0.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

import httpx

from ilpnode import compiled

compiled.activate()  # a script: choose compiled or sources before the imports below

from ilpnode.bootstrap import build_node  # noqa: E402
from ilpnode.config import Settings  # noqa: E402
from ilpnode.ilp import Prepare, encode_prepare  # noqa: E402
from ilpnode.services.peering import AssetError, CreateAsset, CreatePeer, HttpOutgoing, PeerError  # noqa: E402

SECRET: Final = "bench-secret-bench-secret-bench"
TARGET_MS: Final = 100.0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def _seed(database_url: str, peers: int) -> tuple[str, str]:
    """One asset and `peers` peers; (asset id, id of the first peer)."""
    node = build_node(Settings(_env_file=None, database_url=database_url))
    await node.start()
    try:
        services = node.services
        assert services is not None
        asset = await services.assets.create(CreateAsset(code="USD", scale=2))
        if isinstance(asset, AssetError):
            raise SystemExit(f"cannot create the asset: {asset.message}")
        first = ""
        for number in range(peers):
            peer = await services.peers.create(
                CreatePeer(
                    asset_id=asset.id,
                    static_ilp_address=f"test.peer{number:05d}",
                    name=f"Peer {number:05d}",
                    http_outgoing=HttpOutgoing(
                        auth_token=f"out-{number}", endpoint=f"http://127.0.0.1:9/{number}"
                    ),
                    incoming_tokens=[f"in-{number}"],
                    liquidity_threshold=50_00,
                    initial_liquidity=(number % 200) * 1_00,
                )
            )
            if isinstance(peer, PeerError):
                raise SystemExit(f"cannot create peer {number}: {peer.message}")
            first = first or str(peer.id)
        return str(asset.id), first
    finally:
        await node.close()


async def _traffic(connector_url: str, peers: int) -> None:
    """One packet from every peer (to an unknown address: rejected F02, and counted)."""
    body = encode_prepare(
        Prepare(
            amount=5,
            expires_at=datetime.now(UTC) + timedelta(seconds=60),
            execution_condition=hashlib.sha256(os.urandom(32)).digest(),
            destination="test.nowhere",
            data=b"",
        )
    )
    limit = asyncio.Semaphore(20)
    async with httpx.AsyncClient(base_url=connector_url, timeout=10) as client:

        async def one(number: int) -> None:
            async with limit:
                response = await client.post(
                    "/",
                    content=body,
                    headers={
                        "authorization": f"Bearer in-{number}",
                        "content-type": "application/octet-stream",
                    },
                )
                response.raise_for_status()

        await asyncio.gather(*(one(number) for number in range(peers)))


def _wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("the node exited during start")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit("the node did not become healthy within 60 s")


def _log_in(client: httpx.Client) -> None:
    page = client.get("/dashboard/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    answer = client.post(
        "/dashboard/login",
        data={"csrf_token": token.group(1), "secret": SECRET, "next": "/dashboard/"},
    )
    if answer.status_code != 303:
        raise SystemExit(f"login failed: HTTP {answer.status_code}")


def _time_page(client: httpx.Client, path: str, requests: int) -> list[float]:
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get(path)
        elapsed = (time.perf_counter() - start) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{path}: HTTP {response.status_code}")
        times.append(elapsed)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--peers", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as directory:
        database_url = f"sqlite:///{Path(directory) / 'bench.sqlite3'}"
        started = time.perf_counter()
        asset_id, peer_id = asyncio.run(_seed(database_url, args.peers))
        print(f"seeded 1 asset and {args.peers} peers in {time.perf_counter() - started:.1f} s")
        admin_port, connector_port = _free_port(), _free_port()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("ILP_", "ADMIN_"))},
            "DATABASE_URL": database_url,
            "ADMIN_PORT": str(admin_port),
            "ADMIN_HOST": "127.0.0.1",
            "CONNECTOR_PORT": str(connector_port),
            "CONNECTOR_HOST": "127.0.0.1",
            "OPEN_PAYMENTS_PORT": str(_free_port()),
            "OPEN_PAYMENTS_HOST": "127.0.0.1",
            "ADMIN_API_SECRET": SECRET,
            "LOG_LEVEL": "warning",
        }
        process = subprocess.Popen(
            [sys.executable, "-m", "ilpnode", "run"], env=env, stdout=subprocess.DEVNULL
        )
        try:
            url = f"http://127.0.0.1:{admin_port}"
            _wait_ready(url, process)
            asyncio.run(_traffic(f"http://127.0.0.1:{connector_port}", args.peers))
            _report(url, args.requests, asset_id=asset_id, peer_id=peer_id, peers=args.peers)
        finally:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)


def _report(url: str, requests: int, *, asset_id: str, peer_id: str, peers: int) -> None:
    with httpx.Client(base_url=url, timeout=30) as client:
        _log_in(client)
        second_page = re.search(
            r'href="(/dashboard/peers\?after=[^"]+)"', client.get("/dashboard/peers").text
        )
        assert second_page is not None
        pages = {
            "overview (20 peers, traffic of all)": "/dashboard/",
            "peers, page 1": "/dashboard/peers",
            "peers, page 2": second_page.group(1),
            "peer": f"/dashboard/peers/{peer_id}",
            "create peer (form)": "/dashboard/peers/new",
            "assets": "/dashboard/assets",
            "asset": f"/dashboard/assets/{asset_id}",
            "delete peer (confirm)": f"/dashboard/peers/{peer_id}/delete",
        }
        print(
            f"dashboard pages, {peers} peers, {requests} GETs each over HTTP keep-alive, "
            f"logged in (ms; target < {TARGET_MS:.0f})"
        )
        print(f"{'page':<38}{'p50':>8}{'p90':>8}{'max':>8}  under target")
        for name, path in pages.items():
            _time_page(client, path, 3)  # warm up
            times = sorted(_time_page(client, path, requests))
            p50 = statistics.median(times)
            p90 = times[min(len(times) - 1, int(len(times) * 0.9))]
            verdict = "yes" if p90 < TARGET_MS else "NO"
            print(f"{name:<38}{p50:>8.1f}{p90:>8.1f}{times[-1]:>8.1f}  {verdict}")


if __name__ == "__main__":
    main()
