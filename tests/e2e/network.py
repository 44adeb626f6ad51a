"""Real ilpnode processes on loopback, peered through their Admin API, and test peers around
them: a sender that POSTs Prepares and a fulfiller that answers them.

The fulfiller answers by destination: `…wrong…` with a wrong fulfillment, `…slow…` after
`SLOW_SECONDS`, `…reject…` with its own F99 Reject, anything else with the fulfillment in the
Prepare's data (or registered in `preimages`); it keeps what it received.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from ilpnode.ilp import (
    Fulfill,
    Prepare,
    Reject,
    decode_prepare,
    decode_reply,
    encode_fulfill,
    encode_prepare,
    encode_reject,
)
from tests.support import free_port

STARTUP_TIMEOUT_SECONDS = 20.0
SLOW_SECONDS = 3.0


@dataclass
class NodeProcess:
    name: str
    address: str
    process: subprocess.Popen[str]
    admin_url: str
    connector_url: str
    log: Path
    env: dict[str, str]
    peer_ids: dict[str, str] = field(default_factory=dict)
    """Ids of peers a test created, by a name of its choice."""

    def output(self) -> str:
        return self.log.read_text()

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        response = httpx.post(
            f"{self.admin_url}/graphql",
            json={"query": query, "variables": variables or {}},
            timeout=10,
        )
        body: dict[str, Any] = response.json()
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    def create_asset(self, code: str, scale: int) -> str:
        data = self.graphql(
            "mutation($i: CreateAssetInput!) { createAsset(input: $i) { asset { id } } }",
            {"i": {"code": code, "scale": scale}},
        )
        asset_id: str = data["createAsset"]["asset"]["id"]
        return asset_id

    def create_peer(
        self,
        *,
        asset_id: str,
        address: str,
        incoming_token: str,
        outgoing_token: str,
        endpoint: str,
        liquidity: int = 0,
        max_packet_amount: int | None = None,
        routes: list[str] | None = None,
    ) -> str:
        peer_input: dict[str, Any] = {
            "assetId": asset_id,
            "staticIlpAddress": address,
            "name": address,
            "http": {
                "incoming": {"authTokens": [incoming_token]},
                "outgoing": {"authToken": outgoing_token, "endpoint": endpoint},
            },
            "initialLiquidity": str(liquidity),
        }
        if max_packet_amount is not None:
            peer_input["maxPacketAmount"] = str(max_packet_amount)
        if routes:
            peer_input["routes"] = routes
        data = self.graphql(
            "mutation($i: CreatePeerInput!) { createPeer(input: $i) { peer { id } } }",
            {"i": peer_input},
        )
        peer_id: str = data["createPeer"]["peer"]["id"]
        return peer_id

    def liquidity(self, peer_id: str) -> int:
        data = self.graphql("query($id: String!) { peer(id: $id) { liquidity } }", {"id": peer_id})
        return int(data["peer"]["liquidity"])

    @property
    def open_payments_url(self) -> str:
        """Where this process serves SPSP (its OPEN_PAYMENTS_PORT on loopback)."""
        return f"http://127.0.0.1:{self.env['OPEN_PAYMENTS_PORT']}"

    def create_wallet_address(self, asset_id: str, address: str) -> dict[str, str]:
        """A wallet address hosted by the node: its `id` and `address` (URL)."""
        data = self.graphql(
            "mutation($i: CreateWalletAddressInput!) { createWalletAddress(input: $i) "
            "{ walletAddress { id address } } }",
            {"i": {"assetId": asset_id, "address": address}},
        )
        created: dict[str, str] = data["createWalletAddress"]["walletAddress"]
        return created

    def wallet_address_liquidity(self, wallet_address_id: str) -> int:
        """What the wallet address received and was not withdrawn (`WalletAddress.liquidity`)."""
        data = self.graphql(
            "query($id: String!) { walletAddress(id: $id) { liquidity } }",
            {"id": wallet_address_id},
        )
        return int(data["walletAddress"]["liquidity"])

    def asset_liquidity(self, asset_id: str) -> int:
        data = self.graphql(
            "query($id: String!) { asset(id: $id) { liquidity } }", {"id": asset_id}
        )
        return int(data["asset"]["liquidity"])

    def deposit_asset(self, asset_id: str, amount: int) -> None:
        import uuid

        self.graphql(
            "mutation($i: DepositAssetLiquidityInput!) { depositAssetLiquidity(input: $i) "
            "{ success } }",
            {
                "i": {
                    "assetId": asset_id,
                    "amount": str(amount),
                    "id": str(uuid.uuid4()),
                    "idempotencyKey": str(uuid.uuid4()),
                }
            },
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_node(
    tmp_path: Path, name: str, address: str, *run_args: str, **extra: str
) -> NodeProcess:
    """`python -m ilpnode run [run_args]` on free loopback ports, SQLite in `tmp_path/name`."""
    home = tmp_path / name
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ILP_", "ADMIN_"))}
    env.pop("DATABASE_URL", None)
    env.update(
        ADMIN_PORT=str(free_port()),
        CONNECTOR_PORT=str(free_port()),
        CONNECTOR_HOST="127.0.0.1",
        OPEN_PAYMENTS_PORT=str(free_port()),
        OPEN_PAYMENTS_HOST="127.0.0.1",
        DATABASE_URL=f"sqlite:///{home / 'node.sqlite3'}",
        ILP_ADDRESS=address,
        LOG_LEVEL="info",
    )
    env.update(extra)
    log = home / "node.log"
    with log.open("a") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "ilpnode", "run", *run_args],
            cwd=home,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            text=True,
        )
    node = NodeProcess(
        name,
        address,
        process,
        f"http://127.0.0.1:{env['ADMIN_PORT']}",
        f"http://127.0.0.1:{env['CONNECTOR_PORT']}",
        log,
        env,
    )
    start = log.stat().st_size
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while "ilpnode ready" not in node.output()[start:]:
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"node {name} did not start:\n{node.output()}")
        time.sleep(0.05)
    return node


def run_to_exit(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m ilpnode run [args]` expected to stop by itself (a refused start), on free
    loopback ports; `env` over this environment."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("ILP_", "ADMIN_"))}
    environment.pop("DATABASE_URL", None)
    environment.update(
        ADMIN_PORT=str(free_port()),
        CONNECTOR_PORT=str(free_port()),
        CONNECTOR_HOST="127.0.0.1",
        OPEN_PAYMENTS_PORT=str(free_port()),
        OPEN_PAYMENTS_HOST="127.0.0.1",
    )
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "ilpnode", "run", *args],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def restart_node(tmp_path: Path, node: NodeProcess) -> NodeProcess:
    """Start the same node again (same database and ports) after it stopped."""
    assert node.process.poll() is not None
    return start_node(tmp_path, node.name, node.address, **node.env)


@dataclass
class Fulfiller:
    url: str
    received: list[Prepare] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    preimages: dict[bytes, bytes] = field(default_factory=dict)
    """condition -> fulfillment, for packets whose data is not their preimage (echo)."""

    def count(self) -> int:
        with self.lock:
            return len(self.received)


@contextmanager
def fulfiller(token: str = "fulfiller-in") -> Iterator[Fulfiller]:
    """A peer that fulfills (or not, by destination) every Prepare sent with `token`."""
    port = free_port()
    state = Fulfiller(url=f"http://127.0.0.1:{port}/ilp")

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            if self.headers.get("authorization") != f"Bearer {token}":
                self._answer(401, b"bad token")
                return
            prepare = decode_prepare(body)
            with state.lock:
                state.received.append(prepare)
            destination = prepare.destination
            if "slow" in destination:
                time.sleep(SLOW_SECONDS)
            if "reject" in destination:
                reply = encode_reject(
                    Reject(code="F99", triggered_by="test.fulfiller", message="no thanks")
                )
            elif "wrong" in destination:
                reply = encode_fulfill(Fulfill(fulfillment=b"\x01" * 32))
            else:
                preimage = state.preimages.get(prepare.execution_condition, prepare.data[:32])
                if len(preimage) != 32:
                    preimage = bytes(32)
                reply = encode_fulfill(Fulfill(fulfillment=preimage, data=b"ok"))
            self._answer(200, reply)

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("content-type", "application/octet-stream")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    class Server(ThreadingHTTPServer):
        request_queue_size = 1024  # the default 5 drops connection bursts (SYN retries: R00)

    server = Server(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def prepare_to(
    destination: str, amount: int, *, expires_in: float = 10.0, preimage: bytes | None = None
) -> Prepare:
    """A Prepare whose condition the fulfiller can meet (its data is the preimage)."""
    preimage = preimage if preimage is not None else os.urandom(32)
    return Prepare(
        amount=amount,
        expires_at=datetime.now(UTC) + timedelta(seconds=expires_in),
        execution_condition=hashlib.sha256(preimage).digest(),
        destination=destination,
        data=preimage,
    )


def send(client: httpx.Client, url: str, token: str, prepare: Prepare | bytes) -> Fulfill | Reject:
    """POST a Prepare as a peer would; the decoded reply (asserts HTTP 200)."""
    body = prepare if isinstance(prepare, bytes) else encode_prepare(prepare)
    response = client.post(
        url,
        content=body,
        headers={"authorization": f"Bearer {token}", "content-type": "application/octet-stream"},
    )
    assert response.status_code == 200, (response.status_code, response.text)
    return decode_reply(response.content)
