"""`ilpnode run --workers N`: N node processes on one machine, sharing its ports and one
PostgreSQL ledger (LEDGER_BACKEND=postgres), supervised by the process that was started.

Theory of operation. The supervisor (`run_workers`) serves nothing itself:

1. It binds every port once without SO_REUSEPORT and lets go (`serve.check_ports_free`): a port
   taken by anything, another `--workers` group included, stops the start as it would stop one
   process. It then migrates the database once, holding the ledger's lock in shared mode
   (`storage.ledger.lock`), so the workers find the schema current.
2. It starts N workers with multiprocessing's "spawn" context: fresh interpreters that inherit
   no event loop, thread or database connection. Each first chooses between the compiled
   build and the sources (`compiled.run_activated`), then builds its own node and serves it with
   `serve.serve_node(reuse_port=True)`: every worker binds the same ports with SO_REUSEPORT and
   the kernel spreads new connections over them (a connection stays with the worker that
   accepted it, so keep-alive requests all go to one worker). Each takes the ledger's lock in
   shared mode, so an embedded-ledger process cannot open the same database meanwhile.
3. A worker says "ready" over its pipe once it serves; when all have, the supervisor logs
   `ilpnode ready`. A worker that fails to start stops the whole start (exit status 1): a bad
   database or a taken port is not fixed by retrying.
4. Then it supervises: a worker that exits without being asked is logged and started again
   after a back-off (`RESTART_DELAY_MIN_SECONDS`, doubling per consecutive failure up to
   `RESTART_DELAY_MAX_SECONDS`; a worker that ran `STABLE_SECONDS` starts the count again), so
   a crash loop does not spin.
5. SIGTERM or SIGINT stops every worker with SIGTERM (each finishes its in-flight requests, as
   one process does), then the supervisor exits. A second SIGINT is passed on, so the workers
   stop waiting for in-flight requests. A worker still running `SHUTDOWN_GRACE_SECONDS` +
   `STOP_MARGIN_SECONDS` after the stop is killed. Each worker runs in a session of its own,
   so a terminal's Ctrl-C reaches the supervisor only (a worker that got SIGINT from the
   terminal after SIGTERM from the supervisor would take it as a second Ctrl-C); a SIGTERM
   sent to every process (systemd's `KillMode=control-group`) is fine: a worker takes its
   first SIGTERM as the request to stop, and a repeated one changes nothing.
6. A worker whose supervisor is gone (killed with -9) sees the supervisor's end of a pipe close
   (multiprocessing's parent sentinel) and stops itself gracefully.

Exit status: 0 when every worker started, none failed while running and all stopped cleanly;
1 otherwise (the log says which worker, by pid, and how).

What each worker shares with the others: the ports, the database (ledger, peers, assets,
idempotency keys) and, without ADMIN_API_SECRET, the dashboard's session key (made here, once
per run), so a login or form made through one worker is accepted by every other. What is per
worker: its connections, its metrics (`/metrics` answers for the worker that accepted the
scrape) and its in-memory copy of the peers.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import pickle
import secrets
import signal
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Final

from ilpnode import compiled
from ilpnode.bootstrap import Node, StartupError, build_node
from ilpnode.config import Settings
from ilpnode.logs import configure_logging
from ilpnode.serve import PortInUseError, check_ports_free, loop_factory, serve_node
from ilpnode.storage.database import Database, redacted_url
from ilpnode.storage.ledger.lock import LedgerLockHeld, lock_ledger
from ilpnode.storage.migrate import migrate

__all__ = [
    "RESTART_DELAY_MAX_SECONDS",
    "RESTART_DELAY_MIN_SECONDS",
    "STABLE_SECONDS",
    "STOP_MARGIN_SECONDS",
    "refusal",
    "restart_delay",
    "run_workers",
]

logger = logging.getLogger("ilpnode")

# The wait before restarting a worker that died, doubled per consecutive failure up to the max.
RESTART_DELAY_MIN_SECONDS: Final = 1.0
RESTART_DELAY_MAX_SECONDS: Final = 30.0
# A worker that ran this long before dying starts its back-off again from the minimum.
STABLE_SECONDS: Final = 60.0
# Beyond SHUTDOWN_GRACE_SECONDS, how long a stopping worker may take to close its ledger and
# database before it is killed.
STOP_MARGIN_SECONDS: Final = 15.0
# What a worker sends over its pipe once it serves.
_READY: Final = "ready"
# A worker's exit status when it cannot start (as `ilpnode run`'s).
_EXIT_START_FAILED: Final = 1


def refusal(settings: Settings, count: int) -> str | None:
    """Why `--workers count` cannot run with these settings (None: it can)."""
    if settings.ledger_backend == "postgres":
        return None
    on = " on SQLite" if settings.database_url.startswith("sqlite") else ""
    return (
        f"--workers {count} needs the shared ledger: set LEDGER_BACKEND=postgres and a "
        f"PostgreSQL DATABASE_URL (postgresql://user@host:port/database). This node uses the "
        f"embedded ledger{on}, which one process owns (it keeps the balances in its memory)"
    )


def restart_delay(failures: int) -> float:
    """Seconds to wait before starting a worker again after its `failures`-th consecutive
    failure (1, 2, 4, … up to the maximum)."""
    doublings = min(max(failures - 1, 0), 16)
    return min(RESTART_DELAY_MAX_SECONDS, RESTART_DELAY_MIN_SECONDS * (1 << doublings))


def run_workers(settings: Settings, count: int) -> int:
    """Start `count` workers, supervise them until SIGTERM/SIGINT; the exit status."""
    try:
        check_ports_free(settings)
        asyncio.run(_prepare_database(settings))
    except PortInUseError as error:
        print(f"ilpnode: {error.strerror}", file=sys.stderr)
        return _EXIT_START_FAILED
    except StartupError as error:
        print(f"ilpnode: {error}", file=sys.stderr)
        return _EXIT_START_FAILED
    # Without ADMIN_API_SECRET the dashboard signs sessions with a key made for this run: one
    # key for every worker, so that any of them accepts a session another one made.
    session_key = None if settings.admin_api_secret is not None else secrets.token_hex(32)
    return asyncio.run(_Supervisor(settings, count, session_key).run())


async def _prepare_database(settings: Settings) -> None:
    """Migrate once for every worker, under the ledger's lock (shared mode)."""
    where = redacted_url(settings.database_url)
    database = Database(settings.database_url)
    try:
        lock = await lock_ledger(database, shared=True, on_lost=lambda _message: None)
        try:
            await migrate(database)
        finally:
            await lock.release()
    except LedgerLockHeld as error:
        raise StartupError(str(error)) from None
    except Exception as error:
        raise StartupError(f"cannot migrate the database at {where}: {error}") from error
    finally:
        await database.close()


