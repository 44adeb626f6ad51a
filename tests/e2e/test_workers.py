"""`ilpnode run --workers N`: N node processes on one port pair over one PostgreSQL ledger,
supervised by the process that was started (`ilpnode.workers`)."""

from __future__ import annotations

import os
import re
import signal
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from ilpnode.ilp import Fulfill
from tests.support import free_port, migrated_throwaway_database

from .network import NodeProcess, fulfiller, prepare_to, run_to_exit, send, start_node

pytestmark = [pytest.mark.e2e, pytest.mark.postgres, pytest.mark.slow]

SENDER_TOKEN = "sender-to-workers"
PACKETS = 40
WAIT_SECONDS = 30.0
_READY = re.compile(r"worker (\d+) ready \(pid (\d+)\)")
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_FULFILLED = re.compile(r'^ilpnode_packets_total\{[^}]*outcome="fulfill"[^}]*\} (\S+)$', re.M)


@pytest.fixture
def database_url() -> Iterator[str]:
    yield from migrated_throwaway_database()


def shared(url: str) -> dict[str, str]:
    return {"DATABASE_URL": url, "LEDGER_BACKEND": "postgres"}


def start_workers(tmp_path: Path, url: str) -> NodeProcess:
    """`ilpnode run --workers 2` on the shared ledger; returns once the supervisor is ready."""
    return start_node(tmp_path, "workers", "test.workers", "--workers", "2", **shared(url))


