"""A private PostgreSQL cluster for tests that stop, crash or restart the server.

The shared server at TEST_DATABASE_URL is never restarted (other tests and people use it); a test
that needs a server to go away starts its own with Debian's binaries
(`/usr/lib/postgresql/<version>/bin`: initdb, pg_ctl), in a temporary directory, on a free
loopback port, with trust authentication for the user `postgres`:

    with private_cluster() as cluster:
        url = cluster.create_database("ilpnode")    # postgresql://postgres@127.0.0.1:<port>/ilpnode
        cluster.stop()                               # pg_ctl stop -m fast
        cluster.start()

initdb refuses to run as root, and CI runs as root: the server then runs as the OS user
`postgres` (`runuser`), and the directory is handed to it. Without the binaries the test is
skipped, except under CI (`CI` set), where that is a failure.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support import free_port

__all__ = ["PrivateCluster", "postgres_binaries", "private_cluster"]

SERVER_USER = "postgres"
# pg_ctl's own wait for start or stop (its default is 60 s); a bound for a hung test only.
PG_CTL_TIMEOUT_SECONDS = 60


def postgres_binaries() -> Path | None:
    """The newest `/usr/lib/postgresql/<version>/bin` holding initdb and pg_ctl, or None."""
    root = Path("/usr/lib/postgresql")
    if not root.is_dir():
        return None
    versions = sorted(
        (path for path in root.iterdir() if path.name.replace(".", "").isdigit()),
        key=lambda path: [int(part) for part in path.name.split(".")],
    )
    for version in reversed(versions):
        binaries = version / "bin"
        if (binaries / "initdb").is_file() and (binaries / "pg_ctl").is_file():
            return binaries
    return None


@dataclass
class PrivateCluster:
    """One initdb'd cluster: `start`, `stop`, `restart` it; `url` of a database on it."""

    binaries: Path
    directory: Path
    port: int
    as_server_user: list[str]
    """The command prefix that runs a program as the server's OS user (empty if we are it)."""

    @property
    def data(self) -> Path:
        return self.directory / "data"

    @property
    def log(self) -> Path:
        """The server's own log (pg_ctl -l): what it said about shutdowns and recoveries."""
        return self.directory / "server.log"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = (
            f"-c port={self.port} -c listen_addresses=127.0.0.1"
            f" -c unix_socket_directories={self.directory}"
        )
        self._pg_ctl("start", "-l", str(self.log), "-o", options)

    def stop(self, mode: str = "fast") -> None:
        """`pg_ctl stop -m <mode>`: fast ends every session and checkpoints; immediate is a
        crash (recovery from the WAL at the next start)."""
        self._pg_ctl("stop", "-m", mode)

    def restart(self, mode: str = "fast") -> None:
        self.stop(mode)
        self.start()

    def create_database(self, name: str) -> str:
        """CREATE DATABASE `name`; its URL."""
        import asyncpg

        async def create() -> None:
            connection = await asyncpg.connect(self.url())
            try:
                await connection.execute(f'CREATE DATABASE "{name}"')
            finally:
                await connection.close()

        asyncio.run(create())
        return self.url(name)

    def server_log(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def _pg_ctl(self, *args: str) -> None:
        command = [
            *self.as_server_user,
            str(self.binaries / "pg_ctl"),
            *args,
            "-D",
            str(self.data),
            "-w",
            "-t",
            str(PG_CTL_TIMEOUT_SECONDS),
        ]
        _run(command, f"pg_ctl {args[0]}", self)


def _run(command: list[str], what: str, cluster: PrivateCluster | None = None) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        log = cluster.server_log() if cluster is not None else ""
        pytest.fail(f"{what} failed ({result.returncode}):\n{result.stdout}{result.stderr}{log}")


@contextmanager
def private_cluster() -> Iterator[PrivateCluster]:
    """A new cluster, started; stopped (immediately) and deleted at the end."""
    binaries = postgres_binaries()
    if binaries is None:
        if os.environ.get("CI"):
            pytest.fail(
                "no PostgreSQL binaries under /usr/lib/postgresql/*/bin (CI must have them)"
            )
        pytest.skip("no PostgreSQL binaries under /usr/lib/postgresql/*/bin (initdb, pg_ctl)")
    as_server_user: list[str] = []
    # /tmp itself, not pytest's tmp_path: the server's user must reach the directory, and a
    # Unix socket path must stay under ~100 bytes.
    directory = Path(tempfile.mkdtemp(prefix="ilpnode-pg-"))
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        if runuser is None:
            pytest.fail("running as root needs runuser to start PostgreSQL as its own user")
        as_server_user = [runuser, "-u", SERVER_USER, "--"]
        shutil.chown(directory, SERVER_USER, SERVER_USER)
    cluster = PrivateCluster(binaries, directory, free_port(), as_server_user)
    try:
        _run(
            [
                *as_server_user,
                str(binaries / "initdb"),
                "-D",
                str(cluster.data),
                "-A",
                "trust",
                "-U",
                SERVER_USER,
                "--no-sync",  # a throwaway cluster: no need to wait for the disk here
            ],
            "initdb",
        )
        cluster.start()
        yield cluster
    finally:
        if (cluster.data / "postmaster.pid").exists():
            subprocess.run(
                [
                    *as_server_user,
                    str(binaries / "pg_ctl"),
                    "stop",
                    "-m",
                    "immediate",
                    "-D",
                    str(cluster.data),
                    "-w",
                ],
                capture_output=True,
                check=False,
            )
        shutil.rmtree(directory, ignore_errors=True)
