"""Run the JS reference peers in `tests/interop/js/` as processes, for interop tests.

- `start_connector`: a real interledgerjs `ilp-connector` (`connector.js`) with ilp-plugin-http
  accounts;
- `start_stream_receiver`: an `ilp-protocol-stream` Server (`stream_receiver.js`);
- `run_stream_sender`: one STREAM payment with `ilp-protocol-stream` (`stream_sender.js`);
- `run_pay_sender`: one payment with `@interledger/pay`, Rafiki's payer (`pay_sender.js`).

Each program takes its config as JSON on argv and prints tagged JSON lines on stdout
(`READY {...}`, `RECEIVED {...}`, `RESULT {...}`); the config keys are documented at the top of
each `.js` file. Every process's stdout and stderr go to `<log_dir>/<name>.log`, and every
failure (a start timeout, an early exit, a missing line) raises `JsProcessError` carrying the
end of that log, so a red test shows what the JS side said.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

__all__ = [
    "JsProcess",
    "JsProcessError",
    "http_link",
    "js_process",
    "run_pay_sender",
    "run_stream_sender",
    "start_connector",
    "start_stream_receiver",
    "token",
]

READY_TIMEOUT_SECONDS = 30.0  # node starts in ~0.3 s; IL-DCP needs the parent to be up
STOP_TIMEOUT_SECONDS = 5.0
SENDER_TIMEOUT_SECONDS = 60.0
LOG_TAIL_LINES = 80


class JsProcessError(RuntimeError):
    """A JS peer failed: it did not start, exited early, or never printed an expected line."""


def token() -> str:
    """A fresh bearer token (URL-safe, 32 random bytes)."""
    return secrets.token_urlsafe(32)


def http_link(
    *, port: int, incoming_token: str, outgoing_url: str, outgoing_token: str
) -> dict[str, Any]:
    """The ilp-plugin-http part of a config: our port and token, the peer's URL and token."""
    return {
        "port": port,
        "incomingToken": incoming_token,
        "outgoingUrl": outgoing_url,
        "outgoingToken": outgoing_token,
    }


class JsProcess:
    """A running `node <script> <config>`; a thread copies its output to the log and a buffer."""

    def __init__(self, name: str, args: list[str], cwd: Path, log_path: Path) -> None:
        self.name = name
        self.log_path = log_path
        self._lines: list[str] = []
        self._changed = threading.Condition(threading.RLock())  # tagged() re-enters it
        self._log = log_path.open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            args,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
            env={**os.environ, "FORCE_COLOR": "0"},
        )
        self._reader = threading.Thread(target=self._read, name=f"{name}-output", daemon=True)
        self._reader.start()
        self.ready: dict[str, Any] = {}

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._log.write(line)
            self._log.flush()
            with self._changed:
                self._lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def output(self) -> str:
        """Everything the process printed so far (stdout and stderr interleaved)."""
        with self._changed:
            return "\n".join(self._lines)

    def failure(self, what: str) -> JsProcessError:
        with self._changed:
            tail = "\n".join(self._lines[-LOG_TAIL_LINES:])
        status = self.process.poll()
        state = "running" if status is None else f"exited with {status}"
        return JsProcessError(
            f"{self.name}: {what} ({state}); log {self.log_path}, last lines:\n{tail}"
        )

    def tagged(self, tag: str) -> list[dict[str, Any]]:
        """The JSON payloads of the lines `<tag> {...}` printed so far, in order."""
        prefix = f"{tag} "
        with self._changed:
            found = [line[len(prefix) :] for line in self._lines if line.startswith(prefix)]
        return [json.loads(payload) for payload in found]

    def wait_for(
        self,
        tag: str,
        predicate: Callable[[dict[str, Any]], bool] = lambda _: True,
        *,
        timeout: float,
    ) -> dict[str, Any]:
        """The first `<tag> {...}` payload that satisfies `predicate`, waiting up to `timeout` s.

        Raises:
            JsProcessError: no such line in time, or the process's output ended first.
        """
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for payload in self.tagged(tag):
                    if predicate(payload):
                        return payload
                remaining = deadline - time.monotonic()
                if not self._reader.is_alive():
                    raise self.failure(f"output ended without a matching {tag} line")
                if remaining <= 0:
                    raise self.failure(f"no matching {tag} line within {timeout:g} s")
                self._changed.wait(min(remaining, 0.5))

    def wait_exit(self, timeout: float) -> int:
        """Wait for the process to exit by itself; its return code.

        Raises:
            JsProcessError: it was still running after `timeout` seconds (it is then killed).
        """
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise self.failure(f"did not exit within {timeout:g} s") from None
        self._reader.join(timeout=STOP_TIMEOUT_SECONDS)
        return code

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after a grace period; closes the log."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._reader.join(timeout=STOP_TIMEOUT_SECONDS)
        if self.process.stdout is not None and not self._reader.is_alive():
            self.process.stdout.close()
        self._log.close()


