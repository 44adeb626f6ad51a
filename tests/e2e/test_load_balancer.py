"""docs/examples/haproxy.cfg, as shipped, in front of two real node processes on one PostgreSQL
database: packets through HAProxy reach both, and when one process is killed (-9) the other
takes every packet, at once (a refused connection is sent to the other process) and after the
health check has taken the dead one out."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ilpnode.ilp import Fulfill
from tests.support import free_port, migrated_throwaway_database

from .network import NodeProcess, fulfiller, prepare_to, send, start_node

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.slow]

CONFIG = Path(__file__).parents[2] / "docs" / "examples" / "haproxy.cfg"
SENDER_TOKEN = "sender-to-lb"
PACKETS = 40
WAIT_SECONDS = 30.0
_FULFILLED = re.compile(r'^ilpnode_packets_total\{[^}]*outcome="fulfill"[^}]*\} (\S+)$', re.M)


def haproxy_binary() -> str:
    found = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/usr/local/sbin")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("haproxy is not installed (CI installs Debian's haproxy: .ci/run)")
        pytest.skip("haproxy is not installed (Debian: apt-get install haproxy)")
    return found


def render(config: str, nodes: dict[str, NodeProcess], connector_port: int, admin_port: int) -> str:
    """The shipped configuration with the test's addresses: every line naming a server gets
    that node's ports (`10.0.0.1N:3002` the connector, `:3001` and `port 3001` the admin)."""
    lines = []
    for line in config.splitlines():
        line = line.replace("bind :3002", f"bind 127.0.0.1:{connector_port}")
        line = line.replace("bind :3001", f"bind 127.0.0.1:{admin_port}")
        server = re.match(r"\s*server (node\d) ", line)
        if server is not None:
            node = nodes[server.group(1)]
            connector = node.env["CONNECTOR_PORT"]
            admin = node.env["ADMIN_PORT"]
            line = re.sub(r"10\.0\.0\.\d+:3002", f"127.0.0.1:{connector}", line)
            line = re.sub(r"10\.0\.0\.\d+:3001", f"127.0.0.1:{admin}", line)
            line = line.replace("port 3001", f"port {admin}")
        lines.append(line)
    rendered = "\n".join(lines) + "\n"
    assert "10.0.0." not in rendered.split("# With ENABLE_AUTO_PEERING")[0]
    return rendered


def fulfilled(node: NodeProcess) -> int:
    metrics = httpx.get(f"{node.admin_url}/metrics").text
    return int(sum(float(count) for count in _FULFILLED.findall(metrics)))


@pytest.fixture
def database_url() -> Iterator[str]:
    yield from migrated_throwaway_database()


def test_haproxy_spreads_packets_over_two_processes_and_drops_a_dead_one(
    tmp_path: Path, database_url: str
) -> None:
    binary = haproxy_binary()
    shared = {"DATABASE_URL": database_url, "LEDGER_BACKEND": "postgres"}
    with fulfiller() as target:
        node1 = start_node(tmp_path, "node1", "test.lb", **shared)
        node2: NodeProcess | None = None
        haproxy: subprocess.Popen[str] | None = None
        try:
            usd = node1.create_asset("USD", 2)
            node1.create_peer(
                asset_id=usd,
                address="test.sender",
                incoming_token=SENDER_TOKEN,
                outgoing_token="unused",
                endpoint="http://127.0.0.1:9/unused",
                liquidity=1_000_000,
            )
            node1.create_peer(
                asset_id=usd,
                address="test.fulfiller",
                incoming_token="fulfiller-to-lb",
                outgoing_token="fulfiller-in",
                endpoint=target.url,
            )
            node2 = start_node(tmp_path, "node2", "test.lb", **shared)  # loads those peers
            connector_port, admin_port = free_port(), free_port()
            config = tmp_path / "haproxy.cfg"
            config.write_text(
                render(
                    CONFIG.read_text(), {"node1": node1, "node2": node2}, connector_port, admin_port
                )
            )
            log = tmp_path / "haproxy.log"
            with log.open("w") as sink:
                haproxy = subprocess.Popen(
                    [binary, "-f", str(config), "-db"],
                    stdout=sink,
                    stderr=subprocess.STDOUT,
                    text=True,
                )
            balancer = f"http://127.0.0.1:{connector_port}"
            wait_until_up(f"http://127.0.0.1:{admin_port}/healthz", haproxy, log)

            def forward(count: int) -> list[object]:
                replies: list[object] = []
                for _ in range(count):
                    with httpx.Client() as client:  # a new connection each
                        prepare = prepare_to("test.fulfiller.x", 100)
                        replies.append(send(client, balancer, SENDER_TOKEN, prepare))
                return replies

            before = forward(PACKETS)
            served = {"node1": fulfilled(node1), "node2": fulfilled(node2)}

            node2.process.kill()
            node2.process.wait()
            at_once = forward(PACKETS // 2)  # before the health check noticed
            deadline = time.monotonic() + WAIT_SECONDS
            while "Server ilpnode_connectors/node2 is DOWN" not in log.read_text():
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
            after = forward(PACKETS // 2)
            node1_total = fulfilled(node1)
        finally:
            if haproxy is not None:
                haproxy.terminate()
                haproxy.wait(timeout=10)
            node1.stop()
            if node2 is not None:
                node2.stop()

    assert all(isinstance(reply, Fulfill) for reply in before + at_once + after)
    assert served["node1"] > 0  # each process forwarded some
    assert served["node2"] > 0
    assert served["node1"] + served["node2"] == PACKETS
    assert node1_total == served["node1"] + PACKETS  # every later packet went to node1
    assert target.count() == 2 * PACKETS


def wait_until_up(url: str, haproxy: subprocess.Popen[str], log: Path) -> None:
    """Until HAProxy answers on its admin frontend with a node's 200."""
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        assert haproxy.poll() is None, log.read_text()
        try:
            if httpx.get(url).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.1)
