"""`ilpnode run` as a user runs it: a real process on loopback ports."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from ilpnode import compiled
from tests.support import free_port

pytestmark = pytest.mark.e2e

STARTUP_TIMEOUT_SECONDS = 20.0


@dataclass
class RunningNode:
    process: subprocess.Popen[str]
    admin_url: str
    connector_url: str
    log: Path

    def output(self) -> str:
        return self.log.read_text()


def node_environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "ILP_ADDRESS"}}
    env.update(
        ADMIN_PORT=str(free_port()),
        CONNECTOR_PORT=str(free_port()),
        CONNECTOR_HOST="127.0.0.1",
        OPEN_PAYMENTS_PORT=str(free_port()),
        OPEN_PAYMENTS_HOST="127.0.0.1",
        DATABASE_URL=f"sqlite:///{tmp_path / 'node.sqlite3'}",
        ILP_ADDRESS="test.e2e",
    )
    env.update(extra)
    return env


def start(tmp_path: Path, env: dict[str, str]) -> RunningNode:
    log = tmp_path / "node.log"
    with log.open("w") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "ilpnode", "run"],
            cwd=tmp_path,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            text=True,
        )
    node = RunningNode(
        process,
        f"http://127.0.0.1:{env['ADMIN_PORT']}",
        f"http://127.0.0.1:{env['CONNECTOR_PORT']}",
        log,
    )
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while "ilpnode ready" not in node.output():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"node did not start:\n{node.output()}")
        time.sleep(0.05)
    return node


def run_to_exit(tmp_path: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`ilpnode run` that is expected to stop by itself (a refused start)."""
    return subprocess.run(
        [sys.executable, "-m", "ilpnode", "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.fixture
def node(tmp_path: Path) -> Iterator[RunningNode]:
    running = start(tmp_path, node_environment(tmp_path))
    yield running
    if running.process.poll() is None:
        running.process.kill()
        running.process.wait()


def test_node_serves_health_and_connector_then_stops_on_sigterm(node: RunningNode) -> None:
    # The node says whether its packet path runs compiled; from the same source tree, the
    # same as this process (both checked the build record against the same sources).
    assert f"packet path: {compiled.STATUS}" in node.output()
    health = httpx.get(f"{node.admin_url}/healthz")
    assert health.status_code == 200
    assert health.json()["database"] == "ok"
    assert health.json()["ilpAddress"] == "test.e2e"

    no_token = httpx.post(node.connector_url, content=b"\x0c\x00")
    assert no_token.status_code == 401

    node.process.send_signal(signal.SIGTERM)
    assert node.process.wait(timeout=15) == 0
    output = node.output()
    assert "admin API listening on http://127.0.0.1:" in output
    assert "ILP connector listening on http://127.0.0.1:" in output
    assert "SIGTERM received" in output
    assert "ilpnode stopped" in output
    assert "Traceback" not in output


def test_start_up_says_one_line_per_surface_and_nothing_from_libraries(
    node: RunningNode,
) -> None:
    start_up = node.output().partition("ilpnode ready")[0].splitlines()
    # "<date> <time> <LEVEL> <logger>: <message>": every line is the node's own.
    speakers = {line.split(" ", 4)[3].rstrip(":") for line in start_up}
    assert all(speaker.startswith("ilpnode") for speaker in speakers), start_up
    assert not [line for line in start_up if "alembic" in line]
    for surface in ("admin API", "ILP connector", "Open Payments server"):
        assert sum(f"{surface} listening on" in line for line in start_up) == 1, start_up


def test_sigint_stops_the_node_cleanly(node: RunningNode) -> None:
    node.process.send_signal(signal.SIGINT)

    assert node.process.wait(timeout=15) == 0
    assert "ilpnode stopped" in node.output()
    assert "Traceback" not in node.output()


def test_keep_alive_connection_is_reused(node: RunningNode) -> None:
    with httpx.Client() as client:
        first = client.get(f"{node.admin_url}/healthz")
        second = client.get(f"{node.admin_url}/healthz")

    assert first.status_code == second.status_code == 200
    assert first.headers.get("connection") != "close"


def test_invalid_configuration_stops_the_start_with_the_variable_named(tmp_path: Path) -> None:
    env = node_environment(tmp_path, ILP_ADDRESS="not-an-address", CONNECTOR_PORT="99999")

    result = run_to_exit(tmp_path, env)

    assert result.returncode == 2
    assert "ILP_ADDRESS: 'not-an-address' is not a valid ILP address" in result.stderr
    assert "CONNECTOR_PORT: " in result.stderr
    assert "Traceback" not in result.stderr


def test_port_in_use_stops_the_start_with_a_clear_message(tmp_path: Path) -> None:
    env = node_environment(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", int(env["CONNECTOR_PORT"])))
        taken.listen()
        result = run_to_exit(tmp_path, env)

    assert result.returncode == 1
    assert f"port {env['CONNECTOR_PORT']} on 127.0.0.1 is already in use" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version(flag: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ilpnode", flag], capture_output=True, text=True, timeout=30
    )

    assert result.returncode == 0
    assert result.stdout.startswith("ilpnode, version ")


def test_help_lists_run() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ilpnode", "--help"], capture_output=True, text=True, timeout=30
    )

    assert result.returncode == 0
    assert "run" in result.stdout
    assert "Interledger" in result.stdout


def test_tampered_ledger_stops_the_start_with_a_clear_message(tmp_path: Path) -> None:
    env = node_environment(tmp_path)
    first = start(tmp_path, env)
    first.process.send_signal(signal.SIGTERM)
    assert first.process.wait(timeout=15) == 0
    database = tmp_path / "node.sqlite3"
    with sqlite3.connect(database) as connection:  # a journal entry whose account vanished
        connection.execute(
            "INSERT INTO ledger_transfers (id, debit_account_id, credit_account_id, amount,"
            " user_data_128, user_data_64, user_data_32, timeout, ledger, code, flags,"
            " timestamp, seq) VALUES ('01', '02', '03', 5, '00', 0, 0, 0, 1, 1, 0, 1, 1)"
        )

    result = run_to_exit(tmp_path, env)

    assert result.returncode == 1
    assert "ilpnode: cannot open the ledger: the ledger journal cannot be replayed" in result.stderr
    assert "Traceback" not in result.stderr
