"""The README's "Peer two nodes" walk-through, as a user runs it: two real nodes, the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .network import NodeProcess, start_node

pytestmark = pytest.mark.e2e


def cli(node: NodeProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ilpnode", *args, "--admin-url", node.admin_url],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def cli_json(node: NodeProcess, *args: str) -> dict[str, object]:
    done = cli(node, *args, "--json")
    assert done.returncode == 0, done.stderr
    data: dict[str, object] = json.loads(done.stdout)
    return data


def _peer(node: NodeProcess, other: NodeProcess, *, incoming: str, outgoing: str) -> str:
    asset = cli_json(node, "assets", "create", "--code", "USD", "--scale", "2")
    asset_id = asset["createAsset"]["asset"]["id"]  # type: ignore[index]
    created = cli_json(
        node, "peers", "create",
        "--asset-id", asset_id,
        "--name", f"node {other.name}",
        "--address", other.address,
        "--endpoint", other.connector_url,
        "--outgoing-token", outgoing,
        "--incoming-token", incoming,
        "--max-packet-amount", "1000",
        "--initial-liquidity", "10000",
    )  # fmt: skip
    peer_id: str = created["createPeer"]["peer"]["id"]  # type: ignore[index]
    return peer_id


def test_two_nodes_peer_and_each_checks_the_other(tmp_path: Path) -> None:
    a = start_node(tmp_path, "a", "test.alice")
    b = start_node(tmp_path, "b", "test.bob")
    try:
        on_a = _peer(a, b, incoming="token-b-sends-to-a", outgoing="token-a-sends-to-b")
        on_b = _peer(b, a, incoming="token-a-sends-to-b", outgoing="token-b-sends-to-a")
        check = cli(a, "peers", "check", on_a)
        assert check.returncode == 0, check.stderr
        assert "It knows this node as test.alice, asset USD scale 2." in check.stdout
        back = cli(b, "peers", "check", on_b)
        assert back.returncode == 0, back.stderr
        assert "It knows this node as test.bob, asset USD scale 2." in back.stdout
        # A wrong token is caught by the check, in words.
        cli(a, "peers", "update", on_a, "--outgoing-token", "not-what-b-expects")
        wrong = cli(a, "peers", "check", on_a)
        assert wrong.returncode == 1
        assert "refused our outgoing token (HTTP 401)" in wrong.stderr
    finally:
        a.stop()
        b.stop()