def ready_pids(node: NodeProcess) -> dict[int, int]:
    """Worker number -> pid of the latest start the supervisor logged as ready."""
    return {int(number): int(pid) for number, pid in _READY.findall(node.output())}


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def alive(pid: int) -> bool:
    """Whether the process runs (a zombie left unreaped by an init without reaping is not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def answering_pids(admin_url: str, wanted: set[int]) -> set[int]:
    """The pids /healthz names over new connections, until all `wanted` were seen (or 200)."""
    seen: set[int] = set()
    for _ in range(200):
        with httpx.Client() as client:
            seen.add(client.get(f"{admin_url}/healthz").json()["pid"])
        if wanted <= seen:
            break
    return seen


def stop(node: NodeProcess) -> int:
    node.process.send_signal(signal.SIGTERM)
    return node.process.wait(timeout=WAIT_SECONDS)


def test_two_workers_serve_one_port_pair_and_stop_together_on_sigterm(
    tmp_path: Path, database_url: str
) -> None:
    with fulfiller() as target:
        setup = start_node(tmp_path, "setup", "test.workers", **shared(database_url))
        usd = setup.create_asset("USD", 2)
        setup.create_peer(
            asset_id=usd,
            address="test.sender",
            incoming_token=SENDER_TOKEN,
            outgoing_token="unused",
            endpoint="http://127.0.0.1:9/unused",
            liquidity=1_000_000,
        )
        setup.create_peer(
            asset_id=usd,
            address="test.fulfiller",
            incoming_token="fulfiller-to-workers",
            outgoing_token="fulfiller-in",
            endpoint=target.url,
        )
        assert stop(setup) == 0
        node = start_workers(tmp_path, database_url)
        try:
            pids = set(ready_pids(node).values())
            replies = []
            for _ in range(PACKETS):
                with httpx.Client() as client:  # a new connection each: any worker may take it
                    replies.append(
                        send(
                            client,
                            node.connector_url,
                            SENDER_TOKEN,
                            prepare_to("test.fulfiller.x", 100),
                        )
                    )
            served: dict[int, float] = {}
            for _ in range(200):
                with httpx.Client() as client:  # one connection: both answers from one worker
                    pid = client.get(f"{node.admin_url}/healthz").json()["pid"]
                    metrics = client.get(f"{node.admin_url}/metrics").text
                served[pid] = sum(float(count) for count in _FULFILLED.findall(metrics))
                if set(served) == pids:
                    break
            status = stop(node)
        finally:
            node.stop()

    assert len(pids) == 2
    assert all(isinstance(reply, Fulfill) for reply in replies)
    assert target.count() == PACKETS
    assert set(served) == pids  # both workers answer the admin port…
    assert all(count > 0 for count in served.values())  # …and both forwarded packets
    assert sum(served.values()) == PACKETS
    assert status == 0
    assert not any(alive(pid) for pid in pids)
    output = node.output()
    assert "ilpnode ready: 2 workers (pids " in output
    assert output.count("ilpnode stopped") == 2
    assert "SIGTERM received: stopping 2 workers" in output
    assert "all workers stopped" in output
    assert "Traceback" not in output


def test_a_killed_worker_is_started_again(tmp_path: Path, database_url: str) -> None:
    node = start_workers(tmp_path, database_url)
    try:
        first = ready_pids(node)
        os.kill(first[1], signal.SIGKILL)
        wait_for(lambda: ready_pids(node)[1] != first[1], "worker 1 to start again")
        now = ready_pids(node)
        answering = answering_pids(node.admin_url, set(now.values()))
        status = stop(node)
    finally:
        node.stop()

    assert now[2] == first[2]  # the other worker served on
    assert answering == set(now.values())
    assert f"worker 1 (pid {first[1]}) was killed by SIGKILL: starting it again in 1 s" in (
        node.output()
    )
    assert status == 1  # the run had a failure
    assert not any(alive(pid) for pid in now.values())


def test_workers_stop_by_themselves_when_the_supervisor_is_killed(
    tmp_path: Path, database_url: str
) -> None:
    node = start_workers(tmp_path, database_url)
    try:
        pids = set(ready_pids(node).values())
        node.process.kill()
        node.process.wait()
        wait_for(lambda: not any(alive(pid) for pid in pids), "the workers to stop")
    finally:
        for pid in pids:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)

    output = node.output()
    assert output.count("the supervising process is gone: stopping") == 2
    assert output.count("ilpnode stopped") == 2


def test_a_dashboard_session_made_by_one_worker_is_accepted_by_every_worker(
    tmp_path: Path, database_url: str
) -> None:
    node = start_workers(tmp_path, database_url)
    try:
        pids = set(ready_pids(node).values())
        with httpx.Client() as client:
            page = client.get(f"{node.admin_url}/dashboard/assets/new")
            found = _CSRF.search(page.text)
            assert found is not None, page.text
            cookies = dict(client.cookies)
        accepted: dict[int, int] = {}
        for _ in range(200):
            with httpx.Client(cookies=cookies) as client:
                pid = client.get(f"{node.admin_url}/healthz").json()["pid"]
                # A CSRF-checked form, invalid on purpose: 400 once the session and its token
                # are accepted (403 if not), and nothing is created.
                response = client.post(
                    f"{node.admin_url}/dashboard/assets/new",
                    data={"csrf_token": found.group(1), "code": "", "scale": ""},
                )
            accepted[pid] = response.status_code
            if set(accepted) == pids:
                break
        stop(node)
    finally:
        node.stop()

    assert set(accepted) == pids
    assert set(accepted.values()) == {400}


@pytest.mark.parametrize(
    ("env", "on"),
    [
        pytest.param({"DATABASE_URL": "sqlite:///node.sqlite3"}, " on SQLite", id="sqlite"),
        pytest.param({"LEDGER_BACKEND": "embedded"}, "", id="embedded-on-postgresql"),
    ],
)
def test_workers_are_refused_on_the_embedded_ledger(
    tmp_path: Path, database_url: str, env: dict[str, str], on: str
) -> None:
    result = run_to_exit(tmp_path, "--workers", "3", **{"DATABASE_URL": database_url, **env})

    assert result.returncode == 2
    assert (
        "ilpnode: --workers 3 needs the shared ledger: set LEDGER_BACKEND=postgres and a "
        "PostgreSQL DATABASE_URL" in result.stderr
    )
    assert f"This node uses the embedded ledger{on}, which one process owns" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "node.sqlite3").exists()  # refused before touching anything


def test_zero_workers_is_refused(tmp_path: Path) -> None:
    result = run_to_exit(tmp_path, "--workers", "0")

    assert result.returncode == 2
    assert "Invalid value for '--workers': 0 is not in the range x>=1." in result.stderr


def test_one_worker_is_the_single_process_node(tmp_path: Path) -> None:
    node = start_node(tmp_path, "one", "test.one", "--workers", "1")
    try:
        status = stop(node)
    finally:
        node.stop()

    assert status == 0
    assert "ilpnode ready: ILP address test.one" in node.output()
    assert "worker 1 started" not in node.output()
    assert " ilpnode: starting ilpnode " in node.output()  # the one-process log format


def test_a_taken_port_stops_the_start_before_any_worker(tmp_path: Path, database_url: str) -> None:
    port = free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        result = run_to_exit(
            tmp_path, "--workers", "2", CONNECTOR_PORT=str(port), **shared(database_url)
        )

    assert result.returncode == 1
    assert f"ilpnode: ILP connector: port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "worker 1 started" not in result.stderr
