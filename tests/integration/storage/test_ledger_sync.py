"""The ledger log's sync process (one answer per request, a failed sync is said and ends it),
and the log's writes that wait for it."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from ilpnode.ledger import Account, AccountId
from ilpnode.storage.ledger.log_codec import decode_log
from ilpnode.storage.ledger.log_file import LedgerLog
from ilpnode.storage.ledger.sync_process import SYNC_HELPER, SyncProcess


def test_the_helper_answers_every_request_and_exits_at_end_of_input(tmp_path: Path) -> None:
    log = tmp_path / "log"
    log.write_bytes(b"x")
    done = subprocess.run(
        [sys.executable, "-I", "-S", str(SYNC_HELPER), str(log)],
        input=b"sss",
        capture_output=True,
        timeout=30,
        check=False,
    )
    assert (done.returncode, done.stdout) == (0, b"kkk")


def test_the_helper_says_a_failed_sync_and_exits() -> None:
    # /dev/null cannot be synced (EINVAL): what a failing disk looks like to the helper.
    done = subprocess.run(
        [sys.executable, "-I", "-S", str(SYNC_HELPER), "/dev/null"],
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
        [sys.executable, "-I", "-S", str(SYNC_HELPER), str(log)],
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


async def test_requests_are_answered_by_callback_in_the_order_asked(tmp_path: Path) -> None:
    log = tmp_path / "log"
    log.write_bytes(b"x")
    process = SyncProcess(log)
    answers: list[tuple[int, OSError | None]] = []
    all_answered = asyncio.get_running_loop().create_future()

    def answered(number: int) -> Callable[[OSError | None], None]:
        def record(error: OSError | None) -> None:
            answers.append((number, error))
            if len(answers) == 3:
                all_answered.set_result(None)

        return record

    try:
        for number in range(3):
            process.request(answered(number))
        assert answers == []  # never inside the call: from the answers' reader
        await asyncio.wait_for(all_answered, 10)
        assert answers == [(0, None), (1, None), (2, None)]
    finally:
        await process.close()
    with pytest.raises(OSError, match="gone"):
        process.request(answered(3))
    assert len(answers) == 3


def _entry(number: int) -> Account:
    return Account(id=AccountId(number), ledger=1, code=1, timestamp=number)


def _logged_ids(log: LedgerLog) -> list[int]:
    return [
        entry.id
        for entry in decode_log(log.path.read_bytes()).entries
        if isinstance(entry, Account)
    ]


async def test_a_write_without_fsync_is_durable_within_the_call(tmp_path: Path) -> None:
    log = LedgerLog(tmp_path / "ledger.log", fsync_every_commit=False)
    log.read()
    outcomes: list[OSError | None] = []
    try:
        before = log.size
        log.write([_entry(1)], outcomes.append)
        assert outcomes == [None]
        assert log.size > before
        assert _logged_ids(log) == [1]
    finally:
        await log.close()


async def test_a_synced_write_is_durable_once_the_answer_is_in(tmp_path: Path) -> None:
    log = LedgerLog(tmp_path / "ledger.log")
    log.read()
    log.start_sync()
    durable = asyncio.get_running_loop().create_future()
    try:
        before = log.size
        log.write([_entry(1)], durable.set_result)
        assert not durable.done()
        assert log.size == before  # written, not yet durable
        assert await asyncio.wait_for(durable, 10) is None
        assert log.size > before
        assert log.syncs == 1
        await log.append([_entry(2)])  # the awaited form
        assert _logged_ids(log) == [1, 2]
    finally:
        await log.close()


async def test_a_write_whose_sync_fails_is_cut_off_and_the_next_gets_a_new_process(
    tmp_path: Path,
) -> None:
    log = LedgerLog(tmp_path / "ledger.log")
    log.read()
    log.start_sync()
    await log.append([_entry(1)])
    durable_size = log.size
    assert log._sync is not None
    helper = log._sync._process
    helper.send_signal(signal.SIGSTOP)  # it cannot answer the request below
    failed = asyncio.get_running_loop().create_future()
    try:
        log.write([_entry(2)], failed.set_result)
        helper.kill()  # and dies with the request unanswered
        error = await asyncio.wait_for(failed, 10)
        assert isinstance(error, OSError)
        assert log.size == durable_size
        # The frame was zeroed again: only what was confirmed durable reads back.
        assert _logged_ids(log) == [1]
        await log.append([_entry(3)])  # a new sync process
        assert _logged_ids(log) == [1, 3]
    finally:
        await log.close()


async def test_a_write_to_a_dead_sync_process_raises_and_is_cut_off(tmp_path: Path) -> None:
    log = LedgerLog(tmp_path / "ledger.log")
    log.read()
    log.start_sync()
    await log.append([_entry(1)])
    assert log._sync is not None
    log._sync._process.kill()
    log._sync._process.wait()
    outcomes: list[OSError | None] = []
    try:
        with pytest.raises(BrokenPipeError):  # its pipe has no reader any more
            log.write([_entry(2)], outcomes.append)
        assert outcomes == []  # raised instead: never both
        assert _logged_ids(log) == [1]
        await log.append([_entry(3)])
        assert _logged_ids(log) == [1, 3]
    finally:
        await log.close()


async def test_frames_written_while_others_sync_are_answered_in_order(tmp_path: Path) -> None:
    log = LedgerLog(tmp_path / "ledger.log")
    log.read()
    log.start_sync()
    answers: list[tuple[int, OSError | None]] = []
    all_durable = asyncio.get_running_loop().create_future()

    def answered(number: int) -> Callable[[OSError | None], None]:
        def record(error: OSError | None) -> None:
            answers.append((number, error))
            if len(answers) == 5:
                all_durable.set_result(None)

        return record

    try:
        for number in range(1, 6):  # none waits for the one before
            log.write([_entry(number)], answered(number))
        await asyncio.wait_for(all_durable, 10)
        assert answers == [(number, None) for number in range(1, 6)]
        assert 1 <= log.syncs <= 5  # the sync process may cover several with one fdatasync
        assert _logged_ids(log) == [1, 2, 3, 4, 5]
    finally:
        await log.close()


async def test_when_a_sync_fails_every_frame_after_it_fails_and_is_cut_off(
    tmp_path: Path,
) -> None:
    log = LedgerLog(tmp_path / "ledger.log")
    log.read()
    log.start_sync()
    await log.append([_entry(1)])
    assert log._sync is not None
    helper = log._sync._process
    helper.send_signal(signal.SIGSTOP)
    outcomes: list[OSError | None] = []
    both = asyncio.get_running_loop().create_future()

    def record(error: OSError | None) -> None:
        outcomes.append(error)
        if len(outcomes) == 2:
            both.set_result(None)

    try:
        log.write([_entry(2)], record)
        log.write([_entry(3)], record)
        helper.kill()
        await asyncio.wait_for(both, 10)
        assert all(isinstance(error, OSError) for error in outcomes)
        assert _logged_ids(log) == [1]  # both unsynced frames zeroed
        await log.append([_entry(4)])
        assert _logged_ids(log) == [1, 4]
    finally:
        await log.close()


async def test_a_lone_write_synced_now_is_durable_within_the_call(tmp_path: Path) -> None:
    log = LedgerLog(tmp_path / "ledger.log")
    log.read()
    outcomes: list[OSError | None] = []
    try:
        before = log.size
        log.write([_entry(1)], outcomes.append, sync_now=True)
        assert outcomes == [None]  # fdatasynced in the call
        assert log.size > before
        assert log.syncs == 1
        assert log._sync is None  # no sync process was needed
        assert _logged_ids(log) == [1]
    finally:
        await log.close()


async def test_sync_now_waits_its_turn_behind_frames_at_the_sync_process(tmp_path: Path) -> None:
    log = LedgerLog(tmp_path / "ledger.log")
    log.read()
    log.start_sync()
    answers: list[tuple[int, OSError | None]] = []
    both = asyncio.get_running_loop().create_future()

    def answered(number: int) -> Callable[[OSError | None], None]:
        def record(error: OSError | None) -> None:
            answers.append((number, error))
            if len(answers) == 2:
                both.set_result(None)

        return record

    try:
        log.write([_entry(1)], answered(1))
        log.write([_entry(2)], answered(2), sync_now=True)  # 1 still waits: order first
        assert answers == []
        await asyncio.wait_for(both, 10)
        assert answers == [(1, None), (2, None)]
        assert _logged_ids(log) == [1, 2]
    finally:
        await log.close()


async def test_a_failed_sync_now_cuts_the_frame_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = LedgerLog(tmp_path / "ledger.log")
    log.read()
    outcomes: list[OSError | None] = []
    try:
        log.write([_entry(1)], outcomes.append, sync_now=True)
        durable_size = log.size

        def failing(_fd: int) -> None:
            raise OSError(5, "Input/output error")

        monkeypatch.setattr(os, "fdatasync", failing)
        log.write([_entry(2)], outcomes.append, sync_now=True)
        assert outcomes[0] is None
        assert isinstance(outcomes[1], OSError)
        assert log.size == durable_size
        assert _logged_ids(log) == [1]  # zeroed again: never read back
        monkeypatch.undo()
        log.write([_entry(3)], outcomes.append, sync_now=True)
        assert outcomes[2] is None
        assert _logged_ids(log) == [1, 3]
    finally:
        await log.close()
