"""One embedded ledger per database, even across processes started by hand: a second
`ilpnode run` on the same SQLite file or PostgreSQL database stops with a message naming the
process that holds it, and the first serves on (`storage.ledger.lock`)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support import migrated_throwaway_database

from .network import run_to_exit, start_node

pytestmark = pytest.mark.e2e


@pytest.fixture
def database_url() -> Iterator[str]:
    yield from migrated_throwaway_database()


def test_a_second_node_on_one_sqlite_file_is_refused(tmp_path: Path) -> None:
    first = start_node(tmp_path, "first", "test.first")
    try:
        database = first.env["DATABASE_URL"]
        second = run_to_exit(tmp_path, DATABASE_URL=database)
        health = httpx.get(f"{first.admin_url}/healthz")
    finally:
        first.stop()

    path = database.removeprefix("sqlite:///")
    assert second.returncode == 1
    assert (
        f"ilpnode: the ledger of {path} is open in another process (ilpnode embedded ledger, "
        f"pid {first.process.pid} on {socket.gethostname()}, since " in second.stderr
    )
    assert f"it holds {path}.lock" in second.stderr
    assert "LEDGER_BACKEND=postgres" in second.stderr
    assert "Traceback" not in second.stderr
    assert health.status_code == 200


@pytest.mark.postgres
def test_a_second_embedded_node_on_one_postgresql_database_is_refused(
    tmp_path: Path, database_url: str
) -> None:
    first = start_node(tmp_path, "first", "test.first", DATABASE_URL=database_url)
    try:
        second = run_to_exit(tmp_path, DATABASE_URL=database_url, LEDGER_BACKEND="embedded")
        health = httpx.get(f"{first.admin_url}/healthz")
    finally:
        first.stop()

    assert second.returncode == 1
    assert "is open in another process (ilpnode embedded ledger, pid " in second.stderr
    assert f"pid {first.process.pid} on " in second.stderr
    assert "LEDGER_BACKEND=postgres" in second.stderr
    assert "Traceback" not in second.stderr
    assert health.status_code == 200


@pytest.mark.postgres
def test_workers_are_refused_on_a_database_an_embedded_node_uses(
    tmp_path: Path, database_url: str
) -> None:
    first = start_node(tmp_path, "first", "test.first", DATABASE_URL=database_url)
    try:
        workers = run_to_exit(
            tmp_path, "--workers", "2", DATABASE_URL=database_url, LEDGER_BACKEND="postgres"
        )
        health = httpx.get(f"{first.admin_url}/healthz")
    finally:
        first.stop()

    assert workers.returncode == 1
    assert (
        "is in use by a process with the embedded ledger (ilpnode embedded ledger, "
        f"pid {first.process.pid} on " in workers.stderr
    )
    assert "worker 1 started" not in workers.stderr
    assert health.status_code == 200