@contextmanager
def js_process(
    js_dir: Path,
    script: str,
    config: dict[str, Any],
    *,
    log_dir: Path,
    name: str | None = None,
    ready_timeout: float = READY_TIMEOUT_SECONDS,
) -> Iterator[JsProcess]:
    """`node <js_dir>/<script> '<config as JSON>'`, yielded once it printed `READY {...}`.

    Raises:
        JsProcessError: no READY line within `ready_timeout` seconds, or the process exited.
    """
    label = name or Path(script).stem
    log_dir.mkdir(parents=True, exist_ok=True)
    proc = JsProcess(label, ["node", script, json.dumps(config)], js_dir, log_dir / f"{label}.log")
    try:
        proc.ready = proc.wait_for("READY", timeout=ready_timeout)
        yield proc
    finally:
        proc.stop()


def start_connector(
    js_dir: Path, config: dict[str, Any], *, log_dir: Path, name: str = "connector"
) -> AbstractContextManager[JsProcess]:
    """A real `ilp-connector`; `.ready` is `{"ilpAddress", "accounts": {id: {"port", "url",
    "address" (child accounts only)}}}`. Config: see `connector.js`."""
    return js_process(js_dir, "connector.js", config, log_dir=log_dir, name=name)


def start_stream_receiver(
    js_dir: Path, config: dict[str, Any], *, log_dir: Path, name: str = "stream_receiver"
) -> AbstractContextManager[JsProcess]:
    """An `ilp-protocol-stream` Server; `.ready` is `{"port", "url", "destinationAccount",
    "sharedSecret" (base64), "assetCode", "assetScale"}`; it prints `RECEIVED {"amount",
    "totalReceived", "packets", "connections"}` per packet with money. Config: see
    `stream_receiver.js`."""
    return js_process(js_dir, "stream_receiver.js", config, log_dir=log_dir, name=name)


def run_stream_sender(
    js_dir: Path,
    config: dict[str, Any],
    *,
    log_dir: Path,
    name: str = "stream_sender",
    timeout: float = SENDER_TIMEOUT_SECONDS,
    check: bool = True,
) -> dict[str, Any]:
    """Send one STREAM payment and wait for the sender to exit; its `RESULT` payload.

    The payload is `{"amount", "totalSent", "totalDelivered", "packets" (fulfilled Prepares
    with money), "prepares", "rejects": {code: count}}`, plus `"error"` on failure.

    Raises:
        JsProcessError: no RESULT line, a timeout, or (with `check`) a non-zero exit.
    """
    return _run_to_result(js_dir, "stream_sender.js", config, log_dir, name, timeout, check)


def run_pay_sender(
    js_dir: Path,
    config: dict[str, Any],
    *,
    log_dir: Path,
    name: str = "pay_sender",
    timeout: float = SENDER_TIMEOUT_SECONDS,
    check: bool = True,
) -> dict[str, Any]:
    """Pay a wallet address with `@interledger/pay` and wait for the payer to exit; its `RESULT`
    payload (see `pay_sender.js`: "amountSent", "amountDelivered", "quote", "receipt", ...).

    Raises:
        JsProcessError: no RESULT line, a timeout, or (with `check`) a non-zero exit.
    """
    return _run_to_result(js_dir, "pay_sender.js", config, log_dir, name, timeout, check)


def _run_to_result(
    js_dir: Path,
    script: str,
    config: dict[str, Any],
    log_dir: Path,
    name: str,
    timeout: float,
    check: bool,
) -> dict[str, Any]:
    log_dir.mkdir(parents=True, exist_ok=True)
    args = ["node", script, json.dumps(config)]
    proc = JsProcess(name, args, js_dir, log_dir / f"{name}.log")
    try:
        code = proc.wait_exit(timeout)
        results = proc.tagged("RESULT")
        if not results:
            raise proc.failure("printed no RESULT line")
        if check and code != 0:
            raise proc.failure(f"payment failed: {results[-1].get('error')}")
        return results[-1]
    finally:
        proc.stop()