@dataclass
class _Worker:
    number: int
    process: BaseProcess
    pid: int
    ready: Connection
    started_at: float
    exited: bool = False


WorkerMain = Callable[[Settings, int, str | None, Connection], None]
"""A worker process's body: (settings, worker number, dashboard session key, ready pipe)."""


class _Supervisor:
    def __init__(
        self,
        settings: Settings,
        count: int,
        session_key: str | None,
        *,
        target: WorkerMain | None = None,
    ) -> None:
        self._target = target or _worker_main
        self._settings = settings
        self._count = count
        self._session_key = session_key
        self._context = multiprocessing.get_context("spawn")
        self._workers: dict[int, _Worker] = {}
        self._stopping = asyncio.Event()
        self._failed = False
        self._kill_timer: asyncio.TimerHandle | None = None

    async def run(self) -> int:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, self._on_signal, signum)
        try:
            for number in range(1, self._count + 1):
                self._start(number)
            started = list(self._workers.values())
            ready = await asyncio.gather(*(self._until_ready(worker) for worker in started))
            if all(ready) and not self._stopping.is_set():
                logger.info(
                    "ilpnode ready: %d workers (pids %s), ILP address %s",
                    self._count,
                    ", ".join(str(worker.pid) for worker in started),
                    self._settings.node_address,
                )
            elif not self._stopping.is_set():
                self._failed = True
                logger.error("a worker did not start: stopping the others")
                self._stopping.set()
                # Not the failed ones: they are exiting already, with their own status.
                self._stop(signal.SIGTERM, [w for w, up in zip(started, ready, strict=True) if up])
            await asyncio.gather(*(self._supervise(number) for number in list(self._workers)))
        finally:
            for signum in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(signum)
            if self._kill_timer is not None:
                self._kill_timer.cancel()
        logger.info("all workers stopped")
        return _EXIT_START_FAILED if self._failed else 0

    def _start(self, number: int) -> _Worker:
        reader, writer = self._context.Pipe(duplex=False)
        # Through `run_activated`: the worker chooses between the compiled build and the
        # sources before it imports its body (and so the packet path).
        body = f"{self._target.__module__}:{self._target.__qualname__}"
        arguments = pickle.dumps((self._settings, number, self._session_key))
        process = self._context.Process(
            target=compiled.run_activated,
            args=(body, arguments, writer),
            name=f"ilpnode-worker-{number}",
        )
        process.start()
        writer.close()  # the worker holds the other copy: its end closing means it is gone
        assert process.pid is not None  # set by start()
        worker = _Worker(number, process, process.pid, reader, time.monotonic())
        self._workers[number] = worker
        logger.info("worker %d started (pid %d)", number, worker.pid)
        return worker

    async def _until_ready(self, worker: _Worker) -> bool:
        """Whether the worker came to serve (False: it exited first)."""
        await _readable(worker.ready.fileno())
        try:
            message = worker.ready.recv()
        except (EOFError, OSError):
            return False
        if message != _READY:
            return False
        logger.info("worker %d ready (pid %d)", worker.number, worker.pid)
        return True

    async def _supervise(self, number: int) -> None:
        """Wait for the worker to exit; restart it unless it was asked to stop."""
        failures = 0
        while True:
            worker = self._workers[number]
            await _readable(worker.process.sentinel)
            worker.process.join()
            code = worker.process.exitcode
            ran = time.monotonic() - worker.started_at
            worker.exited = True
            worker.ready.close()
            worker.process.close()
            if self._stopping.is_set():
                if code not in (0, -signal.SIGTERM):  # SIGTERM: asked before it could listen
                    self._failed = True
                    logger.error("worker %d (pid %d) %s", number, worker.pid, _how(code))
                return
            if code != 0:
                self._failed = True
            failures = 1 if ran >= STABLE_SECONDS else failures + 1
            delay = restart_delay(failures)
            logger.log(
                logging.ERROR if code != 0 else logging.WARNING,  # 0: stopped by someone else
                "worker %d (pid %d) %s: starting it again in %g s",
                number,
                worker.pid,
                _how(code),
                delay,
            )
            try:
                await asyncio.wait_for(self._stopping.wait(), delay)
            except TimeoutError:
                pass
            else:
                return
            await self._until_ready(self._start(number))

    def _on_signal(self, signum: int) -> None:
        name = signal.Signals(signum).name
        if not self._stopping.is_set():
            logger.info("%s received: stopping %d workers", name, len(self._workers))
            self._stopping.set()
            self._stop(signal.SIGTERM)
            self._kill_timer = asyncio.get_running_loop().call_later(
                self._settings.shutdown_grace_seconds + STOP_MARGIN_SECONDS, self._kill_remaining
            )
        elif signum == signal.SIGINT:
            logger.info("SIGINT received again: the workers stop waiting for in-flight requests")
            self._stop(signal.SIGINT)

    def _stop(self, signum: int, workers: list[_Worker] | None = None) -> None:
        for worker in self._workers.values() if workers is None else workers:
            if not worker.exited and worker.process.exitcode is None:
                os.kill(worker.pid, signum)

    def _kill_remaining(self) -> None:
        for worker in self._workers.values():
            if not worker.exited and worker.process.exitcode is None:
                logger.error(
                    "worker %d (pid %d) did not stop within %.0f s: killing it",
                    worker.number,
                    worker.pid,
                    self._settings.shutdown_grace_seconds + STOP_MARGIN_SECONDS,
                )
                self._failed = True
                os.kill(worker.pid, signal.SIGKILL)


