"""The ledger log's sync process: one answer per request, a failed sync is said and ends it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from ilpnode.storage.ledger_log import _HELPER, SyncProcess


def test_the_helper_answers_every_request_and_exits_at_end_of_input(tmp_path: Path) -> None:
    log = tmp_path / "log"
    log.write_bytes(b"x")
    done = subprocess.run(
        [sys.executable, "-I", "-S", str(_HELPER), str(log)],
        input=b"sss",
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, b"kkk")


def test_the_helper_says_a_failed_sync_and_exits() -> None:
    # /dev/null cannot be synced (EINVAL): what a failing disk looks like to the helper.
    done = subprocess.run(
        [sys.executable, "-I", "-S", str(_HELPER), "/dev/null"],
        input=b"s",
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert (done.returncode, done.stdout) == (1, b"e")


async def test_sync_process_syncs_and_reports_failure(tmp_path: Path) -> None:
    log = tmp_path / "log"
    log.write_bytes(b"x")
    good = SyncProcess(log)
    try:
        for _ in range(3):
            await good.sync()  # answered "k": no error
    finally:
        await good.close()
    assert not good.alive
    with pytest.raises(OSError, match="gone"):
        await good.sync()

    failing = SyncProcess(Path("/dev/null"))
    try:
        with pytest.raises(OSError, match="fdatasync of the ledger log failed"):
            await failing.sync()
        assert not failing.alive
    finally:
        await failing.close()


def _start_helper(log: Path, *, stderr: int | None = None) -> subprocess.Popen[bytes]:
    """The sync helper on a new one-byte log, its requests and answers on pipes."""
    log.write_bytes(b"x")
    return subprocess.Popen(
        [sys.executable, "-I", "-S", str(_HELPER), str(log)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=stderr,
    )


def test_the_helper_stops_quietly_when_the_node_is_gone(tmp_path: Path) -> None:
    helper = _start_helper(tmp_path / "log", stderr=subprocess.PIPE)
    assert helper.stdin is not None
    assert helper.stdout is not None
    helper.stdout.close()  # nobody reads its answers any more: a killed node
    helper.stdin.write(b"s")
    helper.stdin.close()
    assert helper.wait(timeout=30) == 0
    assert helper.stderr is not None
    assert helper.stderr.read() == b""  # no traceback in the node's log
    helper.stderr.close()


def test_the_helper_opens_the_path_again_when_asked(tmp_path: Path) -> None:
    log = tmp_path / "log"
    helper = _start_helper(log)
    assert helper.stdin is not None
    assert helper.stdout is not None
    try:
        replacement = tmp_path / "log.new"
        replacement.write_bytes(b"y")
        replacement.replace(log)  # a compaction swapped the file in
        helper.stdin.write(b"r")
        helper.stdin.flush()
        assert helper.stdout.read(1) == b"k"
        log.unlink()  # reopening now fails: proof that "r" opens the path, not the old file
        helper.stdin.write(b"s")
        helper.stdin.flush()
        assert helper.stdout.read(1) == b"k"  # a plain sync keeps the file it has
        helper.stdin.write(b"r")
        helper.stdin.flush()
        assert helper.stdout.read(1) == b"e"
        assert helper.wait(timeout=30) == 1
    finally:
        helper.kill()
        helper.stdin.close()
        helper.stdout.close()
        helper.wait()
