"""Idle sockets from one address cannot take a real node from its peers or its operator.

Before the caps, 1,100 idle TCP connections (no bytes, no token) under the common soft limit of
1,024 open files made `/healthz` and every packet time out while they were held.
"""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest

from .network import fulfiller, prepare_to, send, start_node

pytestmark = pytest.mark.e2e

PER_CLIENT = 50


def test_idle_connections_from_one_address_leave_the_node_serving(tmp_path: Path) -> None:
    with fulfiller("hop-out") as hop:
        node = start_node(
            tmp_path,
            "node",
            "test.node",
            CONNECTOR_MAX_CONNECTIONS_PER_CLIENT=str(PER_CLIENT),
        )
        try:
            asset = node.create_asset("USD", 2)
            for address, incoming, outgoing, endpoint, liquidity in (
                ("test.sender", "sender-in", "unused", "http://127.0.0.1:9/", 10**6),
                ("test.hop", "hop-in", "hop-out", hop.url, 0),
            ):
                node.create_peer(
                    asset_id=asset,
                    address=address,
                    incoming_token=incoming,
                    outgoing_token=outgoing,
                    endpoint=endpoint,
                    liquidity=liquidity,
                )
            port = int(node.connector_url.rsplit(":", 1)[1])
            idle = []
            for _ in range(3 * PER_CLIENT):
                sock = socket.socket()
                sock.bind(("127.0.0.2", 0))
                sock.connect(("127.0.0.1", port))
                idle.append(sock)
            with httpx.Client(timeout=5) as client:
                assert client.get(f"{node.admin_url}/healthz").status_code == 200
                reply = send(client, node.connector_url, "sender-in", prepare_to("test.hop.x", 5))
                assert type(reply).__name__ == "Fulfill"
            # Well within the 10 s request deadline: the ones closed by now are those over the
            # cap, closed at accept; the others are still open.
            closed = 0
            for sock in idle:
                sock.settimeout(0.02)
                try:
                    closed += sock.recv(1) == b""
                except ConnectionResetError:
                    closed += 1
                except TimeoutError:
                    pass
                sock.close()
            assert closed == 2 * PER_CLIENT
        finally:
            node.stop()
    assert node.process.returncode == 0