async def _readable(fd: int) -> None:
    """Wait until `fd` can be read (data, or its other end closed)."""
    loop = asyncio.get_running_loop()
    done = loop.create_future()

    def settle() -> None:
        if not done.done():
            done.set_result(None)

    loop.add_reader(fd, settle)
    try:
        await done
    finally:
        loop.remove_reader(fd)


def _how(code: int | None) -> str:
    if code is None:
        return "is gone"
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with status {code}"


def _worker_main(
    settings: Settings, number: int, session_key: str | None, ready: Connection
) -> None:
    """A worker process: serve one node on the shared ports until told to stop."""
    os.setsid()  # out of the terminal's process group: its Ctrl-C is for the supervisor
    configure_logging(settings.log_level, with_pid=True)
    node = build_node(settings, dashboard_session_key=session_key)
    try:
        with asyncio.Runner(loop_factory=loop_factory()) as runner:
            runner.run(_serve_worker(node, ready))
    except PortInUseError as error:
        logger.error("worker %d cannot start: %s", number, error.strerror)
        sys.exit(_EXIT_START_FAILED)
    except StartupError as error:
        logger.error("worker %d cannot start: %s", number, error)
        sys.exit(_EXIT_START_FAILED)


async def _serve_worker(node: Node, ready: Connection) -> None:
    loop = asyncio.get_running_loop()
    parent = multiprocessing.parent_process()
    if parent is not None:
        sentinel = parent.sentinel

        def parent_gone() -> None:
            loop.remove_reader(sentinel)
            logger.error("the supervising process is gone: stopping")
            os.kill(os.getpid(), signal.SIGTERM)  # the node's own graceful stop

        loop.add_reader(sentinel, parent_gone)

    def tell_ready() -> None:
        try:
            ready.send(_READY)
        except OSError:  # the supervisor is gone: `parent_gone` stops this worker
            logger.warning("could not tell the supervising process that this worker is ready")

    await serve_node(node, reuse_port=True, on_ready=tell_ready)
